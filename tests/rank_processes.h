// The processes of a data-parallel test (tests/test_distributed*.cpp): ranks of a group on 127.0.0.1, each
// this test executable started again in its child mode (`--rank-child ARGS...`, handled by its main()), with
// torchrun's environment and a port found free at run time; every process is killed and reaped when the
// test ends. The comparison of two runs' checkpoints, and the checks every data-parallel trainer passes
// (equivalence with one rank, resume on another world size, a lost rank, mismatched settings, --nproc),
// written once for all trainers: a suite gives its trainer's settings as a function of output and steps.
// Needs CMSTUDIO_CLI_PATH (cli_runner.h).
#pragma once

#include "cli_runner.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/progress.h"
#include "core/safetensors.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QProcess>
#include <QtTest>

#include <arpa/inet.h>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace cmtest {

// A port nobody listens on now (the kernel's choice for port 0 on 127.0.0.1).
inline int freePort() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof address;
    int port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0)
        port = ntohs(address.sin_port);
    ::close(s);
    return port;
}

// The processes one test started; all are killed and reaped when it ends, whatever happened.
class Ranks {
  public:
    ~Ranks() {
        for (auto& process : m_processes) {
            if (process->state() != QProcess::NotRunning) {
                ::kill(pid_t(process->processId()), SIGCONT);
                process->kill();
                process->waitForFinished(5000);
            }
        }
    }

    // Starts `count` ranks of a group of `world` (first rank `first`) with the child settings `args`;
    // `perRank` may change one rank's settings.
    void start(int world, const QStringList& args, int first = 0, int count = -1,
               const std::function<QStringList(int, QStringList)>& perRank = {}) {
        if (m_port == 0) m_port = freePort();
        if (count < 0) count = world;
        for (int r = first; r < first + count; ++r) {
            auto process = std::make_unique<QProcess>();
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert("RANK", QString::number(r));
            env.insert("LOCAL_RANK", QString::number(r));
            env.insert("WORLD_SIZE", QString::number(world));
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", QString::number(m_port));
            env.insert("OMP_NUM_THREADS", "1");
            process->setProcessEnvironment(env);
            process->setProcessChannelMode(QProcess::SeparateChannels);
            process->start(QCoreApplication::applicationFilePath(), QStringList{"--rank-child"} + (perRank ? perRank(r, args) : args));
            QVERIFY2(process->waitForStarted(10000), "a rank did not start");
            m_processes.push_back(std::move(process));
        }
    }

    QProcess& rank(int r) { return *m_processes.at(std::size_t(r)); }
    std::size_t size() const { return m_processes.size(); }

    // Waits for every rank; true when all exited normally within `ms`.
    bool finish(int ms = 120000) {
        QElapsedTimer timer;
        timer.start();
        for (auto& process : m_processes)
            if (!process->waitForFinished(int(std::max<qint64>(1, ms - timer.elapsed())))) return false;
        return true;
    }

    QString errors(int r) { return QString::fromUtf8(rank(r).readAllStandardError()); }

  private:
    int m_port = 0;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

inline std::map<std::string, std::vector<float>> floatTensors(const QString& checkpoint) {
    std::map<std::string, std::vector<float>> out;
    for (const auto& [name, record] : cm::readSafetensors(checkpoint.toStdString()).tensors) {
        if (record.dtype != cm::DType::F32) continue;
        std::vector<float> values(record.bytes.size() / sizeof(float));
        std::memcpy(values.data(), record.bytes.data(), record.bytes.size());
        out[name] = std::move(values);
    }
    return out;
}

// The largest difference between two checkpoints over the state that defines the run, taken part by part
// (online weights, target, each EMA copy, Adam's m and sqrt(v), the two in gradient units as the update
// m / sqrt(v) uses them): ||a - b|| / ||a|| over all tensors of the part. Single entries are too strict a
// yardstick: float32 sums of iCT's large, cancelling per-sample gradients (weights up to 1 / (sigma_2 -
// sigma_1)) in another order move single entries of Adam's moments by ~1e-5, the weights by ~1e-8.
inline double largestDifference(const QString& a, const QString& b, std::string* where = nullptr) {
    const auto x = floatTensors(a), y = floatTensors(b);
    if (x.size() != y.size() || x.size() < 10) return 1e30;
    std::map<std::string, std::pair<double, double>> parts; // part -> (||a - b||^2, ||a||^2)
    for (const auto& [name, values] : x) {
        const auto& other = y.at(name);
        if (other.size() != values.size()) return 1e30;
        const std::string part = name.substr(0, name.find('.'));
        const bool squared = part == "adam_v";
        auto& [difference, size] = parts[part];
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double u = squared ? std::sqrt(double(values[i])) : double(values[i]);
            const double v = squared ? std::sqrt(double(other[i])) : double(other[i]);
            difference += (u - v) * (u - v);
            size += u * u;
        }
    }
    double worst = 0;
    for (const auto& [part, sums] : parts) {
        const double relative = std::sqrt(sums.first) / std::max(std::sqrt(sums.second), 1e-12);
        if (relative >= worst && where) *where = part;
        worst = std::max(worst, relative);
    }
    return worst;
}

