// The atomic checkpoint of a training run, for every trainer (the consistency-model trainer, the tokenizer
// trainer): every tensor that defines the rest of the run (online weights, target, EMA copies, optimizer
// moments, generator states), the step it was taken at, and what wrote it. Private to core/.
#pragma once

#include "core/detail/optimizer.h"

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <string>
#include <vector>

namespace cm::training {

// The run's state, by reference: saving reads it, loading overwrites it in place.
struct TrainingState {
    std::vector<torch::Tensor>& online;
    std::vector<torch::Tensor>* target; // null without a target network
    std::vector<std::vector<torch::Tensor>>& ema;
    detail::Optimizer& optimizer;
    at::Generator& sampling; // the batch draws' generator
    at::Generator dropout;   // the generator the network's dropout draws from
};

struct CheckpointInfo {
    std::string run;         // what trains: trainModeName, or "tokenizer-" + the tokenizer stage
    std::string networkJson; // the trained networks' configuration (networkConfigToJson, tokenizerConfigToJson)
    std::string runJson;     // runDescriptionJson
    long step = 0;
    double seconds = 0; // wall time of the run so far
};

// Written through a temporary file and a rename: a crash leaves the previous checkpoint intact.
void saveCheckpoint(const std::string& path, const TrainingState& state, const CheckpointInfo& info);

// Checks that the checkpoint belongs to a run of `expected`'s kind and network, then restores `state`;
// returns its step and seconds. Damaged or foreign files are Format / InvalidArgument / Shape errors naming
// the file and the field.
CheckpointInfo loadCheckpoint(const std::string& path, TrainingState& state, const CheckpointInfo& expected);

} // namespace cm::training
