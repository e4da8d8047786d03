#include "cli_distributed.h"

#include "cli_commands.h"
#include "cli_options.h"
#include "core/local_ranks.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QThread>

#include <algorithm>
#include <cstdio>

using Option = QCommandLineOption;

void addDistributedOptions(QCommandLineParser& parser) {
    const cm::DistributedParams d;
    parser.addOptions({
        Option("nproc",
               "Processes on this machine sharing each batch (data-parallel; torchrun does the same across "
               "machines).",
               "N", "1"),
        Option("timeout", "Data-parallel: seconds after which a rank that does not answer stops the others.", "s",
               QString::number(d.timeoutSeconds)),
        Option("verify-every", "Data-parallel: steps between the cross-rank checks of weights and optimizer.", "N",
               QString::number(d.verifyEvery)),
    });
}

cm::DistributedParams readDistributedOptions(const QCommandLineParser& p) {
    cm::DistributedParams params = cm::distributedFromEnvironment();
    params.timeoutSeconds = double(toLong(p, "timeout", 1, 86400));
    params.verifyEvery = toLong(p, "verify-every", 1, 100000000);
    return params;
}

void reportDataParallel(const cm::DistributedParams& params, int globalBatch) {
    if (params.worldSize > 1)
        std::fprintf(stderr, "data-parallel: %d processes share each batch of %d\n", params.worldSize, globalBatch);
}

int launchLocalRanksIfAsked(const QCommandLineParser& p, const QString& command, const QStringList& arguments) {
    const int processes = int(toLong(p, "nproc", 1, 256));
    if (processes <= 1) return -1;
    if (!qEnvironmentVariableIsEmpty("RANK") || !qEnvironmentVariableIsEmpty("WORLD_SIZE"))
        throw UsageError{"--nproc starts its own processes; under torchrun, leave it out"};
    std::vector<std::string> rankArguments{str(command)};
    for (int i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == "--nproc") {
            ++i; // and its value
            continue;
        }
        if (arguments[i].startsWith("--nproc=")) continue;
        rankArguments.push_back(str(arguments[i]));
    }
    if (!p.isSet("threads")) { // the cores shared out, not each rank taking them all
        rankArguments.push_back("--threads");
        rankArguments.push_back(std::to_string(std::max(1, QThread::idealThreadCount() / processes)));
    }
    const double timeout = double(toLong(p, "timeout", 1, 86400));
    const auto result =
        cm::runLocalRanks(str(QCoreApplication::applicationFilePath()), rankArguments, processes, timeout + 10);
    if (result.exitCode != 0 && result.exitCode != 130)
        std::fprintf(stderr, "cmstudio-cli %s: %s\n", qPrintable(command), result.message.c_str());
    return result.exitCode;
}
