// The Compress view (ui/compress_view.h) driven as a user drives it, offscreen, with the real engine
// thread and tiny models trained here in seconds (tests/tokenizer_fixtures.h): a tokenizer, its
// deterministic autoencoder and its code generator, on a folder of 24 rectangles, and an untrained
// classifier as the bundled judge of JPEG and WebP. The code it shows is the engine's code bit for bit, the
// reconstructions are the tokenizer's own decodes at 1 and N steps with their measured PSNR, the baselines
// are the autoencoder's, k-means' and the codecs' own results at their bits, a missing baseline says why,
// generated codes are the core's seeded draws, a pasted code decodes to the same images, bad codes and
// wrong files are one error each, a chosen autoencoder or code generator is checked, used and remembered
// (or refused with its reason), the reasons read in Chinese under zh_CN, and a long decode cancels.
#include "core/feature_net.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/tokenizer/autoencoder_baseline.h"
#include "core/tokenizer/code_generator_trainer.h"
#include "core/tokenizer/codec_baseline.h"
#include "core/tokenizer/generate_images.h"
#include "core/tokenizer/patch_vq.h"
#include "core/tokenizer/tokenizer_companions.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "core/tokenizer/tokenizer_trainer.h"
#include "test_support.h"
#include "tokenizer_fixtures.h"
#include "ui/compress_view.h"
#include "ui/engine.h"
#include "ui/image_convert.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>

#include <memory>

namespace {

using cmtest::kSize;
constexpr int kTimeoutMs = 5 * 60 * 1000;

bool sameImage(const QImage& a, const QImage& b) {
    if (a.size() != b.size() || a.format() != b.format()) return false;
    for (int y = 0; y < a.height(); ++y)
        if (memcmp(a.constScanLine(y), b.constScanLine(y), size_t(a.width() * a.depth() / 8)) != 0) return false;
    return true;
}

} // namespace

