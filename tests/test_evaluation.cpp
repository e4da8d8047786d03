// The evaluator: a feature network trained here on real Fashion-MNIST, its file format, FD and class
// accuracy of model samples, and the sigma search.
#include "core/dataset.h"
#include "core/error.h"
#include "core/evaluation.h"
#include "core/feature_net.h"
#include "core/model.h"
#include "core/runtime.h"
#include "expect_error.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <opencv2/imgproc.hpp>
#include <QtTest>

#include <filesystem>

using cmtest::expectError;

namespace {

cm::Dataset firstItems(const cm::Dataset& data, long count) {
    cm::Dataset out = data;
    out.values.resize(std::size_t(count * data.itemSize()));
    if (data.hasLabels()) out.labels.resize(std::size_t(count));
    return out;
}

cm::FeatureNetTrainParams smallClassifier() {
    cm::FeatureNetTrainParams p;
    p.width = 8;
    p.featureDim = 32;
    p.epochs = 1;
    p.batchSize = 64;
    p.learningRate = 3e-3;
    return p;
}

} // namespace

class TestEvaluation : public QObject {
    Q_OBJECT
    cm::Dataset m_train, m_test;
    cm::FeatureNet m_classifier;
    QTemporaryDir m_dir;

  private slots:
    void initTestCase() {
        cm::setThreadCount(1);
        m_train = firstItems(cm::loadFashionMnist(cm::defaultFashionMnistDirectory(), cm::Split::Train), 4000);
        m_test = firstItems(cm::loadFashionMnist(cm::defaultFashionMnistDirectory(), cm::Split::Test), 2000);
        m_classifier = cm::trainFeatureNet(m_train, m_test, smallClassifier());
    }

    void classifierLearnsFashionMnist() {
        // Chance is 10%; one epoch on 4,000 images reaches about 75% with this tiny network.
        const double accuracy = m_classifier.card().heldOutScore;
        qInfo("held-out accuracy after one epoch on 4,000 images: %.1f%%", 100 * accuracy);
        QVERIFY(accuracy > 0.6);
        QCOMPARE(cm::featureNetScore(m_classifier, m_test), accuracy);
        QCOMPARE(int(m_classifier.card().classNames.size()), 10);
    }

    void trainingIsReproducible() {
        const auto again = cm::trainFeatureNet(firstItems(m_train, 500), {}, smallClassifier());
        const auto twice = cm::trainFeatureNet(firstItems(m_train, 500), {}, smallClassifier());
        QCOMPARE(again.run(firstItems(m_test, 50)).features, twice.run(firstItems(m_test, 50)).features);
    }

    void fileRoundTripKeepsFeaturesAndCard() {
        const std::string path = m_dir.filePath("classifier.safetensors").toStdString();
        m_classifier.save(path);
        const auto loaded = cm::FeatureNet::load(path);
        const auto subset = firstItems(m_test, 100);
        QCOMPARE(loaded.run(subset).features, m_classifier.run(subset).features);
        QCOMPARE(loaded.run(subset).prediction, m_classifier.run(subset).prediction);
        QCOMPARE(loaded.card().heldOutScore, m_classifier.card().heldOutScore);
        QCOMPARE(loaded.card().classNames, m_classifier.card().classNames);
        QVERIFY(QString::fromStdString(loaded.card().describe()).contains("Held-out accuracy"));
    }

