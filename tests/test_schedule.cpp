// The noise-level mathematics against numbers worked out by hand.
#include "core/error.h"
#include "core/schedule.h"

#include <QtTest>

#include <cmath>

using namespace cm;

Q_DECLARE_METATYPE(std::vector<int>)

namespace {

bool throwsInvalidArgument(const std::vector<int>& ts, int steps) {
    try {
        sigmasFromTs(ts, steps, NoiseConstants{});
    } catch (const Error& e) {
        return e.kind() == ErrorKind::InvalidArgument;
    }
    return false;
}

double relativeError(double a, double b) {
    return std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

} // namespace

class TestSchedule : public QObject {
    Q_OBJECT

  private slots:
    void boundaryConditionIsExact() {
        const NoiseConstants k;
        const Scalings s = consistencyScalings(k.sigmaMin, k);
        // f(x, sigma_min) = x must hold exactly, not approximately.
        QCOMPARE(s.cSkip, 1.0);
        QCOMPARE(s.cOut, 0.0);
        QCOMPARE(s.cNoise, 0.25 * std::log(0.002));
    }

    void edmScalingsAtSigmaData() {
        const NoiseConstants k;
        const Scalings s = edmScalings(k.sigmaData, k);
        QCOMPARE(s.cSkip, 0.5);
        QVERIFY(relativeError(s.cOut, 0.5 / std::sqrt(2.0)) < 1e-15);
        QVERIFY(relativeError(s.cIn, 1.0 / std::sqrt(0.5)) < 1e-15);
    }

    void karrasGridEndpointsAndOrder() {
        const std::vector<double> grid = karrasGrid(40, NoiseConstants{});
        QCOMPARE(int(grid.size()), 40);
        QCOMPARE(grid.front(), 0.002);
        QCOMPARE(grid.back(), 80.0);
        for (std::size_t i = 1; i < grid.size(); ++i)
            QVERIFY2(grid[i] > grid[i - 1], qPrintable(QString::number(i)));
    }

    void karrasGridMiddleValue() {
        const std::vector<double> grid = karrasGrid(40, NoiseConstants{});
        // sigma_i = (sigma_min^(1/rho) + i/(N-1) (sigma_max^(1/rho) - sigma_min^(1/rho)))^rho, i = 20, N
        // = 40.
        const double a = std::pow(0.002, 1.0 / 7.0), b = std::pow(80.0, 1.0 / 7.0);
        const double expected = std::pow(a + 20.0 / 39.0 * (b - a), 7.0);
        QVERIFY2(relativeError(grid[20], expected) < 1e-12, qPrintable(QString::number(grid[20], 'g', 17)));
    }

    void karrasGridByHand() {
        // sigma_i = (sigma_min^(1/rho) + (i-1)/(N-1) (sigma_max^(1/rho) - sigma_min^(1/rho)))^rho, i = 1..N.
        const NoiseConstants k;
        const double a = std::pow(0.002, 1.0 / 7.0), b = std::pow(80.0, 1.0 / 7.0); // 0.411560, 1.870122
        QCOMPARE(karrasGrid(2, k), (std::vector<double>{0.002, 80.0}));
        const auto three = karrasGrid(3, k);
        QCOMPARE(int(three.size()), 3);
        QVERIFY(relativeError(three[1], std::pow((a + b) / 2, 7.0)) < 1e-12);
        QVERIFY(relativeError(three[1], 2.515219) < 1e-6); // 1.1408410^7
        // EDM's 18-point grid: sigma_2 and sigma_10.
        const auto eighteen = karrasGrid(18, k);
        QVERIFY(relativeError(eighteen[1], std::pow(a + 1.0 / 17.0 * (b - a), 7.0)) < 1e-12);
        QVERIFY(relativeError(eighteen[1], 0.00752802) < 1e-5);
        QVERIFY(relativeError(eighteen[9], 3.256822) < 1e-6);
        // rho = 1 is an even spacing; rho = 2 squares the midpoint of the square roots.
        NoiseConstants linear;
        linear.sigmaMin = 1.0;
        linear.sigmaMax = 5.0;
        linear.rho = 1.0;
        const auto even = karrasGrid(5, linear);
        for (int i = 0; i < 5; ++i)
            QVERIFY2(std::abs(even[i] - (1.0 + i)) < 1e-12, qPrintable(QString::number(i)));
        NoiseConstants square = linear;
        square.sigmaMax = 9.0;
        square.rho = 2.0;
        QVERIFY(std::abs(karrasGrid(3, square)[1] - 4.0) < 1e-12); // ((1 + 3) / 2)^2
    }

