// Tests data-parallel training (core/training/data_parallel.*, the distributed parts of core/trainer.*):
// W processes sharing each global batch reproduce one process; a checkpoint resumes on another world size;
// a killed or hung rank stops the others within the timeout, named; a rank whose state drifts is caught by the
// periodic cross-rank check; mismatched settings are refused.
// The ranks are real processes on 127.0.0.1: this executable started again in its child mode (below), or
// cmstudio-cli itself (--nproc, torchrun). Ports are found free at run time; every process is ended.
#include "core/error.h"
#include "core/trainer.h"
#include "core/training/data_parallel_run.h"
#include "rank_processes.h"
#include "test_support.h"

#include <ATen/CPUGeneratorImpl.h>

#include <QDir>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cstring>
#include <thread>

namespace {

// ---- The child: one rank, its settings from the command line, its rank from the environment. ----

// A rank whose state drifts: DataParallelRun's periodic check (every 3 steps), which every trainer calls
// after each step, on a weight that rank 1 changes by 1e-6 after step `drift-at` (as a rank computing
// differently would). Each rank prints the step it stopped at.
int runDriftChild(const QMap<QString, QString>& a) {
    return cmtest::runChildTraining(a, [&](const std::function<void(long)>&, cm::CancelFlag*) {
        cm::training::DataParallelRun run(cmtest::childDistributed(a));
        auto weight = torch::zeros({4}, torch::requires_grad());
        cm::detail::Optimizer optimizer({weight}, cm::detail::Optimizer::Kind::Adam, 0.9, 0.999);
        at::Generator sampling = at::detail::createCPUGenerator(1);
        long step = 0;
        double seconds = 0;
        auto state = [&] { return cm::training::ReplicatedState::of({{weight}}, optimizer, sampling, step, seconds); };
        run.start([] {}, [] { return std::string("{}"); }, state, [&] { return std::vector<torch::Tensor>{weight}; }, 0);
        const long driftAt = a.value("drift-at").toLong();
        while (step < 9) {
            ++step;
            if (run.rank() == 1 && step == driftAt) {
                torch::NoGradGuard noGrad;
                weight[0] += 1e-6;
            }
            std::fprintf(stderr, "rank %d checks step %ld\n", run.rank(), step);
            run.verify(step, 9, state(), "last.ckpt");
        }
        return cmtest::ChildRun{step, false};
    });
}

int runChild(const QMap<QString, QString>& a) {
    if (a.contains("drift-at")) return runDriftChild(a);
    cm::TrainParams p;
    p.mode = cm::trainModeFromName(a.value("mode", "ict").toStdString());
    p.network = cmtest::pointMlp(a.value("dropout", "0").toDouble());
    cmtest::readChildRunSettings(p, a, 8, 5);
    p.batchSize = a.value("batch", "64").toInt();
    p.learningRate = a.value("lr", "1e-3").toDouble();
    p.emaRates = {0.99, 0.9};
    p.teacherPath = a.value("teacher").toStdString();
    p.ectStageSteps = 4;
    return cmtest::runChildTraining(a, [&](const std::function<void(long)>& afterStep, cm::CancelFlag* cancel) {
        const auto data = cmtest::eightGaussians(2000, a.value("data-seed", "1").toUInt());
        const auto summary = cm::train(p, data, [&](const cm::TrainStatus& s) { afterStep(s.step); }, cancel);
        return cmtest::ChildRun{summary.steps, summary.cancelled};
    });
}

} // namespace

using cmtest::freePort;
using cmtest::largestDifference;
using cmtest::metadataOf;
using cmtest::Ranks;
using cmtest::runGroup;

