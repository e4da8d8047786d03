// Tests ui/training_process.* against a stand-in for `cmstudio-cli train` (a shell script, so no model is
// trained): progress read from output lines redrawn with \r, the log announced once the trainer writes it,
// the messages of a finished, failed, interrupted or killed run, and the refusals to start.
#include "file_fixtures.h"
#include "ui/training_process.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace {

// What the stand-in does is chosen by FAKE_TRAINER; it writes its log beside --out as the trainer does.
const QByteArray kFakeTrainer = R"(#!/bin/sh
out=
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then out=$2; fi
  shift
done
case "$FAKE_TRAINER" in
finish)
  printf 'train [#...]  25%% 1/4\rtrain [##..]  50%% 2/4\r'
  printf 'step,loss\n1,0.5\n2,0.4\n3,0.3\n' > "$out.csv"
  printf 'train [####] 100%% 4/4\ndone: 4 steps\n'
  exit 0 ;;
quiet)
  echo 'done: 4 steps'
  exit 0 ;;
fail)
  echo 'reading data'
  echo 'cmstudio-cli: --optimizer is adam or radam'
  exit 2 ;;
interrupt)
  trap 'echo "interrupted at step 2; checkpoint saved"; exit 130' INT
  echo 'train [#...]  25% 1/4'
  while :; do sleep 0.05; done ;;
stubborn)
  trap '' INT
  echo 'train [#...]  25% 1/4'
  while :; do sleep 0.05; done ;;
esac
)";

constexpr int kTimeoutMs = 20000;

} // namespace

