// Conversions between torch tensors and safetensors records, and loading a state dict strictly.
// Private to core/. Thread-safe on distinct objects.
#pragma once

#include "core/safetensors.h"

#include <torch/torch.h>

#include <string>

namespace cm::detail {

TensorRecord toRecord(const torch::Tensor& tensor, DType storeAs);
torch::Tensor fromRecord(const TensorRecord& record); // float types come back as float32

// Adds every parameter and buffer of `module` under `prefix + name`.
void addStateDict(SafetensorsFile& file, const torch::nn::Module& module, const std::string& prefix,
                  DType storeAs);

// Copies tensors `prefix + name` into the module's parameters and buffers. Every one must be present with
// the right shape; with `requireNoExtra`, no other tensor with that prefix may exist. Errors name `origin`.
void loadStateDict(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix,
                   const std::string& origin, bool requireNoExtra = true);

std::string shapeString(at::IntArrayRef shape);

// Checked before any network is built: a small file whose card names a huge network must not make the
// engine allocate it (a 200 KB file once asked for 4.3 GB). Small differences are left to loadStateDict,
// which names the missing or misshapen tensor. `what` names the card's network in the error.
void requireWeightsForCard(const SafetensorsFile& file, int64_t neededWeights, const std::string& what,
                           const std::string& origin);

} // namespace cm::detail