    void wrongFilesAreRefusedByName() {
        const std::string path = m_dir.filePath("cut.safetensors").toStdString();
        m_classifier.save(path);
        std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
        const auto truncated = expectError([&] { cm::FeatureNet::load(path); });
        QVERIFY(QString(truncated.what()).contains("cut.safetensors"));

        const std::string modelPath = m_dir.filePath("model.safetensors").toStdString();
        cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency), 1).save(modelPath);
        const auto notEvaluator = expectError([&] { cm::FeatureNet::load(modelPath); });
        QCOMPARE(notEvaluator.kind(), cm::ErrorKind::Format);
        QVERIFY(QString(notEvaluator.what()).contains("cmstudio-model"));

        const std::string evaluatorPath = m_dir.filePath("classifier2.safetensors").toStdString();
        m_classifier.save(evaluatorPath);
        const auto notModel = expectError([&] { cm::Model::load(evaluatorPath); });
        QCOMPARE(notModel.kind(), cm::ErrorKind::Format);
        QVERIFY(QString(notModel.what()).contains("not a CM Studio model"));
    }

    void wrongShapesAreRefused() {
        std::vector<cv::Mat> colour = {cv::Mat(32, 32, CV_32FC3, cv::Scalar::all(0))};
        const auto e = expectError([&] { m_classifier.run(colour); });
        QCOMPARE(e.kind(), cm::ErrorKind::Shape);
        QVERIFY(QString(e.what()).contains("28x28"));
        const auto model = cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 0, 3), 1);
        cm::EvalParams params;
        params.sampling.count = 4;
        const auto stats = cm::referenceStatistics(m_classifier, firstItems(m_test, 100));
        QCOMPARE(expectError([&] { cm::evaluateModelSamples(model, m_classifier, stats, params); }).kind(),
                 cm::ErrorKind::Shape);
    }

    void fdSeparatesRealFromDistortedImages() {
        // Two disjoint sets of real images are far closer than real vs blurred or vs noise.
        const auto reference = cm::referenceStatistics(m_classifier, firstItems(m_test, 1000));
        const auto real = cm::referenceStatistics(m_classifier, firstItems(m_train, 1000));
        cm::Dataset blurred = firstItems(m_train, 1000);
        for (long i = 0; i < blurred.count(); ++i) {
            cv::Mat image(28, 28, CV_32F, blurred.values.data() + i * 784);
            cv::blur(image.clone(), image, cv::Size(5, 5));
        }
        cm::Dataset noise = firstItems(m_train, 1000);
        cv::RNG rng(1);
        for (auto& v : noise.values)
            v = float(rng.uniform(-1.0, 1.0));
        const double fdReal = cm::frechetDistance(real, reference);
        const double fdBlur = cm::frechetDistance(cm::referenceStatistics(m_classifier, blurred), reference);
        const double fdNoise = cm::frechetDistance(cm::referenceStatistics(m_classifier, noise), reference);
        qInfo("FD real %.3f, blurred %.3f, noise %.3f", fdReal, fdBlur, fdNoise);
        QVERIFY(fdReal * 3 < fdBlur);
        QVERIFY(fdBlur < fdNoise);
    }

    void modelSamplesAreMeasuredReproducibly() {
        // Perturbed weights: a fresh network ignores its class label (its F is exactly 0).
        const auto model = cmtest::perturbedModel(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 10), 2);
        const auto reference = cm::referenceStatistics(m_classifier, firstItems(m_test, 1000));
        cm::EvalParams params;
        params.sampling.count = 40;
        params.sampling.seed = 5;
        params.keepImages = 3;
        const auto first = cm::evaluateModelSamples(model, m_classifier, reference, params);
        const auto second = cm::evaluateModelSamples(model, m_classifier, reference, params);
        QCOMPARE(first.fd, second.fd);
        QCOMPARE(first.classAccuracy, second.classAccuracy);
        QCOMPARE(first.count, 40L);
        QCOMPARE(first.nfe, 1);
        QCOMPARE(int(first.images.size()), 3);
        QVERIFY(first.classAccuracy >= 0 && first.classAccuracy <= 1);
        QVERIFY(first.samplingSeconds > 0);
        // An untrained network's samples are nowhere near clothing.
        const double floor = cm::frechetDistance(
            cm::referenceStatistics(m_classifier, firstItems(m_train, 1000)), reference);
        QVERIFY(first.fd > 10 * floor);
        // Image j uses seed + j and class j mod 10: the chunked evaluation matches one sampler call (to
        // float rounding: the batches differ in size), and not the same noise with another class.
        cm::SampleParams direct = params.sampling;
        direct.count = 3;
        direct.conditioning = cm::Conditioning::perImage({0, 1, 2});
        const auto images = cm::sample(model, direct).images;
        for (int j = 0; j < 3; ++j)
            QVERIFY(cv::norm(images[j], first.images[j], cv::NORM_INF) < 1e-5);
        direct.conditioning = cm::Conditioning::perImage({1, 2, 3});
        const auto otherClasses = cm::sample(model, direct).images;
        for (int j = 0; j < 3; ++j)
            QVERIFY(cv::norm(otherClasses[j], first.images[j], cv::NORM_L1) / 784 > 0.02);
        // Unconditional: no accuracy.
        params.classConditional = false;
        QCOMPARE(cm::evaluateModelSamples(model, m_classifier, reference, params).classAccuracy, -1.0);
    }

    void sigmaSearchKeepsTheBestMeasuredSchedule() {
        const auto model = cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 10), 3);
        const auto reference = cm::referenceStatistics(m_classifier, firstItems(m_test, 500));
        cm::SigmaSearchParams params;
        params.steps = 3;
        params.samples = 20;
        params.candidates = {0.5, 2.0, 10.0};
        const auto found = cm::searchSigmas(model, m_classifier, reference, params);
        QCOMPARE(int(found.sigmas.size()), 3);
        QCOMPARE(found.sigmas[0], 80.0);
        QVERIFY(found.sigmas[1] > found.sigmas[2]);
        // 3 candidates for the second level, then those below the chosen one for the third.
        int below = 0;
        for (double c : params.candidates)
            below += c < found.sigmas[1];
        QCOMPARE(int(found.trials.size()), 3 + below);
        double best = INFINITY;
        for (const auto& t : found.trials)
            if (t.sigmas.size() == 3) best = std::min(best, t.fd);
        QCOMPARE(found.fd, best);
        params.candidates = {90.0};
        QCOMPARE(expectError([&] { cm::searchSigmas(model, m_classifier, reference, params); }).kind(),
                 cm::ErrorKind::InvalidArgument);
    }

    void autoencoderLearnsToReconstruct() {
        cm::FeatureNetTrainParams params = smallClassifier();
        params.kind = cm::FeatureNetKind::Autoencoder;
        const auto heldOut = firstItems(m_test, 300);
        const auto untrained = cm::FeatureNet::create(
            [&] {
                cm::FeatureNetCard card;
                card.kind = cm::FeatureNetKind::Autoencoder;
                card.width = 8;
                card.featureDim = 32;
                return card;
            }(),
            0);
        const auto trained = cm::trainFeatureNet(firstItems(m_train, 2000), heldOut, params);
        const double before = cm::featureNetScore(untrained, heldOut), after = trained.card().heldOutScore;
        qInfo("autoencoder held-out MSE: untrained %.4f, trained %.4f", before, after);
        QVERIFY(after < 0.5 * before);
        QVERIFY(trained.run(heldOut).prediction.empty());
    }

    void classifierNeedsLabels() {
        cm::Dataset unlabelled = firstItems(m_train, 10);
        unlabelled.labels.clear();
        unlabelled.classNames.clear();
        QCOMPARE(expectError([&] { cm::trainFeatureNet(unlabelled, {}, smallClassifier()); }).kind(),
                 cm::ErrorKind::Data);
        QCOMPARE(expectError([&] { cm::trainFeatureNet(cm::Dataset{}, {}, smallClassifier()); }).kind(),
                 cm::ErrorKind::Data);
    }

    // An evaluator's card is read like a model's: strict, bounded, escaped (the robustness campaign).
    void hostileEvaluatorCardsGetShortErrors() {
        cm::FeatureNetCard valid;
        valid.kind = cm::FeatureNetKind::Classifier;
        valid.classNames = {"a", "b"};
        const auto refused = [&](const char* key, const std::string& value) {
            auto fields = valid.toMetadata();
            fields[key] = value;
            return QString::fromStdString(
                expectError([&] { cm::FeatureNetCard::fromMetadata(fields, "eval.safetensors"); }).what());
        };
        QVERIFY(refused("item_shape", std::string(80000, '[') + std::string(80000, ']'))
                    .contains("nested deeper"));
        QVERIFY(refused("item_shape", "[1, 28, 28, 1e400]").contains("number overflow"));
        const QString format = refused("format", "\x1b[2J" + std::string(10 << 20, 'f'));
        QVERIFY2(format.size() < 400 && format.contains("\\x1b[2Jfff"), qPrintable(format.left(400)));
        cm::FeatureNetCard hostile = valid;
        hostile.notes = "line\n\x1b]0;title\x07";
        const std::string text = hostile.describe();
        QVERIFY2(text.find('\x1b') == std::string::npos &&
                     text.find("Notes: line\\n\\x1b]0;title\\x07") != std::string::npos,
                 text.c_str());
    }
};

QTEST_GUILESS_MAIN(TestEvaluation)
#include "test_evaluation.moc"
