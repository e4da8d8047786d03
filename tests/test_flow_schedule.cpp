// The rectified-flow sampler (core/tokenizer/flow_schedule.h): the shifted grid's values, guidance only
// inside its interval, and the Euler integration landing on the right distribution for a Gaussian toy
// problem whose velocity is known exactly.
#include "core/error.h"
#include "core/tokenizer/flow_schedule.h"
#include "expect_error.h"

#include <QtTest>

#include <cmath>
#include <random>
#include <valarray>

using State = std::valarray<double>;

namespace {

// Data x ~ N(mu, s^2), noise z ~ N(0, 1), x_t = t z + (1 - t) x: the exact velocity E[z - x | x_t].
struct GaussianFlow {
    double mu, s;
    State operator()(const State& xt, double t) const {
        const double variance = t * t + (1 - t) * (1 - t) * s * s;
        const State centred = xt - (1 - t) * mu;
        const State noise = (t / variance) * centred;
        const State data = mu + ((1 - t) * s * s / variance) * centred;
        return noise - data;
    }
};

double mean(const State& x) {
    return x.sum() / double(x.size());
}
double stddev(const State& x) {
    const State centred = x - mean(x);
    return std::sqrt((centred * centred).sum() / double(x.size()));
}

State normalSamples(int count, unsigned seed) {
    std::mt19937 random(seed);
    std::normal_distribution<double> normal;
    State x(count);
    for (auto& value : x)
        value = normal(random);
    return x;
}

} // namespace

class TestFlowSchedule : public QObject {
    Q_OBJECT

  private slots:
    void shiftedGridValues() {
        const auto times = cm::shiftedFlowTimes(25, 4);
        QCOMPARE(int(times.size()), 26);
        QCOMPARE(times.front(), 1.0);
        QCOMPARE(times.back(), 0.0);
        QVERIFY(std::abs(times[1] - 0.84934656) < 1e-12); // (24/25)^4
        QVERIFY(std::abs(times[24] - 2.56e-6) < 1e-15);   // (1/25)^4
        for (std::size_t i = 1; i < times.size(); ++i)
            QVERIFY(times[i] < times[i - 1]);
        const auto linear = cm::shiftedFlowTimes(4, 1);
        QCOMPARE(linear, (std::vector<double>{1, 0.75, 0.5, 0.25, 0}));
        // rho = 4 puts more than half of the steps below t = 0.1.
        int below = 0;
        for (double t : times)
            below += t < 0.1 ? 1 : 0;
        QVERIFY(below > 13);
    }

    void badScheduleArguments() {
        QCOMPARE(cmtest::expectError([] { cm::shiftedFlowTimes(0, 4); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([] { cm::shiftedFlowTimes(25, 0); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([] { cm::shiftedFlowTimes(25, NAN); }).kind(), cm::ErrorKind::InvalidArgument);
        cm::FlowGuidance bad{1.5, 0.6, 0.2};
        QCOMPARE(cmtest::expectError([&] { bad.validate(); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    // The exact velocity carries N(0, 1) to N(mu, s^2); Euler on the shifted grid gets close in 25 steps
    // and closer with more.
    void gaussianToyLandsOnTheData() {
        const GaussianFlow flow{0.7, 0.3};
        const cm::FlowGuidance none{1.0, 0, 1};
        auto velocity = [&](const State& x, double t, bool) { return flow(x, t); };
        const State start = normalSamples(20000, 3);
        for (auto [steps, tolerance] : {std::pair{25, 0.02}, std::pair{400, 0.003}}) {
            const State end = cm::integrateFlow(start, cm::shiftedFlowTimes(steps, 4), velocity, none);
            QVERIFY2(std::abs(mean(end) - 0.7) < 0.01, qPrintable(QString::number(mean(end))));
            QVERIFY2(std::abs(stddev(end) - 0.3) < tolerance + 0.01, qPrintable(QString::number(stddev(end))));
        }
        // Integrating the wrong way round (the velocity of x - z) does not land there.
        auto reversed = [&](const State& x, double t, bool) { return State(-flow(x, t)); };
        const State wrong = cm::integrateFlow(start, cm::shiftedFlowTimes(25, 4), reversed, none);
        QVERIFY(std::abs(mean(wrong) - 0.7) > 0.3 || std::abs(stddev(wrong) - 0.3) > 0.3);
    }

    // The preconditioning: F's target is -x / sigma_data at t = 1 and z at t = 0; for zero-mean Gaussian data of
    // standard deviation sigma_data the skip alone is the exact velocity (F = 0), with c_out^2 the rest of Var(v).
    void outputPreconditioning() {
        const double sd = 0.5;
        QVERIFY(std::abs(cm::flowScalings(1, sd).cSkip - 1) < 1e-12);
        QVERIFY(std::abs(cm::flowScalings(1, sd).cOut - sd) < 1e-12);
        QVERIFY(std::abs(cm::flowScalings(0, sd).cSkip + 1) < 1e-12);
        QVERIFY(std::abs(cm::flowScalings(0, sd).cOut - 1) < 1e-12);
        const GaussianFlow flow{0.0, sd};
        for (double t : {0.05, 0.3, 0.5, 0.8, 0.99}) {
            const State x{-1.0, 0.25, 2.0};
            const State exact = flow(x, t);
            for (std::size_t i = 0; i < x.size(); ++i)
                QVERIFY(std::abs(exact[i] - cm::flowScalings(t, sd).cSkip * x[i]) < 1e-12);
            const double variance = t * t + (1 - t) * (1 - t) * sd * sd, c = cm::flowScalings(t, sd).cSkip;
            QVERIFY(std::abs(cm::flowScalings(t, sd).cOut * cm::flowScalings(t, sd).cOut - (1 + sd * sd - c * c * variance)) < 1e-12);
        }
        QCOMPARE(cm::flowScalings(0.3, 0).cSkip, 0.0); // FlowMo's plain output
        QCOMPARE(cm::flowScalings(0.3, 0).cOut, 1.0);
    }

    // v = v_0 + w (v_c - v_0) exactly inside [low, high], v_c alone outside; evaluations counted.
    void guidanceOnlyInsideItsInterval() {
        const cm::FlowGuidance guidance{2.0, 0.3, 0.6};
        const std::vector<double> times{1.0, 0.5, 0.4, 0.0};
        int conditional = 0, unconditional = 0;
        auto velocity = [&](const State& x, double, bool withCode) {
            (withCode ? conditional : unconditional) += 1;
            return State(withCode ? x * 0.0 + 1.0 : x * 0.0 + 3.0);
        };
        const State end = cm::integrateFlow(State{0.0}, times, velocity, guidance);
        // t = 1: outside, v = 1, dx = -0.5; t = 0.5: inside, v = 3 + 2 (1 - 3) = -1, dx = +0.1;
        // t = 0.4: inside, dx = +0.4.
        QVERIFY(std::abs(end[0] - (-0.5 + 0.1 + 0.4)) < 1e-12);
        QCOMPARE(conditional, 3);
        QCOMPARE(unconditional, 2);
        QCOMPARE(cm::flowEvaluations(times, guidance), 5);
        QCOMPARE(cm::flowEvaluations(times, cm::FlowGuidance{1.0, 0.3, 0.6}), 3);
    }
};

QTEST_APPLESS_MAIN(TestFlowSchedule)
#include "test_flow_schedule.moc"
