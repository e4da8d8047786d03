// Tests ui/train_command.*: the `cmstudio-cli train` arguments built from TrainSettings (folder and
// Fashion-MNIST runs, teachers, resume and overwrite, paths with spaces), the files a run writes, the
// shell quoting of the command line and the extra options, and the problems that stop settings from
// starting.
#include "file_fixtures.h"
#include "ui/train_command.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QProcess>
#include <QtTest>

namespace {

// A run distilling a teacher into a folder of RGB images, every option set.
TrainSettings folderRun() {
    TrainSettings s;
    s.mode = "cd";
    s.data = "/data/faces";
    s.imageSize = 64;
    s.channels = 3;
    s.conditional = true;
    s.steps = 3000;
    s.batch = 32;
    s.learningRate = 1e-4;
    s.ema = "0.999,0.9999";
    s.threads = 2;
    s.teacher = "/models/teacher.safetensors";
    s.output = "/runs/cd.safetensors";
    s.logEvery = 10;
    s.checkpointEvery = 500;
    s.extraArguments = {"--seed", "7"};
    return s;
}

// The word after `option` in `arguments`, or a null string when the option is missing or last.
QString valueOf(const QStringList& arguments, const QString& option) {
    const qsizetype at = arguments.indexOf(option);
    return at >= 0 && at + 1 < arguments.size() ? arguments[at + 1] : QString();
}

} // namespace

