// Tests core/sampler.*: determinism, schedules, NFE counts, progress and cancellation; that images of a
// batch do not mix and class labels reach the output (on networks with non-zero output); and Euler, Heun
// and multistep consistency sampling against the formulas, step by step.
#include "core/editing.h"
#include "core/error.h"
#include "core/model.h"
#include "core/sampler.h"
#include "core/schedule.h"
#include "expect_error.h"
#include "test_support.h"

#include <QtTest>

#include <cstring>

Q_DECLARE_METATYPE(std::vector<double>)

namespace {

bool identical(const cv::Mat& a, const cv::Mat& b) {
    return a.size == b.size && a.type() == b.type() &&
           std::memcmp(a.data, b.data, a.total() * a.elemSize()) == 0;
}

bool allIdentical(const std::vector<cv::Mat>& a, const std::vector<cv::Mat>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!identical(a[i], b[i])) return false;
    return true;
}

double maxAbsDiff(const cv::Mat& a, const cv::Mat& b) {
    return cv::norm(a, b, cv::NORM_INF);
}

double meanAbsDiff(const cv::Mat& a, const cv::Mat& b) {
    return cv::norm(a, b, cv::NORM_L1) / double(a.total() * a.channels());
}

// Element-wise float arithmetic, one IEEE single-precision operation at a time: the sampler works on
// float32 tensors, and a step from sigma = 80 to 0 cancels values of size ~300, so the hand computation
// rounds where the sampler rounds (scalars are rounded to float first, as LibTorch does).
template <typename Op> cv::Mat elementwise(const cv::Mat& a, const cv::Mat& b, Op op) {
    CV_Assert(a.type() == CV_32FC1 && b.type() == CV_32FC1 && a.size == b.size);
    cv::Mat out(a.size(), CV_32FC1);
    const float *pa = a.ptr<float>(), *pb = b.ptr<float>();
    float* po = out.ptr<float>();
    for (std::size_t i = 0; i < a.total(); ++i)
        po[i] = op(pa[i], pb[i]);
    return out;
}

cv::Mat scaled(const cv::Mat& a, double factor) {
    const float f = float(factor);
    return elementwise(a, a, [f](float x, float) { return x * f; });
}

cv::Mat clamped(const cv::Mat& a) {
    return elementwise(a, a, [](float x, float) { return std::min(1.0f, std::max(-1.0f, x)); });
}

// The sampler's first draw for image j: the generator seeded seed + j (cm::addNoise uses the same
// per-image generators; unit noise added to zeros is the draw itself, bit for bit).
std::vector<cv::Mat> firstDraws(int count, uint64_t seed) {
    return cm::addNoise(std::vector<cv::Mat>(count, cv::Mat::zeros(28, 28, CV_32FC1)), 1.0, seed);
}

// EDM's Euler / Heun integration (reference section 5) through `sigmas` and then to 0, written out.
// `estimates` receives D(x, s_a) of each step, clamped (what the sampler keeps as intermediates).
std::vector<cv::Mat> edmByHand(const cm::Model& model, std::vector<cv::Mat> x,
                               const std::vector<double>& sigmas, bool heun, int label, int& evaluations,
                               std::vector<std::vector<cv::Mat>>& estimates) {
    evaluations = 0;
    estimates.clear();
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
        const double from = sigmas[i], to = i + 1 < sigmas.size() ? sigmas[i + 1] : 0.0;
        const auto denoised = cm::evaluateModel(model, x, from, cm::Conditioning::ofClass(label));
        ++evaluations;
        estimates.emplace_back();
        for (const auto& image : denoised)
            estimates.back().push_back(clamped(image));
        std::vector<cv::Mat> d(x.size()), next(x.size());
        for (std::size_t j = 0; j < x.size(); ++j) {
            // d = (x - D(x, s_a)) / s_a; x' = x + (s_b - s_a) d
            d[j] = elementwise(x[j], denoised[j], [&](float a, float b) { return (a - b) / float(from); });
            next[j] = elementwise(x[j], d[j], [&](float a, float b) { return a + float(to - from) * b; });
        }
        if (heun && to > 0) {
            const auto denoisedNext = cm::evaluateModel(model, next, to, cm::Conditioning::ofClass(label));
            ++evaluations;
            for (std::size_t j = 0; j < x.size(); ++j) {
                // d' = (x' - D(x', s_b)) / s_b; x' = x + (s_b - s_a) (d + d') / 2
                const cv::Mat dNext = elementwise(next[j], denoisedNext[j],
                                                  [&](float a, float b) { return (a - b) / float(to); });
                const cv::Mat mean = elementwise(d[j], dNext, [](float a, float b) { return a + b; });
                next[j] = elementwise(x[j], mean,
                                      [&](float a, float b) { return a + float((to - from) * 0.5) * b; });
            }
        }
        x = next;
    }
    for (auto& image : x)
        image = clamped(image);
    return x;
}

} // namespace

