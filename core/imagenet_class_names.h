// The names of ImageNet's 1,000 classes in label order (the published ImageNet 64 consistency models'
// labels). Immutable static data; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace cm {

const std::vector<std::string>& imagenetClassNames();

} // namespace cm
