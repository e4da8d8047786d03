// A network with its preconditioning (c_skip, c_out, c_in, c_noise): the model's Impl. Private to core/.
#pragma once

#include "core/model.h"
#include "core/model_card.h"
#include "networks.h"

#include <torch/torch.h>

namespace cm {

struct Model::Impl {
    ModelCard card;
    std::shared_ptr<detail::NetworkBase> network;
    std::string path;
};

namespace detail {

// Per-sample scalings as float64 [N] tensors: exact at sigma_min for the consistency parameterisation.
struct ScalingTensors {
    torch::Tensor cSkip, cOut, cIn, cNoise;
};
ScalingTensors scalingTensors(ModelKind kind, const NoiseConstants& noise, const torch::Tensor& sigma64);

// f(x, sigma) = c_skip x + c_out F(c_in x, c_noise). `sigma` is [N] (any float type; computed in float64).
torch::Tensor precondition(NetworkBase& network, ModelKind kind, const NoiseConstants& noise,
                           const torch::Tensor& x, const torch::Tensor& sigma, const torch::Tensor& labels);

inline torch::Tensor evaluate(const Model::Impl& model, const torch::Tensor& x, const torch::Tensor& sigma,
                              const torch::Tensor& labels) {
    return precondition(*model.network, model.card.kind, model.card.noise, x, sigma, labels);
}

// Broadcasts an [N] tensor against x's trailing dimensions.
torch::Tensor perSample(const torch::Tensor& values, const torch::Tensor& like);

} // namespace detail
} // namespace cm
