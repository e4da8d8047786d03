#include "denoiser.h"

namespace cm::detail {

torch::Tensor perSample(const torch::Tensor& values, const torch::Tensor& like) {
    std::vector<int64_t> shape(like.dim(), 1);
    shape[0] = values.size(0);
    return values.reshape(shape);
}

ScalingTensors scalingTensors(ModelKind kind, const NoiseConstants& noise, const torch::Tensor& sigma64In) {
    const auto sigma = sigma64In.to(torch::kFloat64);
    const double sd = noise.sigmaData, sd2 = sd * sd;
    ScalingTensors s;
    const auto root = torch::sqrt(sigma * sigma + sd2);
    if (kind == ModelKind::Consistency) {
        const auto shifted = sigma - noise.sigmaMin;
        s.cSkip = sd2 / (shifted * shifted + sd2);
        s.cOut = sd * shifted / root;
    } else {
        s.cSkip = sd2 / (sigma * sigma + sd2);
        s.cOut = sigma * sd / root;
    }
    s.cIn = 1.0 / root;
    s.cNoise = 0.25 * torch::log(sigma);
    return s;
}

torch::Tensor precondition(NetworkBase& network, ModelKind kind, const NoiseConstants& noise,
                           const torch::Tensor& x, const torch::Tensor& sigma, const torch::Tensor& labels) {
    const auto s = scalingTensors(kind, noise, sigma);
    const auto dtype = x.scalar_type();
    const auto raw = network.forward(x * perSample(s.cIn, x).to(dtype), s.cNoise.to(torch::kFloat32), labels);
    return perSample(s.cSkip, x).to(dtype) * x + perSample(s.cOut, x).to(dtype) * raw;
}

} // namespace cm::detail
