#include "parameter_lists.h"

#include <cmath>

namespace cm::training {

std::vector<torch::Tensor> cloneAll(const std::vector<torch::Tensor>& tensors) {
    std::vector<torch::Tensor> out;
    for (const auto& t : tensors)
        out.push_back(t.detach().clone());
    return out;
}

void copyInto(const std::vector<torch::Tensor>& destination, const std::vector<torch::Tensor>& source) {
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < destination.size(); ++i)
        destination[i].copy_(source[i]);
}

void emaUpdate(std::vector<torch::Tensor>& average, const std::vector<torch::Tensor>& current, double rate) {
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < average.size(); ++i)
        average[i].mul_(rate).add_(current[i].detach(), 1.0 - rate);
}

double globalNorm(const std::vector<torch::Tensor>& tensors) {
    double sum = 0;
    for (const auto& t : tensors)
        if (t.defined()) sum += t.detach().pow(2).sum().item<double>();
    return std::sqrt(sum);
}

} // namespace cm::training
