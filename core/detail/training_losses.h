// Building blocks of the training losses. Private to core/.
#pragma once

#include "core/trainer.h"

#include <torch/torch.h>

#include <functional>

namespace cm::detail {

// Per-sample distance d(a, b) -> [N]. L2 and L1 are means over the item; pseudo-Huber is
// sqrt(||a - b||^2 + c^2) - c on the whole item (iCT), with c < 0 meaning 0.00054 sqrt(dim).
torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b, DistanceMetric metric, double huberC);

// The smallest relative gap (high - low) / high between a consistency pair's noise levels at which the
// pair is still evaluated in bfloat16. Closer pairs differ by less than bfloat16's rounding of the network
// output (0.3-1% RMS), which then dominates the loss: measured, a 100-step ECT run from the bundled
// teacher (8 stages, gaps down to 1/512) followed float32's loss in the stages with gaps of 1/8 and more,
// and ended at 3.5 times float32's loss with all pairs in bfloat16 (one-step FD 169 against 158).
constexpr double kBf16MinRelativeGap = 1.0 / 16;

// Evaluates `online` (with gradient) and then `target` (without) under the same dropout mask: the global
// generator that dropout draws from is rewound between the two. Both in float32 when the smallest
// (sigmaHigh - sigmaLow) / sigmaHigh of the batch is below kBf16MinRelativeGap.
std::pair<torch::Tensor, torch::Tensor>
evaluateWithSharedDropout(const torch::Tensor& sigmaHigh, const torch::Tensor& sigmaLow,
                          const std::function<torch::Tensor()>& online,
                          const std::function<torch::Tensor()>& target);

// Standard normal CDF, for the noise-level quartiles of the lognormal modes.
torch::Tensor normalCdf(const torch::Tensor& x);

} // namespace cm::detail
