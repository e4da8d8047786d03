// The training objectives: one entry per TrainMode in a table. Private to core/.
#pragma once

#include "batch_draws.h"
#include "core/detail/networks.h"
#include "core/model_card.h"
#include "core/schedule.h"
#include "core/trainer.h"

#include <nlohmann/json_fwd.hpp>
#include <torch/torch.h>

namespace cm::training {

// What an objective reads: the settings, the networks and the step's random draws.
struct ObjectiveInputs {
    const TrainParams& params;
    const NoiseConstants& noise;
    detail::NetworkBase& online;
    detail::NetworkBase* target;  // a separate target network (cd, ct), else null
    detail::NetworkBase* teacher; // cd's teacher, else null
    const NoiseConstants& teacherNoise;
    long step; // the global step: every schedule runs on it
};

// One step's loss per sample and where each sample sits on the noise scale (for the log's quartiles).
struct LossTerms {
    torch::Tensor perSample; // [n] float32, with gradient
    torch::Tensor position;  // [n] in [0, 1]
    int gridPoints = 0;      // N(k), 0 where not used
    double targetEma = 0;    // mu(k) of the target network
};

struct Objective {
    TrainMode mode;
    bool startsFromTeacher;  // the student starts from (cd: and distils) an EDM denoiser
    bool keepsTargetNetwork; // an EMA target network theta_minus
    ModelKind produces;
    // Adds the mode's own hyper-parameters to the run's description (model card and checkpoint).
    void (*describe)(const TrainParams& params, nlohmann::json& out);
    // `conditioning`: the class labels of cm::train's data, or the style trainer's prompts and references
    // (its one-step stage runs the ECT objective).
    LossTerms (*lossTerms)(const ObjectiveInputs& in, const torch::Tensor& x,
                           const detail::NetworkConditioning& conditioning, BatchDraws& draws);
};

const Objective& objectiveFor(TrainMode mode);

// The objectives of the table, one per file.
extern const Objective kEdmObjective;
extern const Objective kCdObjective, kCtObjective, kIctObjective; // discrete-grid objectives
extern const Objective kEctObjective;

} // namespace cm::training
