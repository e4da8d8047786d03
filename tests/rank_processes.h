// The processes of a data-parallel test (tests/test_distributed*.cpp): ranks of a group on 127.0.0.1, each
// this test executable started again in its child mode (`--rank-child ARGS...`, handled by its main()), with
// torchrun's environment and a port found free at run time; every process is killed and reaped when the
// test ends. And the comparison of two runs' checkpoints.
#pragma once

#include "core/safetensors.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QMap>
#include <QProcess>
#include <QtTest>

#include <arpa/inet.h>
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

// Runs a group to the end and checks that every rank succeeded.
inline void runGroup(int world, const QStringList& args) {
    Ranks ranks;
    ranks.start(world, args);
    QVERIFY2(ranks.finish(), "a rank did not finish in time");
    for (int r = 0; r < world; ++r) {
        const QString errors = ranks.errors(r);
        QVERIFY2(ranks.rank(r).exitStatus() == QProcess::NormalExit && ranks.rank(r).exitCode() == 0,
                 qPrintable(QString("rank %1: %2").arg(r).arg(errors)));
    }
}

// Starts 2 ranks of `args` (which must write a checkpoint soon and then run long), waits for the checkpoint
// `out`.ckpt, SIGKILLs rank `victim` (`hang`: SIGSTOPs it) and checks that the other stops non-zero within
// `timeout` seconds (+1 for a busy machine), naming it in a communication error. Every process is ended.
inline void checkLostRankIsNamed(const QStringList& args, const QString& out, int victim, bool hang, int timeout) {
    Ranks ranks;
    ranks.start(2, args);
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
