#include "step_loop.h"

namespace cm::training {

bool runStepLoop(long& step, const StepLoopCadence& cadence, bool inGroup, const CancelFlag* cancel,
                 bool& cancelRequested, const bool& stopAgreed, const StepLoopHooks& hooks) {
    bool stopped = false, saved = false;
    while (step < cadence.totalSteps) {
        const bool cancelled = cancel && cancel->load();
        if (!inGroup && cancelled) {
            stopped = true;
            break;
        }
        // In a group the flag travels with the step's sums, and every rank stops after the same step.
        cancelRequested = cancelled;
        hooks.step();
        ++step;
        hooks.verify();
        const bool last = step == cadence.totalSteps;
        if (step % cadence.logEvery == 0 || last) hooks.log();
        if (step % cadence.checkpointEvery == 0 || last) {
            hooks.save();
            saved = true;
        }
        if (hooks.afterSave) hooks.afterSave();
        if (hooks.observe) hooks.observe();
        if (stopAgreed && step < cadence.totalSteps) {
            stopped = true;
            break;
        }
    }
    if (stopped)
        hooks.saveStopped();
    else if (!saved)
        hooks.saveFinished();
    return stopped;
}

} // namespace cm::training
