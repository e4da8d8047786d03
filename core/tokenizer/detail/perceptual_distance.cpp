#include "perceptual_distance.h"

#include "core/detail/tensor_io.h"
#include "core/error.h"

namespace cm::detail {

std::shared_ptr<FeatureNetwork> loadPerceptualNetwork(const std::string& path, const std::vector<int64_t>& itemShape) {
    const FeatureNet net = FeatureNet::load(path);
    if (net.card().itemShape != itemShape)
        throw Error(ErrorKind::Shape, path + ": the perceptual network takes images of shape " +
                                          shapeString(net.card().itemShape) + ", not " + shapeString(itemShape));
    auto network = net.impl().network;
    network->eval();
    for (auto& parameter : network->parameters())
        parameter.set_requires_grad(false);
    return network;
}

torch::Tensor perceptualDistance(FeatureNetwork* network, const torch::Tensor& estimate, const torch::Tensor& target) {
    if (!network) return torch::zeros({estimate.size(0)});
    auto a = network->features(estimate);
    torch::Tensor b;
    {
        torch::NoGradGuard noGrad;
        b = network->features(target);
    }
    auto unit = [](const torch::Tensor& f) { return f / (f.norm(2, 1, true) + 1e-6); };
    return (unit(a) - unit(b)).pow(2).sum(1);
}

} // namespace cm::detail
