// Progress and cancellation for long operations. Callbacks are invoked on the calling thread.
#pragma once

#include <atomic>
#include <functional>

namespace cm {

// Called after each unit of work (a network evaluation, a training step) with done <= total.
using ProgressFn = std::function<void(long done, long total)>;
// Raised by another thread; operations check it between network evaluations and throw Error(Cancelled).
using CancelFlag = std::atomic<bool>;

} // namespace cm
