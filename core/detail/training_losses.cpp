#include "training_losses.h"

#include "compute_precision.h"

#include <cmath>

namespace cm::detail {

torch::Tensor distance(const torch::Tensor& a, const torch::Tensor& b, DistanceMetric metric, double huberC) {
    const auto diff = (a - b).flatten(1);
    switch (metric) {
    case DistanceMetric::L2:
        return diff.pow(2).mean(1);
    case DistanceMetric::L1:
        return diff.abs().mean(1);
    case DistanceMetric::PseudoHuber: {
        const double c = huberC >= 0 ? huberC : 0.00054 * std::sqrt(double(diff.size(1)));
        return torch::sqrt(diff.pow(2).sum(1) + c * c) - c;
    }
    }
    return diff.pow(2).mean(1);
}

std::pair<torch::Tensor, torch::Tensor>
evaluateWithSharedDropout(const torch::Tensor& sigmaHigh, const torch::Tensor& sigmaLow,
                          const std::function<torch::Tensor()>& online,
                          const std::function<torch::Tensor()>& target) {
    const double smallestGap = ((sigmaHigh - sigmaLow) / sigmaHigh).min().item<double>();
    const Float32Scope exact(smallestGap < kBf16MinRelativeGap);
    auto generator = at::detail::getDefaultCPUGenerator();
    torch::Tensor before;
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        before = generator.get_state();
    }
    auto onlineOut = online();
    torch::Tensor after;
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        after = generator.get_state();
        generator.set_state(before);
    }
    torch::Tensor targetOut;
    {
        torch::NoGradGuard noGrad;
        targetOut = target();
    }
    {
        std::lock_guard<std::mutex> lock(generator.mutex());
        generator.set_state(after);
    }
    return {onlineOut, targetOut.detach()};
}

torch::Tensor normalCdf(const torch::Tensor& x) {
    return 0.5 * (1 + torch::erf(x / std::sqrt(2.0)));
}

} // namespace cm::detail
