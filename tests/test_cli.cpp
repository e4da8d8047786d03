// Tests app/cmstudio-cli as a user runs it: outputs for good input, a one-line error and a non-zero
// exit code (never a crash) for bad input.
#include "core/dataset.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "corrupt_models.h"
#include "cli_runner.h"
#include "test_support.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using cmtest::CliRun;

class TestCli : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_model;

    CliRun run(const QStringList& arguments) { return cmtest::runCli(arguments, m_dir.path(), 120000); }

    // The last line of stderr: one line, short, without terminal controls, naming `file` and `mention`.
    static void checkOneLineError(const CliRun& r, const QString& file, const QString& mention) {
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 1);
        const QString last = r.lastErrorLine();
        QVERIFY2(last.startsWith("cmstudio-cli ") && last.contains(file) && last.contains(mention),
                 qPrintable(r.err.left(1000)));
        QVERIFY2(last.size() < 1000, qPrintable(last.left(1000)));
        for (const QChar c : r.err)
            QVERIFY2(c.unicode() >= 0x20 || c == '\n' || c == '\r', qPrintable(r.err.left(1000)));
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

    // --precision on every command; info says what the networks compute in. On a CPU without bfloat16
    // (forced here with CMSTUDIO_DISABLE_BF16) a bf16 request says so and computes in float32.
    void precisionOption() {
        auto r = run({"info", m_model, "--precision", "fp32"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("compute: float32 (asked for)"), qPrintable(r.out));
        QVERIFY(r.err.isEmpty());
        r = run({"info", "--precision=auto", m_model});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains(QRegularExpression("compute: (bfloat16|float32) \\(")), qPrintable(r.out));
        r = run({"info", m_model, "--precision", "fp16"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("unknown precision 'fp16' (auto, fp32 or bf16)"), qPrintable(r.err));
        r = run({"info", m_model, "--precision"});
        QCOMPARE(r.exitCode, 2);

        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CMSTUDIO_DISABLE_BF16", "1");
        r = cmtest::runCli({"sample", "-m", m_model, "-o", "fallback.png", "--n", "2", "--precision", "bf16"},
                           m_dir.path(), 120000, env);
        QVERIFY(!r.crashed);
        const QString err = r.err;
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(err.contains("bfloat16 was asked for, but bfloat16 disabled by CMSTUDIO_DISABLE_BF16: computing in float32"),
                 qPrintable(err));
        QVERIFY(QFileInfo::exists(m_dir.filePath("fallback.png")));
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
        // The last level, sigma_min, is the identity for a consistency model: two evaluations, as published.
        QVERIFY2(a.out.contains("2 network evaluations"), qPrintable(a.out));
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
        // A file-size limit below the checkpoint's size makes the next save fail like a full disk (EFBIG).
        // The limit's signal, SIGXFSZ, once killed the trainer without a word; the CLI ignores it.
        QProcess trainer;
        trainer.setWorkingDirectory(m_dir.path());
        const QString command = QString("ulimit -f %1; exec \"$0\" \"$@\"").arg(before.size() / 2048);
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

    void publishedCheckpointsOpenWithForwardInfoAndConvert() {
        // A small ADM UNet in OpenAI's .pt layout and as a diffusers folder, from the plain-PyTorch twin.
        const QString twin = m_dir.filePath("twin");
        QProcess python;
        python.start("/usr/bin/python3", {QString(CMSTUDIO_SOURCE_DIR) + "/tests/published/adm_twin.py", twin,
                                          "--config", "small-cond", "--name", "cd_imagenet64_l2", "--sigmas", "1.4"});
        QVERIFY(python.waitForFinished(600000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const QString pt = twin + "/cd_imagenet64_l2.pt", folder = twin + "/cd_imagenet64_l2-diffusers";

        auto info = run({"info", pt, "--image-size", "32", "--head-channels", "16"});
        QCOMPARE(info.exitCode, 0);
        QVERIFY2(info.out.contains("ADM U-Net") && info.out.contains("ts 0,22,39 on 40 steps") &&
                     info.out.contains("preset cd_imagenet64_l2") && info.out.contains("10 classes (label_emb"),
                 qPrintable(info.out));
        info = run({"info", folder});
        QCOMPARE(info.exitCode, 0);
        QVERIFY2(info.out.contains("diffusers folder") && info.out.contains("40 steps"), qPrintable(info.out));

        // forward on both layouts reproduces the twin's output.
        for (const QString& model : {pt, folder}) {
            const QString out = m_dir.filePath(QFileInfo(model).fileName() + "-y.npy");
            const auto r = run({"forward", "-m", model, "--input", twin + "/input.npy", "--sigma", "1.4", "--classes",
                                "7,8,9", "--image-size", "32", "--head-channels", "16", "-o", out});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            const auto ours = cm::readNpy(out.toStdString());
            const auto reference = cm::readNpy((twin + "/output0.npy").toStdString());
            QCOMPARE(ours.shape, reference.shape);
            double worst = 0;
            for (std::size_t i = 0; i < ours.values.size(); ++i)
                worst = std::max(worst, double(std::abs(ours.values[i] - reference.values[i])));
            QVERIFY2(worst < 1e-4, qPrintable(QString("max difference %1").arg(worst)));
            QCOMPARE(run({"forward", "-m", model, "--input", twin + "/input.npy", "--sigma", "1.4", "--classes", "7",
                          "--image-size", "32", "--head-channels", "16", "-o", out})
                         .exitCode,
                     2); // an existing output needs --overwrite
        }

        // convert writes a CM Studio model with the card; it samples with the recommended schedule.
        const QString converted = m_dir.filePath("cd64.safetensors");
        auto r = run({"convert", pt, converted, "--image-size", "32", "--head-channels", "16", "--fp16"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("assumed:") && r.out.contains("float16"), qPrintable(r.out));
        info = run({"info", converted});
        QVERIFY2(info.out.contains("Preset: cd_imagenet64_l2") && info.out.contains("Licence: MIT"), qPrintable(info.out));
        r = run({"sample", "-m", converted, "--recommended", "--n", "2", "--class", "3", "-o", "published.png"});
        QVERIFY2(r.exitCode == 0 && r.out.contains("2 network evaluations"), qPrintable(r.out + r.err));
        QVERIFY(QImage(m_dir.filePath("published.png")).width() >= 64);
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
        // A searched schedule becomes the card's recommended one (the app preselects it); a bad one is
        // refused and leaves the file as it was.
        QCOMPARE(run({"annotate", copy, "--recommended-sigmas", "80,1.5"}).exitCode, 0);
        QVERIFY(run({"info", copy}).out.contains("Recommended schedule: sigmas 80,1.5"));
        QCOMPARE(run({"sample", "-m", copy, "--recommended", "-o", m_dir.filePath("recommended.png"),
                      "--overwrite"}).exitCode,
                 0);
        const auto readAll = [](const QString& path) {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };
        const QByteArray annotated = readAll(copy);
        QCOMPARE(run({"annotate", copy, "--recommended-sigmas", "1,5"}).exitCode, 2);
        QCOMPARE(run({"annotate", copy, "--recommended-sigmas", "80,0.0001"}).exitCode, 2);
        QCOMPARE(readAll(copy), annotated);
    }

    // DEADiff's style world on the real data: a reproducible grid of pairs, rows of three relations.
    void styleDataWritesAReproducibleGrid() {
        const QString font = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";
        if (!QFileInfo::exists(font) || !QFileInfo(QString::fromStdString(cm::defaultFashionMnistDirectory())).isDir())
            QSKIP("fonts-noto-color-emoji or dataset-fashion-mnist is not installed");
        QProcess script;
        script.start("bash", {QString(CMSTUDIO_SOURCE_DIR) + "/scripts/make-emoji-folder.sh", m_dir.filePath("emoji")});
        QVERIFY(script.waitForFinished(120000));
        QCOMPARE(script.exitCode(), 0);
        const auto a = run({"style-data", "-o", "pairs-a.png", "--n", "6", "--pairs", "--seed", "3", "--emoji", "emoji"});
        QCOMPARE(a.exitCode, 0);
        QVERIFY2(a.out.contains("row 1 same-style: prompt '") && a.out.contains("row 1 same-content") &&
                     a.out.contains("row 1 identical"),
                 qPrintable(a.out));
        QCOMPARE(QImage(m_dir.filePath("pairs-a.png")).size(), QSize(6 * 32 + 7 * 2, 2 * 32 + 3 * 2));
        const auto b = run({"style-data", "-o", "pairs-b.png", "--n", "6", "--pairs", "--seed", "3", "--emoji", "emoji"});
        QCOMPARE(b.exitCode, 0);
        QCOMPARE(QImage(m_dir.filePath("pairs-b.png")), QImage(m_dir.filePath("pairs-a.png")));
        const auto again = run({"style-data", "-o", "pairs-a.png", "--emoji", "emoji"});
        QCOMPARE(again.exitCode, 2); // an existing grid is kept without --overwrite
        const auto dresses = run({"style-data", "-o", "dresses.png", "--n", "8", "--prompt", "a dress", "--held-out", "--emoji", "emoji"});
        QCOMPARE(dresses.exitCode, 0);
        QVERIFY2(dresses.out.contains("10000 garments"), qPrintable(dresses.out)); // the test split
        QCOMPARE(QImage(m_dir.filePath("dresses.png")).size(), QSize(8 * 32 + 9 * 2, 32 + 2 * 2));
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
            << "img32.png is 32x32; this needs 28x28 (fit it";
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
        QTest::newRow("style-data: unknown prompt")
            << QStringList{"style-data", "-o", "s1.png", "--prompt", "giraffe"} << 1 << "'giraffe'; the vocabulary: t-shirt";
        QTest::newRow("style-data: missing emoji folder")
            << QStringList{"style-data", "-o", "s2.png", "--emoji", "/nonexistent/emoji"} << 1 << "/nonexistent/emoji";
        QTest::newRow("style-data: emoji folder without images")
            << QStringList{"style-data", "-o", "s3.png", "--emoji", "emptydir"} << 1 << "emptydir";
        QTest::newRow("style-data: missing Fashion-MNIST")
            << QStringList{"style-data", "-o", "s4.png", "--fashion", "/nonexistent/fashion"} << 1 << "/nonexistent/fashion";
        QTest::newRow("style-data: prompt with pairs")
            << QStringList{"style-data", "-o", "s5.png", "--prompt", "dress", "--pairs"} << 2 << "--prompt";
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
        const QString last = r.lastErrorLine();
        QVERIFY2(last.contains(mention), qPrintable(r.err));
        if (exitCode == 1) QVERIFY2(last.startsWith("cmstudio-cli "), qPrintable(r.err));
    }

    // Every class of corrupt model a robustness campaign found: `info` and `sample` refuse it with one
    // short line naming the file and the problem, write nothing, and never crash.
    void corruptModelsAreRefusedInOneLine_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("mention");
        QFile model(m_model);
        QVERIFY(model.open(QIODevice::ReadOnly));
        const QByteArray valid = model.readAll();
        for (const auto& corrupt : cmtest::corruptModels(std::vector<uint8_t>(valid.begin(), valid.end()))) {
            const QString name = QString::fromStdString(corrupt.name) + ".safetensors";
            QVERIFY(writeFile(name, QByteArray(reinterpret_cast<const char*>(corrupt.bytes.data()),
                                               qsizetype(corrupt.bytes.size())))
                        .size() > 0);
            QTest::newRow(corrupt.name.c_str()) << name << QString::fromStdString(corrupt.mention);
        }
    }
    void corruptModelsAreRefusedInOneLine() {
        QFETCH(QString, file);
        QFETCH(QString, mention);
        checkOneLineError(run({"info", file}), file, mention);
        const QString out = "from-" + QFileInfo(file).completeBaseName() + ".png";
        checkOneLineError(run({"sample", "-m", file, "-o", out}), file, mention);
        QVERIFY(!QFile::exists(m_dir.filePath(out)));
    }

    // Weights of 1e30 are finite, so the file loads, but the samples overflow: once "wrote 4 images" of
    // black, exit 0. Now an error, and no image.
    void overflowingWeightsGiveAnErrorNotABlackImage() {
        auto file = cm::readSafetensors(m_model.toStdString());
        for (auto& [name, record] : file.tensors) {
            if (record.dtype != cm::DType::F32) continue;
            auto* values = reinterpret_cast<float*>(record.bytes.data());
            std::fill(values, values + record.elementCount(), 1e30f);
        }
        const QString huge = m_dir.filePath("huge-weights.safetensors");
        cm::writeSafetensors(huge.toStdString(), file);
        QCOMPARE(run({"info", huge}).exitCode, 0);
        const auto r = run({"sample", "-m", huge, "--n", "4", "-o", "black.png"});
        checkOneLineError(r, huge, "NaN or infinite");
        QVERIFY(r.err.contains("numeric error"));
        QVERIFY(!QFile::exists(m_dir.filePath("black.png")));
    }

    // `info` prints what a card says; text from the file is escaped and bounded on the terminal too.
    void infoEscapesAndBoundsTheCardsText() {
        auto file = cm::readSafetensors(m_model.toStdString());
        file.metadata["notes"] = "\x1b]0;owned\x07\x1b[2J" + std::string(10 << 20, 'n');
        file.metadata["dataset"] = "line one\nline two";
        const QString hostile = m_dir.filePath("hostile-notes.safetensors");
        cm::writeSafetensors(hostile.toStdString(), file);
        const auto r = run({"info", hostile});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.size() < 10000, qPrintable(QString::number(r.out.size())));
        QVERIFY2(r.out.contains("Notes: \\x1b]0;owned\\x07\\x1b[2Jnnnn") &&
                     r.out.contains("nnn... (10485774 bytes)"),
                 qPrintable(r.out.left(2000)));
        QVERIFY2(r.out.contains("Data set: line one\\nline two\n"), qPrintable(r.out.left(2000)));
        QVERIFY(!r.out.contains(QChar(0x1b)));
    }

    // A 1 GB file that is no model is refused after its first bytes (it was read whole: 3 GB, 12 s).
    void aLargeNonModelIsRefusedUnread() {
        QFile big(m_dir.filePath("video.safetensors"));
        QVERIFY(big.open(QIODevice::WriteOnly));
        big.write("RIFF\x10\0\0\0AVI LIST");
        QVERIFY(big.resize(qint64(1) << 30));
        big.close();
        QElapsedTimer timer;
        timer.start();
        checkOneLineError(run({"info", big.fileName()}), big.fileName(), "header length");
        QVERIFY2(timer.elapsed() < 20000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(big.remove());
    }

    // sample, like edit and interpolate, replaces an existing file only with --overwrite, and checks
    // every output before sampling.
    void sampleNeverOverwritesUnasked() {
        const auto hashOf = [&](const QString& name) {
            QFile f(m_dir.filePath(name));
            return f.open(QIODevice::ReadOnly)
                       ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                       : QByteArray();
        };
        writeFile("taken.png", "keep me");
        writeFile("taken.npy", "keep me too");
        QDir(m_dir.path()).mkpath("taken-each");
        writeFile("taken-each/sample_seed2.png", "and me");
        const QByteArray png = hashOf("taken.png"), npy = hashOf("taken.npy"),
                         each = hashOf("taken-each/sample_seed2.png");
        const QStringList base{"sample", "-m", m_model, "--n", "3", "--class", "1"};
        auto r = run(base + QStringList{"-o", "taken.png"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("'taken.png' exists; pass --overwrite"), qPrintable(r.err));
        r = run(base + QStringList{"-o", "new1.png", "--npy", "taken.npy"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("taken.npy"), qPrintable(r.err));
        r = run(base + QStringList{"-o", "new2.png", "--save-each", "taken-each"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("sample_seed2.png"), qPrintable(r.err));
        // Nothing was written by the refused runs.
        QCOMPARE(hashOf("taken.png"), png);
        QCOMPARE(hashOf("taken.npy"), npy);
        QCOMPARE(hashOf("taken-each/sample_seed2.png"), each);
        QVERIFY(!QFile::exists(m_dir.filePath("new1.png")) && !QFile::exists(m_dir.filePath("new2.png")));
        QVERIFY(!QFile::exists(m_dir.filePath("taken-each/sample_seed0.png")));
        // Asked to, it replaces them all.
        r = run(base + QStringList{"-o", "taken.png", "--npy", "taken.npy", "--save-each", "taken-each",
                                   "--overwrite"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QImage(m_dir.filePath("taken-each/sample_seed2.png")).size(), QSize(28, 28));
        QVERIFY(hashOf("taken.npy") != npy);
    }

    void interpolateChecksEveryFrameBeforeWriting() {
        QDir(m_dir.path()).mkpath("busy-frames");
        writeFile("busy-frames/frame002.png", "taken");
        const auto r = run({"interpolate", "-m", m_model, "--frames", "4", "--class", "1", "-o", "busy.png"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("frame002.png"), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath("busy.png"))); // the strip was once written before the error
        QCOMPARE(QDir(m_dir.filePath("busy-frames")).entryList(QDir::Files), QStringList{"frame002.png"});
    }

    void denoiseWritesNothingForASigmaOutOfRange() {
        QImage(28, 28, QImage::Format_Grayscale8).save(m_dir.filePath("quiet.png"));
        const auto r = run({"edit", "denoise", "-m", m_model, "--image", "quiet.png", "--add-noise", "100"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("outside the model's range"), qPrintable(r.err));
        // The noisy input was once written before sigma was checked.
        QVERIFY(!QFile::exists(m_dir.filePath("quiet-denoise-input.png")));
        QVERIFY(!QFile::exists(m_dir.filePath("quiet-denoise.png")));
    }

    void editRefusesAWrongSizeBeforeDecoding() {
        // A 10000 x 10000 16-bit RGBA header (the image data is not there): the size is refused from the
        // header; decoding it would take 763 MB (once 3.2 GB with --fit).
        QImage small(8, 8, QImage::Format_RGBA64);
        small.fill(Qt::red);
        QVERIFY(small.save(m_dir.filePath("bomb.png")));
        QFile bomb(m_dir.filePath("bomb.png"));
        QVERIFY(bomb.open(QIODevice::ReadWrite));
        QByteArray bytes = bomb.readAll();
        QCOMPARE(int(uchar(bytes[24])), 16);
        const char side[4] = {0x00, 0x00, 0x27, 0x10};
        bytes.replace(16, 4, side, 4).replace(20, 4, side, 4);
        bomb.seek(0);
        bomb.write(bytes);
        bomb.close();
        auto r = run({"edit", "stroke", "-m", m_model, "--image", "bomb.png", "-o", "b1.png"});
        checkOneLineError(r, "bomb.png", "763 MB");
        r = run({"edit", "stroke", "-m", m_model, "--image", "bomb.png", "--fit", "-o", "b2.png"});
        checkOneLineError(r, "bomb.png", "763 MB");
        // Without --fit, a wrong size is said from the header, before decoding (here: a damaged image).
        QImage(100, 100, QImage::Format_Grayscale8).save(m_dir.filePath("wide.png"));
        QFile wide(m_dir.filePath("wide.png"));
        QVERIFY(wide.open(QIODevice::ReadWrite));
        QVERIFY(wide.resize(60)); // the header and a cut-off IDAT
        wide.close();
        r = run({"edit", "stroke", "-m", m_model, "--image", "wide.png", "-o", "b3.png"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("wide.png is 100x100; this needs 28x28"), qPrintable(r.err));
    }

    // train once replaced an existing --out silently, and took the teacher, checkpoint or log for it.
    void trainNeverDestroysAModel() {
        const auto hashOf = [&](const QString& path) {
            QFile f(path);
            return f.open(QIODevice::ReadOnly)
                       ? QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                       : QByteArray();
        };
        QVERIFY(QFile::copy(m_model, m_dir.filePath("precious.safetensors")));
        const QByteArray precious = hashOf(m_dir.filePath("precious.safetensors"));
        const QStringList tiny{"train",
                               "--data",
                               "fashion-mnist",
                               "--limit",
                               "64",
                               "--base-width",
                               "16",
                               "--res-blocks",
                               "1",
                               "--batch",
                               "2",
                               "--steps",
                               "1",
                               "--threads",
                               "1"};
        auto r = run(tiny + QStringList{"-o", "precious.safetensors"});
        checkOneLineError(r, "precious.safetensors", "already exists");
        r = run(tiny + QStringList{"-o", "other.safetensors", "--checkpoint", "other.safetensors"});
        checkOneLineError(r, "other.safetensors", "the same file");
        r = run(tiny + QStringList{"-o", "other.safetensors", "--log", "./other.safetensors"});
        checkOneLineError(r, "other.safetensors", "the same file");
        r = run(tiny + QStringList{"--mode", "ect", "--teacher", "precious.safetensors", "-o",
                                   "precious.safetensors", "--overwrite"});
        checkOneLineError(r, "precious.safetensors", "the same file");
        QCOMPARE(hashOf(m_dir.filePath("precious.safetensors")), precious);
        QVERIFY(!QFile::exists(m_dir.filePath("other.safetensors")));
        // --overwrite says so: then it is replaced.
        r = run(tiny + QStringList{"-o", "precious.safetensors", "--overwrite"});
        QCOMPARE(r.exitCode, 0);
        // Resuming the finished run writes the model it reports, even when it was deleted.
        QVERIFY(QFile::remove(m_dir.filePath("precious.safetensors")));
        r = run(tiny + QStringList{"-o", "precious.safetensors", "--resume"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.contains("model written to precious.safetensors"), qPrintable(r.err));
        QVERIFY(QFile::exists(m_dir.filePath("precious.safetensors")));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
