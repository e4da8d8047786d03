// One training run from its settings to its last checkpoint. Private to core/; cm::train is its API.
#pragma once

#include "core/trainer.h"

namespace cm::training {

TrainSummary runTraining(const TrainParams& params, const Dataset& data,
                         const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel);

} // namespace cm::training
