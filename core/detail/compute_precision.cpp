#include "compute_precision.h"

#include "core/precision.h"
#include "fused_group_norm.h"

#include <omp.h>

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

// A training convolution in bfloat16 whose float32 weight and bias get float32 gradients. Written out
// because of one measured cost: oneDNN's bfloat16 weight-gradient kernel waits on its threads, and on a
// shared 2-core machine one preempted thread stalls it (a 64-channel 14x14 batch-64 weight gradient:
// 24 ms on one thread, a median of 1,174 ms on two), so that one kernel runs on the calling thread alone.
struct Bf16TrainingConv : torch::autograd::Function<Bf16TrainingConv> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& weight, const torch::Tensor& bias, std::vector<int64_t> stride,
                                 std::vector<int64_t> padding, std::vector<int64_t> dilation, int64_t groups) {
        // The cached copy: converted once per optimizer step (the version counter moves), shared with the
        // no-grad evaluations of the same step (the consistency target), not once per use.
        const auto low = weightCache().get(weight);
        const auto lowBias = bias.defined() ? weightCache().get(bias) : bias;
        ctx->save_for_backward({x, low});
        ctx->saved_data["stride"] = stride;
        ctx->saved_data["padding"] = padding;
        ctx->saved_data["dilation"] = dilation;
        ctx->saved_data["groups"] = groups;
        ctx->saved_data["bias"] = bias.defined();
        return torch::conv2d(x, low, lowBias, stride, padding, dilation, groups);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& low = saved[1];
        const auto stride = ctx->saved_data["stride"].toIntVector();
        const auto padding = ctx->saved_data["padding"].toIntVector();
        const auto dilation = ctx->saved_data["dilation"].toIntVector();
        const auto groups = ctx->saved_data["groups"].toInt();
        const auto grad = grads[0].to(torch::kBFloat16).contiguous(kChannelsLast);
        torch::Tensor gradInput, gradWeight;
        if (x.requires_grad())
            gradInput = std::get<0>(at::convolution_backward(grad, x, low, c10::nullopt, stride, padding, dilation,
                                                             false, {0, 0}, groups, {true, false, false}));
        const bool hasBias = ctx->saved_data["bias"].toBool();
        torch::Tensor gradBias;
        {
            // omp_set_num_threads, not at::set_num_threads: the latter also rebuilds LibTorch's pthreadpool
            // on every call, which cost more than the kernel itself (profiled: ~10 ms per convolution).
            // The bias gradient comes from the same pass over the output gradient.
            const int threads = omp_get_max_threads();
            omp_set_num_threads(1);
            try {
                const auto biasSizes = hasBias ? c10::optional<at::IntArrayRef>(at::IntArrayRef(low.sizes().data(), 1))
                                               : c10::nullopt;
                std::tie(std::ignore, gradWeight, gradBias) = at::convolution_backward(
                    grad, x, low, biasSizes, stride, padding, dilation, false, {0, 0}, groups, {false, true, hasBias});
            } catch (...) {
                omp_set_num_threads(threads);
                throw;
            }
            omp_set_num_threads(threads);
        }
        return {gradInput, gradWeight.to(torch::kFloat32), hasBias ? gradBias.to(torch::kFloat32) : gradBias, {}, {}, {}, {}};
    }
};

torch::Tensor perChannel(const torch::Tensor& values, const torch::Tensor& like) {
    return values.reshape({values.size(0), values.size(1), 1, 1}).to(like.scalar_type());
}

} // namespace

namespace {
thread_local bool t_forceFloat32 = false;
} // namespace

torch::ScalarType computeDtype() {
    if (t_forceFloat32) return torch::kFloat32;
    return activePrecision() == Precision::Bf16 ? torch::kBFloat16 : torch::kFloat32;
}

Float32Scope::Float32Scope(bool active) : m_previous(t_forceFloat32) {
    t_forceFloat32 = t_forceFloat32 || active;
}

Float32Scope::~Float32Scope() {
    t_forceFloat32 = m_previous;
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
    if (torch::GradMode::is_enabled() && conv.weight.requires_grad()) {
        const auto list = [](const torch::ExpandingArray<2>& a) { return std::vector<int64_t>(a->begin(), a->end()); };
        return Bf16TrainingConv::apply(x.contiguous(kChannelsLast), conv.weight, conv.bias, list(o.stride()),
                                       list(padding), list(o.dilation()), o.groups());
    }
    return torch::conv2d(x.contiguous(kChannelsLast), bf16Weight(conv.weight), bf16Weight(conv.bias), *o.stride(),
                         *padding, *o.dilation(), o.groups());
}

torch::Tensor linearFloat32(torch::nn::LinearImpl& linear, const torch::Tensor& x) {
    return linear.forward(x.scalar_type() == torch::kFloat32 ? x : x.to(torch::kFloat32));
}

torch::Tensor groupNormFloat32(torch::nn::GroupNormImpl& norm, const torch::Tensor& x, const NormAct& act) {
    const auto& o = norm.options;
    const bool low = x.scalar_type() != torch::kFloat32;
    if (low && x.dim() == 4 && fusedGroupNormAvailable())
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
