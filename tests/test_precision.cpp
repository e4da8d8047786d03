// core/precision: detection, the setting and its fallback, and bfloat16 evaluation agreeing with float32
// (the default UNet, the ADM UNet) within the stated tolerance.
#include "core/error.h"
#include "core/model.h"
#include "core/precision.h"
#include "core/trainer.h"
#include "expect_error.h"
#include "test_support.h"

#include <QProcess>
#include <QtTest>

#include <opencv2/core.hpp>

namespace {

// bfloat16 keeps 8 significant bits. The bfloat16 tolerance, separate from float32's 1e-4: the relative
// RMS difference of the outputs, and the largest difference against the largest output value. Measured
// on these random networks (every weight perturbed, harsher than trained ones): RMS 0.3-1.7% for the
// UNet (3.3% in colour at sigma 40), 0.7-5.6% for the ADM UNet (the most at sigma 40); largest 1.5-7%.
// A wrong layout, cast or kernel gives differences of the order of the output itself.
constexpr double kBf16RelativeRms = 0.08;
constexpr double kBf16RelativeMax = 0.1;

std::vector<cv::Mat> randomImages(int count, int size, int channels, uint64_t seed) {
    cv::RNG rng(seed);
    std::vector<cv::Mat> images;
    for (int i = 0; i < count; ++i) {
        cv::Mat image(size, size, CV_32FC(channels));
        rng.fill(image, cv::RNG::UNIFORM, -1.0, 1.0);
        images.push_back(image);
    }
    return images;
}

double maxAbsDifference(const std::vector<cv::Mat>& a, const std::vector<cv::Mat>& b) {
    double worst = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, cv::norm(a[i], b[i], cv::NORM_INF));
    return worst;
}

// sqrt(sum |a - b|^2 / sum |b|^2) over the batch.
double relativeRms(const std::vector<cv::Mat>& a, const std::vector<cv::Mat>& b) {
    double error = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        error += std::pow(cv::norm(a[i], b[i], cv::NORM_L2), 2);
        norm += std::pow(cv::norm(b[i], cv::NORM_L2), 2);
    }
    return std::sqrt(error / norm);
}

double maxAbs(const std::vector<cv::Mat>& images) {
    double worst = 0.0;
    for (const auto& m : images)
        worst = std::max(worst, cv::norm(m, cv::NORM_INF));
    return worst;
}

std::vector<cv::Mat> evaluateIn(cm::Precision precision, const cm::Model& model, const std::vector<cv::Mat>& x,
                                double sigma, int label) {
    cm::setPrecision(precision);
    auto out = cm::evaluateModel(model, x, sigma, cm::Conditioning::ofClass(label));
    cm::setPrecision(cm::Precision::Fp32);
    return out;
}

cm::ModelCard admCard(bool scaleShift) {
    cm::ModelCard card;
    card.kind = cm::ModelKind::Consistency;
    card.network.type = cm::NetworkType::AdmUNet;
    card.network.imageSize = 32;
    card.network.channels = 3;
    card.network.baseWidth = 32;
    card.network.channelMult = {1, 2};
    card.network.resBlocks = 1;
    card.network.attentionResolutions = {16};
    card.network.headChannels = 32;
    card.network.scaleShiftNorm = scaleShift;
    card.network.numClasses = 0;
    card.recipe = "test";
    return card;
}

// Bright discs of random size and place on a dark ground: small images a UNet learns quickly.
cm::Dataset discs(int count, uint64_t seed) {
    cv::RNG rng(seed);
    cm::Dataset data;
    data.itemShape = {1, 28, 28};
    data.description = "discs";
    for (int i = 0; i < count; ++i) {
        const double cx = rng.uniform(6.0, 22.0), cy = rng.uniform(6.0, 22.0), r = rng.uniform(3.0, 7.0);
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                data.values.push_back(std::hypot(x - cx, y - cy) < r ? 0.9f : -0.9f);
    }
    return data;
}

// Losses of a short iCT run in `precision` (the trainer keeps float32 weights and gradients either way).
std::vector<double> trainingLosses(cm::Precision precision, const QString& out) {
    cm::TrainParams p;
    p.mode = cm::TrainMode::Ict;
    p.network = cmtest::tinyUNetCard(cm::ModelKind::Consistency).network;
    p.totalSteps = 40;
    p.batchSize = 16;
    p.learningRate = 1e-3;
    p.seed = 9;
    p.outputPath = out.toStdString();
    p.logEvery = 1000;
    p.checkpointEvery = 1000;
    std::vector<double> losses;
    cm::setPrecision(precision);
    cm::train(p, discs(256, 3), [&](const cm::TrainStatus& s) { losses.push_back(s.loss); });
    cm::setPrecision(cm::Precision::Fp32);
    return losses;
}

double meanOf(const std::vector<double>& v, std::size_t from, std::size_t to) {
    double sum = 0;
    for (std::size_t i = from; i < to; ++i)
        sum += v[i];
    return sum / double(to - from);
}

} // namespace

