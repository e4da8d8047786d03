// Progress and cancellation for long operations. Callbacks are invoked on the calling thread.
#pragma once

#include <atomic>
#include <functional>

namespace cm {

// Called after each unit of work (a network evaluation, a training step) with done <= total. A network
// that takes seconds per evaluation (Model::progressUnitsPerEvaluation() > 1) reports between its blocks:
// then sampling and editing count blocks, so the bar moves within one evaluation.
using ProgressFn = std::function<void(long done, long total)>;
// Raised by another thread; operations check it between network evaluations and, for large networks,
// between their blocks, and throw Error(Cancelled).
using CancelFlag = std::atomic<bool>;

} // namespace cm