inline std::string metadataOf(const QString& checkpoint, const std::string& key) {
    return cm::readSafetensors(checkpoint.toStdString()).metadata.at(key);
}

// Runs a group to the end and checks that every rank succeeded; `rank0Errors` receives what rank 0 said.
inline void runGroup(int world, const QStringList& args, QString* rank0Errors = nullptr) {
    Ranks ranks;
    ranks.start(world, args);
    QVERIFY2(ranks.finish(), "a rank did not finish in time");
    for (int r = 0; r < world; ++r) {
        const QString errors = ranks.errors(r);
        if (r == 0 && rank0Errors) *rank0Errors = errors;
        QVERIFY2(ranks.rank(r).exitStatus() == QProcess::NormalExit && ranks.rank(r).exitCode() == 0,
                 qPrintable(QString("rank %1: %2").arg(r).arg(errors)));
    }
}

// A suite's child settings for output `out` and `steps` steps (key=value arguments of its child mode).
using Settings = std::function<QStringList(const QString& out, int steps)>;

// 1 rank x the whole batch, `world` ranks x their slices and 1 rank with `otherSeed` added (files `stem`-1,
// -n, -seed): the first two end with the same state (largestDifference <= 1e-5) and optimizer step, the
// third far off (the tolerance means something); rank 0 alone wrote one log, of the global samples
// (`batch` a step) and the same loss (column 3).
inline void checkEqualsOneRank(const Settings& settings, const QString& stem, int world, int steps, int batch,
                               int logEvery, const QString& otherSeed) {
    const QString one = stem + "-1.safetensors", many = stem + "-n.safetensors", other = stem + "-seed.safetensors";
    runGroup(1, settings(one, steps));
    if (QTest::currentTestFailed()) return;
    runGroup(world, settings(many, steps));
    if (QTest::currentTestFailed()) return;
    runGroup(1, settings(other, steps) << otherSeed);
    if (QTest::currentTestFailed()) return;
    std::string where;
    const double difference = largestDifference(one + ".ckpt", many + ".ckpt", &where);
    qInfo("%s: largest difference 1 rank x %d vs %d ranks after %d steps: %.3g (%s)",
          qPrintable(QFileInfo(stem).fileName()), batch, world, steps, difference, where.c_str());
    QVERIFY2(difference <= 1e-5, qPrintable(QString::number(difference)));
    QCOMPARE(metadataOf(many + ".ckpt", "step"), std::to_string(steps));
    QCOMPARE(metadataOf(many + ".ckpt", "optimizer_step"), metadataOf(one + ".ckpt", "optimizer_step"));
    const double otherSeedDifference = largestDifference(one + ".ckpt", other + ".ckpt");
    QVERIFY2(otherSeedDifference > 1e-3, qPrintable(QString::number(otherSeedDifference)));
    QFile log(many + ".csv"), oneLog(one + ".csv");
    QVERIFY(log.open(QIODevice::ReadOnly) && oneLog.open(QIODevice::ReadOnly));
    const auto rows = QString(log.readAll()).split('\n', Qt::SkipEmptyParts);
    const auto oneRows = QString(oneLog.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(rows.size(), 1 + steps / logEvery);
    QVERIFY2(rows.last().startsWith(QString("%1,%2,").arg(steps).arg(steps * batch)), qPrintable(rows.last()));
    const double loss = rows.last().section(',', 2, 2).toDouble(), oneLoss = oneRows.last().section(',', 2, 2).toDouble();
    QVERIFY2(std::abs(loss - oneLoss) <= 1e-5 * std::abs(oneLoss), qPrintable(rows.last() + " vs " + oneRows.last()));
}

// A run of `before` ranks stopped at step `stopAt` (a group learns of one rank's stop with the next step's
// sums: all stop one step later) and resumed on `after` ranks continues from the checkpoint's step (a
// restart from scratch would end in the same state) and ends where a straight 1-rank run of `steps` does
// (files `stem`-straight, `stem`-resumed).
inline void checkResumesOnAnotherWorldSize(const Settings& settings, const QString& stem, int before, int after,
                                           int steps, int stopAt) {
    const QString straight = stem + "-straight.safetensors", resumed = stem + "-resumed.safetensors";
    runGroup(1, settings(straight, steps));
    if (QTest::currentTestFailed()) return;
    runGroup(before, settings(resumed, steps) << "stop-at=" + QString::number(stopAt));
    if (QTest::currentTestFailed()) return;
    const int stoppedAt = before == 1 ? stopAt : stopAt + 1;
    QCOMPARE(metadataOf(resumed + ".ckpt", "step"), std::to_string(stoppedAt));
    QVERIFY(largestDifference(straight + ".ckpt", resumed + ".ckpt") > 1e-4); // halfway is not the end
    QString said;
    runGroup(after, settings(resumed, steps) << "resume=1", &said);
    if (QTest::currentTestFailed()) return;
    QVERIFY2(said.contains(QString("this run from step %1").arg(stoppedAt + 1)), qPrintable(said));
    QCOMPARE(metadataOf(resumed + ".ckpt", "step"), std::to_string(steps));
    std::string where;
    const double difference = largestDifference(straight + ".ckpt", resumed + ".ckpt", &where);
    qInfo("%s %d -> %d: largest difference to the straight run: %.3g (%s)", qPrintable(QFileInfo(stem).fileName()),
          before, after, difference, where.c_str());
    QVERIFY2(difference <= 1e-5, qPrintable(QString::number(difference)));
}

// Starts 2 ranks of a long run checkpointing every `checkpointEvery` steps, waits for the checkpoint
// `out`.ckpt, SIGKILLs rank `victim` (`hang`: SIGSTOPs it) and checks that the other stops non-zero within
// `timeout` seconds (+1 for a busy machine), naming it in a communication error; then that the last
// checkpoint is whole: a resume on one rank continues from it. Every process is ended.
inline void checkLostRankIsNamed(const Settings& settings, const QString& out, int victim, bool hang, int timeout,
                                 int checkpointEvery) {
    {
        Ranks ranks;
        ranks.start(2, settings(out, 100000) << "checkpoint-every=" + QString::number(checkpointEvery)
                                             << "slow-ms=20"
                                             << "timeout=" + QString::number(timeout));
        QElapsedTimer wait;
        wait.start();
        while (!QFile::exists(out + ".ckpt") && wait.elapsed() < 60000)
            QTest::qWait(50);
        QVERIFY2(QFile::exists(out + ".ckpt"), "no checkpoint was written");
        QTest::qWait(300);
        ::kill(pid_t(ranks.rank(victim).processId()), hang ? SIGSTOP : SIGKILL);
        QElapsedTimer stopped;
        stopped.start();
        const int survivor = 1 - victim;
        QVERIFY2(ranks.rank(survivor).waitForFinished((timeout + 10) * 1000), "the survivor hangs");
        const double seconds = stopped.elapsed() / 1000.0;
        const QString errors = ranks.errors(survivor);
        qInfo("survivor stopped %.1f s after rank %d was %s; it said: %s", seconds, victim, hang ? "stopped" : "killed",
              qPrintable(errors.trimmed().section('\n', -1)));
        QVERIFY2(seconds <= timeout + 1, qPrintable(QString::number(seconds)));
        QVERIFY(ranks.rank(survivor).exitCode() != 0);
        QVERIFY2(errors.contains(QString("rank %1").arg(victim)), qPrintable(errors));
        QVERIFY2(errors.contains("communication error"), qPrintable(errors));
        ::kill(pid_t(ranks.rank(victim).processId()), SIGKILL);
        ranks.rank(victim).waitForFinished(5000);
    }
    const long step = std::stol(metadataOf(out + ".ckpt", "step"));
    QVERIFY(step >= checkpointEvery);
    QString said;
    runGroup(1, settings(out, int(step) + 2) << "resume=1", &said);
    if (QTest::currentTestFailed()) return;
    QVERIFY2(said.contains(QString("this run from step %1").arg(step + 1)), qPrintable(said));
    QCOMPARE(metadataOf(out + ".ckpt", "step"), std::to_string(step + 2));
}

// Starts 2 ranks of `args`, rank 1 with `change` added, and checks that both refuse to start, naming
// `named` among the settings that differ, and that no checkpoint `out`.ckpt was written.
inline void checkMismatchIsRefused(const QStringList& args, const QString& change, const QString& named,
                                   const QString& out) {
    Ranks ranks;
    ranks.start(2, args, 0, 2, [&](int r, QStringList rankArgs) {
        if (r == 1) rankArgs << change;
        return rankArgs;
    });
    QVERIFY(ranks.finish(60000));
    for (int r = 0; r < 2; ++r) {
        const QString errors = ranks.errors(r);
        QVERIFY2(ranks.rank(r).exitCode() != 0, qPrintable(errors));
        QVERIFY2(errors.contains("rank 1's settings differ from rank 0's") && errors.contains(named),
                 qPrintable(errors));
    }
    QVERIFY(!QFile::exists(out + ".ckpt"));
}

// cmstudio-cli `common` (a training command of `steps` steps of `batch`, without -o) alone and with
// --nproc 2 (in `directory`): the same code path as torchrun, rank 0 alone reports, the result of one process.
inline void checkNprocEqualsOneProcess(const QStringList& common, const QString& directory, int batch, int steps) {
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert("OMP_NUM_THREADS", "1");
    const QString one = directory + "/cli-1.safetensors", two = directory + "/cli-2.safetensors";
    auto run = runCli(common + QStringList{"-o", one}, directory, 300000, environment);
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    run = runCli(common + QStringList{"-o", two, "--nproc", "2"}, directory, 300000, environment);
    QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(run.err));
    QVERIFY2(run.err.contains(QString("data-parallel: 2 processes share each batch of %1").arg(batch)),
             qPrintable(run.err));
    QCOMPARE(run.err.count(QString("done: %1 steps").arg(steps)), 1); // rank 0 alone reports
    const double difference = largestDifference(one + ".ckpt", two + ".ckpt");
    qInfo("cmstudio-cli %s --nproc 2 vs one process: %.3g", qPrintable(common.first()), difference);
    QVERIFY2(difference <= 1e-5, qPrintable(QString::number(difference)));
}

