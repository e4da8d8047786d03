// The data-parallel options every training command shares (--nproc, --timeout, --verify-every) and what
// they do: one rank of a torchrun group when its environment is set, or N local ranks started here.
#pragma once

#include "core/distributed.h"

#include <QStringList>

class QCommandLineParser;

void addDistributedOptions(QCommandLineParser& parser);

// torchrun's environment (one rank of its group; alone without it) and the timeout / check interval.
cm::DistributedParams readDistributedOptions(const QCommandLineParser& parser);

// With --nproc N > 1: starts N ranks of `command` with the same arguments (without --nproc), waits for them
// and returns the exit code to end with (0, 130 when interrupted, the failed rank's otherwise, named on
// stderr). Without: -1, and the command runs itself.
// In a group: the line that says so (printed by rank 0 among the run's first lines).
void reportDataParallel(const cm::DistributedParams& params, int globalBatch);

int launchLocalRanksIfAsked(const QCommandLineParser& parser, const QString& command, const QStringList& arguments);
