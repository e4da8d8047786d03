// Issue 19's measures (core/style/style_evaluation.h): the style classes, the style classifier (beats
// chance on held-out renders by a measured margin), the garment plane that lets the Fashion-MNIST
// classifier read a render, and the scores reacting as they must: copying the reference is top style
// similarity and full leakage, the ideal answer aligns with the prompt, a wrong style scores lower; the
// evaluation of a model end to end; bad input. The world: the real garments, ten synthetic palettes.
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/model.h"
#include "core/style/style_evaluation.h"
#include "core/style/style_model.h"
#include "core/style_world.h"
#include "expect_error.h"
#include "tiny_style_world.h"

#include <opencv2/imgproc.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <optional>

using namespace cm;
using cmtest::expectError;

namespace {
const std::string kModels = std::string(CMSTUDIO_SOURCE_DIR) + "/resources/models/";
}

class TestStyleEvaluation : public QObject {
    Q_OBJECT

    std::optional<StyleWorld> m_train, m_test;
    std::optional<StyleJudges> m_judges;
    std::vector<StyleCase> m_cases;

    void requireWorld() {
        if (!m_train) QSKIP("dataset-fashion-mnist is not installed");
    }

  private slots:
    void initTestCase() {
        if (!QFileInfo(QString::fromStdString(defaultFashionMnistDirectory())).isDir()) return;
        m_train.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Train), cmtest::tinyPalettes());
        m_test.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), cmtest::tinyPalettes());
        StyleClassifierParams params;
        params.renders = 4096;
        params.heldOutRenders = 512;
        params.epochs = 3;
        params.seed = 1;
        m_judges = StyleJudges{trainStyleClassifier(*m_train, *m_test, params),
                               FeatureNet::load(kModels + "fashion-mnist-classifier.safetensors")};
        m_cases = styleCases(*m_test, StyleSplit::HeldOut, 200, 7);
    }

    void styleClassesNameTheAttributes() {
        QCOMPARE(int(styleClassNames().size()), kStyleClasses);
        QCOMPARE(QString::fromStdString(styleClassNames().at(0)), QString("red stripes white"));
        for (int c = 0; c < kStyleClasses; c += 13) {
            const auto a = styleAttributesOf(c);
            QVERIFY(a.colour < kStyleColourWords && a.texture < kStyleTextureKinds && a.background < kBackgroundKinds);
        }
        requireWorld();
        const StyleSpec s{3, 20, BackgroundKind::Shade};
        const auto words = styleWordsOf(s, m_train->palettes()[3]);
        const auto a = styleAttributesOf(styleClassOf(s, m_train->palettes()[3]));
        QCOMPARE(a.colour, words[0]);
        QCOMPARE(a.texture, int(textureSettings()[20].kind));
        QCOMPARE(a.background, int(BackgroundKind::Shade));
        QCOMPARE(expectError([] { styleAttributesOf(kStyleClasses); }).kind(), ErrorKind::InvalidArgument);
    }

    // Held-out renders: held-out styles (palette or texture setting) on test-split garments.
    void theStyleClassifierBeatsChanceOnHeldOutRenders() {
        requireWorld();
        const auto& card = m_judges->styleClassifier.card();
        QCOMPARE(int(card.classNames.size()), kStyleClasses);
        std::vector<cv::Mat> ideals;
        for (const auto& c : m_cases)
            ideals.push_back(c.ideal);
        const StyleScores s = scoreStyleOutputs(m_cases, ideals, *m_judges);
        // Chance: exact class 1/140, texture kind 1/5, background 1/4; colour 1/7 (the commonest colour word
        // of these palettes is more frequent). Measured (seed 1, 4,096 renders x 3 epochs): exact 0.30,
        // colour 0.88, texture 0.44 (the held-out texture settings are every third one: new periods and
        // angles), background 0.70. The bounds keep a margin below those and far above chance.
        qInfo("held-out renders: exact class %.3f (card %.3f), colour %.3f, texture %.3f, background %.3f",
              s.styleMatch, card.heldOutScore, s.colourMatch, s.textureMatch, s.backgroundMatch);
        QVERIFY(s.styleMatch > 0.15);
        QVERIFY(s.colourMatch > 0.6);
        QVERIFY(s.textureMatch > 0.32);
        QVERIFY(s.backgroundMatch > 0.5);
        QVERIFY(card.heldOutScore > 0.15);
        // The same classifier, saved and loaded, predicts the same (it is an ordinary evaluator file).
        QTemporaryDir dir;
        const std::string file = dir.filePath("style-classifier.safetensors").toStdString();
        m_judges->styleClassifier.save(file);
        const StyleJudges loaded{FeatureNet::load(file), m_judges->garmentClassifier};
        QCOMPARE(scoreStyleOutputs(m_cases, ideals, loaded).styleMatch, s.styleMatch);
    }

    // The Fashion-MNIST classifier reads a render's garment through garmentPlane (not its luminance).
    void theGarmentClassifierReadsRenders() {
        requireWorld();
        int right = 0, luminanceRight = 0;
        std::vector<cv::Mat> planes, luminance;
        for (const auto& c : m_cases) {
            planes.push_back(garmentPlane(c.ideal));
            cv::Mat grey, f;
            cv::cvtColor(c.ideal, grey, cv::COLOR_RGB2GRAY);
            grey(cv::Rect(2, 2, 28, 28)).convertTo(f, CV_32F, 1 / 127.5, -1);
            luminance.push_back(f);
        }
        const auto byPlane = m_judges->garmentClassifier.run(planes).prediction;
        const auto byLuminance = m_judges->garmentClassifier.run(luminance).prediction;
        for (std::size_t i = 0; i < m_cases.size(); ++i) {
            right += byPlane[i] == m_cases[i].promptClass;
            luminanceRight += byLuminance[i] == m_cases[i].promptClass;
        }
        qInfo("the prompted garment read from %zu held-out renders: garment plane %d, plain luminance %d", m_cases.size(),
              right, luminanceRight);
        QVERIFY(right > int(m_cases.size()) * 7 / 10);
        QVERIFY(right > luminanceRight);
    }

    void theScoresReact() {
        requireWorld();
        std::vector<cv::Mat> references, ideals, wrongStyle;
        std::mt19937_64 rng(3);
        for (const auto& c : m_cases) {
            references.push_back(c.reference);
            ideals.push_back(c.ideal);
            StyleSpec other = m_test->drawStyle(StyleSplit::HeldOut, rng);
            while (other.background == c.style.background)
                other = m_test->drawStyle(StyleSplit::HeldOut, rng);
            wrongStyle.push_back(m_test->render(m_test->itemsOfClass(c.promptClass)[0], other, 1));
        }
        const auto copy = scoreStyleOutputs(m_cases, references, *m_judges);
        const auto ideal = scoreStyleOutputs(m_cases, ideals, *m_judges);
        const auto wrong = scoreStyleOutputs(m_cases, wrongStyle, *m_judges);
        auto show = [](const char* what, const StyleScores& s) {
            qInfo("%-10s style %.3f distance %.4f prompt %.3f leakage %.3f FD %.2f", what, s.styleMatch,
                  s.statisticsDistance, s.promptAlignment, s.leakage, s.fd);
        };
        show("copy", copy);
        show("ideal", ideal);
        show("wrong", wrong);
        // Copying the reference: top style similarity (distance exactly 0), and it shows the reference's garment.
        QCOMPARE(copy.statisticsDistance, 0.0);
        QVERIFY(copy.styleMatch >= ideal.styleMatch - 0.05);
        QVERIFY(copy.leakage > 0.7);
        QVERIFY(copy.promptAlignment < 0.15);
        // The ideal: the prompted garment in the reference's style.
        QVERIFY(ideal.promptAlignment > 0.7);
        QVERIFY(ideal.leakage < 0.15);
        QVERIFY(ideal.statisticsDistance > 0);
        // The prompted garment in another style: aligned, but far in style.
        QVERIFY(wrong.promptAlignment > 0.6);
        QVERIFY(wrong.statisticsDistance > 2 * ideal.statisticsDistance);
        QVERIFY(wrong.styleMatch < ideal.styleMatch / 3);
        QCOMPARE(ideal.fd < 1e-3, true); // the ideals against themselves
        QVERIFY(wrong.backgroundMatch < 0.1);
        QVERIFY(wrong.fd > 2 * ideal.fd);
        QCOMPARE(styleStatisticsDistance(m_judges->styleClassifier, references[0], references[0]), 0.0);
    }

    void aModelIsEvaluatedEndToEnd() {
        requireWorld();
        NetworkConfig net = styleBaseConfig("tiny");
        const Model base = Model::create(styleBaseCard(net), 1);
        FeatureNetCard features;
        features.kind = FeatureNetKind::Autoencoder;
        features.itemShape = {3, 32, 32};
        features.width = 8;
        const Model style = createStyleModel(base, FeatureNet::create(features, 2), {4, 16, 1}, 3);
        StyleEvaluationParams params;
        params.count = 4;
        params.edmPoints = 2;
        params.seed = 9;
        const auto result = evaluateStyleModel(style, *m_test, *m_judges, params);
        QCOMPARE(int(result.outputs.size()), 4);
        QCOMPARE(result.scores.images, 4L);
        QCOMPARE(result.nfe, 3);
        QVERIFY(result.secondsPerImage > 0);
        QCOMPARE(result.referenceScores.statisticsDistance, 0.0);
        // Seeded: the same cases and outputs again.
        const auto again = evaluateStyleModel(style, *m_test, *m_judges, params);
        QCOMPARE(cv::norm(again.outputs[3] - result.outputs[3], cv::NORM_INF), 0.0);
        QCOMPARE(again.scores.fd, result.scores.fd);
        // Not a style model; judges swapped; a judge that is not a classifier.
        QCOMPARE(expectError([&] { evaluateStyleModel(base, *m_test, *m_judges, params); }).kind(),
                 ErrorKind::InvalidArgument);
        const StyleJudges swapped{m_judges->garmentClassifier, m_judges->styleClassifier};
        const Error e = expectError([&] { evaluateStyleModel(style, *m_test, swapped, params); });
        QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
        QVERIFY2(QString(e.what()).contains("style classifier"), e.what());
        const StyleJudges autoencoder{FeatureNet::create(features, 1), m_judges->garmentClassifier};
        QCOMPARE(expectError([&] { checkStyleJudges(autoencoder); }).kind(), ErrorKind::InvalidArgument);
    }

    void badInputIsRefused() {
        requireWorld();
        const auto cases = std::vector<StyleCase>(m_cases.begin(), m_cases.begin() + 3);
        const std::vector<cv::Mat> two{cases[0].ideal, cases[1].ideal};
        QCOMPARE(expectError([&] { scoreStyleOutputs(cases, two, *m_judges); }).kind(), ErrorKind::InvalidArgument);
        const std::vector<cv::Mat> small{cases[0].ideal, cases[1].ideal, cv::Mat(16, 16, CV_8UC3, cv::Scalar(0, 0, 0))};
        const Error shape = expectError([&] { scoreStyleOutputs(cases, small, *m_judges); });
        QCOMPARE(shape.kind(), ErrorKind::Shape);
        QVERIFY2(QString(shape.what()).contains("16x16"), shape.what());
        QCOMPARE(expectError([&] { garmentPlane(cv::Mat(32, 32, CV_8UC1, cv::Scalar(0))); }).kind(), ErrorKind::Shape);
        QCOMPARE(expectError([&] { styleCases(*m_test, StyleSplit::HeldOut, 1, 0); }).kind(), ErrorKind::InvalidArgument);
        const std::vector<StyleCase> one(m_cases.begin(), m_cases.begin() + 1);
        QCOMPARE(expectError([&] { scoreStyleOutputs(one, {m_cases[0].ideal}, *m_judges); }).kind(),
                 ErrorKind::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestStyleEvaluation)
#include "test_style_evaluation.moc"