// ---- The child side: one rank, its settings from the command line, its rank from the environment. ----

// torchrun's environment, with the child's timeout (`timeout`, default 30 s) and a check every 3 steps.
inline cm::DistributedParams childDistributed(const QMap<QString, QString>& settings) {
    cm::DistributedParams params = cm::distributedFromEnvironment();
    params.timeoutSeconds = settings.value("timeout", "30").toDouble();
    params.verifyEvery = 3;
    return params;
}

// The settings every trainer's child takes alike: out, steps, seed, resume (else overwrite), checkpoint-every
// (default: none) and the group's (childDistributed); one thread, a log row every 2 steps.
template <typename Params>
void readChildRunSettings(Params& p, const QMap<QString, QString>& settings, long steps, uint64_t seed) {
    p.totalSteps = settings.value("steps", QString::number(steps)).toLong();
    p.seed = settings.value("seed", QString::number(seed)).toULongLong();
    p.threads = 1;
    p.outputPath = settings.value("out").toStdString();
    p.resume = settings.value("resume") == "1";
    p.overwrite = !p.resume;
    p.logEvery = 2;
    p.checkpointEvery = settings.value("checkpoint-every", "1000").toLong();
    p.distributed = childDistributed(settings);
}

struct ChildRun {
    long steps = 0;
    bool cancelled = false;
};

