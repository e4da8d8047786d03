// measureReconstructions (core/tokenizer/tokenizer_evaluation.h) against the same figures computed by hand
// from the public API: PSNR, MSE, reconstruction FD, class accuracy, evaluations; bad inputs refused.
#include "core/error.h"
#include "core/frechet.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "expect_error.h"

#include <QtTest>

#include <cmath>

namespace {

cm::Dataset labelledImages(int count) {
    cm::Dataset data;
    data.itemShape = {1, 28, 28};
    data.description = "random images";
    data.classNames = {"a", "b", "c"};
    cv::RNG rng(4);
    for (int i = 0; i < count; ++i) {
        cv::Mat image(28, 28, CV_32F);
        rng.fill(image, cv::RNG::UNIFORM, -1.0, 1.0);
        data.values.insert(data.values.end(), (float*)image.datastart, (float*)image.dataend);
        data.labels.push_back(i % 3);
    }
    return data;
}

cm::Tokenizer tinyTokenizer() {
    cm::TokenizerCard card;
    card.config = cm::tokenizerPreset("lo", 28, 1);
    card.config.encoderWidth = card.config.decoderWidth = 16;
    card.config.decoderDepth = 1;
    card.config.heads = 2;
    return cm::Tokenizer::create(card, 1);
}

cm::FeatureNetCard evaluatorCard() {
    cm::FeatureNetCard card;
    card.width = 8;
    card.featureDim = 8;
    card.classNames = {"a", "b", "c"};
    return card;
}

} // namespace

class TestTokenizerEvaluation : public QObject {
    Q_OBJECT

  private slots:
    void figuresMatchTheirDefinitions() {
        const cm::Tokenizer tokenizer = tinyTokenizer();
        const cm::FeatureNet evaluator = cm::FeatureNet::create(evaluatorCard(), 2);
        const cm::Dataset data = labelledImages(7);
        cm::DecodeParams params;
        params.steps = 3;
        params.seed = 9;
        const auto r = cm::measureReconstructions(tokenizer, evaluator, data, params, 4);

        std::vector<cv::Mat> originals;
        for (int i = 0; i < 7; ++i)
            originals.push_back(cv::Mat(28, 28, CV_32F, const_cast<float*>(data.values.data()) + i * 784).clone());
        const auto decoded = tokenizer.decode(tokenizer.encode(originals), params); // image j: seed + j, any batch
        double psnr = 0, mse = 0;
        for (int i = 0; i < 7; ++i) {
            const double e = cv::norm(decoded[i], originals[i], cv::NORM_L2SQR) / 784.0;
            mse += e / 7;
            psnr += 10 * std::log10(4.0 / e) / 7;
        }
        QVERIFY2(std::abs(r.psnr - psnr) < 1e-3, qPrintable(QString("%1 vs %2").arg(r.psnr).arg(psnr)));
        QVERIFY(std::abs(r.mse - mse) < 1e-5);
        const auto a = evaluator.run(decoded), b = evaluator.run(data);
        const double fd = cm::frechetDistance(cm::featureStatistics(a.features, 7, 8), cm::featureStatistics(b.features, 7, 8));
        QVERIFY2(std::abs(r.fd - fd) < 1e-3 * std::max(1.0, fd), qPrintable(QString("%1 vs %2").arg(r.fd).arg(fd)));
        long correct = 0;
        for (int i = 0; i < 7; ++i)
            correct += a.prediction[i] == data.labels[i] ? 1 : 0;
        QCOMPARE(r.classAccuracy, double(correct) / 7);
        QCOMPARE(r.count, 7L);
        QCOMPARE(r.codeBits, 55.0);
        QCOMPARE(r.evaluations, cm::flowEvaluations(cm::shiftedFlowTimes(3, 4), tokenizer.card().sampling.guidance));
        QVERIFY(r.decodeSeconds > 0);
    }

    void badInputsAreRefused() {
        const cm::Tokenizer tokenizer = tinyTokenizer();
        const cm::FeatureNet evaluator = cm::FeatureNet::create(evaluatorCard(), 2);
        QCOMPARE(cmtest::expectError([&] { cm::measureReconstructions(tokenizer, evaluator, labelledImages(1), {}); }).kind(),
                 cm::ErrorKind::Data);
        auto wrong = evaluatorCard();
        wrong.itemShape = {3, 32, 32};
        QCOMPARE(cmtest::expectError([&] {
                     cm::measureReconstructions(tokenizer, cm::FeatureNet::create(wrong, 0), labelledImages(3), {});
                 }).kind(),
                 cm::ErrorKind::Shape);
    }
};

QTEST_MAIN(TestTokenizerEvaluation)
#include "test_tokenizer_evaluation.moc"
