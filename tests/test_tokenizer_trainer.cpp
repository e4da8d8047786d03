// Training FlowMo tokenizers (core/tokenizer/tokenizer_trainer.h) end to end on a tiny set that trains in
// seconds: reconstructions from the code beat the mean image by a wide margin; stage 1B keeps the
// encoder (every code) fixed and logs its chain loss; an interrupted run resumes to the same weights; the
// run's files are protected.
#include "core/error.h"
#include "core/feature_net.h"
#include "core/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_trainer.h"
#include "expect_error.h"
#include "tokenizer_fixtures.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using cm::Tokenizer;
using cm::TokenizerTrainParams;

namespace {

using cmtest::images;
using cmtest::kSize;
using cmtest::squares;
using cmtest::tinyConfig;
using cmtest::tinyParams;

// A fresh (random) feature network: the perceptual terms' code path, without training an evaluator.
std::string perceptualNet(const QTemporaryDir& dir) {
    cm::FeatureNetCard card;
    card.kind = cm::FeatureNetKind::Autoencoder;
    card.width = 8;
    card.itemShape = {1, kSize, kSize};
    card.featureDim = 16;
    const std::string path = dir.filePath("perceptual.safetensors").toStdString();
    cm::FeatureNet::create(card, 1).save(path);
    return path;
}

double meanSquaredError(const std::vector<cv::Mat>& a, const std::vector<cv::Mat>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        sum += cv::norm(a[i], b[i], cv::NORM_L2SQR) / double(a[i].total());
    return sum / double(a.size());
}

QStringList logLines(const std::string& path) {
    QFile file(QString::fromStdString(path));
    file.open(QIODevice::ReadOnly);
    return QString(file.readAll()).split('\n', Qt::SkipEmptyParts);
}

} // namespace

class TestTokenizerTrainer : public QObject {
    Q_OBJECT

  private slots:
    void reconstructionsBeatTheMeanImage() {
        QTemporaryDir dir;
        auto p = tinyParams(dir, "tok.safetensors");
        // Diffusion autoencoders learn to use their code late (the noisy image alone explains much of the flow
        // loss); on this set the switch comes near 1,000 steps, so the run is twice that, with more t near 1.
        p.totalSteps = 2000;
        p.learningRate = 3e-3;
        p.uniformTimeShare = 0.3;
        p.perceptualNet = perceptualNet(dir);
        const auto data = squares();
        const auto summary = cm::trainTokenizer(p, data);
        QCOMPARE(summary.steps, p.totalSteps);
        const Tokenizer tokenizer = Tokenizer::load(p.outputPath);
        QCOMPARE(tokenizer.card().stages, std::vector<std::string>{"1a"});
        const auto originals = images(data);
        cm::DecodeParams decode;
        decode.steps = 10;
        const auto codes = tokenizer.encode(originals);
        const auto reconstructions = tokenizer.decode(codes, decode);
        cv::Mat mean(kSize, kSize, CV_32F, cv::Scalar(0));
        for (const auto& image : originals)
            mean += image / double(originals.size());
        const double meanError = meanSquaredError(std::vector<cv::Mat>(originals.size(), mean), originals);
        const double error = meanSquaredError(reconstructions, originals);
        qInfo("reconstruction MSE %.4f, mean image MSE %.4f", error, meanError);
        QVERIFY2(error < 0.35 * meanError, qPrintable(QString("%1 vs %2").arg(error).arg(meanError)));
        // The codes tell the images apart.
        for (std::size_t i = 1; i < codes.size(); ++i)
            QVERIFY(!(codes[i] == codes[0]));

        const auto lines = logLines(p.outputPath + ".csv");
        QCOMPARE(lines.front(), QString("step,samples,loss,flow,perceptual,commitment,entropy,sample,consistency,grad_norm,lr,seconds"));
        QCOMPARE(lines.size(), 1 + 200);
        const auto last = lines.back().split(',');
        QCOMPARE(last[0], QString("2000"));
        QVERIFY(last[4].toDouble() > 0); // perceptual
        QVERIFY(last[5].toDouble() > 0); // commitment
        QVERIFY(last[6].toDouble() != 0); // entropy
        QCOMPARE(last[7].toDouble(), 0.0); // no chain in stage 1A
        QVERIFY(last[3].toDouble() < lines[1].split(',')[3].toDouble()); // the flow loss fell

        // Stage 1B from it: the encoder is frozen, so every code stays; the decoder moves; the chain is logged.
        auto seek = tinyParams(dir, "tok-1b.safetensors");
        seek.stage = cm::TokenizerStage::ModeSeeking;
        seek.initFrom = p.outputPath;
        seek.perceptualNet = p.perceptualNet;
        seek.totalSteps = 10;
        seek.chainSteps = 4;
        seek.sampleWeight = 0.5;
        cm::trainTokenizer(seek, data);
        const Tokenizer sought = Tokenizer::load(seek.outputPath);
        QCOMPARE(sought.card().stages, (std::vector<std::string>{"1a", "1b"}));
        QCOMPARE(sought.card().trainingSteps, 2010L);
        const auto soughtCodes = sought.encode(originals);
        for (std::size_t i = 0; i < codes.size(); ++i)
            QVERIFY(soughtCodes[i] == codes[i]);
        const auto before = cm::readSafetensors(p.outputPath), after = cm::readSafetensors(seek.outputPath);
        QVERIFY(before.tensors.at("encoder.block0.image.qkv.weight").bytes ==
                after.tensors.at("encoder.block0.image.qkv.weight").bytes);
        QVERIFY(before.tensors.at("decoder.block0.image.qkv.weight").bytes !=
                after.tensors.at("decoder.block0.image.qkv.weight").bytes);
        QVERIFY(logLines(seek.outputPath + ".csv").back().split(',')[7].toDouble() > 0);

        // The one-step decoder, distilled from the 25-step flow decoder of the stage-1A tokenizer: one network
        // evaluation reconstructs the images, and the encoder and the flow decoder are left bit for bit.
        auto distil = tinyParams(dir, "tok-1.safetensors");
        distil.stage = cm::TokenizerStage::OneStep;
        distil.initFrom = p.outputPath;
        distil.totalSteps = 300;
        distil.learningRate = 2e-4;
        cm::trainTokenizer(distil, data);
        const Tokenizer oneStep = Tokenizer::load(distil.outputPath);
        QVERIFY(oneStep.card().hasOneStepDecoder());
        cm::DecodeParams single;
        single.steps = 1;
        long evaluations = 0;
        const auto fast = oneStep.decode(codes, single, [&](long done, long) { evaluations = done; });
        QCOMPARE(evaluations, 1L);
        const double fastError = meanSquaredError(fast, originals);
        const double flowError = meanSquaredError(oneStep.decode(codes, decode), originals);
        const auto euler = tokenizer.decode(codes, single); // the stage-1A file has no one-step decoder
        const double eulerError = meanSquaredError(euler, originals);
        QVERIFY(cv::norm(fast[0], euler[0], cv::NORM_INF) > 1e-3); // --steps 1 did use the one-step decoder
        qInfo("one-step decoder MSE %.4f (1 evaluation), one Euler step %.4f, flow decoder %.4f (%d evaluations)", fastError, eulerError, flowError,
              cm::flowEvaluations(cm::shiftedFlowTimes(10, 4), oneStep.card().sampling.guidance));
        QVERIFY2(fastError < 0.35 * meanError, qPrintable(QString("%1 vs %2").arg(fastError).arg(meanError)));
        QCOMPARE(flowError, error); // the flow decoder is the stage-1A one, untouched
        const auto distilled = cm::readSafetensors(distil.outputPath);
        for (const auto& [name, record] : before.tensors)
            QVERIFY2(distilled.tensors.at(name).bytes == record.bytes, name.c_str());
        QVERIFY(distilled.tensors.count("one_step.block0.image.qkv.weight") == 1);
        QVERIFY(logLines(distil.outputPath + ".csv").back().split(',')[8].toDouble() > 0);
        // Distilling a distilled tokenizer again is refused.
        auto again = tinyParams(dir, "tok-2.safetensors");
        again.stage = cm::TokenizerStage::OneStep;
        again.initFrom = distil.outputPath;
        QVERIFY(QString(cmtest::expectError([&] { cm::trainTokenizer(again, data); }).what()).contains("already has"));
    }

