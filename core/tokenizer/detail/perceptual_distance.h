// The tokenizer trainers' learned perceptual distance: the project's own feature network (no ImageNet
// weights exist here), loaded frozen, and the squared distance of unit-normalised features. Private to core/.
#pragma once

#include "core/detail/feature_network.h"

#include <memory>
#include <string>
#include <vector>

namespace cm::detail {

// The network of a FeatureNet file, in eval mode with every weight frozen; Error(Shape) when it takes
// images of another shape than `itemShape`.
std::shared_ptr<FeatureNetwork> loadPerceptualNetwork(const std::string& path, const std::vector<int64_t>& itemShape);

// Per sample [N]: || f(estimate) / |f(estimate)| - f(target) / |f(target)| ||^2, the target's side without
// gradient; zeros without a network.
torch::Tensor perceptualDistance(FeatureNetwork* network, const torch::Tensor& estimate, const torch::Tensor& target);

} // namespace cm::detail