class TestPrecision : public QObject {
    Q_OBJECT

  private slots:
    void namesRoundTrip() {
        for (auto p : {cm::Precision::Auto, cm::Precision::Fp32, cm::Precision::Bf16})
            QCOMPARE(cm::parsePrecision(cm::precisionName(p)), p);
        QCOMPARE(cm::parsePrecision("bfloat16"), cm::Precision::Bf16);
        QCOMPARE(cm::parsePrecision("float32"), cm::Precision::Fp32);
        for (const char* bad : {"fp16", "", "BF16 "}) {
            const cm::Error e = cmtest::expectError([&] { cm::parsePrecision(bad); });
            QCOMPARE(e.kind(), cm::ErrorKind::InvalidArgument);
            QVERIFY2(std::string(e.what()).find("auto, fp32 or bf16") != std::string::npos, e.what());
        }
    }

    void forcedFp32IsFp32() {
        cm::setPrecision(cm::Precision::Fp32);
        QCOMPARE(cm::activePrecision(), cm::Precision::Fp32);
        QVERIFY(cm::precisionNote().empty());
        QVERIFY(cm::precisionSummary().rfind("float32", 0) == 0);
    }

    void autoFollowsTheDetector() {
        cm::setPrecision(cm::Precision::Auto);
        const auto& support = cm::precisionSupport();
        QVERIFY(!support.detail.empty());
        QCOMPARE(cm::activePrecision(), support.bf16 ? cm::Precision::Bf16 : cm::Precision::Fp32);
        QVERIFY(cm::precisionNote().empty()); // Auto never complains
        if (support.bf16) QVERIFY(support.avx512Bf16 || support.amxBf16);
        cm::setPrecision(cm::Precision::Fp32);
    }

    void bf16AgreesWithFp32_data() {
        QTest::addColumn<QString>("network");
        QTest::addColumn<int>("batch");
        QTest::newRow("unet 28x28x1 conditional, batch 1") << "unet-gray" << 1;
        QTest::newRow("unet 28x28x1 conditional, batch 5") << "unet-gray" << 5;
        QTest::newRow("unet 28x28x3, batch 3") << "unet-colour" << 3;
        QTest::newRow("adm scale-shift, batch 2") << "adm-film" << 2;
        QTest::newRow("adm added embedding, batch 2") << "adm-add" << 2;
    }
    void bf16AgreesWithFp32() {
        if (!cm::precisionSupport().bf16) QSKIP("this CPU has no bfloat16 support (the fallback is tested below)");
        QFETCH(QString, network);
        QFETCH(int, batch);
        cm::ModelCard card;
        int label = -1;
        if (network == "unet-gray") {
            card = cmtest::tinyUNetCard(cm::ModelKind::Consistency, 10);
            label = 4;
        } else if (network == "unet-colour") {
            card = cmtest::tinyUNetCard(cm::ModelKind::EdmDenoiser, 0, 3);
        } else {
            card = admCard(network == "adm-film");
        }
        const cm::Model model = cmtest::perturbedModel(card, 31, 0.08);
        const auto x = randomImages(batch, card.network.imageSize, card.network.channels, 77);
        for (double sigma : {0.3, 2.5, 40.0}) {
            const auto reference = evaluateIn(cm::Precision::Fp32, model, x, sigma, label);
            const auto low = evaluateIn(cm::Precision::Bf16, model, x, sigma, label);
            QCOMPARE(low[0].type(), CV_32FC(card.network.channels)); // float32 at the API
            const double difference = maxAbsDifference(low, reference), scale = maxAbs(reference);
            const double rms = relativeRms(low, reference);
            qInfo("%s sigma %.1f: max |bf16 - fp32| = %.3g, max |fp32| = %.3g, relative RMS %.3g", qPrintable(network),
                  sigma, difference, scale, rms);
            QVERIFY2(rms <= kBf16RelativeRms, qPrintable(QString::number(rms)));
            QVERIFY2(difference <= kBf16RelativeMax * scale, qPrintable(QString::number(difference)));
            QVERIFY2(difference > 0.0, "bfloat16 gave bit-identical output: it did not run");
            // A second evaluation reuses the cached bfloat16 weights and must give the same images.
            QCOMPARE(maxAbsDifference(evaluateIn(cm::Precision::Bf16, model, x, sigma, label), low), 0.0);
        }
    }

    // The cached bfloat16 weights belong to one model: two models evaluated in turn give each its own output.
    void cachedWeightsFollowTheirModel() {
        if (!cm::precisionSupport().bf16) QSKIP("this CPU has no bfloat16 support");
        const auto card = cmtest::tinyUNetCard(cm::ModelKind::Consistency, 10);
        const cm::Model a = cmtest::perturbedModel(card, 1, 0.08), b = cmtest::perturbedModel(card, 2, 0.08);
        const auto x = randomImages(2, 28, 1, 5);
        const auto aFirst = evaluateIn(cm::Precision::Bf16, a, x, 2.5, 3);
        const auto bOut = evaluateIn(cm::Precision::Bf16, b, x, 2.5, 3);
        const auto bReference = evaluateIn(cm::Precision::Fp32, b, x, 2.5, 3);
        QVERIFY(relativeRms(bOut, bReference) <= kBf16RelativeRms);
        QVERIFY(maxAbsDifference(aFirst, bOut) > 0.1 * maxAbs(bReference));
        QCOMPARE(maxAbsDifference(evaluateIn(cm::Precision::Bf16, a, x, 2.5, 3), aFirst), 0.0);
    }

