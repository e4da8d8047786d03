// The comparison variants of DEADiff's style model (issue 19): the placement (disentangled or both token
// sets everywhere), the extractors (dual or a single encoder in every layer), the tasks (paired or
// reconstruction only). Each changes exactly what it claims, the card records it, a file of one variant
// cannot be resumed as another, bad variants are refused. Structural: the base is trained 30 steps (so its
// zero-initialised cross-attention opens), the feature network is untrained.
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/model.h"
#include "core/style/style_model.h"
#include "core/style/style_objective.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "expect_error.h"
#include "tiny_style_world.h"

#include <QTemporaryDir>
#include <QtTest>

#include <optional>
#include <set>

using namespace cm;
using cmtest::expectError;

class TestStyleVariants : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<StyleWorld> m_world;
    StyleSpec m_warm, m_cool;
    std::string m_basePath, m_featuresPath;
    std::optional<Model> m_base;

    std::string path(const char* name) const { return m_dir.filePath(name).toStdString(); }
    void requireWorld() {
        if (!m_world) QSKIP("dataset-fashion-mnist is not installed");
    }
    Model variant(StyleExtractorConfig::Extractors extractors, bool disentangled) const {
        StyleExtractorConfig config{16, 32, 1};
        config.extractors = extractors;
        config.disentangled = disentangled;
        return createStyleModel(*m_base, FeatureNet::load(m_featuresPath), config, 5);
    }
    cv::Mat noisyInput() const {
        cv::Mat floats;
        m_world->render(m_world->itemsOfClass(cmtest::kBag)[0], m_warm, 1).convertTo(floats, CV_32F, 1 / 127.5, -1);
        cv::Mat noise(floats.size(), CV_32FC3);
        cv::RNG rng(2);
        rng.fill(noise, cv::RNG::NORMAL, 0.0, 1.0);
        return floats + noise;
    }
    // The layers' responses to zeroing the content tokens and to zeroing the style tokens.
    std::pair<std::vector<CrossAttentionResponse>, std::vector<CrossAttentionResponse>> responses(const Model& model) const {
        Conditioning both = Conditioning::ofPrompt({cmtest::kTrouser});
        both.referenceImages = {m_world->render(m_world->itemsOfClass(cmtest::kBag)[3], m_cool, 4)};
        Conditioning styleOnly = both, contentOnly = both;
        styleOnly.referenceUse = Conditioning::ReferenceUse::StyleOnly;
        contentOnly.referenceUse = Conditioning::ReferenceUse::ContentOnly;
        return {crossAttentionResponses(model, noisyInput(), 1.0, both, styleOnly),
                crossAttentionResponses(model, noisyInput(), 1.0, both, contentOnly)};
    }
    StyleTrainParams extractorRun(const char* out) const {
        StyleTrainParams p;
        p.stage = StyleStage::Extractors;
        p.basePath = m_basePath;
        p.featureNetPath = m_featuresPath;
        p.extractors = {16, 32, 1};
        p.totalSteps = 2;
        p.batchSize = 3;
        p.outputPath = path(out);
        p.checkpointEvery = 1;
        return p;
    }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        if (!QFileInfo(QString::fromStdString(defaultFashionMnistDirectory())).isDir()) return;
        m_world.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), cmtest::tinyPalettes());
        m_warm = {0, cmtest::firstTexture(TextureKind::Stripes), BackgroundKind::White};
        m_cool = {1, cmtest::firstTexture(TextureKind::Dots), BackgroundKind::Black};
        m_world->restrict({cmtest::kTrouser, cmtest::kBag}, {m_warm, m_cool});
        FeatureNetCard features;
        features.kind = FeatureNetKind::Autoencoder;
        features.itemShape = {3, 32, 32};
        features.width = 8;
        features.featureDim = 32;
        m_featuresPath = path("features.safetensors");
        FeatureNet::create(features, 3).save(m_featuresPath);
        StyleTrainParams base;
        base.stage = StyleStage::Base;
        base.base = styleBaseConfig("tiny");
        base.totalSteps = 30;
        base.batchSize = 8;
        base.learningRate = 2e-3;
        base.emaRate = 0;
        base.seed = 5;
        base.outputPath = m_basePath = path("base.safetensors");
        base.checkpointEvery = 1000;
        trainStyleModel(base, *m_world);
        m_base = Model::load(m_basePath);
    }

    // DEADiff without the disentangled placement: both sets reach every layer.
    void everywherePlacementFeedsBothSetsToEveryLayer() {
        requireWorld();
        const auto [withoutContent, withoutStyle] = responses(variant(StyleExtractorConfig::Extractors::Dual, false));
        QCOMPARE(withoutContent.size(), std::size_t(7));
        for (std::size_t i = 0; i < withoutContent.size(); ++i) {
            qInfo("layer %zu at %d px: zeroing content changes it by %.2e, zeroing style by %.2e", i,
                  withoutContent[i].resolution, withoutContent[i].change, withoutStyle[i].change);
            QVERIFY2(withoutContent[i].change > 1e-5, "a layer does not receive the content tokens");
            QVERIFY2(withoutStyle[i].change > 1e-5, "a layer does not receive the style tokens");
        }
        // The disentangled model from the same base and seed: each layer receives one set only.
        const auto [c, s] = responses(variant(StyleExtractorConfig::Extractors::Dual, true));
        for (std::size_t i = 0; i < c.size(); ++i)
            QVERIFY((c[i].change == 0) != (s[i].change == 0));
    }

    // The IP-Adapter kind: one encoder, one token set, every layer; no content set to zero.
    void aSingleEncoderFeedsOneSetToEveryLayer() {
        requireWorld();
        const Model single = variant(StyleExtractorConfig::Extractors::Single, false);
        QCOMPARE(single.card().network.imageExtractors, 1);
        QCOMPARE(single.parameterCount(), single.card().network.parameterCount());
        QVERIFY(single.parameterCount() < variant(StyleExtractorConfig::Extractors::Dual, false).parameterCount());
        const auto tokens = extractImageTokens(single, {m_world->render(m_world->itemsOfClass(cmtest::kBag)[0], m_warm, 1)});
        QCOMPARE(int(tokens[0].style.size()), 16 * single.card().network.contextWidth);
        QVERIFY(tokens[0].content.empty());
        const auto [withoutContent, withoutImage] = responses(single);
        for (std::size_t i = 0; i < withoutContent.size(); ++i) {
            QCOMPARE(withoutContent[i].change, 0.0);                              // there is no content set
            QVERIFY2(withoutImage[i].change > 1e-5, "a layer does not receive the single encoder's tokens");
        }
        QCOMPARE(expectError([&] { instructionToken(single, StyleExtractor::Content); }).kind(),
                 ErrorKind::InvalidArgument);
    }

    void reconstructionTasksDrawOnlyIdenticalPairs() {
        requireWorld();
        StyleTrainParams p;
        p.stage = StyleStage::Extractors;
        p.tasks = StyleTasks::Reconstruction;
        const NetworkConfig& net = m_base->card().network;
        int dropped = 0;
        for (uint64_t seed = 0; seed < 20; ++seed) {
            const auto batch = style::drawStyleBatch(*m_world, net, p, 10, seed);
            for (int64_t j = 0; j < 10; ++j) {
                QVERIFY(batch.relations[std::size_t(j)] == PairRelation::Identical);
                QVERIFY(torch::equal(batch.targets[j], batch.references[j]));
                const int64_t prompt = batch.prompts[j][0].item<int64_t>();
                QVERIFY2(prompt == cmtest::kTrouser || prompt == cmtest::kBag, "the target's prompt is not kept");
                QCOMPARE(batch.styleKeep[j].item<float>(), batch.contentKeep[j].item<float>());
                dropped += batch.styleKeep[j].item<float>() == 0.0f;
            }
        }
        qInfo("image tokens dropped in %d of 200 reconstruction samples", dropped);
        QVERIFY(dropped >= 15 && dropped <= 50); // 15% of 200 = 30
        // The paired tasks at the same seeds draw all three relations.
        p.tasks = StyleTasks::Paired;
        std::set<PairRelation> relations;
        for (uint64_t seed = 0; seed < 3; ++seed)
            for (const auto r : style::drawStyleBatch(*m_world, net, p, 6, seed).relations) relations.insert(r);
        QCOMPARE(int(relations.size()), 3);
    }

    void theCardRecordsTheVariantAndResumeRefusesAnother() {
        requireWorld();
        StyleTrainParams p = extractorRun("single.safetensors");
        p.extractors.extractors = StyleExtractorConfig::Extractors::Single;
        p.extractors.disentangled = false;
        p.tasks = StyleTasks::Reconstruction;
        p.totalSteps = 1;
        trainStyleModel(p, *m_world);
        const Model saved = Model::load(p.outputPath);
        QCOMPARE(saved.card().network.imageExtractors, 1);
        QVERIFY(!saved.card().network.disentangledPlacement);
        QVERIFY2(QString::fromStdString(saved.card().trainingJson).contains("reconstruction only"),
                 saved.card().trainingJson.c_str());
        const QString described = QString::fromStdString(saved.card().network.describe());
        QVERIFY2(described.contains("single image encoder") && described.contains("every cross-attention layer"),
                 qPrintable(described));
        // The same variant resumes; another is refused, naming what differs.
        p.totalSteps = 2;
        p.resume = true;
        QCOMPARE(trainStyleModel(p, *m_world).steps, 2L);
        p.totalSteps = 3;
        StyleTrainParams paired = p;
        paired.tasks = StyleTasks::Paired;
        const Error tasks = expectError([&] { trainStyleModel(paired, *m_world); });
        QCOMPARE(tasks.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(tasks.what()).contains("reconstruction"), tasks.what());
        StyleTrainParams dual = p;
        dual.extractors.extractors = StyleExtractorConfig::Extractors::Dual;
        const Error network = expectError([&] { trainStyleModel(dual, *m_world); });
        QCOMPARE(network.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(network.what()).contains("network differs"), network.what());
        StyleTrainParams disentangled = p;
        disentangled.extractors.extractors = StyleExtractorConfig::Extractors::Dual;
        disentangled.extractors.disentangled = true;
        QCOMPARE(expectError([&] { trainStyleModel(disentangled, *m_world); }).kind(), ErrorKind::InvalidArgument);
        QCOMPARE(Model::load(p.outputPath).card().trainingSteps, 2L); // the refused runs left the file alone
    }

    void theVariantsRoundTripAndDeadiffFilesStayAsTheyWere() {
        requireWorld();
        for (const auto& [extractors, disentangled] :
             {std::pair{StyleExtractorConfig::Extractors::Dual, true}, std::pair{StyleExtractorConfig::Extractors::Dual, false},
              std::pair{StyleExtractorConfig::Extractors::Single, false}}) {
            const NetworkConfig config = variant(extractors, disentangled).card().network;
            const std::string json = networkConfigToJson(config);
            const NetworkConfig back = networkConfigFromJson(json, "test");
            QCOMPARE(back.imageExtractors, config.imageExtractors);
            QCOMPARE(back.disentangledPlacement, config.disentangledPlacement);
            QCOMPARE(networkConfigToJson(back), json);
            // DEADiff's own files carry no variant keys: those written before the variants read the same.
            QCOMPARE(QString::fromStdString(json).contains("image_placement"), !disentangled);
            QCOMPARE(QString::fromStdString(json).contains("image_extractors"),
                     extractors == StyleExtractorConfig::Extractors::Single);
        }
    }

    void badVariantsAreRefused() {
        requireWorld();
        const Error single = expectError([&] { variant(StyleExtractorConfig::Extractors::Single, true); });
        QCOMPARE(single.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(single.what()).contains("everywhere"), single.what());
        for (const auto& call : std::vector<std::function<void()>>{[] { extractorsFromName("triple"); },
                                                                  [] { disentangledFromPlacementName("sideways"); },
                                                                  [] { styleTasksFromName("denoising"); }}) {
            const Error e = expectError(call);
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
        }
        QVERIFY(QString(expectError([] { extractorsFromName("triple"); }).what()).contains("single"));
        QVERIFY(QString(expectError([] { styleTasksFromName("x"); }).what()).contains("reconstruction"));
        std::string json = networkConfigToJson(variant(StyleExtractorConfig::Extractors::Dual, false).card().network);
        json.replace(json.find("everywhere"), 10, "sideways");
        QCOMPARE(expectError([&] { networkConfigFromJson(json, "test"); }).kind(), ErrorKind::Format);
        NetworkConfig three = variant(StyleExtractorConfig::Extractors::Dual, true).card().network;
        three.imageExtractors = 3;
        QCOMPARE(expectError([&] { three.validate(); }).kind(), ErrorKind::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestStyleVariants)
#include "test_style_variants.moc"
