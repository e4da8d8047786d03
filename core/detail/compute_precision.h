// How a network's operations run in the active precision (core/precision.h). Private to core/.
// In float32 each helper is exactly the module's own forward. In bfloat16 the activations are bfloat16
// in channels-last layout from the first convolution to the last; convolutions take bfloat16 weights
// (a cached converted copy for no-grad evaluation, a differentiable cast of the float32 weight while
// training, so gradients reach the float32 weights); GroupNorm statistics and the embedding MLPs stay
// float32. The network's output is float32 again, so the preconditioning runs in float32.
#pragma once

#include <torch/torch.h>

namespace cm::detail {

// The dtype a forward that starts now computes in (kFloat32 or kBFloat16).
torch::ScalarType computeDtype();

// While one lives, the forwards this thread starts compute in float32 whatever the active precision
// (nests; `active` false makes it a no-op).
class Float32Scope {
  public:
    explicit Float32Scope(bool active = true);
    ~Float32Scope();
    Float32Scope(const Float32Scope&) = delete;
    Float32Scope& operator=(const Float32Scope&) = delete;

  private:
    bool m_previous;
};

// The network input in the compute format: float32 unchanged; bfloat16 channels-last for images.
torch::Tensor toCompute(const torch::Tensor& x, torch::ScalarType dtype);
// The network output as the API's float32, in the default layout.
torch::Tensor toFloat32Output(const torch::Tensor& y);

torch::Tensor conv2d(torch::nn::Conv2dImpl& conv, const torch::Tensor& x);
// Small matrices (the embedding MLPs) in float32 whatever the compute type.
torch::Tensor linearFloat32(torch::nn::LinearImpl& linear, const torch::Tensor& x);

// Optional parts of a normalisation: FiLM scale and shift, or an addend before the statistics, each
// float32 [N, C] (undefined = absent), and SiLU after it.
struct NormAct {
    torch::Tensor preShift; // norm(x + preShift): ADM's ResBlock without scale-shift norm
    torch::Tensor scale, shift; // norm(x) * (1 + scale) + shift
    bool silu = false;

    static NormAct thenSilu() {
        NormAct act;
        act.silu = true;
        return act;
    }
};
// GroupNorm in float32 whatever x's type, then NormAct; the result has x's type and layout.
torch::Tensor groupNormFloat32(torch::nn::GroupNormImpl& norm, const torch::Tensor& x, const NormAct& act = {});

// Softmax over the last dimension in float32, returned in x's type.
torch::Tensor softmaxFloat32(const torch::Tensor& x);

} // namespace cm::detail
