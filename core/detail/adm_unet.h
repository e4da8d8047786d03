// The ADM UNet of OpenAI's consistency_models (cm/unet.py): the network of the published checkpoints.
// Private to core/. Registered in network_registry.cpp.
#pragma once

#include "networks.h"

namespace cm::detail {

std::shared_ptr<NetworkBase> makeAdmUNet(const NetworkConfig& config);

// The original's timestep_embedding: [cos, sin] of t * exp(-ln(10000) i / (dim / 2)).
torch::Tensor timestepEmbedding(const torch::Tensor& timeInput, int dim);

} // namespace cm::detail
