// DEADiff's model family (core/style/style_model.h) on a tiny style world (two styles, two garments) that
// trains in about a minute on an idle machine (4 minutes at load 7 on 2 cores): prompt conditioning of the
// base, the Q-Former extractors, the disentangled placement of content and style tokens, the frozen base;
// end to end, the style follows the reference and the shape the prompt; bad input. The one-step stage
// (core/style/style_consistency.h) on the same fixture: one evaluation keeps style and shape, the frozen
// extractors, resuming, refusals, and cmstudio-cli's train-style --stage consistency, stylize and info.
#include "cli_runner.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "core/schedule.h"
#include "core/sampler.h"
#include "core/style/style_consistency.h"
#include "core/style/style_model.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "expect_error.h"
#include "tiny_style_world.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
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
    std::string m_basePath, m_featuresPath, m_stylePath, m_oneStepPath;
    std::optional<Model> m_base, m_style, m_oneStep;
    StyleTrainParams m_oneStepParams;
    cv::Mat m_styleMean[2];
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

    // The world's ground truth as judges: the nearest style's mean colour histogram, and the class whose
    // mean silhouette the output's garment overlaps most.
    int styleOf(const cv::Mat& image) const {
        const cv::Mat h = colourHistogram(image);
        return cv::norm(h - m_styleMean[0], cv::NORM_L1) < cv::norm(h - m_styleMean[1], cv::NORM_L1) ? 0 : 1;
    }
    int classOf(const cv::Mat& image) const {
        const cv::Mat mask = foreground(image);
        return iou(mask, m_classSilhouette.at(kTrouser)) > iou(mask, m_classSilhouette.at(kBag)) ? kTrouser : kBag;
    }
    // Each garment prompted with a reference of the other garment in each style ("style only", DEADiff's
    // style mode): 16 images, sampled with `sampling`'s sampler; how many have the reference's style and
    // how many the prompted shape.
    struct Score {
        int style = 0, shape = 0, nfe = 0;
        double secondsPerImage = 0;
    };
    Score score(const Model& model, SampleParams params) const {
        const StyleSpec styles[] = {m_warm, m_cool};
        const int n = 16;
        params.count = n;
        params.seed = 100;
        params.conditioning = Conditioning::none();
        params.conditioning.referenceUse = Conditioning::ReferenceUse::StyleOnly;
        for (int j = 0; j < n; ++j) {
            const int prompt = j % 2 ? kBag : kTrouser, other = j % 2 ? kTrouser : kBag;
            params.conditioning.promptTokens.push_back({prompt});
            params.conditioning.referenceImages.push_back(reference(other, styles[(j / 2) % 2], 900 + uint64_t(j)));
        }
        const auto started = std::chrono::steady_clock::now();
        const auto result = sample(model, params);
        Score s;
        s.secondsPerImage = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / n;
        s.nfe = result.nfe;
        for (int j = 0; j < n; ++j) {
            s.style += styleOf(result.images[std::size_t(j)]) == (j / 2) % 2;
            s.shape += classOf(result.images[std::size_t(j)]) == (j % 2 ? kBag : kTrouser);
        }
        return s;
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
        const StyleSpec styles[] = {m_warm, m_cool};
        for (int k = 0; k < 2; ++k) {
            m_styleMean[k] = cv::Mat(1, 64, CV_64F, cv::Scalar(0));
            for (int i = 0; i < 40; ++i)
                m_styleMean[k] += colourHistogram(reference(i % 2 ? kBag : kTrouser, styles[k], 3000 + uint64_t(i))) / 40;
        }

        // The one-step stage: ECT from the style model's weights on the same pairs.
        m_oneStepParams = extractors;
        m_oneStepParams.stage = StyleStage::Consistency;
        m_oneStepParams.stylePath = m_stylePath;
        m_oneStepParams.totalSteps = 300;
        m_oneStepParams.batchSize = 12;
        m_oneStepParams.learningRate = 1e-3;
        m_oneStepParams.emaRate = 0.9;
        m_oneStepParams.pMean = defaultNoiseLevels(StyleStage::Consistency).mean;
        m_oneStepParams.pStd = defaultNoiseLevels(StyleStage::Consistency).std;
        m_oneStepParams.seed = 7;
        m_oneStepParams.outputPath = m_oneStepPath = path("style-cm.safetensors");
        const auto oneStepRun = trainStyleModel(m_oneStepParams, *m_world);
        qInfo("one-step stage: %ld steps in %.1f s, last logged loss %.4f", oneStepRun.steps, oneStepRun.seconds,
              oneStepRun.lastLoggedLoss);
        m_oneStep = Model::load(m_oneStepPath);
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

    // DEADiff's point: the style comes from the reference, the shape from the prompt, judged by measures of
    // the world's ground truth, not by the model.
    void theStyleFollowsTheReferenceAndTheShapeThePrompt() {
        requireWorld();
        const StyleSpec styles[] = {m_warm, m_cool};
        int measuredRight = 0; // the measures themselves, on renders they did not see
        for (int i = 0; i < 40; ++i) {
            const int c = i % 2 ? kBag : kTrouser, s = (i / 2) % 2;
            const cv::Mat r = reference(c, styles[s], 5000 + uint64_t(i));
            measuredRight += (styleOf(r) == s) + (classOf(r) == c);
        }
        QVERIFY2(measuredRight >= 78, qPrintable(QString("the measures are right on %1 of 80 renders").arg(measuredRight)));

        SampleParams heun;
        heun.sampler = SamplerKind::Heun; // 18 points, 35 evaluations
        const Score s = score(*m_style, heun);
        qInfo("Heun (%d evaluations, %.1f ms per image): the output has the reference's style in %d of 16 images "
              "and the prompted shape in %d",
              s.nfe, 1000 * s.secondsPerImage, s.style, s.shape);
        // Chance is 8 of 16; 13 or more happens by chance with probability 1.1%. The shape is bounded by the
        // 500-step base's own grasp of the two silhouettes: 12 of 16 when this was written, 10 on a later
        // machine and package set (the run is deterministic on one machine, not across them). Each image is
        // prompted with a reference of the *other* garment, so 9 or more says the prompt's shape wins over
        // the reference's content (expected below 8 if content leaked; not measured). It did not catch broken
        // extractors (9 of 16 then): the style bound above does.
        QVERIFY2(s.style >= 13, "the output's style does not follow the reference");
        QVERIFY2(s.shape >= 9, "the output's shape does not follow the prompt");
    }

    // Made one-step (train-style --stage consistency): ONE evaluation, the same judges, the same references.
    void theOneStepModelKeepsTheStyleOfTheReferenceAndTheShapeOfThePrompt() {
        requireWorld();
        QCOMPARE(m_oneStep->card().kind, ModelKind::Consistency);
        SampleParams oneStep;
        oneStep.sampler = SamplerKind::OneStep;
        const Score one = score(*m_oneStep, oneStep);
        SampleParams twoSteps;
        twoSteps.sampler = SamplerKind::Multistep;
        twoSteps.sigmas = consistencyPresetLevels(2, m_oneStep->card().noise);
        const Score two = score(*m_oneStep, twoSteps);
        // The style model itself sampled in one evaluation (Heun with one point: its denoiser at sigma_max),
        // what the one-step stage improves on.
        SampleParams denoiserOnce;
        denoiserOnce.sampler = SamplerKind::Heun;
        denoiserOnce.edmPoints = 1;
        const Score teacherOnce = score(*m_style, denoiserOnce);
        qInfo("one-step model, 1 evaluation (%.1f ms per image): style %d of 16, shape %d; 2 evaluations: style %d, "
              "shape %d; the style model's denoiser once: style %d, shape %d",
              1000 * one.secondsPerImage, one.style, one.shape, two.style, two.shape, teacherOnce.style,
              teacherOnce.shape);
        QCOMPARE(one.nfe, 1);
        QCOMPARE(two.nfe, 2);
        // Measured (300 steps of 12): style 16 and 16, shape 10 and 12 of 16 in one and two evaluations; with
        // the student's image tokens dropped in training, the style falls to chance (README). 13 or more
        // happens by chance with probability 1.1%. In one evaluation the shape is where the style model's
        // denoiser alone puts it (10 of 16), a weak bound (9 or more by chance: 40%); two evaluations reached
        // Heun's 12 then, 9 on the later machine (see the Heun test), bounded at 9 as Heun's is.
        QVERIFY2(one.style >= 13, "the one-step output's style does not follow the reference");
        QVERIFY2(two.style >= 13, "the two-step output's style does not follow the reference");
        QVERIFY2(one.shape >= 9, "the one-step output's shape does not follow the prompt");
        QVERIFY2(two.shape >= 9, "the two-step output's shape does not follow the prompt");
    }

    // A consistency function (f(x, sigma_min) = x) that reads the style model's tokens: the reference encoder
    // and the Q-Formers are frozen (bit-identical), the denoising network trained.
    void theOneStepModelIsAConsistencyFunctionOfTheSameTokens() {
        requireWorld();
        Conditioning conditioning = Conditioning::ofPrompt({kBag});
        conditioning.referenceImages = {reference(kTrouser, m_cool, 4)};
        const cv::Mat x = noisyInput(4);
        const auto boundary = evaluateModel(*m_oneStep, {x}, m_oneStep->card().noise.sigmaMin, conditioning)[0];
        QCOMPARE(cv::norm(boundary - x, cv::NORM_INF), 0.0);
        const SafetensorsFile style = readSafetensors(m_stylePath), oneStep = readSafetensors(m_oneStepPath);
        QCOMPARE(oneStep.tensors.size(), style.tensors.size());
        int frozen = 0, trained = 0;
        for (const auto& [name, record] : style.tensors) {
            const bool same = oneStep.tensors.at(name).bytes == record.bytes;
            const bool extractor = name.rfind("style_qformer.", 0) == 0 || name.rfind("content_qformer.", 0) == 0 ||
                                   name.rfind("reference_encoder.", 0) == 0;
            if (extractor) {
                QVERIFY2(same, ("the frozen tensor " + name + " changed").c_str());
                ++frozen;
            } else {
                trained += !same;
            }
        }
        QVERIFY2(frozen > 10, "no extractor tensors found by name");
        QVERIFY2(trained > 20, "the denoising network did not train");
        const auto a = extractImageTokens(*m_style, {reference(kTrouser, m_cool, 4)})[0];
        const auto b = extractImageTokens(*m_oneStep, {reference(kTrouser, m_cool, 4)})[0];
        QVERIFY(a.style == b.style && a.content == b.content);
    }

    void theOneStepStageRefusesWhatItMust() {
        requireWorld();
        auto p = m_oneStepParams;
        p.totalSteps = 1;
        p.outputPath = path("refused.safetensors");
        p.stylePath = "";
        const Error noStyle = expectError([&] { trainStyleModel(p, *m_world); });
        QVERIFY2(QString(noStyle.what()).contains("--style"), noStyle.what());
        p.stylePath = m_basePath; // a plain generator: the base has no extractors
        const Error base = expectError([&] { trainStyleModel(p, *m_world); });
        QCOMPARE(base.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(base.what()).contains("style model"), base.what());
        p.stylePath = m_oneStepPath; // already one-step
        const Error twice = expectError([&] { trainStyleModel(p, *m_world); });
        QVERIFY2(QString(twice.what()).contains("already a consistency model"), twice.what());
        QVERIFY(!QFileInfo::exists(QString::fromStdString(p.outputPath)));
        // Sampling without a reference, and with the denoisers' sampler.
        SampleParams params;
        params.count = 1;
        params.conditioning = Conditioning::ofPrompt({kBag});
        QVERIFY2(QString(expectError([&] { sample(*m_oneStep, params); }).what()).contains("style model"), "no reference");
        params.conditioning.referenceImages = {reference(kBag, m_warm, 1)};
        params.sampler = SamplerKind::Heun;
        QCOMPARE(expectError([&] { sample(*m_oneStep, params); }).kind(), ErrorKind::InvalidArgument);
    }

    void theOneStepStageResumesBitForBit() {
        requireWorld();
        auto straight = m_oneStepParams;
        straight.totalSteps = 4;
        straight.batchSize = 3;
        straight.ectStageSteps = 1; // the schedule of r changes at every step, so a resume must restore it
        straight.checkpointEvery = 2;
        straight.outputPath = path("cm-straight.safetensors");
        trainStyleModel(straight, *m_world);
        auto resumed = straight;
        resumed.outputPath = path("cm-resumed.safetensors");
        resumed.totalSteps = 2;
        QCOMPARE(trainStyleModel(resumed, *m_world).steps, 2L);
        resumed.totalSteps = 4;
        resumed.resume = true;
        QCOMPARE(trainStyleModel(resumed, *m_world).steps, 4L);
        const auto a = readSafetensors(straight.outputPath), b = readSafetensors(resumed.outputPath);
        for (const auto& [name, record] : a.tensors)
            QVERIFY2(b.tensors.at(name).bytes == record.bytes, name.c_str());
        QVERIFY(QString::fromStdString(a.metadata.at("training")).contains("\"objective\":\"ect\""));
    }

    // cmstudio-cli end to end: info lists the prompt words of each kind; stylize samples the one-step model
    // in one (or two) evaluations; train-style --stage consistency trains one and refuses a plain generator.
    void theCommandLineRunsTheOneStepModel() {
        requireWorld();
        const QString dir = m_dir.path();
        for (const std::string& model : {m_basePath, m_stylePath, m_oneStepPath}) {
            const auto info = cmtest::runCli({"info", QString::fromStdString(model)}, dir, 60000);
            QCOMPARE(info.exitCode, 0);
            QVERIFY2(info.out.contains("garments t-shirt, trouser, pullover") && info.out.contains("style words red"),
                     qPrintable(info.out));
        }
        QVERIFY(cv::imwrite(path("ref.png"), [&] {
            cv::Mat bgr;
            cv::cvtColor(reference(kTrouser, m_cool, 8), bgr, cv::COLOR_RGB2BGR);
            return bgr;
        }()));
        for (const char* steps : {"1", "2"}) {
            const QString out = QString("cm-%1.png").arg(steps);
            const auto run = cmtest::runCli({"stylize", "-m", QString::fromStdString(m_oneStepPath), "--reference",
                                             "ref.png", "--prompt", "bag", "--steps", steps, "--n", "8", "-o", out},
                                            dir, 60000);
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
            QVERIFY2(run.out.contains(QString("(%1 evaluations each)").arg(steps)), qPrintable(run.out));
            const cv::Mat row = cv::imread(path(qPrintable(out)));
            QVERIFY(row.cols >= 9 * kStyledImageSize && row.rows < 2 * kStyledImageSize);
        }
        const auto plain = cmtest::runCli({"stylize", "-m", QString::fromStdString(m_basePath), "--reference", "ref.png",
                                           "--prompt", "bag", "-o", "plain.png"},
                                          dir, 60000);
        QVERIFY(plain.exitCode != 0 && plain.lastErrorLine().contains("not a style model"));

        // Training through the CLI needs an emoji folder: a few flat three-colour images stand in for it.
        QVERIFY(QDir(dir).mkpath("emoji"));
        // 30 images, every 10th held out; each has three far-apart colours (the loader's palettes need them).
        cv::RNG rng(11);
        for (int i = 0; i < 30; ++i) {
            cv::Mat image(32, 32, CV_8UC3, cv::Scalar(255, 255, 255));
            const cv::Scalar dark(rng.uniform(0, 80), rng.uniform(0, 80), rng.uniform(0, 80));
            const cv::Scalar bright(rng.uniform(170, 250), rng.uniform(170, 250), rng.uniform(0, 60));
            const cv::Scalar middle(rng.uniform(0, 60), rng.uniform(100, 160), rng.uniform(170, 250));
            image(cv::Rect(2, 2, 10, 28)).setTo(dark);
            image(cv::Rect(12, 2, 9, 28)).setTo(bright);
            image(cv::Rect(21, 2, 9, 28)).setTo(middle);
            QVERIFY(cv::imwrite(path(qPrintable(QString("emoji/e%1.png").arg(i))), image));
        }
        const QStringList train{"train-style", "--stage", "consistency", "--style", QString::fromStdString(m_stylePath),
                                "-o", "cli-cm.safetensors", "--steps", "2", "--batch", "2", "--emoji", "emoji"};
        const auto trained = cmtest::runCli(train, dir, 120000);
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        QCOMPARE(Model::load(path("cli-cm.safetensors")).card().kind, ModelKind::Consistency);
        QStringList fromBase = train;
        fromBase[4] = QString::fromStdString(m_basePath);
        fromBase[6] = "cli-base-cm.safetensors";
        const auto refused = cmtest::runCli(fromBase, dir, 120000);
        QVERIFY(refused.exitCode != 0);
        QVERIFY2(refused.lastErrorLine().contains("distils a style model"), qPrintable(refused.err));
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