class TestTrainCommand : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;

    QString write(const QString& name, const QByteArray& bytes = {}) {
        return cmtest::writeFile(m_dir.filePath(name), bytes);
    }

    // A Fashion-MNIST run writing into the test's folder, which no earlier test has used.
    TrainSettings freshRun(const QString& name) {
        TrainSettings s;
        s.output = m_dir.filePath(name + ".safetensors");
        return s;
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void folderRunWithATeacher() {
        TrainSettings s = folderRun();
        s.resume = true;
        QCOMPARE(
            TrainCommand::arguments(s),
            QString("train|--mode|cd|--data|/data/faces|--image-size|64|--channels|3|--conditional|--teacher|"
                    "/models/teacher.safetensors|--steps|3000|--batch|32|--lr|0.0001|--ema|0.999,0.9999|"
                    "--threads|2|--out|/runs/cd.safetensors|--log-every|10|--checkpoint-every|500|"
                    "--resume|--seed|7")
                .split('|'));
    }

    void fashionMnistRunLeavesOutWhatItDoesNotNeed() {
        TrainSettings s;
        s.output = "/runs/m.safetensors";
        const QStringList args = TrainCommand::arguments(s);
        QCOMPARE(args.mid(0, 5), (QStringList{"train", "--mode", "ict", "--data", "fashion-mnist"}));
        QVERIFY(!args.contains("--image-size")); // Fashion-MNIST has its own size and channels
        QVERIFY(!args.contains("--channels"));
        QVERIFY(!args.contains("--teacher")); // iCT trains from scratch
        QVERIFY(!args.contains("--threads")); // LibTorch's default
        QVERIFY(!args.contains("--conditional"));
        QCOMPARE(valueOf(args, "--lr"), QString("0.0002"));
        QCOMPARE(args.last(), QString("1000")); // no extra arguments after --checkpoint-every
        // A variant of the bundled set is still the bundled set.
        s.data = "fashion-mnist:train";
        QVERIFY(!TrainCommand::arguments(s).contains("--image-size"));
        // EDM and iCT need no teacher; CD and ECT do.
        for (const char* mode : {"edm", "ict"})
            QVERIFY(!TrainCommand::needsTeacher(mode));
        for (const char* mode : {"cd", "ect"})
            QVERIFY(TrainCommand::needsTeacher(mode));
    }

    void resumeAndOverwriteFlags_data() {
        QTest::addColumn<bool>("resume");
        QTest::addColumn<bool>("overwrite");
        QTest::newRow("new run") << false << false;
        QTest::newRow("resume") << true << false;
        QTest::newRow("overwrite") << false << true;
    }

    void resumeAndOverwriteFlags() {
        QFETCH(bool, resume);
        QFETCH(bool, overwrite);
        TrainSettings s = folderRun();
        s.resume = resume;
        s.overwrite = overwrite;
        const QStringList args = TrainCommand::arguments(s);
        QCOMPARE(args.count("--resume"), resume ? 1 : 0);
        QCOMPARE(args.count("--overwrite"), overwrite ? 1 : 0);
        // The flags come after the trainer's own options and before the extra ones, which may override.
        const qsizetype flag = args.indexOf(resume ? "--resume" : "--overwrite");
        if (resume || overwrite) QCOMPARE(flag, args.indexOf("--seed") - 1);
    }

    void pathsWithSpacesStayOneArgument() {
        TrainSettings s = folderRun();
        s.data = "/data/my faces";
        s.teacher = "/models/the teacher.safetensors";
        s.output = "/runs/cd model.safetensors";
        const QStringList args = TrainCommand::arguments(s);
        QCOMPARE(valueOf(args, "--data"), s.data);
        QCOMPARE(valueOf(args, "--teacher"), s.teacher);
        QCOMPARE(valueOf(args, "--out"), s.output);
        QCOMPARE(TrainCommand::logPath(s), QString("/runs/cd model.safetensors.csv"));
        QCOMPARE(TrainCommand::checkpointPath(s), QString("/runs/cd model.safetensors.ckpt"));
        const QString line = TrainCommand::shellQuoted("/opt/cm/cmstudio-cli", args);
        QVERIFY2(
            line.startsWith("/opt/cm/cmstudio-cli train --mode cd --data '/data/my faces' --image-size 64"),
            qPrintable(line));
        QVERIFY(line.contains("--teacher '/models/the teacher.safetensors' "));
        QVERIFY(line.contains("--out '/runs/cd model.safetensors' "));
    }

    void shellQuoting() {
        QCOMPARE(TrainCommand::shellQuoted("cmstudio-cli", {"--out", "/runs/cd model.safetensors", "it's"}),
                 QString("cmstudio-cli --out '/runs/cd model.safetensors' 'it'\\''s'"));
        // Words the shell takes as they are stay bare; anything it would expand or split is quoted.
        QCOMPARE(TrainCommand::shellQuoted("a", {"--ema", "0.999,0.9999", "x=1:2@3%+4"}),
                 QString("a --ema 0.999,0.9999 x=1:2@3%+4"));
        QCOMPARE(TrainCommand::shellQuoted("a", {"*.png", "$HOME", ""}), QString("a '*.png' '$HOME' ''"));
    }

    void extraArgumentsBackAndForth() {
        const QStringList extra{"--base-width", "8", "--channel-mult", "1,2,2", "--attention", "none"};
        const QString text = TrainCommand::joinArguments(extra);
        QCOMPARE(text, QString("--base-width 8 --channel-mult 1,2,2 --attention none"));
        QCOMPARE(TrainCommand::splitArguments(text), extra);
        QCOMPARE(TrainCommand::splitArguments("  --seed   7 "), (QStringList{"--seed", "7"}));
        QCOMPARE(TrainCommand::splitArguments("--note \"two words\""), (QStringList{"--note", "two words"}));
        QVERIFY(TrainCommand::joinArguments({}).isEmpty());
        // What the form shows reads back as the same words, spaces and quotes included.
        const QStringList spaced{"--note", "two words", "say \"hi\"", "it's"};
        QCOMPARE(TrainCommand::splitArguments(TrainCommand::joinArguments(spaced)), spaced);
    }

    void refusesToReplaceARun() {
        TrainSettings s = freshRun("existing");
        QVERIFY2(TrainCommand::problem(s).isEmpty(), qPrintable(TrainCommand::problem(s)));
        // Any of the run's files counts: the model, its checkpoint or its log.
        for (const QString& path : {s.output, TrainCommand::checkpointPath(s), TrainCommand::logPath(s)}) {
            write(QFileInfo(path).fileName());
            const QString why = TrainCommand::problem(s);
            QVERIFY2(why.contains("already exists") && why.contains(path), qPrintable(why));
            QVERIFY(QFile::remove(path));
        }
        write("existing.safetensors.csv", "step,loss\n");
        s.overwrite = true;
        QVERIFY(TrainCommand::problem(s).isEmpty());
        s.resume = true;
        QVERIFY(TrainCommand::problem(s).contains("not both"));
    }

    void resumeNeedsACheckpoint() {
        TrainSettings s = freshRun("resumed");
        s.resume = true;
        QVERIFY(TrainCommand::problem(s).contains("no checkpoint"));
        write("resumed.safetensors.ckpt");
        write("resumed.safetensors.csv"); // the run's own files do not stop a resume
        QVERIFY2(TrainCommand::problem(s).isEmpty(), qPrintable(TrainCommand::problem(s)));
    }

    void otherProblems() {
        TrainSettings s = freshRun("problems");
        s.output.clear();
        QVERIFY(TrainCommand::problem(s).contains("model file"));
        s.output = m_dir.filePath("no/such/folder/m.safetensors");
        QVERIFY(TrainCommand::problem(s).contains("does not exist"));

        s = freshRun("problems");
        s.mode = "ect";
        QVERIFY(TrainCommand::problem(s).contains("ECT needs a teacher"));
        s.teacher = m_dir.filePath("missing teacher.safetensors");
        QVERIFY(TrainCommand::problem(s).contains("missing teacher.safetensors"));
        s.teacher = write("teacher.safetensors");
        QVERIFY2(TrainCommand::problem(s).isEmpty(), qPrintable(TrainCommand::problem(s)));

        s = freshRun("problems");
        s.data = "";
        QVERIFY(TrainCommand::problem(s).contains("image folder"));
        s.data = m_dir.filePath("no-images-here");
        QVERIFY(TrainCommand::problem(s).contains("no-images-here"));
        QVERIFY(QDir(m_dir.path()).mkdir("my images"));
        s.data = m_dir.filePath("my images");
        QVERIFY2(TrainCommand::problem(s).isEmpty(), qPrintable(TrainCommand::problem(s)));

        s = freshRun("problems");
        s.learningRate = 0;
        QVERIFY(TrainCommand::problem(s).contains("learning rate"));
        s = freshRun("problems");
        for (const char* ema : {"", "1", "0.999,", "0.999,abc", "-0.5"}) {
            s.ema = ema;
            QVERIFY2(TrainCommand::problem(s).contains("EMA"), ema);
        }
        s.ema = "0.999, 0.9999";
        QVERIFY(TrainCommand::problem(s).isEmpty());

        s = freshRun("problems");
        s.batch = 4;
        s.processes = 8;
        QVERIFY(TrainCommand::problem(s).contains("cannot be shared by 8 processes"));
    }

    // Processes on this machine become --nproc; several machines get one torchrun line for every machine,
    // with the processes per machine there and no --nproc.
    void processesAndMachines() {
        TrainSettings s = freshRun("parallel");
        QVERIFY(!TrainCommand::arguments(s).contains("--nproc"));
        s.processes = 3;
        const QStringList args = TrainCommand::arguments(s);
        QCOMPARE(args.at(args.indexOf("--nproc") + 1), QString("3"));
        const QString many = TrainCommand::multiMachineCommand("/usr/bin/cmstudio-cli", s, 4, "HOST:29400");
        QVERIFY2(many.startsWith("torchrun --nnodes 4 --nproc_per_node 3 --rdzv_backend c10d --rdzv_endpoint "
                                 "HOST:29400 --no_python /usr/bin/cmstudio-cli train "),
                 qPrintable(many));
        QVERIFY(!many.contains("--nproc "));
        QVERIFY(many.contains("--out " + TrainCommand::shellQuoted(s.output, {})));
        // The split of that line gives the arguments of one machine's ranks.
        const QStringList words = QProcess::splitCommand(many);
        QCOMPARE(words.mid(words.indexOf("train")), TrainCommand::arguments([&] {
                     TrainSettings one = s;
                     one.processes = 1;
                     return one;
                 }()));
    }
};

QTEST_MAIN(TestTrainCommand)
#include "test_train_command.moc"
