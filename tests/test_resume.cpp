// Tests resuming in core/trainer.*: k steps, stop, resume for k more = 2k steps straight, bit for bit.
#include "core/error.h"
#include "core/safetensors.h"
#include "core/trainer.h"
#include "test_support.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

class TestResume : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    cm::Dataset m_data = cmtest::eightGaussians(5000, 2);

    cm::TrainParams params(cm::TrainMode mode, const QString& name) {
        cm::TrainParams p;
        p.mode = mode;
        p.network = cmtest::pointMlp(0.1); // dropout: the dropout generator must be restored too
        p.totalSteps = 60;
        p.batchSize = 64;
        p.learningRate = 1e-3;
        p.emaRates = {0.99, 0.9};
        p.logEvery = 10;
        p.checkpointEvery = 10; // checkpoints before and after the stop must not perturb the run
        p.outputPath = m_dir.filePath(name).toStdString();
        p.seed = 5;
        p.threads = 1;
        return p;
    }

    // The tensors that define the rest of the run: online weights, target, EMAs, optimizer moments.
    static std::map<std::string, cm::TensorRecord> stateOf(const std::string& checkpoint) {
        auto file = cm::readSafetensors(checkpoint);
        return file.tensors;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void resumedRunEqualsStraightRun_data() {
        QTest::addColumn<int>("mode");
        QTest::newRow("ict") << int(cm::TrainMode::Ict);
        QTest::newRow("ct (with a target network)") << int(cm::TrainMode::Ct);
        QTest::newRow("edm") << int(cm::TrainMode::Edm);
    }
    void resumedRunEqualsStraightRun() {
        QFETCH(int, mode);
        const auto trainMode = cm::TrainMode(mode);
        const QString tag = cm::trainModeName(trainMode);

        auto straight = params(trainMode, tag + "-straight.safetensors");
        cm::train(straight, m_data);

        auto interrupted = params(trainMode, tag + "-resumed.safetensors");
        cm::CancelFlag cancel{false};
        const auto first = cm::train(
            interrupted, m_data,
            [&](const cm::TrainStatus& s) {
                if (s.step == 30) cancel = true;
            },
            &cancel);
        QVERIFY(first.cancelled);
        QCOMPARE(first.steps, 30L);
        const auto halfway = stateOf(interrupted.checkpointPath.empty() ? interrupted.outputPath + ".ckpt"
                                                                        : interrupted.checkpointPath);
        interrupted.resume = true;
        const auto second = cm::train(interrupted, m_data);
        QCOMPARE(second.steps, 60L);

        const auto a = stateOf(straight.outputPath + ".ckpt");
        const auto b = stateOf(interrupted.outputPath + ".ckpt");
        QCOMPARE(a.size(), b.size());
        int compared = 0;
        for (const auto& [name, record] : a) {
            if (name.rfind("rng.", 0) == 0) continue;
            QVERIFY2(record.bytes == b.at(name).bytes, name.c_str());
            ++compared;
        }
        QVERIFY(compared > 10);
        // The halfway state really differs from the end state (the comparison above can fail).
        QVERIFY(halfway.at("online.0").bytes != b.at("online.0").bytes);
        // The model files (first EMA) agree as well.
        QVERIFY(cm::readSafetensors(straight.outputPath).tensors.at("output.weight").bytes ==
                cm::readSafetensors(interrupted.outputPath).tensors.at("output.weight").bytes);
        // The log of the resumed run has each row once.
        QFile log(QString::fromStdString(interrupted.outputPath + ".csv"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QCOMPARE(QString(log.readAll()).split('\n', Qt::SkipEmptyParts).size(), 7);
    }

    void checkpointingDoesNotChangeTheRun() {
        // Writing a checkpoint (and the model file) must leave every generator as it was: the same run
        // checkpointed every 10 steps or never ends with the same weights.
        auto often = params(cm::TrainMode::Ict, "often.safetensors");
        auto never = params(cm::TrainMode::Ict, "never.safetensors");
        never.checkpointEvery = 1000;
        cm::train(often, m_data);
        cm::train(never, m_data);
        QVERIFY(stateOf(often.outputPath + ".ckpt").at("online.0").bytes ==
                stateOf(never.outputPath + ".ckpt").at("online.0").bytes);
    }

    void resumeDropsLogRowsAfterTheCheckpoint() {
        auto p = params(cm::TrainMode::Ict, "rows.safetensors");
        p.totalSteps = 20;
        cm::train(p, m_data);
        // As if the process died after logging steps 30 and 40 but before checkpointing them.
        QFile log(QString::fromStdString(p.outputPath + ".csv"));
        QVERIFY(log.open(QIODevice::Append));
        log.write("30,1920,9,,,,,1,1,0.001,11,0,1\n40,2560,9,,,,,1,1,0.001,11,0,1\n");
        log.close();
        p.resume = true;
        p.totalSteps = 30;
        cm::train(p, m_data);
        QVERIFY(log.open(QIODevice::ReadOnly));
        const auto lines = QString(log.readAll()).split('\n', Qt::SkipEmptyParts);
        QStringList steps;
        for (const auto& line : lines.mid(1))
            steps << line.section(',', 0, 0);
        QCOMPARE(steps, QStringList({"10", "20", "30"}));
        QVERIFY(!lines.last().startsWith("30,1920,9,")); // the row for 30 is the resumed run's own
    }

    void refusesToOverwriteAnExistingRun() {
        auto p = params(cm::TrainMode::Ict, "guard.safetensors");
        p.totalSteps = 5;
        cm::train(p, m_data);
        const auto before = cm::readSafetensors(p.outputPath + ".ckpt").tensors.at("online.0").bytes;
        try {
            cm::train(p, m_data);
            QFAIL("an existing run was overwritten without being asked to");
        } catch (const cm::Error& e) {
            QVERIFY(QString(e.what()).contains("already exists"));
        }
        QVERIFY(cm::readSafetensors(p.outputPath + ".ckpt").tensors.at("online.0").bytes == before);
        auto other = p;
        other.mode = cm::TrainMode::Edm;
        other.resume = true;
        try {
            cm::train(other, m_data);
            QFAIL("a checkpoint of another mode was resumed");
        } catch (const cm::Error& e) {
            QVERIFY(QString(e.what()).contains("'ict' run"));
        }
        auto missing = params(cm::TrainMode::Ict, "missing.safetensors");
        missing.resume = true;
        QVERIFY_THROWS_EXCEPTION(cm::Error, cm::train(missing, m_data));
    }
};

QTEST_GUILESS_MAIN(TestResume)
#include "test_resume.moc"
