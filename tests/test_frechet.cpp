// The Frechet distance: closed forms, symmetry, invariances and bad input.
#include "core/frechet.h"
#include "expect_error.h"

#include <QtTest>

#include <cmath>
#include <random>

using cmtest::expectError;

namespace {

cm::FeatureStatistics gaussian(std::vector<double> mean, std::vector<double> covariance) {
    cm::FeatureStatistics s;
    s.dimension = int(mean.size());
    s.count = 1000;
    s.mean = std::move(mean);
    s.covariance = std::move(covariance);
    return s;
}

// R diag(values) R^T for the 2-D rotation by `angle`.
std::vector<double> rotated(double angle, double a, double b) {
    const double c = std::cos(angle), s = std::sin(angle);
    return {c * c * a + s * s * b, c * s * (a - b), c * s * (a - b), s * s * a + c * c * b};
}

} // namespace

class TestFrechet : public QObject {
    Q_OBJECT
  private slots:
    void statisticsAreMeanAndUnbiasedCovariance() {
        const std::vector<float> features = {1, 2, 3, 4, 5, 9};
        const auto s = cm::featureStatistics(features, 3, 2);
        QCOMPARE(s.count, 3L);
        QCOMPARE(s.mean[0], 3.0);
        QCOMPARE(s.mean[1], 5.0);
        // var(1,3,5) = 4, var(2,4,9) = 13, cov = (-2*-3 + 0*-1 + 2*4) / 2 = 7
        QVERIFY(std::abs(s.covariance[0] - 4.0) < 1e-12);
        QVERIFY(std::abs(s.covariance[3] - 13.0) < 1e-12);
        QVERIFY(std::abs(s.covariance[1] - 7.0) < 1e-12);
        QVERIFY(std::abs(s.covariance[2] - 7.0) < 1e-12);
    }

    void identicalDistributionsAreAtZero() {
        const auto a = gaussian({1, -2}, rotated(0.3, 4.0, 0.25));
        QVERIFY(cm::frechetDistance(a, a) < 1e-10);
    }

    void diagonalClosedForm() {
        // |dmu|^2 + sum (sqrt(a_i) - sqrt(b_i))^2
        const auto a = gaussian({0, 0, 1}, {4, 0, 0, 0, 9, 0, 0, 0, 1});
        const auto b = gaussian({3, 4, 1}, {1, 0, 0, 0, 1, 0, 0, 0, 1});
        QVERIFY(std::abs(cm::frechetDistance(a, b) - (25.0 + 1.0 + 4.0 + 0.0)) < 1e-9);
    }

    void commutingCovariancesInAnyBasis() {
        const auto a = gaussian({0, 0}, rotated(0.7, 4.0, 1.0));
        const auto b = gaussian({0, 0}, rotated(0.7, 1.0, 9.0));
        QVERIFY(std::abs(cm::frechetDistance(a, b) - (1.0 + 4.0)) < 1e-9);
    }

    void symmetricForNonCommutingCovariances() {
        const auto a = gaussian({0.5, 0}, rotated(0.2, 5.0, 0.3));
        const auto b = gaussian({0, 1}, rotated(1.1, 2.0, 0.7));
        const double ab = cm::frechetDistance(a, b), ba = cm::frechetDistance(b, a);
        QVERIFY(ab > 0.5);
        QVERIFY(std::abs(ab - ba) < 1e-9 * ab);
    }

    void shiftingTheSamplesAddsTheSquaredShift() {
        std::mt19937 rng(3);
        std::normal_distribution<float> normal;
        std::vector<float> a(2000 * 4), b;
        for (auto& v : a)
            v = normal(rng);
        b = a;
        const float shift[4] = {1, -2, 0.5, 0};
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] += shift[i % 4];
        const double fd = cm::frechetDistance(cm::featureStatistics(a, 2000, 4), cm::featureStatistics(b, 2000, 4));
        QVERIFY(std::abs(fd - 5.25) < 1e-6);
    }

    void samplesOfTwoDifferentGaussiansMatchTheClosedForm() {
        std::mt19937 rng(7);
        std::normal_distribution<float> normal;
        const long n = 200000;
        std::vector<float> a(n * 2), b(n * 2);
        for (long i = 0; i < n; ++i) {
            a[2 * i] = normal(rng);
            a[2 * i + 1] = normal(rng);
            b[2 * i] = 2 * normal(rng) + 1;
            b[2 * i + 1] = 0.5f * normal(rng);
        }
        // (0-1)^2 + (1-2)^2 + (1-0.5)^2 = 2.25
        const double fd = cm::frechetDistance(cm::featureStatistics(a, n, 2), cm::featureStatistics(b, n, 2));
        QVERIFY2(std::abs(fd - 2.25) < 0.03, qPrintable(QString::number(fd)));
    }

    void badInputIsRefusedWithAReason() {
        QCOMPARE(expectError([] { cm::featureStatistics({1, 2}, 1, 2); }).kind(), cm::ErrorKind::Data);
        const auto nan = expectError([] { cm::featureStatistics({1, 2, NAN, 4}, 2, 2, "sample features"); });
        QCOMPARE(nan.kind(), cm::ErrorKind::Numeric);
        QVERIFY(QString(nan.what()).contains("sample features"));
        QCOMPARE(expectError([] { cm::featureStatistics({1, 2, 3}, 2, 2); }).kind(),
                 cm::ErrorKind::InvalidArgument);
        const auto a = gaussian({0, 0}, {1, 0, 0, 1});
        const auto b = gaussian({0}, {1});
        QCOMPARE(expectError([&] { cm::frechetDistance(a, b); }).kind(), cm::ErrorKind::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestFrechet)
#include "test_frechet.moc"
