// One training step of DEADiff's two stages as a function of (network, batch, generator): the batch is a
// pure function of the world, the step's seed and the stage, and every random draw of the loss comes from
// a training::BatchDraws, so a data-parallel run (core/training/data_parallel.h) can take a slice of the
// global batch and reproduce the single-process run. Private to core/.
#pragma once

#include "core/detail/denoiser.h"
#include "core/detail/prompt_unet.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "core/training/batch_draws.h"

#include <torch/torch.h>

#include <vector>

namespace cm::style {

struct StyleBatch {
    torch::Tensor targets;                // [N, 3, H, W] in [-1, 1]
    torch::Tensor prompts;                // [N, L] int64, padded with the vocabulary size (the null word)
    torch::Tensor references;             // [N, 3, H, W] in [-1, 1]; undefined for the base
    torch::Tensor styleKeep, contentKeep; // [N] float32: DEADiff's task masks and the 15% image dropout
    std::vector<PairRelation> relations;  // stage extractors: each sample's task
};

// Stage base: garments and training styles of `world`, the prompt replaced by the null prompt with
// probability promptDropout. Stage extractors: PairSampler pairs (1:1:1): same style -> content tokens
// zeroed, same content -> style tokens zeroed, identical -> both kept and the prompt empty; the kept set of
// the first two zeroed with probability imageDropout. Tasks Reconstruction: identical pairs only (a render
// and itself), the target's prompt, both token sets zeroed with probability imageDropout.
StyleBatch drawStyleBatch(const StyleWorld& world, const NetworkConfig& network, const StyleTrainParams& params,
                          int64_t count, uint64_t stepSeed);

// The network's conditioning of a batch: its prompts, references and task masks.
detail::NetworkConditioning batchConditioning(const StyleBatch& batch);

// EDM's weighted denoising loss per sample ([N]) of `network` on the batch; `position` receives each
// sample's noise-level quantile (for the log's quartile columns).
torch::Tensor styleLoss(detail::PromptUNet& network, const detail::Parameterisation& parameterisation,
                        const StyleBatch& batch, training::BatchDraws& draws, const StyleTrainParams& params,
                        torch::Tensor& position);

// The seed of step `step`'s batch in a run seeded `seed` (SplitMix64 of both).
uint64_t stepSeed(uint64_t seed, long step);

} // namespace cm::style
