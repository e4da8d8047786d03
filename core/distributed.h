// How one process takes part in data-parallel training: its rank in a group of processes that share
// every global batch (launched by torchrun, or by `cmstudio-cli train --nproc N`). Plain data; thread-safe.
#pragma once

#include <string>

namespace cm {

struct DistributedParams {
    int rank = 0;      // 0 writes the log, the checkpoint and the model
    int worldSize = 1; // 1: a run of its own, no communication at all
    int localRank = 0;
    std::string masterAddress = "127.0.0.1"; // the rendezvous store (hosted by rank 0, or by torchrun)
    int masterPort = 0;
    bool agentHostsStore = false; // torchrun's static rendezvous: its agent hosts the store, not rank 0
    int restartCount = 0;         // torchrun's restart count: keys of an earlier attempt are not read
    // A rank that does not answer for this long (died, hung, never started) stops the others with an
    // error naming it.
    double timeoutSeconds = 300;
    long verifyEvery = 100; // steps between the cheap cross-rank checksums of weights, EMA and optimizer
};

// torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT,
// TORCHELASTIC_USE_AGENT_STORE, TORCHELASTIC_RESTART_COUNT); worldSize 1 when RANK and WORLD_SIZE are
// absent. Malformed or inconsistent values throw Error(InvalidArgument) naming the variable.
DistributedParams distributedFromEnvironment();

// For benchmarks: joins the group of `params` (every rank calls it), sums `floatCount` float32 values over
// the ranks `repeats` times after one warm-up, and returns the median seconds of one all-reduce.
double measureAllReduceSeconds(const DistributedParams& params, long floatCount, int repeats);

} // namespace cm