class TestSampler : public QObject {
    Q_OBJECT
  private:
    // Perturbed weights: a fresh network's F is exactly 0, which would hide mixing and ignored labels.
    cm::Model m_consistency = cmtest::perturbedModel(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 3), 11);
    cm::Model m_denoiser = cmtest::perturbedModel(cmtest::tinyUNetCard(cm::ModelKind::EdmDenoiser, 3), 12);
    // F = 0 exactly: f(x, sigma) = c_skip(sigma) x reveals the noise the sampler draws.
    cm::Model m_zero = cmtest::zeroOutputModel(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 3));

    const cm::Model& modelFor(cm::SamplerKind kind) const {
        return kind == cm::SamplerKind::Heun || kind == cm::SamplerKind::Euler ? m_denoiser : m_consistency;
    }

    static cm::SampleParams withSampler(cm::SampleParams p, cm::SamplerKind kind) {
        p.sampler = kind;
        p.edmPoints = 3;
        if (kind == cm::SamplerKind::Multistep) p.sigmas = {80.0, 2.0, 0.3};
        return p;
    }

    static cm::SampleParams params(int count, uint64_t seed) {
        cm::SampleParams p;
        p.count = count;
        p.seed = seed;
        return p;
    }

  private slots:
    void sameSeedGivesBitIdenticalImages_data() {
        QTest::addColumn<QString>("sampler");
        QTest::newRow("onestep") << "onestep";
        QTest::newRow("multistep") << "multistep";
        QTest::newRow("heun") << "heun";
        QTest::newRow("euler") << "euler";
    }
    void sameSeedGivesBitIdenticalImages() {
        QFETCH(QString, sampler);
        const auto kind = cm::samplerKindFromName(sampler.toStdString());
        const bool denoiser = kind == cm::SamplerKind::Heun || kind == cm::SamplerKind::Euler;
        auto p = params(5, 42);
        p.sampler = kind;
        p.conditioning = cm::Conditioning::ofClass(2);
        p.edmPoints = 4;
        if (kind == cm::SamplerKind::Multistep) p.sigmas = {80.0, 2.0, 0.3};
        const auto& model = denoiser ? m_denoiser : m_consistency;
        const auto a = cm::sample(model, p);
        const auto b = cm::sample(model, p);
        QCOMPARE(int(a.images.size()), 5);
        QVERIFY(allIdentical(a.images, b.images));
        p.seed = 43;
        const auto c = cm::sample(model, p);
        QVERIFY(!identical(a.images[0], c.images[0]));
        // Image j of seed s is image 0 of seed s + j: a gallery pick can be regenerated alone.
        QVERIFY(identical(a.images[1], c.images[0]));
    }

    void imagesDoNotDependOnTheBatchSplit() {
        auto p = params(6, 9);
        p.sigmas = {80.0, 1.0};
        p.batchSize = 6;
        const auto whole = cm::sample(m_consistency, p);
        p.batchSize = 4;
        const auto split = cm::sample(m_consistency, p);
        for (int j = 0; j < 6; ++j)
            QVERIFY(cv::norm(whole.images[j], split.images[j], cv::NORM_INF) < 1e-5);
    }

    void fixtureNetworksHaveNonZeroOutputs() {
        // Away from sigma_min the network's F must move the output well away from c_skip x.
        const auto x = firstDraws(2, 1);
        for (const cm::Model* model : {&m_consistency, &m_denoiser}) {
            const double sigma = 1.0;
            const auto out = cm::evaluateModel(*model, x, sigma, cm::Conditioning::ofClass(0));
            const double cSkip = model->card().kind == cm::ModelKind::Consistency
                                     ? cm::consistencyScalings(sigma, model->card().noise).cSkip
                                     : cm::edmScalings(sigma, model->card().noise).cSkip;
            const double contribution = meanAbsDiff(out[0], x[0] * cSkip);
            QVERIFY2(contribution > 0.05, qPrintable(QString::number(contribution)));
        }
    }

    void imagesOfABatchDoNotMix_data() {
        QTest::addColumn<QString>("sampler");
        QTest::newRow("onestep") << "onestep";
        QTest::newRow("multistep") << "multistep";
        QTest::newRow("heun") << "heun";
        QTest::newRow("euler") << "euler";
    }
    void imagesOfABatchDoNotMix() {
        // Image j of a batch of 8 is image 0 of seed + j sampled alone (with its own class label): nothing
        // of the other images (their noise, their labels) reaches it.
        QFETCH(QString, sampler);
        const auto kind = cm::samplerKindFromName(sampler.toStdString());
        const auto& model = modelFor(kind);
        const std::vector<int> labels = {0, 1, 2, -1, 0, 1, 2, -1};
        auto batch = withSampler(params(8, 20), kind);
        batch.conditioning = cm::Conditioning::perImage(labels);
        const auto together = cm::sample(model, batch).images;
        QCOMPARE(int(together.size()), 8);
        // Float tolerance: a batch of 8 and a batch of 1 may round the network's output differently in
        // the last bit, and Euler/Heun then subtract values of size sigma_max |z| ~ 300 (ulp 3e-5).
        const bool edm = kind == cm::SamplerKind::Heun || kind == cm::SamplerKind::Euler;
        const double tolerance = edm ? 5e-4 : 1e-5;
        double worst = 0;
        for (int j = 0; j < 8; ++j) {
            auto alone = withSampler(params(1, 20 + uint64_t(j)), kind);
            alone.conditioning = cm::Conditioning::ofClass(labels[j]);
            const double diff = maxAbsDiff(together[j], cm::sample(model, alone).images[0]);
            worst = std::max(worst, diff);
            QVERIFY2(diff < tolerance, qPrintable(QString("image %1: %2").arg(j).arg(diff)));
            if (j > 0) QVERIFY(meanAbsDiff(together[j], together[j - 1]) > 0.05);
        }
        qInfo("largest difference to the image sampled alone: %.3g", worst);
    }

    void classLabelsReachTheOutput_data() {
        QTest::addColumn<QString>("sampler");
        QTest::newRow("onestep") << "onestep";
        QTest::newRow("multistep") << "multistep";
        QTest::newRow("heun") << "heun";
        QTest::newRow("euler") << "euler";
    }
    void classLabelsReachTheOutput() {
        // The same noise with class 0, class 1 and unconditional (-1, the null label) gives three clearly
        // different images; per-image labels act on their own image.
        QFETCH(QString, sampler);
        const auto kind = cm::samplerKindFromName(sampler.toStdString());
        const auto& model = modelFor(kind);
        auto p = withSampler(params(4, 30), kind);
        std::vector<std::vector<cv::Mat>> byLabel;
        for (int label : {0, 1, -1}) {
            p.conditioning = cm::Conditioning::ofClass(label);
            byLabel.push_back(cm::sample(model, p).images);
        }
        double smallest = INFINITY;
        for (int j = 0; j < 4; ++j)
            for (auto [a, b] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
                const double diff = meanAbsDiff(byLabel[a][j], byLabel[b][j]);
                smallest = std::min(smallest, diff);
                QVERIFY2(diff > 0.02,
                         qPrintable(QString("image %1, labels %2/%3: %4").arg(j).arg(a).arg(b).arg(diff)));
            }
        qInfo("smallest mean absolute difference between two labels' images: %.3f", smallest);
        p.conditioning = cm::Conditioning::perImage({1, -1, 0, 1});
        const auto mixed = cm::sample(model, p).images;
        const int which[4] = {1, 2, 0, 1}; // index into byLabel
        for (int j = 0; j < 4; ++j)
            QVERIFY2(maxAbsDiff(mixed[j], byLabel[which[j]][j]) < 1e-5, qPrintable(QString::number(j)));
    }

    void edmSamplersFollowTheFormulas_data() {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<int>("points");
        QTest::addColumn<std::vector<double>>("sigmas"); // empty: the Karras grid of `points` levels
        QTest::newRow("euler 1") << "euler" << 1 << std::vector<double>{};
        QTest::newRow("euler 2") << "euler" << 2 << std::vector<double>{};
        QTest::newRow("euler 3") << "euler" << 3 << std::vector<double>{};
        QTest::newRow("heun 2") << "heun" << 2 << std::vector<double>{};
        QTest::newRow("heun 3") << "heun" << 3 << std::vector<double>{};
        // An untrained network's Heun step from 80 down to ~0 leaves [-1, 1] (the correction is ~40 F),
        // so most of those images clamp; on these lower levels every value is seen.
        QTest::newRow("euler 3, sigmas 2 0.7 0.2") << "euler" << 3 << std::vector<double>{2.0, 0.7, 0.2};
        QTest::newRow("heun 2, sigmas 1.5 0.4") << "heun" << 2 << std::vector<double>{1.5, 0.4};
        QTest::newRow("heun 3, sigmas 2 0.7 0.2") << "heun" << 3 << std::vector<double>{2.0, 0.7, 0.2};
    }
    void edmSamplersFollowTheFormulas() {
        // x = sigma_0 z, then Euler or Heun steps (reference section 5) through the levels and a last
        // Euler step to 0; D from cm::evaluateModel, z the per-image draws. The clean estimates the
        // sampler keeps are D(x, s_a) of each step.
        QFETCH(QString, sampler);
        QFETCH(int, points);
        QFETCH(std::vector<double>, sigmas);
        const bool heun = sampler == "heun", karras = sigmas.empty();
        const int count = 3, label = 1;
        const uint64_t seed = 7;
        cm::SampleParams p = params(count, seed);
        p.sampler = heun ? cm::SamplerKind::Heun : cm::SamplerKind::Euler;
        p.edmPoints = points;
        p.sigmas = sigmas;
        p.conditioning = cm::Conditioning::ofClass(label);
        p.keepIntermediates = true;
        const auto result = cm::sample(m_denoiser, p);

        if (karras) {
            sigmas = {80.0};
            if (points > 1) {
                const auto grid = cm::karrasGrid(points, m_denoiser.card().noise);
                sigmas.assign(grid.rbegin(), grid.rend());
            }
        }
        QCOMPARE(result.sigmas, sigmas);
        std::vector<cv::Mat> x;
        for (const auto& z : firstDraws(count, seed))
            x.push_back(scaled(z, sigmas[0]));
        int evaluations = 0;
        std::vector<std::vector<cv::Mat>> estimates;
        const auto expected = edmByHand(m_denoiser, x, sigmas, heun, label, evaluations, estimates);
        QCOMPARE(result.nfe, heun ? 2 * points - 1 : points);
        QCOMPARE(result.nfe, evaluations);
        QCOMPARE(result.intermediates.size(), estimates.size());
        int inside = 0, compared = 0;
        double worst = 0;
        for (int j = 0; j < count; ++j) {
            const double diff = maxAbsDiff(result.images[j], expected[j]);
            worst = std::max(worst, diff);
            QVERIFY2(diff < 1e-5, qPrintable(QString("image %1: %2").arg(j).arg(diff)));
            inside += cv::countNonZero(cv::abs(expected[j]) < 0.999);
            compared += 784;
            for (std::size_t i = 0; i < estimates.size(); ++i) {
                const double d =
                    maxAbsDiff(result.intermediates[i][std::size_t(j)], estimates[i][std::size_t(j)]);
                worst = std::max(worst, d);
                QVERIFY2(d < 1e-5, qPrintable(QString("step %1, image %2: %3").arg(i).arg(j).arg(d)));
                inside += cv::countNonZero(cv::abs(estimates[i][std::size_t(j)]) < 0.999);
                compared += 784;
            }
        }
        qInfo("largest deviation %.3g; %d of %d compared values inside (-1, 1)", worst, inside, compared);
        // Unclamped values are compared, so the comparison sees the arithmetic.
        QVERIFY2(inside > compared / (karras ? 4 : 2), qPrintable(QString::number(inside)));
    }

    void multistepFollowsAlgorithm1_data() {
        QTest::addColumn<std::vector<double>>("sigmas");
        QTest::newRow("2 levels") << std::vector<double>{80.0, 0.8};
        QTest::newRow("3 levels") << std::vector<double>{80.0, 5.0, 0.5};
    }
    void multistepFollowsAlgorithm1() {
        // x <- f(sigma_0 z_0, sigma_0); then for each later tau_n:
        // x <- f(x + sqrt(tau_n^2 - sigma_min^2) z_n, tau_n).
        QFETCH(std::vector<double>, sigmas);
        const int count = 4, label = 2;
        const uint64_t seed = 3;
        const auto& noise = m_consistency.card().noise;
        const int levels = int(sigmas.size());

        // The draws z_1.. of image j: the sampler on the F = 0 network at small levels (nothing clamps),
        // where each estimate is c_skip(tau) (previous + sqrt(tau^2 - sigma_min^2) z_n).
        cm::SampleParams probe = params(count, seed);
        probe.sigmas = {80.0, 0.2, 0.1};
        probe.sigmas.resize(std::size_t(levels));
        probe.keepIntermediates = true;
        const auto revealed = cm::sample(m_zero, probe).intermediates;
        std::vector<std::vector<cv::Mat>> draws = {firstDraws(count, seed)};
        for (int j = 0; j < count; ++j) {
            // The first estimate is c_skip(80) * 80 z_0: the same draw cm::addNoise gives.
            const double toZ = 1.0 / (cm::consistencyScalings(80.0, noise).cSkip * 80.0);
            QVERIFY(maxAbsDiff(revealed[0][j] * toZ, draws[0][j]) < 1e-4);
        }
        for (int n = 1; n < levels; ++n) {
            const double tau = probe.sigmas[std::size_t(n)];
            const double cSkip = cm::consistencyScalings(tau, noise).cSkip;
            const double scale = std::sqrt(tau * tau - noise.sigmaMin * noise.sigmaMin);
            std::vector<cv::Mat> z;
            cv::Mat all;
            double cross = 0;
            for (int j = 0; j < count; ++j) {
                cv::Mat current, previous;
                revealed[std::size_t(n)][std::size_t(j)].convertTo(current, CV_64F);
                revealed[std::size_t(n - 1)][std::size_t(j)].convertTo(previous, CV_64F);
                cv::Mat draw;
                cv::Mat((current / cSkip - previous) / scale).convertTo(draw, CV_32F);
                z.push_back(draw);
                all.push_back(draw.reshape(1, 784));
                cross += draw.dot(draws[0][std::size_t(j)]) / (784.0 * count);
            }
            QVERIFY2(std::abs(cross) < 0.1, qPrintable(QString::number(cross))); // a new draw, not z_0
            // Standard normal: a wrong re-noising scale would show here.
            cv::Scalar mean, deviation;
            cv::meanStdDev(all, mean, deviation);
            QVERIFY2(std::abs(mean[0]) < 0.05 && std::abs(deviation[0] - 1.0) < 0.05,
                     qPrintable(QString("%1 %2").arg(mean[0]).arg(deviation[0])));
            draws.push_back(z);
        }

        cm::SampleParams p = params(count, seed);
        p.sigmas = sigmas;
        p.conditioning = cm::Conditioning::ofClass(label);
        p.keepIntermediates = true;
        const auto result = cm::sample(m_consistency, p);
        QCOMPARE(result.nfe, levels);
        QCOMPARE(int(result.intermediates.size()), levels);

        std::vector<cv::Mat> x;
        for (const auto& z : draws[0])
            x.push_back(scaled(z, sigmas[0]));
        x = cm::evaluateModel(m_consistency, x, sigmas[0], cm::Conditioning::ofClass(label));
        double worst = 0;
        for (int n = 0; n < levels; ++n) {
            if (n > 0) {
                const double tau = sigmas[std::size_t(n)];
                const double scale = std::sqrt(tau * tau - noise.sigmaMin * noise.sigmaMin);
                for (int j = 0; j < count; ++j)
                    x[j] = elementwise(x[j], draws[std::size_t(n)][std::size_t(j)],
                                       [&](float a, float b) { return a + float(scale) * b; });
                x = cm::evaluateModel(m_consistency, x, tau, cm::Conditioning::ofClass(label));
            }
            for (int j = 0; j < count; ++j) {
                const double diff =
                    maxAbsDiff(result.intermediates[std::size_t(n)][std::size_t(j)], clamped(x[j]));
                worst = std::max(worst, diff);
                QVERIFY2(diff < 1e-5, qPrintable(QString("step %1, image %2: %3").arg(n).arg(j).arg(diff)));
            }
        }
        int inside = 0;
        for (int j = 0; j < count; ++j) {
            const double diff = maxAbsDiff(result.images[j], clamped(x[j]));
            worst = std::max(worst, diff);
            QVERIFY2(diff < 1e-5, qPrintable(QString("image %1: %2").arg(j).arg(diff)));
            inside += cv::countNonZero(cv::abs(x[j]) < 0.999);
        }
        qInfo("largest deviation %.3g; %d of %d final values inside (-1, 1)", worst, inside, count * 784);
        QVERIFY2(inside > count * 784 / 2, qPrintable(QString::number(inside)));
    }

    void oneStepEqualsMultistepWithOneSigma() {
        auto p = params(4, 5);
        const auto one = cm::sample(m_consistency, p);
        p.sampler = cm::SamplerKind::Multistep;
        p.sigmas = {m_consistency.card().noise.sigmaMax};
        const auto multi = cm::sample(m_consistency, p);
        QVERIFY(allIdentical(one.images, multi.images));
        QCOMPARE(one.nfe, 1);
    }

    void tsIndicesMapToTheKarrasGrid() {
        cm::SampleParams p;
        p.ts = {0, 22, 39};
        p.steps = 40;
        const auto sigmas = cm::resolveSigmas(m_consistency.card(), p);
        const auto grid = cm::karrasGrid(40, m_consistency.card().noise); // ascending
        // ts 39 is sigma_min, where f is the identity (c_skip = 1, c_out = 0): the sampler drops it.
        QCOMPARE(int(sigmas.size()), 2);
        QCOMPARE(sigmas[0], 80.0);
        QCOMPARE(sigmas[1], grid[17]);
        // Sampling by ts is sampling by the sigmas it names.
        auto byTs = params(2, 3);
        byTs.ts = {0, 22, 39};
        auto bySigmas = params(2, 3);
        bySigmas.sigmas = {80.0, grid[17], 0.002};
        QVERIFY(
            allIdentical(cm::sample(m_consistency, byTs).images, cm::sample(m_consistency, bySigmas).images));
    }

    void networkEvaluationCounts() {
        auto p = params(1, 0);
        p.sampler = cm::SamplerKind::Heun;
        p.edmPoints = 18;
        QCOMPARE(cm::sample(m_denoiser, p).nfe, 35);
        p.sampler = cm::SamplerKind::Euler;
        QCOMPARE(cm::sample(m_denoiser, p).nfe, 18);
        auto m = params(1, 0);
        m.ts = {0, 22, 39};
        // The last level is sigma_min, where f is the identity: skipped, as the published sampler does.
        QCOMPARE(cm::sample(m_consistency, m).nfe, 2);
    }

    void progressCountsEveryEvaluationOfEveryBatch() {
        auto p = params(5, 1);
        p.batchSize = 2; // 3 batches
        p.sigmas = {80.0, 1.0};
        std::vector<std::pair<long, long>> calls;
        cm::sample(m_consistency, p, [&](long done, long total) { calls.emplace_back(done, total); });
        QCOMPARE(int(calls.size()), 6);
        QCOMPARE(calls.back(), std::make_pair(6L, 6L));
    }

    void cancelStopsBetweenEvaluations() {
        auto p = params(2, 1);
        p.sampler = cm::SamplerKind::Heun;
        cm::CancelFlag cancel{false};
        long evaluations = 0;
        try {
            cm::sample(
                m_denoiser, p,
                [&](long done, long) {
                    evaluations = done;
                    cancel = true;
                },
                &cancel);
            QFAIL("sampling was not cancelled");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::Cancelled));
        }
        QCOMPARE(evaluations, 1L);
    }

    // A network that takes seconds per evaluation reports between its blocks: the bar moves and Cancel
    // stops inside one evaluation, not after it.
    void progressAndCancelReachInsideAnEvaluation() {
        cm::ModelCard card = cmtest::tinyUNetCard(cm::ModelKind::Consistency);
        card.network = cm::networkConfigFromJson(
            R"({"type":"adm_unet","image_size":32,"channels":3,"base_width":32,"channel_mult":[1,2],"res_blocks":1,"attention_resolutions":[16],"head_channels":16,"scale_shift_norm":true,"resblock_updown":true,"dropout":0,"num_classes":0})",
            "test");
        const auto model = cm::Model::create(card, 5);
        const long units = model.progressUnitsPerEvaluation();
        QVERIFY2(units >= 5, qPrintable(QString::number(units)));
        auto p = params(1, 1);
        p.sigmas = {80.0, 1.0};
        std::vector<std::pair<long, long>> calls;
        cm::sample(model, p, [&](long done, long total) { calls.emplace_back(done, total); });
        QCOMPARE(long(calls.size()), 2 * units);
        for (std::size_t i = 0; i < calls.size(); ++i)
            QCOMPARE(calls[i], std::make_pair(long(i) + 1, 2 * units));

        cm::CancelFlag cancel{false};
        long reached = 0;
        try {
            cm::sample(
                model, p,
                [&](long done, long) {
                    reached = done;
                    if (done == 2) cancel = true;
                },
                &cancel);
            QFAIL("sampling was not cancelled");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::Cancelled));
        }
        QCOMPARE(reached, 2L); // the next block saw the flag: the first evaluation never finished
        // The small default UNet reports whole evaluations only.
        QCOMPARE(m_consistency.progressUnitsPerEvaluation(), 1);
    }

    void classBlendMixesTheTwoEmbeddings() {
        cv::Mat image(28, 28, CV_32FC1);
        cv::randu(image, -1.0, 1.0);
        const std::vector<cv::Mat> x = {image};
        const auto of = [&](const cm::Conditioning& c) { return cm::evaluateModel(m_consistency, x, 2.0, c)[0]; };
        const auto a = of(cm::Conditioning::ofClass(0)), b = of(cm::Conditioning::ofClass(2));
        QVERIFY(maxAbsDiff(a, b) > 1e-3);
        QCOMPARE(maxAbsDiff(of({{0}, {2}, {0.0}, {}}), a), 0.0);
        QVERIFY(maxAbsDiff(of({{0}, {2}, {1.0}, {}}), b) < 1e-6);
        const auto half = of({{0}, {2}, {0.5}, {}});
        QVERIFY(maxAbsDiff(half, a) > 1e-4 && maxAbsDiff(half, b) > 1e-4);
        for (const cm::Conditioning& bad : {cm::Conditioning{{0}, {2}, {1.5}, {}}, cm::Conditioning{{0}, {2}, {}, {}},
                                            cm::Conditioning{{0, 1}, {}, {}, {}}})
            QCOMPARE(cmtest::expectError([&] { of(bad); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    void keepsTheChainOfEstimates() {
        auto p = params(3, 2);
        p.sigmas = {80.0, 5.0, 0.5};
        p.keepIntermediates = true;
        const auto result = cm::sample(m_consistency, p);
        QCOMPARE(int(result.intermediates.size()), 3);
        QCOMPARE(int(result.intermediates[2].size()), 3);
        QVERIFY(identical(result.intermediates[2][1], result.images[1]));
    }

    void rejectsBadRequests_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("mention");
        QTest::newRow("heun on a consistency model") << 0 << "consistency model";
        QTest::newRow("onestep on a denoiser") << 1 << "EDM denoiser";
        QTest::newRow("class out of range") << 2 << "out of range";
        QTest::newRow("sigmas increase") << 3 << "strictly decrease";
        QTest::newRow("sigma above range") << 4 << "outside the model's range";
        QTest::newRow("ts out of range") << 5 << "outside [0, 39]";
        QTest::newRow("both sigmas and ts") << 6 << "not both";
        QTest::newRow("no images") << 7 << "count";
    }
    void rejectsBadRequests() {
        QFETCH(int, which);
        QFETCH(QString, mention);
        auto p = params(1, 0);
        const cm::Model* model = &m_consistency;
        switch (which) {
        case 0:
            p.sampler = cm::SamplerKind::Heun;
            break;
        case 1:
            p.sampler = cm::SamplerKind::OneStep;
            model = &m_denoiser;
            break;
        case 2:
            p.conditioning = cm::Conditioning::ofClass(3);
            break;
        case 3:
            p.sigmas = {1.0, 2.0};
            break;
        case 4:
            p.sigmas = {100.0};
            break;
        case 5:
            p.ts = {0, 40};
            break;
        case 6:
            p.ts = {0};
            p.sigmas = {80.0};
            break;
        case 7:
            p.count = 0;
            break;
        }
        try {
            cm::sample(*model, p);
            QFAIL("the request was accepted");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::InvalidArgument));
            QVERIFY2(QString(e.what()).contains(mention), e.what());
        }
    }

    // Weights of 1e30 load (they are finite) but overflow in the network: the sampler once returned all-NaN
    // images, saved as black PNGs, and said it wrote them. Every sampler and the edits now refuse.
    void nonFiniteOutputIsAnErrorNotAnImage_data() {
        QTest::addColumn<int>("sampler");
        QTest::newRow("one step") << int(cm::SamplerKind::OneStep);
        QTest::newRow("multistep") << int(cm::SamplerKind::Multistep);
        QTest::newRow("heun") << int(cm::SamplerKind::Heun);
    }
    void nonFiniteOutputIsAnErrorNotAnImage() {
        QFETCH(int, sampler);
        const auto kind = cm::SamplerKind(sampler);
        const bool denoiser = kind == cm::SamplerKind::Heun;
        cm::Model huge = cm::Model::create(
            cmtest::tinyUNetCard(denoiser ? cm::ModelKind::EdmDenoiser : cm::ModelKind::Consistency, 3), 1);
        cmtest::changeWeights(huge, [](const std::string&, float* values, std::size_t count) {
            std::fill(values, values + count, 1e30f);
        });
        try {
            cm::sample(huge, withSampler(params(2, 0), kind));
            QFAIL("non-finite samples were returned");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::Numeric));
            QVERIFY2(QString(e.what()).contains("NaN or infinite"), e.what());
        }
        if (denoiser) return;
        const cm::Error edit = cmtest::expectError(
            [&] { cm::evaluateModel(huge, {cv::Mat(28, 28, CV_32FC1, cv::Scalar(0))}, 1.0); });
        QCOMPARE(int(edit.kind()), int(cm::ErrorKind::Numeric));
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
