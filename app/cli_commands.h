// The sub-commands of cmstudio-cli. Each takes its arguments (without the program and command names),
// returns the process exit code, and lets cm::Error escape for main() to report.
#pragma once

#include <QStringList>

int runTrain(const QStringList& arguments);
int runSample(const QStringList& arguments);
int runInfo(const QStringList& arguments);

// Raised by a SIGINT handler; long commands stop cleanly (training saves a checkpoint).
#include "core/progress.h"
extern cm::CancelFlag g_interrupted;

// A usage problem (bad flag or value): reported in one line with exit code 2.
struct UsageError {
    QString message;
};