    void interruptedRunResumesToTheSameWeights() {
        QTemporaryDir dir;
        const auto data = squares();
        auto whole = tinyParams(dir, "whole.safetensors");
        cm::trainTokenizer(whole, data);

        auto parts = tinyParams(dir, "parts.safetensors");
        cm::CancelFlag cancel{false};
        const auto first = cm::trainTokenizer(parts, data, [&](const cm::TokenizerTrainStatus& s) {
            if (s.step == 15) cancel = true;
        }, &cancel);
        QVERIFY(first.cancelled);
        QCOMPARE(first.steps, 15L);
        parts.resume = true;
        QCOMPARE(cm::trainTokenizer(parts, data).steps, 40L);
        const auto a = cm::readSafetensors(whole.outputPath), b = cm::readSafetensors(parts.outputPath);
        for (const auto& [name, record] : a.tensors)
            QVERIFY2(record.bytes == b.tensors.at(name).bytes, name.c_str());
        // The log has each logged step once.
        const auto lines = logLines(parts.outputPath + ".csv");
        QCOMPARE(lines.size(), 1 + 4);
        QCOMPARE(lines[1].split(',')[0], QString("10"));
        QCOMPARE(lines[4].split(',')[0], QString("40"));
    }

    void badRunsAreRefused() {
        QTemporaryDir dir;
        const auto data = squares();
        auto p = tinyParams(dir, "t.safetensors");
        p.totalSteps = 2;
        cm::trainTokenizer(p, data);
        // The tokenizer exists: no silent overwrite.
        QVERIFY(QString(cmtest::expectError([&] { cm::trainTokenizer(p, data); }).what()).contains("already exists"));
        auto seek = tinyParams(dir, "u.safetensors");
        seek.stage = cm::TokenizerStage::ModeSeeking;
        QVERIFY(QString(cmtest::expectError([&] { cm::trainTokenizer(seek, data); }).what()).contains("stage-1a"));
        auto same = tinyParams(dir, "v.safetensors");
        same.logPath = same.outputPath;
        QVERIFY(QString(cmtest::expectError([&] { cm::trainTokenizer(same, data); }).what()).contains("same file"));
        auto wrongShape = tinyParams(dir, "w.safetensors");
        wrongShape.config = cm::tokenizerPreset("lo", 32, 3);
        QCOMPARE(cmtest::expectError([&] { cm::trainTokenizer(wrongShape, data); }).kind(), cm::ErrorKind::Shape);
        auto resumeMissing = tinyParams(dir, "x.safetensors");
        resumeMissing.resume = true;
        QCOMPARE(cmtest::expectError([&] { cm::trainTokenizer(resumeMissing, data); }).kind(), cm::ErrorKind::Io);
        QCOMPARE(cmtest::expectError([] { cm::tokenizerStageFromName("2"); }).kind(), cm::ErrorKind::InvalidArgument);
    }
};

QTEST_MAIN(TestTokenizerTrainer)
#include "test_tokenizer_trainer.moc"
