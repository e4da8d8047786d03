// The weights' average decay, shared by every trainer. Private to core/.
#pragma once

#include <algorithm>

namespace cm::training {

// `rate` warmed up over the first steps, min(rate, (step + 1) / (step + 10)), so that a short run's average is
// not dominated by the initial weights.
inline double warmedUpEmaRate(double rate, long step) {
    return std::min(rate, double(step + 1) / double(step + 10));
}

} // namespace cm::training
