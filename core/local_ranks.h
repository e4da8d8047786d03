// Starts the processes of a data-parallel run on this machine, as torchrun would (`cmstudio-cli train
// --nproc N`): each gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT.
// POSIX (Linux). Blocks until they end; not thread-safe (it installs SIGINT/SIGTERM handlers meanwhile).
#pragma once

#include <string>
#include <vector>

namespace cm {

struct LocalRanksResult {
    int exitCode = 0;    // 0 when every rank succeeded, else the first failure's (128 + signal if killed)
    std::string message; // which rank failed and how; empty on success
};

// Runs `program` with `arguments` as ranks 0..count-1. SIGINT and SIGTERM sent to this process are passed
// on to every rank (they stop together and rank 0 saves a checkpoint). When a rank fails, the others have
// `graceSeconds` to stop by themselves (they report which rank they lost) before they are killed. If this
// process dies, the ranks are killed too. Throws Error(InvalidArgument / Io) when they cannot start.
LocalRanksResult runLocalRanks(const std::string& program, const std::vector<std::string>& arguments,
                               int count, double graceSeconds);

} // namespace cm
