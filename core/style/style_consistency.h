// The one-step style model (issue 19, DEADiff made one-step): a style model (core/style/style_model.h)
// whose parameterisation is the consistency function's (c_skip(sigma_min) = 1, c_out(sigma_min) = 0), with
// the same conditioning (prompt tokens, a reference through the same frozen feature trunk and Q-Formers).
// It is an ordinary Model of kind Consistency: the engine's one-step and multistep consistency samplers
// draw from it. The stage that trains it is train-style --stage consistency (core/style/style_trainer.h),
// easy consistency tuning (ECT) from the style model's weights.
#pragma once

#include "core/model.h"

namespace cm {

// The untrained student: a copy of `styleModel` (every tensor), its card's kind set to Consistency and its
// recipe to "deadiff-ect". Error(InvalidArgument) when `styleModel` is not a style model (a plain
// generator, a base without extractors) or is already a consistency model.
Model createStyleConsistencyModel(const Model& styleModel);

} // namespace cm
