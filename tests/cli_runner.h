// Runs cmstudio-cli as a user does (a separate process) and keeps what it said: the fixture the CLI
// suites share (test_cli, test_cli_tokenizer).
#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace cmtest {

struct CliRun {
    int exitCode = -1;
    bool crashed = false; // killed by a signal, or killed here after the time limit
    QString out, err;

    // The last line of stderr: where the CLI puts its one-line error.
    QString lastErrorLine() const { return err.trimmed().section('\n', -1); }
};

// Runs CMSTUDIO_CLI_PATH with `arguments` in `workingDirectory`; a run longer than `timeoutMs` is killed
// (and reported as crashed).
inline CliRun runCli(const QStringList& arguments, const QString& workingDirectory, int timeoutMs,
                     const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.setWorkingDirectory(workingDirectory);
    process.start(CMSTUDIO_CLI_PATH, arguments);
    bool timedOut = false;
    if (!process.waitForFinished(timeoutMs)) {
        timedOut = true;
        process.kill();
        process.waitForFinished();
    }
    CliRun result;
    result.crashed = timedOut || process.exitStatus() != QProcess::NormalExit;
    result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

} // namespace cmtest
