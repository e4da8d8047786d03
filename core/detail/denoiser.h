// A network with its preconditioning (c_skip, c_out, c_in, c_noise): the model's Impl. Private to core/.
#pragma once

#include "core/model.h"
#include "core/model_card.h"
#include "networks.h"

#include <torch/torch.h>

#include <functional>
#include <string>

namespace cm {

struct Model::Impl {
    ModelCard card;
    std::shared_ptr<detail::NetworkBase> network;
    std::string path;
};

namespace detail {

// How the raw network output becomes a prediction: the kind's scalings and the time-input convention.
struct Parameterisation {
    ModelKind kind = ModelKind::Consistency;
    NoiseConstants noise;
    std::string cNoiseConvention = kCNoiseConvention;

    static Parameterisation of(const ModelCard& card) { return {card.kind, card.noise, card.cNoise}; }
};

// Applies a scalar formula of core/schedule.h to every entry of an [N] tensor (float64 result), so the
// tensor code runs the one tested copy of each formula.
torch::Tensor mapPerSample(const torch::Tensor& values, const std::function<double(double)>& formula);

// Per-sample scalings as float64 [N] tensors: exact at sigma_min for the consistency parameterisation.
struct ScalingTensors {
    torch::Tensor cSkip, cOut, cIn, cNoise;
};
ScalingTensors scalingTensors(const Parameterisation& parameterisation, const torch::Tensor& sigma);

// f(x, sigma) = c_skip x + c_out F(c_in x, c_noise). `sigma` is [N] (any float type; computed in float64).
torch::Tensor precondition(NetworkBase& network, const Parameterisation& parameterisation,
                           const torch::Tensor& x, const torch::Tensor& sigma, const NetworkConditioning& conditioning);

// Throws Error(Numeric) naming the model when `estimate` holds NaN or infinity: weights or card constants
// that overflow would otherwise come out as black or white images.
const torch::Tensor& requireFinite(const torch::Tensor& estimate, const Model::Impl& model,
                                   const torch::Tensor& sigma);

// One network evaluation for sampling and editing; never returns non-finite values.
inline torch::Tensor evaluate(const Model::Impl& model, const torch::Tensor& x, const torch::Tensor& sigma,
                              const NetworkConditioning& conditioning) {
    return requireFinite(precondition(*model.network, Parameterisation::of(model.card), x, sigma, conditioning),
                         model, sigma);
}

// Broadcasts an [N] tensor against x's trailing dimensions.
torch::Tensor perSample(const torch::Tensor& values, const torch::Tensor& like);

} // namespace detail
} // namespace cm