    void publishedTsScheduleByHand() {
        // ts = 0,22,39 on 40 steps: sigma_0 = 80, sigma_39 = 0.002 and
        // sigma_22 = (80^(1/7) + 22/39 (0.002^(1/7) - 80^(1/7)))^7 = 1.382368.
        const NoiseConstants k;
        const std::vector<double> sigmas = sigmasFromTs({0, 22, 39}, 40, k);
        QCOMPARE(int(sigmas.size()), 3);
        QCOMPARE(sigmas[0], 80.0);
        QCOMPARE(sigmas[2], 0.002);
        const double a = std::pow(0.002, 1.0 / 7.0), b = std::pow(80.0, 1.0 / 7.0);
        QVERIFY(relativeError(sigmas[1], std::pow(b + 22.0 / 39.0 * (a - b), 7.0)) < 1e-12);
        QVERIFY2(relativeError(sigmas[1], 1.382368) < 1e-6, qPrintable(QString::number(sigmas[1], 'g', 17)));
        // Other constants: on the even grid 1, 2, 3, 4, 5 (descending 5, 4, 3, 2, 1), ts 1,3 are 4 and 2.
        NoiseConstants linear;
        linear.sigmaMin = 1.0;
        linear.sigmaMax = 5.0;
        linear.rho = 1.0;
        const auto even = sigmasFromTs({1, 3}, 5, linear);
        QCOMPARE(int(even.size()), 2);
        QVERIFY(std::abs(even[0] - 4.0) < 1e-12 && std::abs(even[1] - 2.0) < 1e-12);
        // One index alone, and the last on an 18-point grid.
        QCOMPARE(sigmasFromTs({0}, 18, k), std::vector<double>{80.0});
        QCOMPARE(sigmasFromTs({17}, 18, k), std::vector<double>{0.002});
        QVERIFY(relativeError(sigmasFromTs({8}, 18, k)[0], 3.256822) < 1e-6);
    }

    void karrasGridNeedsTwoPoints() { QVERIFY_THROWS_EXCEPTION(Error, karrasGrid(1, NoiseConstants{})); }

    void sigmasFromTsIndexesTheDescendingGrid() {
        const NoiseConstants k;
        const std::vector<double> grid = karrasGrid(40, k);
        const std::vector<double> sigmas = sigmasFromTs({0, 22, 39}, 40, k);
        QCOMPARE(int(sigmas.size()), 3);
        QCOMPARE(sigmas[0], grid[39]);
        QCOMPARE(sigmas[1], grid[17]);
        QCOMPARE(sigmas[2], grid[0]);
    }

    void sigmasFromTsRejectsBadLists_data() {
        QTest::addColumn<std::vector<int>>("ts");
        QTest::newRow("negative") << std::vector<int>{-1, 3};
        QTest::newRow("equal to steps") << std::vector<int>{0, 40};
        QTest::newRow("not increasing") << std::vector<int>{0, 22, 22};
        QTest::newRow("decreasing") << std::vector<int>{22, 0};
        QTest::newRow("empty") << std::vector<int>{};
    }
    void sigmasFromTsRejectsBadLists() {
        QFETCH(std::vector<int>, ts);
        QVERIFY(throwsInvalidArgument(ts, 40));
    }

