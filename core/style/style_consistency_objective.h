// The step of the one-step stage (train-style --stage consistency): the engine's ECT objective
// (core/training/objective_ect.cpp, the one copy of its formulas) applied to the style world's pairs with the
// style conditioning. Private to core/.
#pragma once

#include "core/detail/prompt_unet.h"
#include "core/style/style_objective.h"
#include "core/trainer.h"

#include <torch/torch.h>

#include <vector>

namespace cm::style {

// What trains in the student: the whole denoising network (the base's weights and the image projections
// W_K^I, W_V^I), so that all of it becomes a consistency function. Frozen: the reference encoder (the
// feature network's trunk) and the Q-Formers (two, or a comparison variant's one), so the student reads
// exactly the tokens the style model learned from the pairs (their meaning, style vs content, is what the
// non-reconstruction training made).
std::vector<torch::Tensor> consistencyParameters(detail::PromptUNet& network);

// The engine's training settings that drive its ECT objective from the style stage's settings.
TrainParams ectSettings(const StyleTrainParams& params);

// ECT's per-sample loss ([N]) of `network` (consistency parameterisation, `noise` the card's) on the batch
// at global step `step` (the schedule of r runs on it); `position` receives each sample's noise-level
// quantile.
torch::Tensor styleConsistencyLoss(detail::PromptUNet& network, const NoiseConstants& noise,
                                   const StyleBatch& batch, training::BatchDraws& draws,
                                   const StyleTrainParams& params, long step, torch::Tensor& position);

} // namespace cm::style
