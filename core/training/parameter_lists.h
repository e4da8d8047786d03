// Operations on a network's parameters as a flat list of tensors (online, target, EMA copies, moments).
// Private to core/.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace cm::training {

std::vector<torch::Tensor> cloneAll(const std::vector<torch::Tensor>& tensors);
void copyInto(const std::vector<torch::Tensor>& destination, const std::vector<torch::Tensor>& source);
// average <- rate * average + (1 - rate) * current
void emaUpdate(std::vector<torch::Tensor>& average, const std::vector<torch::Tensor>& current, double rate);
// sqrt of the sum of squares over every defined tensor.
double globalNorm(const std::vector<torch::Tensor>& tensors);

} // namespace cm::training