    void ctScheduleByHand() {
        // s0 = 2, s1 = 150, mu0 = 0.9, K = 1000:
        // N(k) = ceil(sqrt(k/K ((s1+1)^2 - s0^2) + s0^2) - 1) + 1, mu(k) = exp(s0 ln(mu0) / N(k)).
        QCOMPARE(ctSteps(0, 1000, 2, 150), 2); // sqrt(4) - 1 = 1 -> 2
        QCOMPARE(ctTargetEma(0, 1000, 2, 150, 0.9), 0.9);
        QCOMPARE(ctSteps(1000, 1000, 2, 150), 151); // sqrt(151^2) - 1 = 150 -> 151
        QVERIFY(relativeError(ctTargetEma(1000, 1000, 2, 150, 0.9), std::pow(0.9, 2.0 / 151.0)) < 1e-14);
        // k = 500: sqrt(0.5 (22801 - 4) + 4) = sqrt(11402.5) = 106.78..., minus 1 = 105.78, ceil 106 -> N =
        // 107.
        QCOMPARE(ctSteps(500, 1000, 2, 150), 107);
        QVERIFY(relativeError(ctTargetEma(500, 1000, 2, 150, 0.9), std::pow(0.9, 2.0 / 107.0)) < 1e-14);
    }

    void ictScheduleByHand_data() {
        QTest::addColumn<int>("step");
        QTest::addColumn<int>("expected");
        // s0 = 10, s1 = 1280, K = 1000: K' = floor(1000 / (log2(1280/10) + 1)) = floor(1000 / 8) = 125.
        QTest::newRow("k=0") << 0 << 11;
        QTest::newRow("k=124") << 124 << 11;
        QTest::newRow("k=125") << 125 << 21;
        QTest::newRow("k=250") << 250 << 41;
        QTest::newRow("k=999") << 999 << 1281;
    }
    void ictScheduleByHand() {
        QFETCH(int, step);
        QFETCH(int, expected);
        QCOMPARE(ictSteps(step, 1000, 10, 1280), expected);
    }

    void ictIndexProbabilitiesAreADistribution() {
        const std::vector<double> grid = karrasGrid(1281, NoiseConstants{});
        const std::vector<double> p = ictIndexProbabilities(grid, -1.1, 2.0);
        QCOMPARE(p.size(), grid.size() - 1);
        double total = 0;
        for (double v : p) {
            QVERIFY(v >= 0);
            total += v;
        }
        QVERIFY2(std::abs(total - 1.0) < 1e-12, qPrintable(QString::number(total, 'g', 17)));
        // Probability per unit of ln(sigma) is the lognormal density, which peaks at P_mean = -1.1.
        std::size_t best = 0;
        double bestDensity = 0;
        for (std::size_t n = 0; n < p.size(); ++n) {
            const double density = p[n] / (std::log(grid[n + 1]) - std::log(grid[n]));
            if (density > bestDensity) bestDensity = density, best = n;
        }
        const double peak = 0.5 * (std::log(grid[best]) + std::log(grid[best + 1]));
        QVERIFY2(std::abs(peak - (-1.1)) < 0.05, qPrintable(QString::number(peak)));
    }

    void ectRByHand() {
        // r = t (1 - q^-(stage+1) (1 + k sigmoid(-b t))); q = 4, k = 2, b = 1, t = 1, stage 0:
        // sigmoid(-1) = 1 / (1 + e) = 0.2689..., r = 1 - 0.25 (1 + 0.5379...) = 0.6155...
        const double sigmoid = 1.0 / (1.0 + std::exp(1.0));
        const double expected = 1.0 - 0.25 * (1.0 + 2.0 * sigmoid);
        QVERIFY(relativeError(ectR(1.0, 0, 4.0, 2.0, 1.0, 0.002), expected) < 1e-14);
    }

    void ectRApproachesT() {
        const double t = 3.0;
        double previous = 0;
        for (int stage = 2; stage < 30; ++stage) {
            const double r = ectR(t, stage, 2.0, 8.0, 1.0, 0.002);
            QVERIFY(r < t);
            QVERIFY(r > previous);
            previous = r;
        }
        QVERIFY(t - previous < 1e-6);
    }

    void ectRClampsAtSigmaMin() {
        // With the ECT defaults (q = 2, k = 8) stage 0 gives a negative r, which must clamp to sigma_min.
        QCOMPARE(ectR(1.0, 0, 2.0, 8.0, 1.0, 0.002), 0.002);
        QCOMPARE(ectR(0.002, 5, 2.0, 8.0, 1.0, 0.002), 0.002);
    }

    void edmLossWeightByHand() {
        // (1 + 0.25) / (1 * 0.25) = 5
        QCOMPARE(edmLossWeight(1.0, 0.5), 5.0);
    }
};

QTEST_APPLESS_MAIN(TestSchedule)
#include "test_schedule.moc"
