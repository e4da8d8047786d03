// The JSON description of a run's settings, written into the model card and the checkpoint. Private to
// core/.
#pragma once

#include "core/network_config.h"
#include "core/trainer.h"

#include <string>

namespace cm::training {

std::string runDescriptionJson(const TrainParams& params, const NetworkConfig& network);

// A number as the log, the card and the checkpoint write it: 8 significant digits, "" when not finite.
std::string formatNumber(double value);

} // namespace cm::training
