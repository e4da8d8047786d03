#include "compute_precision.h"

#include "core/precision.h"
#include "fused_group_norm.h"

#include <mutex>
#include <unordered_map>

namespace cm::detail {

namespace {

const auto kChannelsLast = torch::MemoryFormat::ChannelsLast;

// bfloat16 copies of float32 weights for no-grad evaluation, converted once and reused until the weight
// changes (an optimizer step or a load bumps its version counter) or dies. Shared by all networks and
// threads (concurrent no-grad forwards are allowed).
class Bf16WeightCache {
  public:
    torch::Tensor get(const torch::Tensor& weight) {
        std::lock_guard<std::mutex> lock(m_mutex);
        auto* key = weight.unsafeGetTensorImpl();
        auto found = m_entries.find(key);
        if (found != m_entries.end()) {
            const Entry& e = found->second;
            if (!e.owner.expired() && e.version == weight._version() && e.data == weight.data_ptr())
                return e.converted;
        } else {
            dropDeadEntries();
        }
        Entry e{c10::weak_intrusive_ptr<c10::TensorImpl>(weight.getIntrusivePtr()), weight._version(),
                weight.data_ptr(), convert(weight)};
        auto converted = e.converted;
        m_entries.insert_or_assign(key, std::move(e));
        return converted;
    }

    static torch::Tensor convert(const torch::Tensor& weight) {
        auto low = weight.detach().to(torch::kBFloat16);
        return weight.dim() == 4 ? low.contiguous(kChannelsLast) : low.contiguous();
    }

  private:
    struct Entry {
        c10::weak_intrusive_ptr<c10::TensorImpl> owner;
        int64_t version;
        const void* data;
        torch::Tensor converted;
    };
    void dropDeadEntries() {
        for (auto it = m_entries.begin(); it != m_entries.end();)
            it = it->second.owner.expired() ? m_entries.erase(it) : std::next(it);
    }
    std::mutex m_mutex;
    std::unordered_map<const c10::TensorImpl*, Entry> m_entries;
};

Bf16WeightCache& weightCache() {
    static Bf16WeightCache cache;
    return cache;
}

// A float32 parameter in bfloat16: cached when no gradient flows to it, a differentiable cast otherwise.
torch::Tensor bf16Weight(const torch::Tensor& weight) {
    if (!weight.defined()) return weight;
    if (torch::GradMode::is_enabled() && weight.requires_grad()) {
        auto low = weight.to(torch::kBFloat16);
        return weight.dim() == 4 ? low.contiguous(kChannelsLast) : low;
    }
    return weightCache().get(weight);
}

torch::Tensor perChannel(const torch::Tensor& values, const torch::Tensor& like) {
    return values.reshape({values.size(0), values.size(1), 1, 1}).to(like.scalar_type());
}

} // namespace

torch::ScalarType computeDtype() {
    return activePrecision() == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat32;
}

torch::Tensor toCompute(const torch::Tensor& x, torch::ScalarType dtype) {
    if (dtype == torch::kFloat32) return x;
    auto low = x.to(dtype);
    return low.dim() == 4 ? low.contiguous(kChannelsLast) : low;
}

torch::Tensor toFloat32Output(const torch::Tensor& y) {
    return y.scalar_type() == torch::kFloat32 ? y : y.to(torch::kFloat32).contiguous();
}

torch::Tensor conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& x) {
    if (x.scalar_type() != torch::kBFloat16) return conv.forward(x);
    const auto& o = conv.options;
    const auto& padding = c10::get<torch::ExpandingArray<2>>(o.padding());
    return torch::conv2d(x.contiguous(kChannelsLast), bf16Weight(conv.weight), bf16Weight(conv.bias), *o.stride(),
                         *padding, *o.dilation(), o.groups());
}

torch::Tensor linearFloat32(torch::nn::LinearImpl& linear, const torch::Tensor& x) {
    return linear.forward(x.scalar_type() == torch::kFloat32 ? x : x.to(torch::kFloat32));
}

torch::Tensor groupNormFloat32(torch::nn::GroupNormImpl& norm, const torch::Tensor& x, const NormAct& act) {
    const auto& o = norm.options;
    const bool low = x.scalar_type() != torch::kFloat32;
    if (low && x.dim() == 4 && !torch::GradMode::is_enabled() && fusedGroupNormAvailable())
        return fusedGroupNormBf16(x, int(o.num_groups()), norm.weight, norm.bias, o.eps(), act.preShift, act.scale,
                                  act.shift, act.silu);
    auto h = low ? x.to(torch::kFloat32) : x;
    if (act.preShift.defined()) h = h + perChannel(act.preShift, h);
    h = norm.forward(h);
    if (act.scale.defined()) h = h * (1 + perChannel(act.scale, h));
    if (act.shift.defined()) h = h + perChannel(act.shift, h);
    if (act.silu) h = torch::silu(h);
    return low ? h.to(x.scalar_type()) : h;
}

torch::Tensor softmaxFloat32(const torch::Tensor& x) {
    if (x.scalar_type() == torch::kFloat32) return torch::softmax(x, -1);
    return torch::softmax(x, -1, torch::kFloat32).to(x.scalar_type());
}

} // namespace cm::detail
