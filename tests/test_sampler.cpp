// Tests core/sampler.*: determinism, schedules, NFE counts, progress and cancellation.
#include "core/error.h"
#include "core/model.h"
#include "core/sampler.h"
#include "core/schedule.h"
#include "test_support.h"

#include <QtTest>

#include <cstring>

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

} // namespace

class TestSampler : public QObject {
    Q_OBJECT
  private:
    cm::Model m_consistency = cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 3), 11);
    cm::Model m_denoiser = cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::EdmDenoiser, 3), 12);

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
        p.classLabel = 2;
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
        QCOMPARE(int(sigmas.size()), 3);
        QCOMPARE(sigmas[0], 80.0);
        QCOMPARE(sigmas[1], grid[17]);
        QCOMPARE(sigmas[2], 0.002);
        // Sampling by ts is sampling by the sigmas it names.
        auto byTs = params(2, 3);
        byTs.ts = {0, 22, 39};
        auto bySigmas = params(2, 3);
        bySigmas.sigmas = sigmas;
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
        QCOMPARE(cm::sample(m_consistency, m).nfe, 3);
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
            p.classLabel = 3;
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
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
