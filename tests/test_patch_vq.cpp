// The k-means baseline (core/tokenizer/patch_vq.h): the sizes that match the tokenizer's bits; on a tiny set
// its reconstructions beat the mean image by a wide margin; indices round-trip; bad input is a typed error.
#include "core/error.h"
#include "core/tokenizer/patch_vq.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "expect_error.h"
#include "tokenizer_fixtures.h"

#include <QtTest>

class TestPatchVq : public QObject {
    Q_OBJECT
  private slots:
    void sizesMatchTheBits() {
        auto lo = cm::patchVqForBits(55, 28, 1);
        QCOMPARE(lo.patchSize, 7);
        QCOMPARE(lo.codebookSize, 11);
        QVERIFY(std::abs(lo.codeBits() - 16 * std::log2(11.0)) < 1e-9);
        auto hi = cm::patchVqForBits(176, 28, 1);
        QCOMPARE(hi.patchSize, 4);
        QCOMPARE(hi.codebookSize, 12);
        QVERIFY(std::abs(hi.codeBits() - 176) < 0.5);
        auto emoji = cm::patchVqForBits(77, 32, 3);
        QCOMPARE(emoji.patchSize, 8);
        QCOMPARE(emoji.codebookSize, 28);
    }

    void beatsTheMeanImage() {
        const auto data = cmtest::squares();
        const auto vq = cm::PatchVq::train({16, 1, 8, 3}, data, 1);
        double error = 0;
        for (const auto& image : cm::datasetImages(data, 0, 4)) {
            const auto indices = vq.encode(image);
            QCOMPARE(indices.size(), std::size_t(4));
            QCOMPARE(vq.encode(vq.decode(indices)), indices);
            error += cv::norm(vq.decode(indices), image, cv::NORM_L2SQR) / 256.0 / 4;
        }
        const double mean = cmtest::meanImageError(data);
        QVERIFY2(error < 0.25 * mean, qPrintable(QString("k-means %1 vs mean image %2").arg(error).arg(mean)));
        // Seeded: the same codebook again.
        const auto again = cm::PatchVq::train({16, 1, 8, 3}, data, 1);
        const auto image = cm::datasetImages(data, 1, 1)[0];
        QCOMPARE(cv::norm(again.decode(again.encode(image)), vq.decode(vq.encode(image)), cv::NORM_INF), 0.0);
    }

    void badInputIsATypedError() {
        const auto data = cmtest::squares();
        QCOMPARE(cmtest::expectError([&] { cm::PatchVq::train({16, 1, 5, 3}, data, 0); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([&] { cm::PatchVq::train({28, 1, 7, 3}, data, 0); }).kind(), cm::ErrorKind::Shape);
        QCOMPARE(cmtest::expectError([&] { cm::PatchVq::train({16, 1, 8, 100}, data, 0); }).kind(), cm::ErrorKind::Data);
        const auto vq = cm::PatchVq::train({16, 1, 8, 3}, data, 0);
        QCOMPARE(cmtest::expectError([&] { vq.decode({0, 1, 2, 3}); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([&] { vq.decode({0, 1}); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([&] { vq.encode(cv::Mat(8, 8, CV_32F, cv::Scalar(0))); }).kind(), cm::ErrorKind::Shape);
    }
};

QTEST_MAIN(TestPatchVq)
#include "test_patch_vq.moc"
