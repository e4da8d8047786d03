#include "denoiser.h"

#include "core/error.h"

namespace cm::detail {

torch::Tensor perSample(const torch::Tensor& values, const torch::Tensor& like) {
    std::vector<int64_t> shape(like.dim(), 1);
    shape[0] = values.size(0);
    return values.reshape(shape);
}

torch::Tensor mapPerSample(const torch::Tensor& values, const std::function<double(double)>& formula) {
    const auto in = values.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    auto out = torch::empty_like(in);
    const double* src = in.data_ptr<double>();
    double* dst = out.data_ptr<double>();
    for (int64_t i = 0; i < in.numel(); ++i)
        dst[i] = formula(src[i]);
    return out;
}

ScalingTensors scalingTensors(const Parameterisation& p, const torch::Tensor& sigma) {
    const auto in = sigma.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    const int64_t n = in.numel();
    ScalingTensors s{torch::empty({n}, torch::kFloat64), torch::empty({n}, torch::kFloat64),
                     torch::empty({n}, torch::kFloat64), torch::empty({n}, torch::kFloat64)};
    for (int64_t i = 0; i < n; ++i) {
        const double value = in.data_ptr<double>()[i];
        const Scalings one = p.kind == ModelKind::Consistency
                                 ? consistencyScalings(value, p.noise, p.cNoiseConvention)
                                 : edmScalings(value, p.noise, p.cNoiseConvention);
        s.cSkip.data_ptr<double>()[i] = one.cSkip;
        s.cOut.data_ptr<double>()[i] = one.cOut;
        s.cIn.data_ptr<double>()[i] = one.cIn;
        s.cNoise.data_ptr<double>()[i] = one.cNoise;
    }
    return s;
}

const torch::Tensor& requireFinite(const torch::Tensor& estimate, const Model::Impl& model,
                                   const torch::Tensor& sigma) {
    if (torch::isfinite(estimate).all().item<bool>()) return estimate;
    const std::string source = model.path.empty() ? std::string("the model") : model.path;
    throw Error(ErrorKind::Numeric,
                source + ": the network's output at sigma " + std::to_string(sigma.max().item<double>()) +
                    " is NaN or infinite; its weights or its card's constants are out of range");
}

torch::Tensor precondition(NetworkBase& network, const Parameterisation& parameterisation,
                           const torch::Tensor& x, const torch::Tensor& sigma, const NetworkConditioning& conditioning) {
    const auto s = scalingTensors(parameterisation, sigma);
    const auto dtype = x.scalar_type();
    const auto raw = network.forward(x * perSample(s.cIn, x).to(dtype), s.cNoise.to(torch::kFloat32), conditioning);
    return perSample(s.cSkip, x).to(dtype) * x + perSample(s.cOut, x).to(dtype) * raw;
}

} // namespace cm::detail