class TestCompressView : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString m_flowOnly, m_distilled, m_autoencoder, m_codes, m_classifier, m_generator, m_square, m_wide;
    std::unique_ptr<Engine> m_engine;
    std::unique_ptr<CompressView> m_view;

    bool load(const QString& path) {
        QSignalSpy ready(m_view.get(), &CompressView::tokenizerReady);
        m_view->loadTokenizer(path);
        return ready.wait(kTimeoutMs);
    }
    bool generate() {
        QSignalSpy done(m_view.get(), &CompressView::codesGenerated);
        QTest::mouseClick(m_view->generateButton(), Qt::LeftButton);
        return done.wait(kTimeoutMs);
    }
    bool click(QPushButton* button) {
        QSignalSpy done(m_view.get(), &CompressView::resultReady);
        QTest::mouseClick(button, Qt::LeftButton);
        return done.wait(kTimeoutMs);
    }

  private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
        // Training images on disk: the k-means baseline learns its codebook from the card's data set.
        cm::ImageFolderOptions folder;
        folder.size = kSize;
        folder.channels = 1;
        const cm::Dataset data = cm::loadImageFolder(cmtest::writeRectangleFolder(m_dir, "rectangles").toStdString(), folder);
        auto flow = cmtest::tinyParams(m_dir, "flow.safetensors");
        flow.totalSteps = 60;
        cm::trainTokenizer(flow, data);
        m_flowOnly = QString::fromStdString(flow.outputPath);
        auto distil = cmtest::tinyParams(m_dir, "distilled.safetensors");
        distil.stage = cm::TokenizerStage::OneStep;
        distil.initFrom = flow.outputPath;
        distil.totalSteps = 20;
        cm::trainTokenizer(distil, data);
        m_distilled = QString::fromStdString(distil.outputPath);
        auto autoencoder = cmtest::tinyAutoencoderParams(m_dir, "autoencoder.safetensors");
        autoencoder.totalSteps = 60;
        cm::trainDeterministicAutoencoder(autoencoder, data);
        m_autoencoder = QString::fromStdString(autoencoder.outputPath);
        // The code generator of the distilled tokenizer (its card names that file).
        auto codes = cmtest::tinyCodeGeneratorParams(m_dir, "codes.safetensors", 40);
        codes.tokenizerName = "distilled.safetensors";
        cm::trainCodeGenerator(codes, cm::encodeDataset(cm::Tokenizer::load(distil.outputPath), data));
        m_codes = QString::fromStdString(codes.outputPath);
        // The bundled models' folder holds a classifier of the tokenizers' image shape.
        QDir().mkpath(m_dir.filePath("models"));
        cm::FeatureNetCard judge;
        judge.itemShape = {1, kSize, kSize};
        judge.width = 8;
        judge.featureDim = 8;
        judge.classNames = {"dark", "bright"};
        m_classifier = m_dir.filePath("models/judge.safetensors");
        cm::FeatureNet::create(judge, 2).save(m_classifier.toStdString());
        qputenv("CMSTUDIO_MODELS_DIR", m_dir.filePath("models").toLocal8Bit());
        m_generator = m_dir.filePath("generator.safetensors");
        cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency), 1).save(m_generator.toStdString());

        cv::Mat square(kSize, kSize, CV_8UC1, cv::Scalar(0));
        square(cv::Rect(8, 0, 8, 8)).setTo(255);
        m_square = m_dir.filePath("square.png");
        cm::writeImageAtomically(m_square.toStdString(), square);
        cv::Mat wide(30, 40, CV_8UC1, cv::Scalar(0));
        wide(cv::Rect(12, 0, 20, 15)).setTo(255);
        m_wide = m_dir.filePath("wide.png");
        cm::writeImageAtomically(m_wide.toStdString(), wide);

        m_engine = std::make_unique<Engine>();
        m_view = std::make_unique<CompressView>(m_engine.get());
        m_view->resize(1000, 600);
        m_view->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
    }

    void theTokenizerLoadsWithItsBitRate() {
        QVERIFY(load(m_flowOnly));
        const cm::Tokenizer tokenizer = cm::Tokenizer::load(m_flowOnly.toStdString());
        QCOMPARE(m_view->tokenizer().codeBits, tokenizer.card().config.codeBits());
        QCOMPARE(m_view->tokenizer().imageSize, kSize);
        QVERIFY(!m_view->tokenizer().oneStepDecoder);
        QVERIFY(m_view->tokenizerPicker()->findData(m_flowOnly) >= 0); // remembered in the list
        QVERIFY(!m_view->compressButton()->isEnabled()); // no image yet
        QVERIFY(m_view->decodeButton()->isEnabled());
    }

    // The code shown is the engine's code of the image, bit for bit; the two columns are the tokenizer's
    // own decodes (one Euler step: this file has no distilled decoder; N steps) with their PSNR.
    void compressShowsTheCodeAndBothDecoders() {
        QString error;
        QVERIFY2(m_view->openImageFile(m_square, &error), qPrintable(error));
        QVERIFY(m_view->compressButton()->isEnabled());
        m_view->steps()->setValue(6);
        m_view->seed()->setValue(5);
        QVERIFY(click(m_view->compressButton()));

        const cm::Tokenizer tokenizer = cm::Tokenizer::load(m_flowOnly.toStdString());
        const cv::Mat original = cm::readImageFile(m_square.toStdString());
        const cv::Mat input = qImageToMat(matToQImage(original), 1);
        const cm::TokenCode code = tokenizer.encode({input}).front();
        QCOMPARE(m_view->hexText(), QString::fromStdString(cm::codeToHex(code)));
        QString bits;
        for (uint8_t bit : code.bits) bits += bit ? '1' : '0';
        QCOMPARE(m_view->bitsText().remove(' '), bits);
        QCOMPARE(m_view->bitsText().count(' '), tokenizer.card().config.tokens - 1); // one group per token

        const CodeResult& result = m_view->result();
        QCOMPARE(result.reconstructions.size(), 2);
        QCOMPARE(result.reconstructions[0].decoder, Reconstruction::SingleEulerStep);
        QCOMPARE(result.reconstructions[1].decoder, Reconstruction::Flow);
        QCOMPARE(result.reconstructions[1].steps, 6);
        for (int i = 0; i < 2; ++i) {
            cm::DecodeParams params;
            params.steps = i == 0 ? 1 : 6;
            params.seed = 5;
            long evaluations = 0;
            const cv::Mat decoded =
                tokenizer.decode({code}, params, [&](long, long total) { evaluations = total; }).front();
            QVERIFY2(sameImage(result.reconstructions[i].image, matToQImage(decoded)), "not the tokenizer's decode");
            QCOMPARE(result.reconstructions[i].evaluations, int(evaluations));
            QCOMPARE(result.reconstructions[i].psnr, cm::psnrFromMse(cm::reconstructionMse(input, decoded)));
        }
        const QStringList captions = m_view->columnCaptions();
        QCOMPARE(captions.size(), 3 + 4); // original, 1 step, N steps; then the four baselines
        QCOMPARE(captions[0], QString("Original"));
        QVERIFY2(captions[1].contains("no distilled decoder"), qPrintable(captions[1]));
        QVERIFY2(captions[2].startsWith("6 step"), qPrintable(captions[2]));
        QVERIFY2(m_view->columnFigures()[2].contains(
                     QString("PSNR %1 dB").arg(QLocale().toString(result.reconstructions[1].psnr, 'f', 2))),
                 qPrintable(m_view->columnFigures()[2]));

        m_view->copyCode();
        QCOMPARE(QApplication::clipboard()->text(), m_view->hexText());
    }

    // Under the tokenizer's columns, for the same original: the deterministic autoencoder's and k-means'
    // reconstructions at the same bits and the codecs' smallest recognisable files, each the baseline's own
    // result, with the PSNR of tokenizer_evaluation.h and its bits.
    void theBaselinesAreTheirOwnResultsAtTheirBits() {
        const cm::Tokenizer tokenizer = cm::Tokenizer::load(m_flowOnly.toStdString());
        const cv::Mat input = qImageToMat(matToQImage(cm::readImageFile(m_square.toStdString())), 1);
        const QVector<BaselineImage>& baselines = m_view->result().baselines;
        QCOMPARE(baselines.size(), 4);
        QCOMPARE(baselines[0].kind, BaselineImage::Autoencoder);
        QCOMPARE(baselines[1].kind, BaselineImage::PatchVq);
        QCOMPARE(baselines[2].kind, BaselineImage::Jpeg);
        QCOMPARE(baselines[3].kind, BaselineImage::Webp);
        QVERIFY2(m_view->notesText().isEmpty(), qPrintable(m_view->notesText()));
        const auto check = [&](const BaselineImage& shown, const cv::Mat& expected, double bits) {
            QVERIFY(sameImage(shown.image, matToQImage(expected)));
            QCOMPARE(shown.bits, bits);
            QCOMPARE(shown.psnr, cm::psnrFromMse(cm::reconstructionMse(input, expected)));
        };

        const cm::Tokenizer autoencoder = cm::Tokenizer::load(m_autoencoder.toStdString());
        check(baselines[0], autoencoder.decode(autoencoder.encode({input})).front(), tokenizer.card().config.codeBits());
        QCOMPARE(baselines[0].evaluations, 1);

        const auto vqConfig = cm::patchVqForBits(tokenizer.card().config.codeBits(), kSize, 1);
        const cm::PatchVq vq = cm::PatchVq::train(vqConfig, cm::tokenizerTrainingImages(tokenizer.card(), 5000), 0);
        check(baselines[1], vq.decode(vq.encode(input)), vqConfig.codeBits());
        QCOMPARE(baselines[1].patchSize, 8);
        QCOMPARE(baselines[1].codebookSize, 45);

        const cm::FeatureNet judge = cm::FeatureNet::load(m_classifier.toStdString());
        for (int i = 0; i < 2; ++i) {
            const auto choice =
                cm::smallestRecognisableFiles(i == 0 ? cm::ImageCodec::Jpeg : cm::ImageCodec::Webp, {input}, judge).front();
            check(baselines[2 + i], choice.decoded, 8.0 * double(choice.bytes));
            QCOMPARE(baselines[2 + i].bytes, choice.bytes);
            QCOMPARE(baselines[2 + i].quality, choice.quality);
            QCOMPARE(baselines[2 + i].recognisable, choice.recognisable);
        }

        const QStringList captions = m_view->columnCaptions(), figures = m_view->columnFigures();
        QVERIFY2(captions[3].contains("autoencoder"), qPrintable(captions[3]));
        QVERIFY2(captions[4].contains("k-means: 8 × 8 patches, K = 45"), qPrintable(captions[4]));
        QVERIFY2(captions[5].startsWith("JPEG") && captions[6].startsWith("WebP"), qPrintable(captions.join('|')));
        QVERIFY2(figures[3].contains(QString("%1 bits").arg(tokenizer.card().config.codeBits())), qPrintable(figures[3]));
        QVERIFY2(figures[4].contains(QLocale().toString(vqConfig.codeBits(), 'f', 2) + " bits"), qPrintable(figures[4]));
        QVERIFY2(figures[5].contains(QString("%1 bits\n%2 byte").arg(QLocale().toString(8 * baselines[2].bytes)).arg(baselines[2].bytes)),
                 qPrintable(figures[5]));
        QVERIFY2(captions[5].contains(QString("quality %1").arg(baselines[2].quality)), qPrintable(captions[5]));
        for (int i = 3; i < 7; ++i)
            QVERIFY2(figures[i].contains(QString("PSNR %1 dB").arg(QLocale().toString(baselines[i - 3].psnr, 'f', 2))),
                     qPrintable(figures[i]));
    }

    // A code pasted back decodes to the same images (same code, same seed); there is no original to
    // compare with.
    void aPastedCodeDecodesToTheSameImages() {
        const CodeResult encoded = m_view->result();
        QVERIFY(!encoded.hex.isEmpty());
        QString grouped = encoded.hex.toLower();
        grouped.insert(4, ' ').insert(9, "\n"); // as the generated codes are shown
        m_view->codeInput()->setText("  " + grouped + "\n");
        QVERIFY(click(m_view->decodeButton()));
        const CodeResult& decoded = m_view->result();
        QCOMPARE(decoded.hex, encoded.hex);
        QVERIFY(decoded.original.isNull());
        QCOMPARE(decoded.reconstructions.size(), encoded.reconstructions.size());
        for (int i = 0; i < decoded.reconstructions.size(); ++i) {
            QVERIFY(sameImage(decoded.reconstructions[i].image, encoded.reconstructions[i].image));
            QVERIFY(decoded.reconstructions[i].psnr < 0);
        }
        QCOMPARE(m_view->columnCaptions().size(), 2);
        QVERIFY(m_view->columnFigures()[1].contains("no original"));
    }

    void badCodesAreOneErrorEach_data() {
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("mention");
        QTest::newRow("not hex") << "zz12" << "the pasted code";
        QTest::newRow("too short") << "ab" << "the pasted code";
        QTest::newRow("empty") << "" << "the pasted code";
    }
    void badCodesAreOneErrorEach() {
        QFETCH(QString, code);
        QFETCH(QString, mention);
        QSignalSpy errors(m_view.get(), &CompressView::errorOccurred);
        QSignalSpy busy(m_engine.get(), &Engine::busyChanged);
        m_view->codeInput()->setText(code);
        QTest::mouseClick(m_view->decodeButton(), Qt::LeftButton);
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.front().front().toString().contains(mention), qPrintable(errors.front().front().toString()));
        QCOMPARE(busy.count(), 0); // refused before any work was queued
        QVERIFY(m_view->decodeButton()->isEnabled());
    }

    // A generator's file given as a tokenizer: one error naming it; the loaded tokenizer stays.
    void aGeneratorIsRefusedAndTheTokenizerKept() {
        QSignalSpy errors(m_view.get(), &CompressView::errorOccurred);
        m_view->loadTokenizer(m_generator);
        QVERIFY(errors.wait(kTimeoutMs));
        QTest::qWait(50);
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.front().front().toString().contains("generator.safetensors"),
                 qPrintable(errors.front().front().toString()));
        QCOMPARE(m_view->tokenizer().path, m_flowOnly);
        QCOMPARE(m_view->tokenizerPicker()->currentData().toString(), m_flowOnly);
        QVERIFY(m_view->compressButton()->isEnabled());
    }

    // An image of another size is encoded as its centre square at the tokenizer's size, and says so.
    void anImageOfAnotherSizeIsFitted() {
        QString error;
        QVERIFY(m_view->openImageFile(m_wide, &error));
        QCOMPARE(m_view->sourceImage().size(), QSize(40, 30));
        QCOMPARE(m_view->encodedImage().size(), QSize(kSize, kSize));
        QVERIFY(click(m_view->compressButton()));
        QCOMPARE(m_view->result().original.size(), QSize(kSize, kSize));
        QVERIFY(!m_view->openImageFile(m_generator, &error)); // not an image: a message, nothing replaced
        QVERIFY2(error.contains("generator.safetensors"), qPrintable(error));
        QCOMPARE(m_view->sourceImage().size(), QSize(40, 30));
    }

    // A tokenizer alone in its folder: no autoencoder and no code generator; the view says why, and the
    // other baselines are still shown.
    void missingCompanionsSayWhy() {
        QDir().mkpath(m_dir.filePath("alone"));
        const QString alone = m_dir.filePath("alone/flow.safetensors");
        QVERIFY(QFile::copy(m_flowOnly, alone));
        QVERIFY(load(alone));
        QVERIFY(m_view->tokenizer().autoencoder.isEmpty());
        QVERIFY(!m_view->generateButton()->isEnabled());
        QString error;
        QVERIFY(m_view->openImageFile(m_square, &error));
        QVERIFY(click(m_view->compressButton()));
        QCOMPARE(m_view->result().baselines.size(), 3);
        QCOMPARE(m_view->result().baselines[0].kind, BaselineImage::PatchVq);
        QVERIFY2(m_view->notesText().contains("no deterministic autoencoder of 22 bits at 16 px beside flow.safetensors"),
                 qPrintable(m_view->notesText()));
        m_view->setImage(m_view->sourceImage()); // a new image: the note about the old columns goes
        QVERIFY(m_view->notesText().isEmpty());
        QSignalSpy errors(m_view.get(), &CompressView::errorOccurred);
        m_view->generateCodes();
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.front().front().toString().contains("no code generator of flow.safetensors"),
                 qPrintable(errors.front().front().toString()));
        QVERIFY(load(m_flowOnly));
    }

    // A file chosen as the autoencoder or code generator is checked as the ones beside the tokenizer are:
    // one that fits is used (the baseline row gains it, Generate codes is enabled) and remembered for this
    // tokenizer until cleared; a non-model file and a mismatched model are refused with the reason in one
    // error, queue no work and leave what was in use.
    void chosenCompanionsAreCheckedAndRemembered() {
        const QString alone = m_dir.filePath("alone/flow.safetensors");
        QVERIFY(load(alone));
        QVERIFY(m_view->tokenizer().autoencoder.isEmpty());
        QVERIFY(!m_view->clearAutoencoderButton()->isEnabled());
        QVERIFY(m_view->openAutoencoderButton()->isEnabled());
        const auto refused = [&](bool chooseAutoencoder, const QString& path, const QString& mention) {
            QSignalSpy errors(m_view.get(), &CompressView::errorOccurred);
            QSignalSpy busy(m_engine.get(), &Engine::busyChanged);
            const TokenizerInfo before = m_view->tokenizer();
            const bool taken = chooseAutoencoder ? m_view->chooseAutoencoder(path) : m_view->chooseCodeGenerator(path);
            QTest::qWait(20);
            if (taken || errors.count() != 1 || busy.count() != 0) return false;
            const QString message = errors.front().front().toString();
            if (!message.contains(mention)) {
                qWarning("%s", qPrintable(message));
                return false;
            }
            return m_view->tokenizer().autoencoder == before.autoencoder &&
                   m_view->tokenizer().codeGenerator == before.codeGenerator;
        };
        // Not a model file: the reader's reason, nothing changed.
        QVERIFY(refused(true, m_square, "square.png cannot be read"));
        QVERIFY(refused(false, m_square, "square.png cannot be read"));
        QVERIFY(refused(true, m_distilled, "distilled.safetensors is a flow tokenizer, not a deterministic autoencoder"));
        QVERIFY(m_view->chosenAutoencoder().isEmpty());

        QSignalSpy ready(m_view.get(), &CompressView::tokenizerReady);
        QVERIFY(m_view->chooseAutoencoder(m_autoencoder));
        QVERIFY(ready.wait(kTimeoutMs));
        QCOMPARE(m_view->tokenizer().autoencoder, m_autoencoder);
        QCOMPARE(m_view->chosenAutoencoder(), m_autoencoder);
        QVERIFY2(m_view->autoencoderText().contains("autoencoder.safetensors (chosen)"), qPrintable(m_view->autoencoderText()));
        QVERIFY(m_view->clearAutoencoderButton()->isEnabled());
        QVERIFY(click(m_view->compressButton()));
        QCOMPARE(m_view->result().baselines.size(), 4);
        QCOMPARE(m_view->result().baselines[0].kind, BaselineImage::Autoencoder);

        // An autoencoder of other bits is refused and the chosen one stays in use.
        cm::TokenizerCard otherBits = cm::Tokenizer::load(m_autoencoder.toStdString()).card();
        otherBits.config.tokens += 1;
        const QString wrong = m_dir.filePath("autoencoder-other-bits.safetensors");
        cm::Tokenizer::create(otherBits, 0).save(wrong.toStdString());
        QVERIFY(refused(true, wrong,
                        QString("autoencoder-other-bits.safetensors encodes 16 × 16 grey images in %1 bits, this "
                                "tokenizer 16 × 16 grey images in %2 bits")
                            .arg(otherBits.config.codeBits())
                            .arg(m_view->tokenizer().codeBits)));
        QCOMPARE(m_view->chosenAutoencoder(), m_autoencoder);
        // The generator of another tokenizer's codes, and a model that is no code generator.
        QVERIFY(refused(false, m_codes, "codes.safetensors generates the codes of distilled.safetensors, not of flow.safetensors"));
        QVERIFY(refused(false, m_autoencoder, "autoencoder.safetensors is a “cmstudio-tokenizer” file, not a code generator"));
        QVERIFY(!m_view->generateButton()->isEnabled());

        // Remembered for this tokenizer: loaded again (after another one), it comes with the chosen file.
        QVERIFY(load(m_flowOnly));
        QVERIFY(m_view->chosenAutoencoder().isEmpty());
        QVERIFY(load(alone));
        QCOMPARE(m_view->tokenizer().autoencoder, m_autoencoder);
        m_view->clearChosenAutoencoder();
        QVERIFY(ready.wait(kTimeoutMs));
        QVERIFY(m_view->tokenizer().autoencoder.isEmpty());
        QVERIFY(m_view->chosenAutoencoder().isEmpty());
        QVERIFY2(m_view->autoencoderText().contains("no deterministic autoencoder of 22 bits at 16 px beside flow.safetensors"),
                 qPrintable(m_view->autoencoderText()));

        // The code generator of a tokenizer alone in another folder (its card names the file, not the folder).
        QDir().mkpath(m_dir.filePath("alone2"));
        const QString distilledAlone = m_dir.filePath("alone2/distilled.safetensors");
        QVERIFY(QFile::copy(m_distilled, distilledAlone));
        QVERIFY(load(distilledAlone));
        QVERIFY(!m_view->generateButton()->isEnabled());
        QVERIFY(m_view->chooseCodeGenerator(m_codes));
        QVERIFY(ready.wait(kTimeoutMs));
        QCOMPARE(m_view->tokenizer().codeGenerator, m_codes);
        QVERIFY(m_view->generateButton()->isEnabled());
        QVERIFY2(m_view->codeGeneratorText().contains("(chosen)"), qPrintable(m_view->codeGeneratorText()));
        m_view->steps()->setValue(2);
        m_view->generateCount()->setValue(2);
        QVERIFY(generate());
        QCOMPARE(m_view->generated().images.size(), 2);
        m_view->clearChosenCodeGenerator();
        QVERIFY(ready.wait(kTimeoutMs));
        QVERIFY(!m_view->generateButton()->isEnabled());
        QVERIFY(load(m_flowOnly));
    }

    // In Chinese the reasons core gives are worded in Chinese: the missing autoencoder beside the view's
    // tokenizer, and a refused file.
    void theReasonsAreTranslated() {
        QTranslator zh;
        QVERIFY(zh.load(QLocale(QLocale::Chinese, QLocale::China), "cmstudio", "_", ":/i18n"));
        QCoreApplication::installTranslator(&zh);
        const QString alone = m_dir.filePath("alone/flow.safetensors");
        const bool loaded = load(alone);
        const QString text = m_view->autoencoderText();
        QSignalSpy errors(m_view.get(), &CompressView::errorOccurred);
        m_view->chooseAutoencoder(m_distilled);
        QCoreApplication::removeTranslator(&zh);
        QVERIFY(loaded);
        const QString reason = zh.translate("CompressView", "no deterministic autoencoder of %1 bits at %2 px beside %3");
        QVERIFY(!reason.isEmpty() && reason.contains(QChar(0x81EA))); // 自 (自编码器, autoencoder)
        QCOMPARE(text, zh.translate("CompressView", "No autoencoder baseline: %1")
                           .arg(reason.arg(22).arg(16).arg("flow.safetensors")));
        QCOMPARE(errors.count(), 1);
        const QString refusal = errors.front().front().toString();
        QVERIFY2(refusal.contains("distilled.safetensors") && !refusal.contains("flow tokenizer") &&
                     refusal.contains(QChar(0x81EA)),
                 qPrintable(refusal));
        QVERIFY(load(m_flowOnly));
    }

    // With a distilled decoder in the file, "1 step" is that decoder, one evaluation.
    void theDistilledDecoderIsTheOneStepColumn() {
        QVERIFY(load(m_distilled));
        QVERIFY(m_view->tokenizer().oneStepDecoder);
        QVERIFY(m_view->result().reconstructions.isEmpty()); // the other tokenizer's results are gone
        QVERIFY(click(m_view->compressButton()));
        const Reconstruction& one = m_view->result().reconstructions.front();
        QCOMPARE(one.decoder, Reconstruction::OneStep);
        QCOMPARE(one.evaluations, 1);
        QVERIFY2(m_view->columnCaptions()[1].contains("distilled decoder"), qPrintable(m_view->columnCaptions()[1]));
    }

    // The distilled tokenizer has a code generator beside it: "Generate codes" shows the core's draws for the
    // seed shown (code j from seed + j, decoded with the flow steps), the same seed gives the same images,
    // and image j depends on seed + j alone.
    void generatedCodesAreSeeded() {
        QVERIFY(m_view->generateButton()->isEnabled());
        QCOMPARE(m_view->tokenizer().codeGenerator, m_codes);
        m_view->steps()->setValue(3);
        m_view->generateCount()->setValue(3);
        m_view->generateSeed()->setValue(7);
        QVERIFY(generate());
        const GeneratedCodes first = m_view->generated();
        QCOMPARE(first.images.size(), 3);
        const cm::Tokenizer tokenizer = cm::Tokenizer::load(m_distilled.toStdString());
        cm::DecodeParams params;
        params.steps = 3;
        const cm::GeneratedImages expected = cm::generateImages(
            tokenizer, cm::CodeGenerator::load(m_codes.toStdString()), m_view->generateClass()->currentData().toInt(), 3,
            7, 1, params);
        for (int j = 0; j < 3; ++j) {
            QVERIFY(sameImage(first.images[j], matToQImage(expected.images[std::size_t(j)])));
            QCOMPARE(first.hex[j], QString::fromStdString(cm::codeToHex(expected.codes[std::size_t(j)])));
            QVERIFY2(m_view->columnCaptions()[j].endsWith(QString("seed %1").arg(7 + j)), qPrintable(m_view->columnCaptions()[j]));
            // Shown in lines of groups of hex digits, the evaluations last.
            const QString figures = m_view->columnFigures()[j];
            QCOMPARE(figures.left(figures.lastIndexOf('\n')).remove(' ').remove('\n'), first.hex[j]);
        }
        QVERIFY(m_view->hexText().isEmpty()); // the code box showed an encoded image's code
        QVERIFY(generate());
        for (int j = 0; j < 3; ++j)
            QVERIFY(sameImage(m_view->generated().images[j], first.images[j]));
        m_view->generateSeed()->setValue(8);
        QVERIFY(generate());
        QVERIFY(sameImage(m_view->generated().images[0], first.images[1]));
        QVERIFY(sameImage(m_view->generated().images[1], first.images[2]));
    }

    // Generating is cancellable within its decode, and the view takes the next request.
    void generatingCancels() {
        m_view->steps()->setValue(1000);
        m_view->generateCount()->setValue(4);
        QSignalSpy progress(m_engine.get(), &Engine::progress);
        QSignalSpy cancelled(m_engine.get(), &Engine::cancelled);
        QTest::mouseClick(m_view->generateButton(), Qt::LeftButton);
        QVERIFY(!m_view->generateButton()->isEnabled()); // one run at a time
        QVERIFY(progress.wait(kTimeoutMs));
        const long total = progress.last().at(2).toLongLong();
        QVERIFY2(total >= 1000, qPrintable(QString::number(total)));
        m_engine->cancelAll();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QVERIFY(progress.last().at(1).toLongLong() < total);
        QVERIFY(m_view->generateButton()->isEnabled());
        m_view->steps()->setValue(3);
        QVERIFY(generate());
        QCOMPARE(m_view->generated().images.size(), 4);
    }

    // An image file dropped on the view becomes the image to encode.
    void aDroppedImageIsOpened() {
        QMimeData data;
        data.setUrls({QUrl::fromLocalFile(m_square)});
        QDragEnterEvent enter(QPoint(20, 20), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_view.get(), &enter);
        QDropEvent drop(QPointF(20, 20), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_view.get(), &drop);
        QCOMPARE(m_view->sourceImage().size(), QSize(kSize, kSize));
    }

    // A long decode stops within one evaluation of Cancel, and the view takes the next request.
    void aLongDecodeCancels() {
        m_view->steps()->setValue(1000);
        QSignalSpy progress(m_engine.get(), &Engine::progress);
        QSignalSpy cancelled(m_engine.get(), &Engine::cancelled);
        QTest::mouseClick(m_view->compressButton(), Qt::LeftButton);
        QVERIFY(!m_view->compressButton()->isEnabled()); // one run at a time
        QVERIFY(progress.wait(kTimeoutMs));
        const long total = progress.last().at(2).toLongLong();
        QVERIFY2(total >= 1000, qPrintable(QString::number(total)));
        m_engine->cancelAll();
        QVERIFY(cancelled.wait(kTimeoutMs));
        QVERIFY(progress.last().at(1).toLongLong() < total);
        QVERIFY(m_view->compressButton()->isEnabled());
        m_view->steps()->setValue(4);
        QVERIFY(click(m_view->compressButton()));
    }

    void cleanupTestCase() {
        m_view.reset();
        m_engine.reset();
    }
};

QTEST_MAIN(TestCompressView)
#include "test_compress_view.moc"
