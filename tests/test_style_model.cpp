// DEADiff's model family (core/style/style_model.h) on a tiny style world (two styles, two garments) that
// trains in about a minute on an idle machine (4 minutes at load 7 on 2 cores): prompt conditioning of the
// base, the Q-Former extractors, the disentangled placement of content and style tokens, the frozen base;
// end to end, the style follows the reference and the shape the prompt; bad input.
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "core/sampler.h"
#include "core/style/style_model.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "expect_error.h"
#include "tiny_style_world.h"

#include <QTemporaryDir>
#include <QtTest>

#include <optional>

using namespace cm;
using cmtest::expectError;

namespace {

using cmtest::firstTexture;
using cmtest::kBag;
using cmtest::kTrouser;
using cmtest::tinyPalettes;


// The world's ground truth as a style measure: a 4x4x4 RGB histogram of the whole image (garment and
// background), compared by total variation with each style's mean histogram over renders.
cv::Mat colourHistogram(const cv::Mat& image) {
    cv::Mat rgb8;
    if (image.depth() == CV_8U) rgb8 = image;
    else image.convertTo(rgb8, CV_8UC3, 127.5, 127.5);
    cv::Mat histogram(1, 64, CV_64F, cv::Scalar(0));
    for (int y = 0; y < rgb8.rows; ++y)
        for (int x = 0; x < rgb8.cols; ++x) {
            const auto v = rgb8.at<cv::Vec3b>(y, x);
            histogram.at<double>(0, (v[0] / 64) * 16 + (v[1] / 64) * 4 + v[2] / 64) += 1.0 / (rgb8.rows * rgb8.cols);
        }
    return histogram;
}

// The garment's pixels: those farther than 0.5 (in [-1, 1] units, Euclidean RGB) from the border's mean
// colour, the background every render has.
cv::Mat foreground(const cv::Mat& image) {
    cv::Mat f;
    if (image.depth() == CV_8U) image.convertTo(f, CV_32FC3, 1 / 127.5, -1);
    else f = image;
    cv::Vec3d border(0, 0, 0);
    int n = 0;
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x)
            if (y < 2 || x < 2 || y >= f.rows - 2 || x >= f.cols - 2) {
                border += cv::Vec3d(f.at<cv::Vec3f>(y, x));
                ++n;
            }
    border /= n;
    cv::Mat mask(f.size(), CV_8U, cv::Scalar(0));
    for (int y = 0; y < f.rows; ++y)
        for (int x = 0; x < f.cols; ++x)
            if (cv::norm(cv::Vec3d(f.at<cv::Vec3f>(y, x)) - border) > 0.5) mask.at<uchar>(y, x) = 255;
    return mask;
}

double iou(const cv::Mat& a, const cv::Mat& b) {
    const double inter = cv::countNonZero(a & b), uni = cv::countNonZero(a | b);
    return uni == 0 ? 0 : inter / uni;
}

} // namespace

