// The deterministic-autoencoder baseline (core/tokenizer/autoencoder_baseline.h): trained on a tiny set its
// reconstructions (one evaluation of the plain decoder) beat the mean image by a wide margin; the file is a
// tokenizer that says what it is; it is seeded; bad runs are refused.
#include "core/error.h"
#include "core/tokenizer/autoencoder_baseline.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "expect_error.h"
#include "tokenizer_fixtures.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

namespace {

QByteArray fileBytes(const std::string& path) {
    QFile file(QString::fromStdString(path));
    file.open(QIODevice::ReadOnly);
    return file.readAll();
}

} // namespace

class TestAutoencoderBaseline : public QObject {
    Q_OBJECT
  private slots:
    void beatsTheMeanImage() {
        QTemporaryDir dir;
        const auto data = cmtest::squares();
        const auto params = cmtest::tinyAutoencoderParams(dir, "ae.safetensors");
        const auto summary = cm::trainDeterministicAutoencoder(params, data);
        QCOMPARE(summary.steps, 600L);
        const auto tokenizer = cm::Tokenizer::load(params.outputPath);
        QVERIFY(tokenizer.card().isDeterministic());
        QCOMPARE(tokenizer.card().stages, (std::vector<std::string>{"autoencoder"}));
        QCOMPARE(tokenizer.decodeEvaluations({}), 1);
        const auto originals = cm::datasetImages(data, 0, 4);
        const auto decoded = tokenizer.decode(tokenizer.encode(originals));
        double error = 0;
        for (int i = 0; i < 4; ++i)
            error += cv::norm(decoded[std::size_t(i)], originals[std::size_t(i)], cv::NORM_L2SQR) / 256.0 / 4;
        const double mean = cmtest::meanImageError(data);
        QVERIFY2(error < 0.25 * mean, qPrintable(QString("autoencoder %1 vs mean image %2").arg(error).arg(mean)));
        // Deterministic: the noise seed does not matter.
        cm::DecodeParams other;
        other.seed = 77;
        QCOMPARE(cv::norm(tokenizer.decode(tokenizer.encode(originals), other)[0], decoded[0], cv::NORM_INF), 0.0);
        const auto log = QString(fileBytes(params.outputPath + ".csv")).trimmed().split('\n');
        QCOMPARE(log.size(), 1 + 12);
        QCOMPARE(log[0], QString("step,samples,loss,mse,perceptual,commitment,entropy,grad_norm,lr,seconds"));
        // Seeded: the same short run twice writes the same file.
        auto a = cmtest::tinyAutoencoderParams(dir, "a.safetensors"), b = cmtest::tinyAutoencoderParams(dir, "b.safetensors");
        a.totalSteps = b.totalSteps = 20;
        cm::trainDeterministicAutoencoder(a, data);
        cm::trainDeterministicAutoencoder(b, data);
        QCOMPARE(fileBytes(a.outputPath), fileBytes(b.outputPath));
    }

    void badRunsAreRefused() {
        QTemporaryDir dir;
        const auto data = cmtest::squares();
        auto params = cmtest::tinyAutoencoderParams(dir, "ae.safetensors");
        params.totalSteps = 1;
        cm::trainDeterministicAutoencoder(params, data);
        QCOMPARE(cmtest::expectError([&] { cm::trainDeterministicAutoencoder(params, data); }).kind(),
                 cm::ErrorKind::InvalidArgument); // exists
        params.overwrite = true;
        params.resume = true;
        QCOMPARE(cmtest::expectError([&] { cm::trainDeterministicAutoencoder(params, data); }).kind(),
                 cm::ErrorKind::InvalidArgument);
        params.resume = false;
        params.config = cm::tokenizerPreset("lo", 28, 1);
        QCOMPARE(cmtest::expectError([&] { cm::trainDeterministicAutoencoder(params, data); }).kind(), cm::ErrorKind::Shape);
    }
};

QTEST_MAIN(TestAutoencoderBaseline)
#include "test_autoencoder_baseline.moc"
