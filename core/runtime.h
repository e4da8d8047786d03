// Process-wide engine settings. Call before starting work; not meant to change while work runs.
#pragma once

namespace cm {

// Threads for the network's operations; 0 = one per hardware core. Debian's LibTorch starts with one
// thread here, which halves throughput on a 2-core machine, so the engine applies this on first use.
void setThreadCount(int threads);
int threadCount();

} // namespace cm