class TestStyleModel : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<StyleWorld> m_world;
    StyleSpec m_warm, m_cool;
    std::string m_basePath, m_featuresPath, m_stylePath;
    std::optional<Model> m_base, m_style;
    std::map<int, cv::Mat> m_classSilhouette;

    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }
    void requireWorld() {
        if (!m_world) QSKIP("dataset-fashion-mnist is not installed");
    }
    cv::Mat reference(int garmentClass, const StyleSpec& style, uint64_t seed) const {
        return m_world->render(m_world->itemsOfClass(garmentClass)[seed % 50], style, seed);
    }
    cv::Mat noisyInput(uint64_t seed) const {
        cv::Mat floats;
        reference(kBag, m_warm, seed).convertTo(floats, CV_32F, 1.0 / 127.5, -1.0);
        cv::Mat noise(floats.size(), CV_32FC3);
        cv::RNG rng(seed);
        rng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
        return floats + noise;
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        if (!QFileInfo(QString::fromStdString(defaultFashionMnistDirectory())).isDir()) return;
        m_world.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), tinyPalettes());
        m_warm = {0, firstTexture(TextureKind::Stripes), BackgroundKind::White};
        m_cool = {1, firstTexture(TextureKind::Dots), BackgroundKind::Black};
        m_world->restrict({kTrouser, kBag}, {m_warm, m_cool});
        for (int c : {kTrouser, kBag}) {
            cv::Mat sum(kStyledImageSize, kStyledImageSize, CV_32F, cv::Scalar(0));
            for (int i = 0; i < 200; ++i) {
                cv::Mat s;
                garmentSilhouette(m_world->garment(m_world->itemsOfClass(c)[std::size_t(i)])).convertTo(s, CV_32F, 1 / 255.0);
                sum += s;
            }
            m_classSilhouette[c] = sum / 200 > 0.5;
        }

        FeatureNetTrainParams features;
        features.kind = FeatureNetKind::Autoencoder;
        features.width = 8;
        features.featureDim = 32;
        features.epochs = 2;
        features.batchSize = 64;
        features.horizontalFlips = false;
        features.seed = 3;
        m_featuresPath = path("features.safetensors");
        trainFeatureNet(m_world->renderDataset(1024, StyleSplit::Train, 4), {}, features).save(m_featuresPath);

        StyleTrainParams base;
        base.stage = StyleStage::Base;
        base.base = styleBaseConfig("tiny");
        base.totalSteps = 500;
        base.batchSize = 16;
        base.learningRate = 2e-3;
        base.emaRate = 0.9;
        base.pMean = -0.6; // a short run: more of it where the prompt decides the shape
        base.seed = 5;
        base.outputPath = m_basePath = path("base.safetensors");
        base.logEvery = 100;
        base.checkpointEvery = 1000;
        const auto baseRun = trainStyleModel(base, *m_world);
        qInfo("base: %ld steps in %.1f s, last logged loss %.4f", baseRun.steps, baseRun.seconds, baseRun.lastLoggedLoss);

        StyleTrainParams extractors = base;
        extractors.stage = StyleStage::Extractors;
        extractors.basePath = m_basePath;
        extractors.featureNetPath = m_featuresPath;
        extractors.extractors = {16, 32, 1};
        extractors.totalSteps = 400;
        extractors.batchSize = 12;
        extractors.pMean = defaultNoiseLevels(StyleStage::Extractors).mean;
        extractors.pStd = defaultNoiseLevels(StyleStage::Extractors).std;
        extractors.outputPath = m_stylePath = path("style.safetensors");
        const auto styleRun = trainStyleModel(extractors, *m_world);
        qInfo("extractors: %ld steps in %.1f s, last logged loss %.4f", styleRun.steps, styleRun.seconds,
              styleRun.lastLoggedLoss);
        m_base = Model::load(m_basePath);
        m_style = Model::load(m_stylePath);
    }

    void promptsAreWordsOfTheStyleWorld() {
        QCOMPARE(promptTokens("dress"), std::vector<int>{3});
        QCOMPARE(promptTokens("A Trouser"), std::vector<int>{1});
        const Error unknown = expectError([] { promptTokens("spaceship"); });
        QCOMPARE(unknown.kind(), ErrorKind::InvalidArgument);
        for (const char* word : {"spaceship", "t-shirt", "dress", "ankle-boot"})
            QVERIFY2(QString(unknown.what()).contains(word), unknown.what());
    }

    void architectureRoundTripsAndCountsItsWeights() {
        NetworkConfig style = styleBaseConfig("tiny");
        style.imageQueries = 16;
        style.qformerWidth = 32;
        style.qformerLayers = 2;
        style.referenceWidth = 8;
        for (const NetworkConfig& config : {styleBaseConfig("tiny"), styleBaseConfig("small"), style}) {
            const std::string json = networkConfigToJson(config);
            QCOMPARE(networkConfigToJson(networkConfigFromJson(json, "test")), json);
            QCOMPARE(config.parameterCount(), Model::create(styleBaseCard(config), 1).parameterCount());
        }
        // The placement: content at the lowest cross-attention resolution only.
        QVERIFY(style.isContentLayer(16) && !style.isContentLayer(32));
        NetworkConfig single = style;
        single.crossAttentionResolutions = {16};
        QCOMPARE(expectError([&] { single.validate(); }).kind(), ErrorKind::InvalidArgument);
        NetworkConfig classes = styleBaseConfig("tiny");
        classes.numClasses = 10;
        QCOMPARE(expectError([&] { classes.validate(); }).kind(), ErrorKind::InvalidArgument);
    }

    void thePromptConditionsTheBase() {
        requireWorld();
        const cv::Mat x = noisyInput(1);
        const auto trouser = evaluateModel(*m_base, {x}, 1.0, Conditioning::ofPrompt({kTrouser}))[0];
        const auto bag = evaluateModel(*m_base, {x}, 1.0, Conditioning::ofPrompt({kBag}))[0];
        const auto none = evaluateModel(*m_base, {x}, 1.0, Conditioning::none())[0];
        QVERIFY2(cv::norm(trouser - bag, cv::NORM_INF) > 0.05, "the prompt does not change the denoiser's output");
        QVERIFY(cv::norm(trouser - none, cv::NORM_INF) > 0.01);
        // Carried per image: a batch of two prompts gives each image its own.
        Conditioning both;
        both.promptTokens = {{kTrouser}, {kBag}};
        const auto pair = evaluateModel(*m_base, {x, x}, 1.0, both);
        QVERIFY(cv::norm(pair[0] - trouser, cv::NORM_INF) < 1e-5 && cv::norm(pair[1] - bag, cv::NORM_INF) < 1e-5);
    }

    void extractorsRespondToTheReferenceAndTheInstruction() {
        requireWorld();
        const auto tokens = extractImageTokens(*m_style, {reference(kBag, m_warm, 1), reference(kBag, m_cool, 1)});
        QCOMPARE(tokens.size(), std::size_t(2));
        QCOMPARE(tokens[0].queries, 16);
        QCOMPARE(tokens[0].width, m_style->card().network.contextWidth);
        auto maxDiff = [](const std::vector<float>& a, const std::vector<float>& b) {
            double d = 0;
            for (std::size_t i = 0; i < a.size(); ++i)
                d = std::max(d, double(std::abs(a[i] - b[i])));
            return d;
        };
        QVERIFY2(maxDiff(tokens[0].style, tokens[1].style) > 1e-3, "style tokens ignore the reference");
        QVERIFY2(maxDiff(tokens[0].content, tokens[1].content) > 1e-3, "content tokens ignore the reference");

        const auto alone = extractImageTokens(*m_style, {reference(kBag, m_warm, 1)})[0];
        const auto own = instructionToken(*m_style, StyleExtractor::Style);
        const auto other = instructionToken(*m_style, StyleExtractor::Content);
        QVERIFY(maxDiff(own, other) > 0);
        setInstructionToken(*m_style, StyleExtractor::Style, other);
        const auto instructedOtherwise = extractImageTokens(*m_style, {reference(kBag, m_warm, 1)});
        setInstructionToken(*m_style, StyleExtractor::Style, own);
        QVERIFY2(maxDiff(instructedOtherwise[0].style, alone.style) > 1e-4,
                 "the style extractor's output does not depend on its instruction token");
        QCOMPARE(maxDiff(instructedOtherwise[0].content, alone.content), 0.0);
        QCOMPARE(maxDiff(extractImageTokens(*m_style, {reference(kBag, m_warm, 1)})[0].style, alone.style), 0.0);
    }

    void contentAndStyleTokensReachOnlyTheirLayers() {
        requireWorld();
        Conditioning both = Conditioning::ofPrompt({kTrouser});
        both.referenceImages = {reference(kBag, m_warm, 2)};
        Conditioning styleOnly = both, contentOnly = both;
        styleOnly.referenceUse = Conditioning::ReferenceUse::StyleOnly;     // content tokens zeroed
        contentOnly.referenceUse = Conditioning::ReferenceUse::ContentOnly; // style tokens zeroed
        const cv::Mat x = noisyInput(2);
        const auto withoutContent = crossAttentionResponses(*m_style, x, 1.0, both, styleOnly);
        const auto withoutStyle = crossAttentionResponses(*m_style, x, 1.0, both, contentOnly);
        // tiny: encoder 32, 16; middle 16; decoder 16, 16, 32, 32
        QCOMPARE(withoutContent.size(), std::size_t(7));
        int content = 0, style = 0;
        for (std::size_t i = 0; i < withoutContent.size(); ++i) {
            const auto& a = withoutContent[i];
            const auto& b = withoutStyle[i];
            qInfo("layer %d at %d px (%s): zeroing content changes it by %.2e, zeroing style by %.2e", a.layer,
                  a.resolution, a.contentLayer ? "content" : "style", a.change, b.change);
            QCOMPARE(a.contentLayer, a.resolution == 16);
            if (a.contentLayer) {
                QVERIFY2(a.change > 1e-5, "a content layer does not receive the content tokens");
                QCOMPARE(b.change, 0.0);
                ++content;
            } else {
                QVERIFY2(b.change > 1e-5, "a style layer does not receive the style tokens");
                QCOMPARE(a.change, 0.0);
                ++style;
            }
        }
        QCOMPARE(content, 4);
        QCOMPARE(style, 3);
    }

    // DEADiff's point: the style comes from the reference, the shape from the prompt. Each garment is
    // prompted with a reference of the other garment in each style ("style only", DEADiff's style mode) and
    // judged by measures of the world's ground truth, not by the model: the nearest style's mean colour
    // histogram and the class whose mean silhouette the output's garment overlaps most.
    void theStyleFollowsTheReferenceAndTheShapeThePrompt() {
        requireWorld();
        const StyleSpec styles[] = {m_warm, m_cool};
        cv::Mat styleMean[2];
        for (int s = 0; s < 2; ++s) {
            styleMean[s] = cv::Mat(1, 64, CV_64F, cv::Scalar(0));
            for (int i = 0; i < 40; ++i)
                styleMean[s] += colourHistogram(reference(i % 2 ? kBag : kTrouser, styles[s], 3000 + uint64_t(i))) / 40;
        }
        auto styleOf = [&](const cv::Mat& image) {
            const cv::Mat h = colourHistogram(image);
            return cv::norm(h - styleMean[0], cv::NORM_L1) < cv::norm(h - styleMean[1], cv::NORM_L1) ? 0 : 1;
        };
        auto classOf = [&](const cv::Mat& image) {
            const cv::Mat mask = foreground(image);
            return iou(mask, m_classSilhouette[kTrouser]) > iou(mask, m_classSilhouette[kBag]) ? kTrouser : kBag;
        };
        int measuredRight = 0; // the measures themselves, on renders they did not see
        for (int i = 0; i < 40; ++i) {
            const int c = i % 2 ? kBag : kTrouser, s = (i / 2) % 2;
            const cv::Mat r = reference(c, styles[s], 5000 + uint64_t(i));
            measuredRight += (styleOf(r) == s) + (classOf(r) == c);
        }
        QVERIFY2(measuredRight >= 78, qPrintable(QString("the measures are right on %1 of 80 renders").arg(measuredRight)));

        const int n = 16;
        SampleParams params;
        params.count = n;
        params.seed = 100;
        params.conditioning.referenceUse = Conditioning::ReferenceUse::StyleOnly;
        for (int j = 0; j < n; ++j) {
            const int prompt = j % 2 ? kBag : kTrouser, other = j % 2 ? kTrouser : kBag;
            params.conditioning.promptTokens.push_back({prompt});
            params.conditioning.referenceImages.push_back(reference(other, styles[(j / 2) % 2], 900 + uint64_t(j)));
        }
        const auto images = sample(*m_style, params).images;
        int styleHits = 0, shapeHits = 0;
        for (int j = 0; j < n; ++j) {
            styleHits += styleOf(images[std::size_t(j)]) == (j / 2) % 2;
            shapeHits += classOf(images[std::size_t(j)]) == (j % 2 ? kBag : kTrouser);
        }
        qInfo("the output has the reference's style in %d of %d images and the prompted shape in %d", styleHits, n,
              shapeHits);
        // Chance is 8 of 16; 13 or more happens by chance with probability 1.1%. The shape is bounded by the
        // 500-step base's own grasp of the two silhouettes (12 of 16 measured, 9 with the extractors broken).
        QVERIFY2(styleHits >= 13, "the output's style does not follow the reference");
        QVERIFY2(shapeHits >= 11, "the output's shape does not follow the prompt");
    }

    void theBaseStaysBitIdentical() {
        requireWorld();
        const SafetensorsFile base = readSafetensors(m_basePath);
        const SafetensorsFile style = readSafetensors(m_stylePath);
        for (const auto& [name, record] : base.tensors) {
            const auto it = style.tensors.find(name);
            QVERIFY2(it != style.tensors.end(), name.c_str());
            QVERIFY2(it->second.bytes == record.bytes, ("the base tensor " + name + " changed").c_str());
        }
        // The extractors did train: they differ from their initialisation.
        const Model fresh = createStyleModel(*m_base, FeatureNet::load(m_featuresPath), {16, 32, 1}, 5);
        const std::string initialPath = path("fresh.safetensors");
        fresh.save(initialPath);
        const SafetensorsFile initial = readSafetensors(initialPath);
        int trained = 0;
        for (const auto& [name, record] : style.tensors)
            if (!base.tensors.count(name) && initial.tensors.at(name).bytes != record.bytes) ++trained;
        QVERIFY2(trained > 10, "the extractors did not train");
        QVERIFY(initial.tensors.at("cross.0.to_k_image.weight").bytes == initial.tensors.at("cross.0.to_k.weight").bytes);
    }

    void badInputIsRefusedClearly() {
        requireWorld();
        SampleParams params;
        params.count = 1;
        params.conditioning = Conditioning::ofPrompt({kBag});
        const Error noReference = expectError([&] { sample(*m_style, params); });
        QCOMPARE(noReference.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(noReference.what()).contains("style model"), noReference.what());

        params.conditioning.referenceImages = {cv::Mat(16, 16, CV_8UC3, cv::Scalar(0, 0, 0))};
        const Error small = expectError([&] { sample(*m_style, params); });
        QCOMPARE(small.kind(), ErrorKind::Shape);
        QVERIFY2(QString(small.what()).contains("16x16") && QString(small.what()).contains("32x32"), small.what());
        params.conditioning.referenceImages = {cv::Mat(32, 32, CV_8UC1, cv::Scalar(0))};
        const Error grey = expectError([&] { sample(*m_style, params); });
        QCOMPARE(grey.kind(), ErrorKind::Shape);
        QVERIFY2(QString(grey.what()).contains("1 channels"), grey.what());

        params.conditioning.referenceImages = {reference(kBag, m_warm, 1)};
        QCOMPARE(expectError([&] { sample(*m_base, params); }).kind(), ErrorKind::InvalidArgument); // not a style model
        params.conditioning.promptTokens = {{m_style->card().network.promptVocabulary}};
        QCOMPARE(expectError([&] { sample(*m_style, params); }).kind(), ErrorKind::InvalidArgument); // past the vocabulary
        QCOMPARE(expectError([&] { createStyleModel(*m_style, FeatureNet::load(m_featuresPath), {}, 1); }).kind(),
                 ErrorKind::InvalidArgument);
        QCOMPARE(expectError([&] { extractImageTokens(*m_base, {reference(kBag, m_warm, 1)}); }).kind(),
                 ErrorKind::InvalidArgument);
        FeatureNetCard grey28;
        grey28.kind = FeatureNetKind::Autoencoder;
        grey28.width = 8;
        QCOMPARE(expectError([&] { createStyleModel(*m_base, FeatureNet::create(grey28, 1), {}, 1); }).kind(),
                 ErrorKind::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestStyleModel)
#include "test_style_model.moc"
