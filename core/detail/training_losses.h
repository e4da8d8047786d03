// Building blocks of the training losses. Private to core/.
#pragma once

#include "core/trainer.h"

#include <torch/torch.h>

#include <functional>

namespace cm::detail {

// Per-sample distance d(a, b) -> [N]. L2 and L1 are means over the item; pseudo-Huber is
// sqrt(||a - b||^2 + c^2) - c on the whole item (iCT), with c < 0 meaning 0.00054 sqrt(dim).
torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b, DistanceMetric metric, double huberC);

// Evaluates `online` (with gradient) and then `target` (without) under the same dropout mask: the global
// generator that dropout draws from is rewound between the two.
std::pair<torch::Tensor, torch::Tensor>
evaluateWithSharedDropout(const std::function<torch::Tensor()>& online,
                          const std::function<torch::Tensor()>& target);

// Standard normal CDF, for the noise-level quartiles of the lognormal modes.
torch::Tensor normalCdf(const torch::Tensor& x);

} // namespace cm::detail