class TestDistributed : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_teacher; // an EDM denoiser for ECT, trained once

    QString path(const QString& name) const { return m_dir.filePath(name); }

    QStringList settings(const QString& mode, const QString& out, int steps) const {
        QStringList args{"mode=" + mode, "out=" + out, "steps=" + QString::number(steps)};
        if (mode == "ect" || mode == "cd") args << "teacher=" + m_teacher;
        return args;
    }
    cmtest::Settings settingsOf(const QString& mode) const {
        return [this, mode](const QString& out, int steps) { return settings(mode, out, steps); };
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        cm::TrainParams teacher;
        teacher.mode = cm::TrainMode::Edm;
        teacher.network = cmtest::pointMlp();
        teacher.totalSteps = 30;
        teacher.batchSize = 64;
        teacher.learningRate = 1e-3;
        teacher.threads = 1;
        teacher.outputPath = path("teacher.safetensors").toStdString();
        cm::train(teacher, cmtest::eightGaussians(2000, 1));
        m_teacher = path("teacher.safetensors");
    }

    // 2 ranks x 32 = 1 rank x 64: same weights, target, EMAs and Adam moments after k steps.
    void twoRanksEqualOneRank_data() {
        QTest::addColumn<QString>("mode");
        QTest::newRow("ict") << "ict";
        QTest::newRow("ect") << "ect";
        QTest::newRow("ct (a target network)") << "ct";
        QTest::newRow("edm") << "edm";
        QTest::newRow("cd (a teacher every step)") << "cd";
    }
    void twoRanksEqualOneRank() {
        QFETCH(QString, mode);
        cmtest::checkEqualsOneRank(settingsOf(mode), path(mode), 2, 8, 64, 2, "seed=6");
    }

    // A batch that does not divide by the world size is still one global batch (slices of 21 and 22).
    void unevenSlicesEqualOneRank() {
        const QString one = path("odd-1.safetensors"), three = path("odd-3.safetensors");
        runGroup(1, settings("ict", one, 6) << "batch=64");
        runGroup(3, settings("ict", three, 6) << "batch=64");
        QVERIFY(largestDifference(one + ".ckpt", three + ".ckpt") <= 1e-5);
    }

    // Stop a 2-rank run halfway, resume it on 1 rank (and 1 -> 2): the end state of a straight 1-rank run.
    void resumesOnAnotherWorldSize_data() {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<int>("before");
        QTest::addColumn<int>("after");
        QTest::newRow("ict 2 -> 1") << "ict" << 2 << 1;
        QTest::newRow("ect 2 -> 1") << "ect" << 2 << 1;
        QTest::newRow("ict 1 -> 2") << "ict" << 1 << 2;
    }
    void resumesOnAnotherWorldSize() {
        QFETCH(QString, mode);
        QFETCH(int, before);
        QFETCH(int, after);
        const QString stem = path(QString("%1-%2to%3").arg(mode).arg(before).arg(after));
        cmtest::checkResumesOnAnotherWorldSize(settingsOf(mode), stem, before, after, 10, 5);
    }

    // SIGKILL one rank (or SIGSTOP it: a hang): the survivor stops within the timeout and names it; the
    // last checkpoint loads and the run resumes.
    void aLostRankStopsTheOthers_data() {
        QTest::addColumn<int>("victim");
        QTest::addColumn<bool>("hang");
        QTest::newRow("rank 1 killed") << 1 << false;
        QTest::newRow("rank 0 killed (it hosts the store)") << 0 << false;
        QTest::newRow("rank 1 hangs") << 1 << true;
    }
    void aLostRankStopsTheOthers() {
        QFETCH(int, victim);
        QFETCH(bool, hang);
        const QString out = path(QString("lost-%1-%2.safetensors").arg(victim).arg(hang));
        cmtest::checkLostRankIsNamed(settingsOf("ict"), out, victim, hang, 6, 5);
    }

    // Settings that differ between ranks are refused at start-up by every rank, naming what differs.
    void mismatchedSettingsAreRefused_data() {
        QTest::addColumn<QString>("change");
        QTest::addColumn<QString>("named");
        QTest::newRow("batch size") << "batch=32"
                                    << "batch_size";
        QTest::newRow("learning rate") << "lr=2e-3"
                                       << "learning_rate";
        QTest::newRow("data set") << "data-seed=2"
                                  << "data";
        QTest::newRow("mode") << "mode=ct"
                              << "mode";
        QTest::newRow("network") << "dropout=0.1"
                                 << "network";
    }
    void mismatchedSettingsAreRefused() {
        QFETCH(QString, change);
        QFETCH(QString, named);
        const QString out = path("mismatch-" + change + ".safetensors");
        cmtest::checkMismatchIsRefused(settings("ict", out, 6), change, named, out);
    }

    // A rank that never comes: the others give up after the timeout and name it.
    void aMissingRankIsNamed() {
        Ranks ranks;
        ranks.start(3, settings("ict", path("missing.safetensors"), 6) << "timeout=3", 0, 2);
        QVERIFY(ranks.finish(30000));
        const QString errors = ranks.errors(0);
        QVERIFY(ranks.rank(0).exitCode() != 0);
        QVERIFY2(errors.contains("rank 2 did not join within 3 s"), qPrintable(errors));
    }

    // ---- cmstudio-cli: --nproc and torchrun start the same code path. ----

    QStringList cliTraining(const QString& out, int steps) const {
        return {"train",
                "--mode",
                "ict",
                "--data",
                "fashion-mnist",
                "--limit",
                "256",
                "--base-width",
                "8",
                "--channel-mult",
                "1,2",
                "--res-blocks",
                "1",
                "--attention",
                "none",
                "--batch",
                "16",
                "--steps",
                QString::number(steps),
                "--log-every",
                "2",
                "--threads",
                "1",
                "--overwrite",
                "--timeout",
                "20",
                "-o",
                out};
    }

    // Runs the CLI (or `program`) to the end; returns its stderr.
    QString runCli(const QStringList& arguments, const QString& program = CMSTUDIO_CLI_PATH,
                   int* exitCode = nullptr) {
        QProcess process;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("OMP_NUM_THREADS", "1");
        process.setProcessEnvironment(env);
        process.start(program, arguments);
        if (!process.waitForFinished(300000)) {
            process.kill();
            process.waitForFinished(5000);
            return "timed out";
        }
        if (exitCode) *exitCode = process.exitCode();
        return QString::fromUtf8(process.readAllStandardError());
    }

    void nprocAndTorchrunEqualOneProcess() {
        auto common = cliTraining(QString(), 6);
        common.resize(common.size() - 2); // without -o
        cmtest::checkNprocEqualsOneProcess(common, m_dir.path(), 16, 6);
        if (QTest::currentTestFailed()) return;
        const QString one = path("cli-1.safetensors"); // the one-process run
        int code = -1;
        QString errors;

        const QString torchrun = QStandardPaths::findExecutable("torchrun");
        if (torchrun.isEmpty()) QSKIP("torchrun (python3-torch) is not installed");
        // torchrun's c10d rendezvous, as across machines; --redirects 1 --tee 2 avoid the Python 3.11
        // flag-enum bug of Debian's torchrun 1.13 with the defaults (stderr still reaches the console).
        const QString viaTorchrun = path("cli-torchrun.safetensors");
        const QStringList launch{"--redirects",
                                 "1",
                                 "--tee",
                                 "2",
                                 "--log_dir",
                                 path("torchrun-logs"),
                                 "--no_python",
                                 "--nnodes",
                                 "1",
                                 "--nproc_per_node",
                                 "2",
                                 "--rdzv_backend",
                                 "c10d",
                                 "--rdzv_endpoint",
                                 QString("127.0.0.1:%1").arg(freePort()),
                                 CMSTUDIO_CLI_PATH};
        errors = runCli(launch + cliTraining(viaTorchrun, 6), torchrun, &code);
        QVERIFY2(code == 0, qPrintable(errors));
        const double torchrunDifference = largestDifference(one + ".ckpt", viaTorchrun + ".ckpt");
        qInfo("torchrun, 2 processes vs one process: %.3g", torchrunDifference);
        QVERIFY(torchrunDifference <= 1e-5);
    }

    // Ctrl-C (or the app's Stop) reaches the launcher: every rank stops after the same step, rank 0 saves,
    // and --resume continues.
    void nprocStopsTogetherOnInterrupt() {
        const QString out = path("cli-stop.safetensors");
        QProcess launcher;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("OMP_NUM_THREADS", "1");
        launcher.setProcessEnvironment(env);
        launcher.start(CMSTUDIO_CLI_PATH, cliTraining(out, 100000) << "--nproc"
                                                                   << "2");
        QVERIFY(launcher.waitForStarted());
        QElapsedTimer wait;
        wait.start();
        while (!launcher.readAllStandardError().contains("data-parallel") && wait.elapsed() < 60000)
            QTest::qWait(100);
        QTest::qWait(1500);
        ::kill(pid_t(launcher.processId()), SIGINT);
        const bool ended = launcher.waitForFinished(30000);
        if (!ended) launcher.kill();
        QVERIFY2(ended, "the ranks did not stop on SIGINT");
        QCOMPARE(launcher.exitCode(), 130);
        const long step = std::stol(metadataOf(out + ".ckpt", "step"));
        QVERIFY(step > 0);
        int code = -1;
        auto resume = cliTraining(out, int(step) + 2);
        resume.removeAll("--overwrite");
        const QString errors = runCli(resume << "--resume"
                                             << "--nproc"
                                             << "2",
                                      CMSTUDIO_CLI_PATH, &code);
        QVERIFY2(code == 0, qPrintable(errors));
        QCOMPARE(metadataOf(out + ".ckpt", "step"), std::to_string(step + 2));
    }

    // A rank whose weights drift is caught by the next periodic check, on every rank, naming the step and
    // the last good checkpoint; without drift the same run ends.
    void aDriftingRankIsCaught() {
        runGroup(2, {"drift-at=100"});
        if (QTest::currentTestFailed()) return;
        Ranks ranks;
        ranks.start(2, {"drift-at=4"});
        QVERIFY(ranks.finish(60000));
        for (int r = 0; r < 2; ++r) {
            const QString errors = ranks.errors(r);
            QVERIFY2(ranks.rank(r).exitCode() != 0, qPrintable(errors));
            QVERIFY2(errors.contains("optimizer state differ at step 6") && errors.contains("last.ckpt"),
                     qPrintable(errors));
            QVERIFY2(!errors.contains("checks step 7"), qPrintable(errors)); // it stopped there
        }
    }

    // A rank that cannot start (here rank 0: a resume without a checkpoint) stops every rank, named.
    void aRankThatCannotStartStopsTheOthers() {
        Ranks ranks;
        ranks.start(2, settings("ict", path("absent.safetensors"), 4) << "resume=1");
        QVERIFY(ranks.finish(60000));
        const QString errors = ranks.errors(1);
        QVERIFY(ranks.rank(1).exitCode() != 0);
        QVERIFY2(errors.contains("rank 0 could not start") && errors.contains("no checkpoint"),
                 qPrintable(errors));
    }
};

int main(int argc, char** argv) {
    if (const auto child = cmtest::rankChildArguments(argc, argv)) return runChild(*child);
    QCoreApplication app(argc, argv);
    TestDistributed test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_distributed.moc"