// The child's run: `train(afterStep, cancel)`, which calls afterStep(step) after each step: that asks to stop
// at the settings' `stop-at` and pauses `slow-ms` (so that a test can act mid-run). Prints how it ended and
// the first step this run made ("this run from step N": a resumed run's first is the checkpoint's + 1);
// returns the exit code (1 for an Error, printed with its kind).
template <typename Train> int runChildTraining(const QMap<QString, QString>& settings, Train train) {
    // As cmstudio-cli does: a write to a peer that died is an error the rank reports, not a silent death.
    std::signal(SIGPIPE, SIG_IGN);
    const long stopAt = settings.value("stop-at", "0").toLong();
    const int slowMs = settings.value("slow-ms", "0").toInt();
    cm::CancelFlag cancel{false};
    long firstStep = 0;
    const std::function<void(long)> afterStep = [&](long step) {
        if (firstStep == 0) firstStep = step;
        if (stopAt && step >= stopAt) cancel = true;
        if (slowMs) std::this_thread::sleep_for(std::chrono::milliseconds(slowMs));
    };
    try {
        const ChildRun run = train(afterStep, &cancel);
        std::fprintf(stderr, "child rank %s: %ld steps, this run from step %ld%s\n", qgetenv("RANK").constData(),
                     run.steps, firstStep, run.cancelled ? " (stopped)" : "");
        return 0;
    } catch (const cm::Error& e) {
        std::fprintf(stderr, "child error (%s): %s\n", cm::errorKindName(e.kind()), e.what());
        return 1;
    }
}

// In a test's main(): the child's settings (`--rank-child key=value...`) when this process is a rank, else
// nothing (the test itself runs).
inline std::optional<QMap<QString, QString>> rankChildArguments(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--rank-child") != 0) return std::nullopt;
    QMap<QString, QString> settings;
    for (int i = 2; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        const auto eq = arg.indexOf('=');
        settings[arg.left(eq)] = arg.mid(eq + 1);
    }
    return settings;
}

} // namespace cmtest
