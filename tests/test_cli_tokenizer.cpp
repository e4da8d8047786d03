// Tests cmstudio-cli tokenize and train-tokenizer (app/cli_tokenizer.cpp) as a user runs them: the code a
// user sees is the engine's code, bit for bit; decoding is seeded; every bad input (a code of the wrong
// length, non-hex text, an image of the wrong size, a generator where a tokenizer is expected and the
// reverse) is a one-line error with a non-zero exit code, never a crash.
#include "core/image_util.h"
#include "core/model.h"
#include "core/tokenizer/tokenizer.h"
#include "cli_runner.h"
#include "test_support.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using cmtest::CliRun;

QByteArray fileBytes(const QString& path) {
    QFile file(path);
    file.open(QIODevice::ReadOnly);
    return file.readAll();
}

} // namespace

class TestCliTokenizer : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_tokenizer, m_model, m_image, m_wide;

    CliRun run(const QStringList& arguments) { return cmtest::runCli(arguments, m_dir.path(), 300000); }

    // The last line of stderr: one short line naming `mention`, exit code `code`, no crash.
    static void checkOneLineError(const CliRun& r, const QString& mention, int code = 1) {
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, code);
        const QString last = r.lastErrorLine();
        QVERIFY2(last.startsWith("cmstudio-cli ") && last.contains(mention), qPrintable(r.err.left(1000)));
        QVERIFY2(last.size() < 400, qPrintable(last));
    }

    QString writeImage(const QString& name, int width, int height, unsigned seed) {
        cv::Mat image(height, width, CV_8UC1);
        cv::RNG(seed).fill(image, cv::RNG::UNIFORM, 0, 256);
        const QString path = m_dir.filePath(name);
        cm::writeImageAtomically(path.toStdString(), image);
        return path;
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        cm::TokenizerCard card;
        card.config = cm::tokenizerPreset("lo", 28, 1);
        card.config.encoderWidth = card.config.decoderWidth = 32;
        card.config.decoderDepth = 2;
        card.stages = {"1a"};
        m_tokenizer = m_dir.filePath("tok.safetensors");
        cm::Tokenizer::create(card, 1).save(m_tokenizer.toStdString());
        m_model = m_dir.filePath("model.safetensors");
        cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency), 1).save(m_model.toStdString());
        m_image = writeImage("in.png", 28, 28, 1);
        m_wide = writeImage("wide.png", 40, 32, 2);
    }

    // The printed and written code is the engine's code of the image as the file holds it.
    void encodePrintsAndWritesTheCode() {
        const auto r = run({"tokenize", "encode", "-m", m_tokenizer, "--image", m_image, "-o", "in.code"});
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0].size(), 14);
        QVERIFY2(lines[1].startsWith("55 bits"), qPrintable(lines[1]));
        QCOMPARE(QString(fileBytes(m_dir.filePath("in.code"))).trimmed(), lines[0]);
        const cm::Tokenizer tokenizer = cm::Tokenizer::load(m_tokenizer.toStdString());
        const cv::Mat image = cm::fromDisplay8U(cm::readImageFile(m_image.toStdString()));
        QCOMPARE(QString::fromStdString(cm::codeToHex(tokenizer.encode({image})[0])), lines[0]);
        // No silent overwrite of the code file.
        checkOneLineError(run({"tokenize", "encode", "-m", m_tokenizer, "--image", m_image, "-o", "in.code"}),
                          "in.code", 2);
    }

    void decodeFromHexOrFileIsSeeded() {
        const auto encoded = run({"tokenize", "encode", "-m", m_tokenizer, "--image", m_image, "-o", "d.code"});
        QCOMPARE(encoded.exitCode, 0);
        const QString hex = encoded.out.section('\n', 0, 0);
        QCOMPARE(run({"tokenize", "decode", "-m", m_tokenizer, "--code", hex, "-o", "a.png", "--steps", "3"}).exitCode, 0);
        QCOMPARE(run({"tokenize", "decode", "-m", m_tokenizer, "--code", "d.code", "-o", "b.png", "--steps", "3"}).exitCode, 0);
        QCOMPARE(run({"tokenize", "decode", "-m", m_tokenizer, "--code", hex.toUpper(), "-o", "c.png", "--steps", "3",
                      "--seed", "5"})
                     .exitCode,
                 0);
        const QByteArray a = fileBytes(m_dir.filePath("a.png"));
        QVERIFY(!a.isEmpty());
        QCOMPARE(fileBytes(m_dir.filePath("b.png")), a);
        const cv::Mat image = cm::readImageFile(m_dir.filePath("a.png").toStdString());
        QCOMPARE(image.cols, 28);
        QCOMPARE(image.channels(), 1);
        QCOMPARE(run({"tokenize", "decode", "-m", m_tokenizer, "--code", hex, "-o", "one.png", "--steps", "1"}).exitCode, 0);
    }

    void evalPrintsOneJsonLine() {
        const auto r = run({"tokenize", "eval", "-m", m_tokenizer, "--n", "8", "--steps", "2", "--batch", "3"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString line = r.out.trimmed();
        QVERIFY2(line.startsWith("{\"method\":\"flowmo\",\"images\":8,\"bits\":55,") && line.contains("\"psnr\":") &&
                     line.contains("\"class_accuracy\":") && line.endsWith("}"),
                 qPrintable(line));
        checkOneLineError(run({"tokenize", "eval", "-m", m_tokenizer, "--data", m_dir.path(), "--n", "8"}), "--hold-out", 2);
    }

    // The baselines at the tokenizer's bits, by name; each prints its method and bit count.
    void evalMeasuresTheBaselines() {
        auto r = run({"tokenize", "eval", "--baseline", "kmeans", "--bits", "hi", "--train-n", "200", "--n", "8"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.startsWith("{\"method\":\"kmeans\",\"images\":8,\"bits\":175.66") &&
                     r.out.contains("\"patch\":4,\"codebook\":12"),
                 qPrintable(r.out));
        r = run({"tokenize", "eval", "--baseline", "webp", "--n", "3", "--first", "9000"});
        QVERIFY2(r.exitCode == 0 && r.out.contains("\"recognisable\":"), qPrintable(r.err));
        QVERIFY2(r.err.contains("images 9000..9002"), qPrintable(r.err));
        checkOneLineError(run({"tokenize", "eval", "--baseline", "png", "--n", "3"}), "--baseline", 2);
        checkOneLineError(run({"tokenize", "eval", "--baseline", "mean", "-m", m_tokenizer}), "one of them", 2);
    }

    // Stage 2 end to end: a generator trained on the tokenizer's codes, images from its codes; a tokenizer
    // given as the generator and a generator as the tokenizer are one-line errors naming what the file is.
    void codeGeneratorTrainsAndGenerates() {
        auto r = run({"train-code-generator", "-m", m_tokenizer, "--limit", "64", "--steps", "3", "--width", "64",
                      "--batch", "16", "--threads", "1", "-o", "gen.safetensors"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QString(fileBytes(m_dir.filePath("gen.safetensors.csv"))).section('\n', 0, 0),
                 QString("step,samples,loss,bits_per_code,grad_norm,lr,seconds"));
        checkOneLineError(run({"train-code-generator", "-m", m_tokenizer, "--limit", "64", "--steps", "3", "--width",
                               "64", "-o", "gen.safetensors"}),
                          "already exist");
        r = run({"train-code-generator", "-m", m_tokenizer, "--limit", "64", "--steps", "5", "--width", "64", "--batch",
                 "16", "--threads", "1", "-o", "gen.safetensors", "--resume"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = run({"tokenize", "generate", "-m", m_tokenizer, "--generator", "gen.safetensors", "--class", "Trouser", "--n",
                 "4", "--steps", "2", "--seed", "3", "-o", "grid.png"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const cv::Mat grid = cm::readImageFile(m_dir.filePath("grid.png").toStdString());
        QCOMPARE(grid.cols, 2 * 28 + 3 * 2);
        checkOneLineError(run({"tokenize", "generate", "-m", m_tokenizer, "--generator", m_tokenizer, "-o", "x.png"}),
                          "this is a CM Studio tokenizer, not a code generator");
        checkOneLineError(run({"tokenize", "generate", "-m", "gen.safetensors", "--generator", "gen.safetensors", "-o",
                               "x.png"}),
                          "this is a CM Studio code generator (stage 2), not a tokenizer");
        checkOneLineError(run({"tokenize", "decode", "-m", "gen.safetensors", "--code", "00", "-o", "x.png"}),
                          "not a tokenizer");
        checkOneLineError(run({"tokenize", "generate", "-m", m_tokenizer, "--generator", "gen.safetensors", "--class",
                               "Dragon", "-o", "x.png"}),
                          "--class", 2);
        QVERIFY(!QFile::exists(m_dir.filePath("x.png")));
    }

    void badCodesAreOneLineErrors() {
        checkOneLineError(run({"tokenize", "decode", "-m", m_tokenizer, "--code", "abc", "-o", "x.png"}), "3 hex digits");
        checkOneLineError(run({"tokenize", "decode", "-m", m_tokenizer, "--code", "0123456789abcdef", "-o", "x.png"}),
                          "16 hex digits");
        checkOneLineError(run({"tokenize", "decode", "-m", m_tokenizer, "--code", "zz23456789abcd", "-o", "x.png"}),
                          "not hexadecimal");
        checkOneLineError(run({"tokenize", "decode", "-m", m_tokenizer, "--code", "0123456789abcf", "-o", "x.png"}),
                          "padding bits");
        QFile junk(m_dir.filePath("junk.code"));
        junk.open(QIODevice::WriteOnly);
        junk.write("\x1b[31mred\n");
        junk.close();
        const auto r = run({"tokenize", "decode", "-m", m_tokenizer, "--code", "junk.code", "-o", "x.png"});
        checkOneLineError(r, "not hexadecimal");
        QVERIFY(!r.err.contains('\x1b'));
        QVERIFY(!QFile::exists(m_dir.filePath("x.png")));
    }

    void wrongImageSizeNeedsFit() {
        checkOneLineError(run({"tokenize", "encode", "-m", m_tokenizer, "--image", m_wide, "-o", "w.code"}), "--fit");
        QVERIFY(!QFile::exists(m_dir.filePath("w.code")));
        const auto fitted = run({"tokenize", "encode", "-m", m_tokenizer, "--image", m_wide, "--fit", "-o", "w.code"});
        QCOMPARE(fitted.exitCode, 0);
        QCOMPARE(fitted.out.section('\n', 0, 0).size(), 14);
        checkOneLineError(run({"tokenize", "encode", "-m", m_tokenizer, "--image", "missing.png", "-o", "m.code"}),
                          "missing.png");
    }

    // A tokenizer where a generator is expected, and the reverse.
    void filesOfTheOtherKindAreNamed() {
        checkOneLineError(run({"sample", "-m", m_tokenizer, "-o", "s.png", "-n", "1"}), "this is a tokenizer");
        checkOneLineError(run({"tokenize", "encode", "-m", m_model, "--image", m_image, "-o", "g.code"}),
                          "not a tokenizer");
        checkOneLineError(run({"tokenize", "decode", "-m", m_model, "--code", "00", "-o", "g.png"}), "not a tokenizer");
        checkOneLineError(run({"tokenize"}), "sub-command", 2);
        checkOneLineError(run({"tokenize", "squash"}), "unknown tokenize sub-command", 2);
    }

    void trainTokenizerRunsAndResumes() {
        const QStringList common = {"train-tokenizer", "--data", "fashion-mnist", "--limit", "64", "--batch", "8",
                                    "--encoder-width", "16", "--encoder-depth", "1", "--decoder-width", "16",
                                    "--decoder-depth", "1", "--heads", "2", "--threads", "1", "--log-every", "1",
                                    "-o", "t.safetensors"};
        auto r = run(common + QStringList{"--steps", "2"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.contains("55 bits"));
        const auto tokenizer = cm::Tokenizer::load(m_dir.filePath("t.safetensors").toStdString());
        QCOMPARE(tokenizer.card().config.codeBits(), 55);
        QVERIFY(QString::fromStdString(tokenizer.card().notes).contains("fashion-mnist-classifier"));
        checkOneLineError(run(common + QStringList{"--steps", "3"}), "already exists");
        r = run(common + QStringList{"--steps", "3", "--resume"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QString(fileBytes(m_dir.filePath("t.safetensors.csv"))).trimmed().split('\n').size(), 1 + 3);
        // A one-step decoder distilled from it; --steps 1 then takes one evaluation of it.
        r = run({"train-tokenizer", "--data", "fashion-mnist", "--limit", "64", "--batch", "8", "--stage", "one-step",
                 "--init", "t.safetensors", "--steps", "2", "--threads", "1", "-o", "t1.safetensors"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(cm::Tokenizer::load(m_dir.filePath("t1.safetensors").toStdString()).card().hasOneStepDecoder());
        const auto code = run({"tokenize", "encode", "-m", "t1.safetensors", "--image", m_image, "-o", "t1.code"});
        QCOMPARE(code.exitCode, 0);
        r = run({"tokenize", "decode", "-m", "t1.safetensors", "--code", "t1.code", "--steps", "1", "-o", "t1.png"});
        QVERIFY2(r.exitCode == 0 && r.err.contains("1/1"), qPrintable(r.err));
        checkOneLineError(run(common + QStringList{"--bits", "100", "--overwrite"}), "--bits", 2);
        checkOneLineError(run(common + QStringList{"--stage", "2", "--overwrite"}), "tokenizer stage");
        const auto hi = run({"train-tokenizer", "--data", "fashion-mnist", "--limit", "16", "--batch", "4", "--bits", "hi",
                             "--encoder-width", "16", "--encoder-depth", "1", "--decoder-width", "16", "--decoder-depth",
                             "1", "--heads", "2", "--steps", "1", "--perceptual", "none", "-o", "hi.safetensors"});
        QVERIFY2(hi.exitCode == 0, qPrintable(hi.err));
        QVERIFY(hi.err.contains("176 bits"));
    }
};

QTEST_MAIN(TestCliTokenizer)
#include "test_cli_tokenizer.moc"
