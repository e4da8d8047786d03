// The raw networks F_theta(c_in x, c_noise, label): a UNet for images and a residual MLP for points.
// Private to core/. A network is not thread-safe while training; concurrent no-grad forwards are fine.
#pragma once

#include "core/network_config.h"

#include <torch/torch.h>

namespace cm::detail {

class NetworkBase : public torch::nn::Module {
  public:
    // x: scaled input [N, ...]; noiseLabel: c_noise [N] (float32); labels: [N] int64 or undefined.
    virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noiseLabel,
                                  const torch::Tensor& labels) = 0;
};

std::shared_ptr<NetworkBase> makeNetwork(const NetworkConfig& config);

// Sinusoidal embedding of c_noise (EDM's positional embedding: max period 10000).
torch::Tensor positionalEmbedding(const torch::Tensor& noiseLabel, int dim);

} // namespace cm::detail