    // Training in bfloat16 (autocast-style: bfloat16 forwards, float32 weights and gradients) follows the
    // float32 run: the same first loss to bfloat16's rounding, and the same fall of the loss.
    void trainingInBf16FollowsFp32() {
        if (!cm::precisionSupport().bf16) QSKIP("this CPU has no bfloat16 support");
        QTemporaryDir dir;
        const auto fp32 = trainingLosses(cm::Precision::Fp32, dir.filePath("fp32.safetensors"));
        const auto bf16 = trainingLosses(cm::Precision::Bf16, dir.filePath("bf16.safetensors"));
        QCOMPARE(bf16.size(), fp32.size());
        const double early32 = meanOf(fp32, 0, 10), late32 = meanOf(fp32, 30, 40);
        const double early16 = meanOf(bf16, 0, 10), late16 = meanOf(bf16, 30, 40);
        qInfo("second loss %.6g (fp32) %.6g (bf16); mean of steps 1-10 %.4g / %.4g, of steps 31-40 %.4g / %.4g",
              fp32[1], bf16[1], early32, early16, late32, late16);
        // The first step's network is exactly zero (zero-initialised output layers) in both precisions.
        QVERIFY2(fp32[1] != bf16[1], "the bfloat16 run computed in float32");
        QVERIFY(std::abs(bf16[1] - fp32[1]) <= 0.02 * fp32[1]);
        QVERIFY2(late32 < 0.7 * early32, "the float32 run did not learn: the comparison would prove nothing");
        QVERIFY(std::abs(late16 - late32) <= 0.15 * late32);
        // The trained float32 weights evaluate the same in either precision, to bfloat16's tolerance.
        const cm::Model model = cm::Model::load(dir.filePath("bf16.safetensors").toStdString());
        const auto x = randomImages(4, 28, 1, 8);
        const auto reference = evaluateIn(cm::Precision::Fp32, model, x, 1.0, -1);
        QVERIFY(relativeRms(evaluateIn(cm::Precision::Bf16, model, x, 1.0, -1), reference) <= kBf16RelativeRms);
    }

    // With the detector told "no bfloat16" (a CPU without it), every request computes in float32, says so,
    // and gives float32's output exactly. Runs in a child process: detection happens once per process.
    void fallbackWithoutBf16() {
        QProcess child;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert("CMSTUDIO_DISABLE_BF16", "1");
        env.insert("CMSTUDIO_TEST_FALLBACK_CHILD", "1");
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {"fallbackChild"});
        QVERIFY(child.waitForFinished(600000));
        const QString output = QString::fromUtf8(child.readAllStandardOutput() + child.readAllStandardError());
        QVERIFY2(child.exitCode() == 0, qPrintable(output));
        QVERIFY2(output.contains("PASS   : TestPrecision::fallbackChild()"), qPrintable(output));
    }
    void fallbackChild() {
        if (qEnvironmentVariableIsEmpty("CMSTUDIO_TEST_FALLBACK_CHILD")) QSKIP("run by fallbackWithoutBf16");
        const auto& support = cm::precisionSupport();
        QVERIFY(!support.bf16);
        QVERIFY(QString::fromStdString(support.detail).contains("CMSTUDIO_DISABLE_BF16"));
        cm::setPrecision(cm::Precision::Auto);
        QCOMPARE(cm::activePrecision(), cm::Precision::Fp32);
        QVERIFY(cm::precisionNote().empty());
        cm::setPrecision(cm::Precision::Bf16);
        QCOMPARE(cm::activePrecision(), cm::Precision::Fp32);
        const QString note = QString::fromStdString(cm::precisionNote());
        QVERIFY2(note.contains("bfloat16 was asked for") && note.contains("float32"), qPrintable(note));
        QVERIFY(cm::precisionSummary().rfind("float32", 0) == 0);

        const cm::Model model = cmtest::perturbedModel(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 10), 31, 0.08);
        const auto x = randomImages(2, 28, 1, 77);
        cm::setPrecision(cm::Precision::Bf16);
        const auto forced = cm::evaluateModel(model, x, 2.5, cm::Conditioning::ofClass(4));
        cm::setPrecision(cm::Precision::Fp32);
        const auto reference = cm::evaluateModel(model, x, 2.5, cm::Conditioning::ofClass(4));
        QCOMPARE(maxAbsDifference(forced, reference), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestPrecision)
#include "test_precision.moc"
