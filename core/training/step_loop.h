// The step loop every trainer runs (the consistency-model trainer's training_run, the tokenizer trainer, the
// code-generator trainer): until the last step or a stop, one optimisation step, the periodic cross-rank
// check, a log row every logEvery steps and a checkpoint every checkpointEvery steps (both at the last step
// too), the caller's observer; a stop ends it with a checkpoint; a finished run that is resumed writes its
// output again. The trainer supplies what is its own as hooks; the cadence and the order are here, once.
// Private to core/.
#pragma once

#include "core/progress.h"

#include <functional>

namespace cm::training {

struct StepLoopCadence {
    long totalSteps = 0, logEvery = 1, checkpointEvery = 1;
};

struct StepLoopHooks {
    std::function<void()> step;        // one optimisation step at the current count (the loop then counts it)
    std::function<void()> verify;      // after the step is counted: the periodic cross-rank check
    std::function<void()> log;         // a log row is due (called on every rank; only rank 0 writes)
    std::function<void()> save;        // a checkpoint is due (every rank; only rank 0 writes)
    std::function<void()> afterSave;   // optional, every step after the checkpoint's turn (the preview grid)
    std::function<void()> observe;     // optional, every step last
    std::function<void()> saveStopped; // the run stopped early: its checkpoint and output
    std::function<void()> saveFinished; // the run was already finished (nothing saved in this segment)
};

// Runs steps from `step` (counted here) to cadence.totalSteps. Alone (`inGroup` false) a raised `cancel`
// stops before the next step; in a group the flag is handed to the step as `cancelRequested` (it travels
// with the step's sums) and the run stops after the step at which `stopAgreed` (set by the step) is true on
// every rank. Returns whether it stopped before the last step.
bool runStepLoop(long& step, const StepLoopCadence& cadence, bool inGroup, const CancelFlag* cancel,
                 bool& cancelRequested, const bool& stopAgreed, const StepLoopHooks& hooks);

} // namespace cm::training
