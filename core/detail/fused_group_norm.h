// GroupNorm, FiLM and SiLU in one pass over a bfloat16 channels-last activation: the inference path's
// (and the training path's) answer to the memory-bound work that dominates the small networks once the
// convolutions run in bfloat16 (cpu-performance.md). Statistics and the affine maps are computed in
// float32. Private to core/.
#pragma once

#include <torch/torch.h>

namespace cm::detail {

// True when this CPU can run fusedGroupNormBf16 (AVX-512 with BF16 conversions) and the environment does
// not set CMSTUDIO_NO_FUSED_NORM (the bench measures the fusion against separate LibTorch operations).
bool fusedGroupNormAvailable();

// y = act((norm(x + preShift) * gamma + beta) * (1 + scale) + shift), norm over `groups` channel groups
// of each sample; act is SiLU or the identity. x: bfloat16 [N, C, H, W] contiguous in channels-last;
// gamma, beta: float32 [C]; preShift, scale, shift: float32 [N, C] or undefined (then 0). Returns a
// bfloat16 channels-last tensor like x. Differentiable when grad mode is on and an input requires grad
// (training): one AVX-512 backward pass gives x's gradient in bfloat16 channels-last and float32
// gradients of gamma, beta, preShift, scale and shift.
torch::Tensor fusedGroupNormBf16(const torch::Tensor& x, int groups, const torch::Tensor& gamma,
                                 const torch::Tensor& beta, double eps, const torch::Tensor& preShift,
                                 const torch::Tensor& scale, const torch::Tensor& shift, bool silu);

} // namespace cm::detail
