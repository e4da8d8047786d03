// Tests resuming in core/trainer.*: k steps, stop, resume for k more = 2k steps straight, bit for bit.
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "core/trainer.h"
#include "expect_error.h"
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

    // A model file with nothing beside it (no checkpoint, no log) was once replaced silently.
    void refusesToReplaceAnExistingModel() {
        auto p = params(cm::TrainMode::Ict, "keep.safetensors");
        p.totalSteps = 2;
        cm::train(p, m_data);
        QVERIFY(QFile::remove(QString::fromStdString(p.outputPath + ".ckpt")));
        QVERIFY(QFile::remove(QString::fromStdString(p.outputPath + ".csv")));
        const auto before = cm::readWholeFile(p.outputPath);
        const cm::Error e = cmtest::expectError([&] { cm::train(p, m_data); });
        QCOMPARE(int(e.kind()), int(cm::ErrorKind::InvalidArgument));
        QVERIFY2(QString(e.what()).contains("already exists"), e.what());
        QVERIFY(cm::readWholeFile(p.outputPath) == before);
        p.overwrite = true;
        cm::train(p, m_data); // asked for: replaced
    }

    void refusesOneFileInTwoRoles_data() {
        QTest::addColumn<QString>("role");
        QTest::newRow("checkpoint = out") << "checkpoint";
        QTest::newRow("log = out") << "log";
        QTest::newRow("log = checkpoint") << "log-checkpoint";
        QTest::newRow("teacher = out") << "teacher";
        QTest::newRow("teacher = checkpoint, another spelling") << "teacher-checkpoint";
    }
    void refusesOneFileInTwoRoles() {
        QFETCH(QString, role);
        const QString name = "roles-" + role + ".safetensors";
        auto p = params(cm::TrainMode::Ict, name);
        const std::string out = p.outputPath;
        if (role == "checkpoint") p.checkpointPath = out;
        if (role == "log") p.logPath = out;
        if (role == "log-checkpoint") p.logPath = p.checkpointPath = out + ".both";
        if (role.startsWith("teacher")) {
            // A teacher that exists (an EDM run); ect would overwrite it with the student.
            auto teacher = params(cm::TrainMode::Edm, "teacher-" + role + ".safetensors");
            teacher.totalSteps = 2;
            cm::train(teacher, m_data);
            p.mode = cm::TrainMode::Ect;
            p.teacherPath = teacher.outputPath;
            if (role == "teacher")
                p.outputPath = teacher.outputPath;
            else
                p.checkpointPath = m_dir.filePath("./teacher-" + role + ".safetensors").toStdString();
        }
        const std::vector<uint8_t> teacherBefore =
            p.teacherPath.empty() ? std::vector<uint8_t>{} : cm::readWholeFile(p.teacherPath);
        const cm::Error e = cmtest::expectError([&] { cm::train(p, m_data); });
        QCOMPARE(int(e.kind()), int(cm::ErrorKind::InvalidArgument));
        QVERIFY2(QString(e.what()).contains("the same file"), e.what());
        if (!p.teacherPath.empty()) QVERIFY(cm::readWholeFile(p.teacherPath) == teacherBefore);
        QVERIFY(!QFile::exists(QString::fromStdString(out)) || role.startsWith("teacher"));
    }

    // Resuming a finished run said "model written" and wrote nothing: a deleted model stayed missing.
    void resumingAFinishedRunWritesItsModel() {
        auto p = params(cm::TrainMode::Ict, "finished.safetensors");
        p.totalSteps = 20;
        cm::train(p, m_data);
        const auto model = cm::readWholeFile(p.outputPath);
        QVERIFY(QFile::remove(QString::fromStdString(p.outputPath)));
        p.resume = true;
        const auto summary = cm::train(p, m_data);
        QCOMPARE(summary.steps, 20L);
        QVERIFY(cm::readWholeFile(p.outputPath) == model); // the checkpoint's weights, bit for bit
    }

    // A crash can cut the last log row short ("1" of "10,640,..."); it was kept and read as step 1.
    // Temporary copies of the log left by killed processes were never removed.
    void resumeDropsCutRowsAndDeadTemporaries() {
        auto p = params(cm::TrainMode::Ict, "cut.safetensors");
        p.totalSteps = 20;
        cm::train(p, m_data);
        const QString logPath = QString::fromStdString(p.outputPath + ".csv");
        QFile log(logPath);
        QVERIFY(log.open(QIODevice::Append));
        log.write("3");
        log.close();
        const QString stale = logPath + ".tmp-999999999-0"; // no such process
        QFile(stale).open(QIODevice::WriteOnly);
        QVERIFY(QFile::exists(stale));
        p.resume = true;
        p.totalSteps = 30;
        cm::train(p, m_data);
        QVERIFY(!QFile::exists(stale));
        QVERIFY(log.open(QIODevice::ReadOnly));
        QStringList steps;
        for (const QString& line : QString(log.readAll()).split('\n', Qt::SkipEmptyParts).mid(1))
            steps << line.section(',', 0, 0);
        QCOMPARE(steps, QStringList({"10", "20", "30"}));
    }

    // Checkpoint metadata is parsed strictly: "unexpected error: stoul" and negative steps (which wrote
    // negative log rows, then failed in std::string) were what a damaged checkpoint gave.
    void damagedCheckpointMetadataIsAFormatError_data() {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::newRow("ema_count x") << "ema_count"
                                     << "x";
        QTest::newRow("step -5") << "step"
                                 << "-5";
        QTest::newRow("step 1e3") << "step"
                                  << "1e3";
        QTest::newRow("optimizer_step empty") << "optimizer_step"
                                              << "";
        QTest::newRow("seconds text") << "seconds"
                                      << "soon";
        QTest::newRow("10 MB step") << "step" << QString(10 << 20, '9');
    }
    void damagedCheckpointMetadataIsAFormatError() {
        QFETCH(QString, key);
        QFETCH(QString, value);
        auto p =
            params(cm::TrainMode::Ict, "damaged-" + key + QString::number(value.size()) + ".safetensors");
        p.totalSteps = 10;
        cm::train(p, m_data);
        const std::string checkpoint = p.outputPath + ".ckpt";
        cm::SafetensorsFile file = cm::readSafetensors(checkpoint);
        file.metadata[key.toStdString()] = value.toStdString();
        cm::writeSafetensors(checkpoint, file);
        const auto logBefore = cm::readWholeFile(p.outputPath + ".csv");
        p.resume = true;
        p.totalSteps = 20;
        const cm::Error e = cmtest::expectError([&] { cm::train(p, m_data); });
        QCOMPARE(int(e.kind()), int(cm::ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(checkpoint)) &&
                     QString(e.what()).contains("\"" + key + "\""),
                 e.what());
        QVERIFY2(std::string(e.what()).size() < 400, e.what());
        QVERIFY(cm::readWholeFile(p.outputPath + ".csv") == logBefore); // nothing written
    }
};

QTEST_GUILESS_MAIN(TestResume)
#include "test_resume.moc"