class TestTrainingProcess : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_trainer;

    // A Fashion-MNIST run (the stand-in reads no data) whose files no other test has written.
    TrainSettings run(const QString& name, long steps = 4) {
        TrainSettings s;
        s.steps = steps;
        s.output = m_dir.filePath(name + ".safetensors");
        return s;
    }

    std::unique_ptr<TrainingProcess> makeProcess(const char* behaviour) {
        qputenv("FAKE_TRAINER", behaviour);
        auto process = std::make_unique<TrainingProcess>();
        process->setCliPath(m_trainer);
        return process;
    }

  private slots:
    void initTestCase() {
#ifndef Q_OS_UNIX
        QSKIP("the stand-in trainer is a POSIX shell script");
#endif
        QVERIFY(m_dir.isValid());
        m_trainer = cmtest::writeFile(m_dir.filePath("fake-cli"), kFakeTrainer);
        QVERIFY(QFile::setPermissions(m_trainer, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    }

    void finishesAndFollowsProgress() {
        auto process = makeProcess("finish");
        const TrainSettings s = run("finish");
        QSignalSpy started(process.get(), &TrainingProcess::started);
        QSignalSpy lines(process.get(), &TrainingProcess::outputLine);
        QSignalSpy progress(process.get(), &TrainingProcess::progressChanged);
        QSignalSpy logs(process.get(), &TrainingProcess::logStarted);
        QSignalSpy finished(process.get(), &TrainingProcess::finished);
        QVERIFY2(process->start(s), qPrintable(process->lastError()));
        QVERIFY(process->isRunning());
        QVERIFY(process->hasRun());
        QCOMPARE(process->settings().output, s.output);
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.at(0).at(0).toString(), s.output);
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).toInt(), 0);
        QCOMPARE(finished.at(0).at(1).toString(), QString("done: 4 steps"));
        QVERIFY(!process->isRunning());
        QVERIFY(process->lastError().isEmpty());

        // Each \r-redrawn progress bar is a line of its own.
        QStringList printed;
        for (const auto& line : lines)
            printed << line.at(0).toString();
        QCOMPARE(printed, (QStringList{"train [#...]  25% 1/4", "train [##..]  50% 2/4",
                                       "train [####] 100% 4/4", "done: 4 steps"}));
        QList<long> done;
        for (const auto& step : progress) {
            QCOMPARE(step.at(1).value<long>(), 4L);
            done << step.at(0).value<long>();
        }
        QCOMPARE(done.first(), 0L); // the start
        QVERIFY2(done.contains(1) && done.contains(2), qPrintable(QString::number(done.size())));
        QCOMPARE(done.last(), 4L);
        QCOMPARE(process->stepsDone(), 4L);
        QCOMPARE(process->stepsTotal(), 4L);
        QCOMPARE(logs.count(), 1);
        QCOMPARE(logs.at(0).at(0).toString(), TrainCommand::logPath(s));
    }

    void anOldLogIsNotAnnounced() {
        // Resuming: until the trainer rewrites it, the log beside the model is the previous run's.
        auto process = makeProcess("quiet");
        TrainSettings s = run("resumed");
        s.resume = true;
        cmtest::writeFile(TrainCommand::checkpointPath(s), "checkpoint");
        const QString csv = cmtest::writeFile(TrainCommand::logPath(s), "step,loss\n1,0.5\n");
        QFile old(csv);
        QVERIFY(old.open(QIODevice::ReadWrite));
        QVERIFY(
            old.setFileTime(QDateTime::currentDateTime().addSecs(-3600), QFileDevice::FileModificationTime));
        old.close();
        QSignalSpy logs(process.get(), &TrainingProcess::logStarted);
        QSignalSpy finished(process.get(), &TrainingProcess::finished);
        QVERIFY2(process->start(s), qPrintable(process->lastError()));
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).toInt(), 0);
        QCOMPARE(logs.count(), 0);
    }

    void reportsTheTrainersError() {
        auto process = makeProcess("fail");
        QSignalSpy finished(process.get(), &TrainingProcess::finished);
        QVERIFY(process->start(run("fail")));
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).toInt(), 2);
        // The trainer's own error lines, not its other output.
        QCOMPARE(finished.at(0).at(1).toString(), QString("cmstudio-cli: --optimizer is adam or radam"));
        QCOMPARE(process->lastError(), finished.at(0).at(1).toString());
    }

    void stopInterruptsWithACheckpoint() {
        auto process = makeProcess("interrupt");
        QSignalSpy lines(process.get(), &TrainingProcess::outputLine);
        QSignalSpy finished(process.get(), &TrainingProcess::finished);
        QVERIFY(process->start(run("interrupt", 100)));
        QVERIFY(lines.wait(kTimeoutMs)); // the trainer has set up its handler
        QVERIFY(!process->stopRequested());
        QVERIFY(!process->start(run("second"))); // one run at a time
        QVERIFY(process->lastError().contains("already in progress"));
        process->stop();
        QVERIFY(process->stopRequested());
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).toInt(), 130);
        QCOMPARE(finished.at(0).at(1).toString(), QString("interrupted at step 2; checkpoint saved"));
        // The trainer finished step 2 after its last progress line (1/4): the count is the checkpoint's.
        QCOMPARE(process->stepsDone(), 2L);
        QCOMPARE(process->stepsTotal(), 4L); // the trainer's own count, from its progress line
    }

    void aSecondStopKills() {
        auto process = makeProcess("stubborn");
        QSignalSpy lines(process.get(), &TrainingProcess::outputLine);
        QSignalSpy finished(process.get(), &TrainingProcess::finished);
        QVERIFY(process->start(run("stubborn", 100)));
        QVERIFY(lines.wait(kTimeoutMs));
        process->stop(); // ignored by this trainer
        QVERIFY(!finished.wait(500));
        process->stop();
        QVERIFY(finished.wait(kTimeoutMs));
        QCOMPARE(finished.at(0).at(0).toInt(), -1);
        QVERIFY(finished.at(0).at(1).toString().contains("before it saved a checkpoint"));
    }

    void destroyingInterruptsTheTrainer() {
        auto process = makeProcess("interrupt");
        QSignalSpy lines(process.get(), &TrainingProcess::outputLine);
        QVERIFY(process->start(run("destroyed", 100)));
        QVERIFY(lines.wait(kTimeoutMs));
        QElapsedTimer clock;
        clock.start();
        process.reset();
        // SIGINT ended it at once; a trainer that had not heard would have been waited for 10 s.
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
    }

    void refusesToStart() {
        auto process = makeProcess("finish");
        QSignalSpy started(process.get(), &TrainingProcess::started);
        TrainSettings s = run("refused");
        s.mode = "cd"; // without a teacher
        QVERIFY(!process->start(s));
        QCOMPARE(process->lastError(), TrainCommand::problem(s));
        process->setCliPath(m_dir.filePath("no-such-cli"));
        QVERIFY(!process->start(run("refused")));
        QVERIFY(process->lastError().contains("cmstudio-cli was not found"));
        QCOMPARE(started.count(), 0);
        QVERIFY(!process->hasRun());
        QVERIFY(!process->isRunning());
    }
};

QTEST_MAIN(TestTrainingProcess)
#include "test_training_process.moc"
