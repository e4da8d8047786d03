// Tests app/cmstudio-cli as a user runs it: outputs for good input, a one-line error and a non-zero
// exit code (never a crash) for bad input.
#include "core/model.h"
#include "core/safetensors.h"
#include "test_support.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

struct CliRun {
    int exitCode = -1;
    bool crashed = false;
    QString out, err;
};

class TestCli : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_model;

    CliRun run(const QStringList& arguments) {
        QProcess process;
        process.setWorkingDirectory(m_dir.path());
        process.start(CMSTUDIO_CLI_PATH, arguments);
        if (!process.waitForFinished(120000)) {
            process.kill();
            process.waitForFinished();
        }
        CliRun result;
        result.crashed = process.exitStatus() != QProcess::NormalExit;
        result.exitCode = process.exitCode();
        result.out = QString::fromUtf8(process.readAllStandardOutput());
        result.err = QString::fromUtf8(process.readAllStandardError());
        return result;
    }

    QString writeFile(const QString& name, const QByteArray& bytes) {
        QFile file(m_dir.filePath(name));
        file.open(QIODevice::WriteOnly);
        file.write(bytes);
        return file.fileName();
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m_model = m_dir.filePath("tiny.safetensors");
        cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 3), 1).save(m_model.toStdString());
    }

    void infoPrintsTheCard() {
        const auto r = run({"info", m_model});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("Consistency model"));
        QVERIFY(r.out.contains("parameters:"));
    }

    void bundledModelsAreFoundByName() {
        const auto r = run({"info", "fashion-mnist-ect"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("resources/models/fashion-mnist-ect.safetensors"), qPrintable(r.out));
    }

    void sampleWritesAReproducibleGrid() {
        const auto a = run({"sample",    "-m",      m_model,  "-o",    "a.png",   "--n",         "6",
                            "--columns", "3",       "--seed", "4",     "--class", "1",           "--ts",
                            "0,22,39",   "--steps", "40",     "--npy", "a.npy",   "--save-each", "each"});
        QCOMPARE(a.exitCode, 0);
        QVERIFY2(a.out.contains("3 network evaluations"), qPrintable(a.out));
        const QImage grid(m_dir.filePath("a.png"));
        QCOMPARE(grid.size(), QSize(3 * 28 + 4 * 2, 2 * 28 + 3 * 2));
        QVERIFY(QFile::exists(m_dir.filePath("each/sample_seed9.png")));
        QFile npy(m_dir.filePath("a.npy"));
        QVERIFY(npy.open(QIODevice::ReadOnly));
        QCOMPARE(npy.size(), 128 + 6 * 28 * 28 * 4);
        const auto b = run({"sample", "-m", m_model, "-o", "b.png", "--n", "6", "--columns", "3", "--seed",
                            "4", "--class", "1", "--ts", "0,22,39", "--steps", "40"});
        QCOMPARE(b.exitCode, 0);
        auto hash = [&](const QString& name) {
            QFile f(m_dir.filePath(name));
            f.open(QIODevice::ReadOnly);
            return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
        };
        QCOMPARE(hash("a.png"), hash("b.png"));
    }

    void perClassGridHasARowPerClass() {
        const auto r =
            run({"sample", "-m", m_model, "-o", "classes.png", "--per-class", "4", "--save-each", "pc"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QImage(m_dir.filePath("classes.png")).size(), QSize(4 * 28 + 5 * 2, 3 * 28 + 4 * 2));
        // Image 5 is class 1 with seed 5: the same as asking for class 1 directly.
        const auto one =
            run({"sample", "-m", m_model, "-o", "one.png", "--n", "1", "--seed", "5", "--class", "1"});
        QCOMPARE(one.exitCode, 0);
        QCOMPARE(QImage(m_dir.filePath("one.png")).copy(2, 2, 28, 28),
                 QImage(m_dir.filePath("pc/sample_seed5.png")));
    }

    void trainsOnAColourFolderAndResumes() {
        QDir(m_dir.path()).mkpath("colour/red");
        QDir(m_dir.path()).mkpath("colour/blue");
        for (int i = 0; i < 6; ++i) {
            QImage image(40 + i, 36, QImage::Format_RGB32);
            image.fill(i % 2 ? QColor(200, 30 + 20 * i, 40) : QColor(30, 60, 220 - 10 * i));
            QVERIFY(
                image.save(m_dir.filePath(QString("colour/%1/%2.png").arg(i % 2 ? "red" : "blue").arg(i))));
        }
        writeFile("colour/red/broken.png", "not a png");
        const QStringList args{"train",        "--mode",
                               "ict",          "--data",
                               "colour",       "--conditional",
                               "--image-size", "32",
                               "--channels",   "3",
                               "--base-width", "16",
                               "--res-blocks", "1",
                               "--batch",      "4",
                               "--steps",      "2",
                               "-o",           "colour.safetensors"};
        const auto first = run(args);
        QCOMPARE(first.exitCode, 0);
        QVERIFY2(first.err.contains("skipped 1 unreadable file") && first.err.contains("broken.png"),
                 qPrintable(first.err));
        const auto info = run({"info", "colour.safetensors"});
        QVERIFY2(info.out.contains("32x32") && info.out.contains("attention at 8") &&
                     info.out.contains("blue, red"),
                 qPrintable(info.out));
        // Without --resume an existing run is not overwritten; with it, training continues.
        QCOMPARE(run(args).exitCode, 1);
        auto more = args;
        more[more.indexOf("--steps") + 1] = "4";
        const auto resumed = run(more + QStringList{"--resume"});
        QCOMPARE(resumed.exitCode, 0);
        QVERIFY(run({"info", "colour.safetensors"}).out.contains("Training steps: 4"));

        // --hold-out K leaves out every K-th image (the split the tests evaluate on) and says so in the card.
        auto heldOut = args;
        heldOut[heldOut.indexOf("-o") + 1] = "held.safetensors";
        const auto split = run(heldOut + QStringList{"--hold-out", "3"});
        QCOMPARE(split.exitCode, 0);
        QVERIFY2(split.err.contains("4 items"), qPrintable(split.err));
        const auto card = run({"info", "held.safetensors"}).out;
        QVERIFY2(card.contains("[without every 3rd item]"), qPrintable(card));
    }

    // A small real training run that saves a checkpoint at every step (the file is several MB, so a save
    // takes long enough to be caught in the middle).
    QStringList checkpointingRun(const QString& out, long steps) {
        return {"train",        "--mode",  "ict", "--data", "fashion-mnist", "--limit",  "256",
                "--base-width", "32",      "--res-blocks", "1", "--batch", "4", "--steps", QString::number(steps),
                "--checkpoint-every", "1", "--log-every", "1", "--threads", "1", "-o", out};
    }

    QStringList temporaries(const QString& prefix) {
        return QDir(m_dir.path()).entryList({prefix + ".tmp-*"}, QDir::Files);
    }

    void killDuringCheckpointKeepsTheLastGood() {
        const QString out = "killed.safetensors", ckpt = out + ".ckpt";
        int killedMidSave = 0;
        long lastStep = 0;
        for (int round = 0; round < 5; ++round) {
            QProcess trainer;
            trainer.setWorkingDirectory(m_dir.path());
            QStringList args = checkpointingRun(out, 100000);
            if (round > 0) args << "--resume";
            trainer.start(CMSTUDIO_CLI_PATH, args);
            QVERIFY(trainer.waitForStarted());
            // Wait for a save in progress (its temporary file appears), then kill -9 at once.
            QElapsedTimer timer;
            timer.start();
            bool sawTemporary = false;
            while (timer.elapsed() < 60000 && trainer.state() == QProcess::Running) {
                if (QFile::exists(m_dir.filePath(ckpt)) && !temporaries(ckpt).isEmpty()) {
                    sawTemporary = true;
                    break;
                }
                QThread::usleep(200);
            }
            trainer.kill();
            trainer.waitForFinished();
            QVERIFY2(sawTemporary, qPrintable(QString::fromUtf8(trainer.readAllStandardError())));
            killedMidSave += !temporaries(ckpt).isEmpty(); // the kill landed before the rename
            // The checkpoint is whole: every tensor parses and the step only moves forward.
            const auto file = cm::readSafetensors(m_dir.filePath(ckpt).toStdString());
            const long step = std::stol(file.metadata.at("step"));
            QVERIFY(step >= lastStep);
            lastStep = step;
        }
        QVERIFY2(killedMidSave >= 3, qPrintable(QString("only %1 of 5 kills landed mid-save").arg(killedMidSave)));
        // Resuming continues from the last good checkpoint and clears the dead processes' temporaries.
        const auto resumed = run(checkpointingRun(out, lastStep + 2) << "--resume");
        QCOMPARE(resumed.exitCode, 0);
        QVERIFY2(temporaries(ckpt).isEmpty(), qPrintable(temporaries(ckpt).join(' ')));
        QVERIFY(run({"info", out}).out.contains(QString("Training steps: %1").arg(lastStep + 2)));
    }

    void fullDiskDuringCheckpointKeepsTheLastGood() {
        const QString out = "full.safetensors", ckpt = out + ".ckpt";
        QCOMPARE(run(checkpointingRun(out, 3)).exitCode, 0);
        QFile good(m_dir.filePath(ckpt));
        QVERIFY(good.open(QIODevice::ReadOnly));
        const QByteArray before = good.readAll();
        good.close();
        // A file-size limit below the checkpoint's size makes the next save fail like a full disk (EFBIG);
        // SIGXFSZ is ignored so the write returns the error instead of killing the process.
        QProcess trainer;
        trainer.setWorkingDirectory(m_dir.path());
        const QString command = QString("trap '' XFSZ; ulimit -f %1; exec \"$0\" \"$@\"").arg(before.size() / 2048);
        trainer.start("bash", QStringList{"-c", command, CMSTUDIO_CLI_PATH} + checkpointingRun(out, 6) << "--resume");
        QVERIFY(trainer.waitForFinished(120000));
        const QString err = QString::fromUtf8(trainer.readAllStandardError());
        QCOMPARE(trainer.exitStatus(), QProcess::NormalExit);
        QCOMPARE(trainer.exitCode(), 1);
        const QString last = err.trimmed().section('\n', -1);
        QVERIFY2(last.startsWith("cmstudio-cli train: I/O error: cannot write " + ckpt) &&
                     last.contains("File too large"),
                 qPrintable(err));
        QVERIFY(good.open(QIODevice::ReadOnly));
        QVERIFY(good.readAll() == before); // untouched
        QVERIFY(temporaries(ckpt).isEmpty());
    }

    void editsWriteNextToTheInputAndKeepWhatTheyMust() {
        // A real 28x28 input and a mask; the tiny model is untrained, the projection is exact regardless.
        QImage input(28, 28, QImage::Format_Grayscale8);
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                input.setPixel(x, y, qRgb(x * 9, x * 9, x * 9));
        QVERIFY(input.save(m_dir.filePath("in.png")));
        QImage mask(28, 28, QImage::Format_Grayscale8);
        mask.fill(Qt::black);
        for (int y = 10; y < 18; ++y)
            for (int x = 10; x < 18; ++x)
                mask.setPixel(x, y, qRgb(255, 255, 255));
        QVERIFY(mask.save(m_dir.filePath("mask.png")));
        const auto r = run({"edit", "inpaint", "-m", m_model, "--image", "in.png", "--mask", "mask.png",
                            "--sigmas", "80,2", "--class", "1"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("in-inpaint.png") && r.out.contains("2 network evaluations"), qPrintable(r.out));
        const QImage out(m_dir.filePath("in-inpaint.png"));
        int changedOutside = 0, changedInside = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                const bool inside = x >= 10 && x < 18 && y >= 10 && y < 18;
                const bool changed = qGray(out.pixel(x, y)) != qGray(input.pixel(x, y));
                (inside ? changedInside : changedOutside) += changed;
            }
        QCOMPARE(changedOutside, 0);
        QVERIFY(changedInside > 10);
        // The same command again refuses to overwrite the result.
        const auto again = run({"edit", "inpaint", "-m", m_model, "--image", "in.png", "--mask", "mask.png"});
        QCOMPARE(again.exitCode, 2);
        QVERIFY(again.err.contains("--overwrite"));
        // Super-resolution of a 7x7 input keeps its pixels as the 4x4 patch means.
        QImage low(7, 7, QImage::Format_Grayscale8);
        for (int y = 0; y < 7; ++y)
            for (int x = 0; x < 7; ++x)
                low.setPixel(x, y, qRgb(30 * y, 30 * y, 30 * y));
        QVERIFY(low.save(m_dir.filePath("low.png")));
        QCOMPARE(run({"edit", "superres", "-m", m_model, "--image", "low.png", "--factor", "4"}).exitCode, 0);
        const QImage up(m_dir.filePath("low-superres.png"));
        QCOMPARE(up.size(), QSize(28, 28));
        for (int py = 0; py < 7; ++py) {
            double sum = 0;
            for (int y = 4 * py; y < 4 * py + 4; ++y)
                for (int x = 0; x < 4; ++x)
                    sum += qGray(up.pixel(x, y));
            QVERIFY2(std::abs(sum / 16 - 30 * py) <= 1.0, qPrintable(QString::number(sum / 16)));
        }
        // Denoising writes the noisy input next to the result.
        QCOMPARE(run({"edit", "denoise", "-m", m_model, "--image", "in.png", "--add-noise", "0.3"}).exitCode, 0);
        QVERIFY(QFile::exists(m_dir.filePath("in-denoise-input.png")));
        QVERIFY(QFile::exists(m_dir.filePath("in-denoise.png")));
    }

    void interpolationStripEndsAtTheSeedsSamples() {
        const auto r = run({"interpolate", "-m", m_model, "--seed-a", "5", "--seed-b", "6", "--frames", "4",
                            "--class", "2", "-o", "strip.png"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QImage(m_dir.filePath("strip.png")).size(), QSize(4 * 28 + 5 * 2, 28 + 2 * 2));
        QCOMPARE(run({"sample", "-m", m_model, "--n", "2", "--seed", "5", "--class", "2", "-o", "ab.png",
                      "--save-each", "ab"}).exitCode, 0);
        QCOMPARE(QImage(m_dir.filePath("strip-frames/frame000.png")), QImage(m_dir.filePath("ab/sample_seed5.png")));
        QCOMPARE(QImage(m_dir.filePath("strip-frames/frame003.png")), QImage(m_dir.filePath("ab/sample_seed6.png")));
    }

    void annotateSetsTheCardAndNothingElse() {
        const QString copy = m_dir.filePath("annotated.safetensors");
        QFile::remove(copy);
        QVERIFY(QFile::copy(m_model, copy));
        const auto r = run({"annotate", copy, "--dataset", "my drawings", "--notes", "CC-BY 4.0, by me"});
        QCOMPARE(r.exitCode, 0);
        const auto info = run({"info", copy}).out;
        QVERIFY2(info.contains("Data set: my drawings") && info.contains("Notes: CC-BY 4.0, by me"), qPrintable(info));
        const auto before = cm::readSafetensors(m_model.toStdString()), after = cm::readSafetensors(copy.toStdString());
        QCOMPARE(after.tensors.size(), before.tensors.size());
        for (const auto& [name, record] : before.tensors)
            QVERIFY(after.tensors.at(name).bytes == record.bytes);
        QCOMPARE(run({"annotate", m_dir.filePath("text.safetensors"), "--notes", "x"}).exitCode, 1);
    }

    void badInputGetsOneLineAndNoCrash_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("mention");
        QTest::newRow("no command") << QStringList{} << 2 << "--help' lists";
        QTest::newRow("unknown command") << QStringList{"paint"} << 2 << "unknown command 'paint'";
        QTest::newRow("unknown option") << QStringList{"sample", "--frobnicate"} << 2 << "frobnicate";
        QTest::newRow("missing model")
            << QStringList{"info", "nowhere.safetensors"} << 1 << "nowhere.safetensors";
        QTest::newRow("text file as model")
            << QStringList{"info", "text.safetensors"} << 1 << "text.safetensors";
        QTest::newRow("truncated model") << QStringList{"info", "cut.safetensors"} << 1 << "cut.safetensors";
        QTest::newRow("bad ts") << QStringList{"sample", "-m", "tiny.safetensors", "--ts", "0,99"} << 1
                                << "ts index 99";
        QTest::newRow("ts not a number")
            << QStringList{"sample", "-m", "tiny.safetensors", "--ts", "0,x"} << 2 << "'x'";
        QTest::newRow("class out of range")
            << QStringList{"sample", "-m", "tiny.safetensors", "--class", "7"} << 1 << "class 7";
        QTest::newRow("unknown sampler")
            << QStringList{"sample", "-m", "tiny.safetensors", "--sampler", "fast"} << 1
            << "unknown sampler 'fast'";
        QTest::newRow("heun on consistency")
            << QStringList{"sample", "-m", "tiny.safetensors", "--sampler", "heun"} << 1 << "heun";
        QTest::newRow("bad output type")
            << QStringList{"sample", "-m", "tiny.safetensors", "-o", "grid.bmpx"} << 2 << "grid.bmpx";
        QTest::newRow("negative count")
            << QStringList{"sample", "-m", "tiny.safetensors", "--n", "-3"} << 2 << "--n";
        QTest::newRow("missing data set")
            << QStringList{"train", "-o", "x.safetensors", "--data", "fashion-mnist:/nonexistent"} << 1
            << "/nonexistent";
        QTest::newRow("empty image folder")
            << QStringList{"train", "-o", "x.safetensors", "--data", "emptydir"} << 1 << "emptydir";
        QTest::newRow("lpips metric")
            << QStringList{"train", "-o", "x.safetensors", "--metric", "lpips"} << 1 << "LPIPS";
        QTest::newRow("unknown mode")
            << QStringList{"train", "-o", "x.safetensors", "--mode", "gan"} << 1 << "'gan'";
        QTest::newRow("edit: mask of another size")
            << QStringList{"edit", "inpaint", "-m", "tiny.safetensors", "--image", "img28.png", "--mask", "img32.png",
                           "-o", "e1.png"}
            << 1 << "the mask img32.png is 32x32";
        QTest::newRow("edit: empty mask")
            << QStringList{"edit", "inpaint", "-m", "tiny.safetensors", "--image", "img28.png", "--mask", "black28.png",
                           "-o", "e2.png"}
            << 1 << "the mask is empty";
        QTest::newRow("edit: image of another size")
            << QStringList{"edit", "stroke", "-m", "tiny.safetensors", "--image", "img32.png", "-o", "e3.png"} << 1
            << "pass --fit";
        QTest::newRow("edit: colorize on a grey model")
            << QStringList{"edit", "colorize", "-m", "tiny.safetensors", "--image", "img28.png", "-o", "e4.png"} << 1
            << "needs an RGB model";
        QTest::newRow("edit: factor not dividing")
            << QStringList{"edit", "superres", "-m", "tiny.safetensors", "--image", "img28.png", "--factor", "8",
                           "-o", "e5.png"}
            << 1 << "does not divide";
        QTest::newRow("edit: bad factor")
            << QStringList{"edit", "superres", "-m", "tiny.safetensors", "--image", "img28.png", "--factor", "3",
                           "-o", "e6.png"}
            << 2 << "2, 4 or 8";
        QTest::newRow("edit: not an image")
            << QStringList{"edit", "stroke", "-m", "tiny.safetensors", "--image", "text.safetensors", "-o", "e7.png"}
            << 1 << "text.safetensors";
        QTest::newRow("edit: unknown task")
            << QStringList{"edit", "sharpen", "-m", "tiny.safetensors", "--image", "img28.png", "-o", "e8.png"} << 1
            << "sharpen";
        QTest::newRow("edit: denoise without sigma")
            << QStringList{"edit", "denoise", "-m", "tiny.safetensors", "--image", "img28.png", "-o", "e9.png"} << 2
            << "--sigma";
        QTest::newRow("interpolate: one frame")
            << QStringList{"interpolate", "-m", "tiny.safetensors", "--frames", "1", "-o", "i.png"} << 2 << "--frames";
        QTest::newRow("eval: model without evaluator")
            << QStringList{"eval", "-m", "tiny.safetensors"} << 2 << "--evaluator";
        QTest::newRow("eval: model as evaluator")
            << QStringList{"eval", "-m", "tiny.safetensors", "-e", "tiny.safetensors", "--n", "10"} << 1
            << "cmstudio-model";
        QTest::newRow("unknown bundled model name")
            << QStringList{"sample", "-m", "no-such-model", "-o", "u.png"} << 1 << "searched";
        QTest::newRow("hold-out of one")
            << QStringList{"train", "-o", "x.safetensors", "--data", "fashion-mnist", "--hold-out", "1"} << 2
            << "K >= 2";
        QTest::newRow("cd without teacher")
            << QStringList{"train",   "-o", "x.safetensors", "--mode", "cd", "--data", "fashion-mnist",
                           "--limit", "10"}
            << 1 << "teacher";
    }
    void badInputGetsOneLineAndNoCrash() {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, mention);
        writeFile("text.safetensors", "this is not a model\n");
        QFile model(m_model);
        QVERIFY(model.open(QIODevice::ReadOnly));
        writeFile("cut.safetensors", model.read(model.size() / 2));
        QDir(m_dir.path()).mkpath("emptydir");
        QImage(28, 28, QImage::Format_Grayscale8).save(m_dir.filePath("img28.png"));
        QImage(32, 32, QImage::Format_Grayscale8).save(m_dir.filePath("img32.png"));
        QImage black(28, 28, QImage::Format_Grayscale8);
        black.fill(Qt::black);
        black.save(m_dir.filePath("black28.png"));
        const auto r = run(arguments);
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, exitCode);
        // The error is one line, the last one (progress lines may come before it), with no stack trace.
        const QString last = r.err.trimmed().section('\n', -1);
        QVERIFY2(last.contains(mention), qPrintable(r.err));
        if (exitCode == 1) QVERIFY2(last.startsWith("cmstudio-cli "), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
