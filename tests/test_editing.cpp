// Algorithm 4's operators and projection, checked exactly on untrained networks (exactness does not
// depend on the weights), plus the errors bad input gets and interpolation's endpoints. The networks have
// perturbed (non-zero) outputs, so edited images of a batch that mixed, or a class label that was
// ignored, would show.
#include "core/editing.h"
#include "core/error.h"
#include "core/model.h"
#include "core/runtime.h"
#include "core/sampler.h"
#include "expect_error.h"
#include "test_support.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

using cmtest::expectError;

namespace {

cv::Mat randomImage(int size, int channels, uint64_t seed) {
    cv::Mat image(size, size, CV_32FC(channels));
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, -1.0, 1.0);
    return image;
}

double maxAbsDiff(const cv::Mat& a, const cv::Mat& b) {
    return cv::norm(a, b, cv::NORM_INF);
}

// The operator as a dense matrix: column k is A e_k.
cv::Mat operatorMatrix(cm::EditTask task, int factor, int size, int channels, bool transpose) {
    const int dim = size * size * channels;
    cv::Mat matrix(dim, dim, CV_64F);
    for (int k = 0; k < dim; ++k) {
        cv::Mat basis(size, size, CV_32FC(channels), cv::Scalar::all(0));
        basis.ptr<float>()[k] = 1.0f;
        const cv::Mat column = cm::applyEditOperator(task, factor, basis, transpose).reshape(1, dim);
        column.convertTo(matrix.col(k), CV_64F);
    }
    return matrix;
}

cm::ModelCard colourCard() {
    auto card = cmtest::tinyUNetCard(cm::ModelKind::Consistency, 3, 3);
    card.network.imageSize = 32;
    card.network.attentionResolutions = {16};
    return card;
}

cv::Mat centreSquareMask(int size, int side) {
    cv::Mat mask(size, size, CV_8U, cv::Scalar(0));
    mask(cv::Rect((size - side) / 2, (size - side) / 2, side, side)).setTo(255);
    return mask;
}

} // namespace

class TestEditing : public QObject {
    Q_OBJECT
    cm::Model m_grey = cmtest::perturbedModel(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 10), 11);
    cm::Model m_colour = cmtest::perturbedModel(colourCard(), 12);

    const cm::Model& modelFor(cm::EditTask task) const {
        return task == cm::EditTask::Colorize ? m_colour : m_grey;
    }

    // An edit of the given task on `count` references (reference j is the same whatever the count and
    // the first index), with a three-level schedule (the stroke task keeps its default).
    static cm::EditParams editOf(cm::EditTask task, int first, int count, uint64_t seed, int label) {
        cm::EditParams params;
        params.task = task;
        params.seed = seed;
        params.conditioning = cm::Conditioning::ofClass(label);
        const int size = task == cm::EditTask::SuperResolution ? 7 : task == cm::EditTask::Colorize ? 32 : 28;
        for (int j = first; j < first + count; ++j)
            params.images.push_back(randomImage(size, 1, 100 + uint64_t(j)));
        if (task == cm::EditTask::Inpaint) params.masks = {centreSquareMask(28, 14)};
        if (task != cm::EditTask::Stroke) params.sigmas = {80, 5, 0.5};
        return params;
    }

    static void addTasks() {
        QTest::addColumn<int>("task");
        QTest::newRow("inpaint") << int(cm::EditTask::Inpaint);
        QTest::newRow("colorize") << int(cm::EditTask::Colorize);
        QTest::newRow("superres") << int(cm::EditTask::SuperResolution);
        QTest::newRow("stroke") << int(cm::EditTask::Stroke);
    }

  private slots:
    void initTestCase() { cm::setThreadCount(1); }

    void everyOperatorIsOrthogonal_data() {
        QTest::addColumn<int>("task");
        QTest::addColumn<int>("factor");
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("channels");
        QTest::newRow("identity") << int(cm::EditTask::Inpaint) << 1 << 8 << 3;
        QTest::newRow("colour") << int(cm::EditTask::Colorize) << 1 << 8 << 3;
        QTest::newRow("patches 2") << int(cm::EditTask::SuperResolution) << 2 << 8 << 1;
        QTest::newRow("patches 4") << int(cm::EditTask::SuperResolution) << 4 << 8 << 3;
        QTest::newRow("patches 8") << int(cm::EditTask::SuperResolution) << 8 << 16 << 1;
    }
    void everyOperatorIsOrthogonal() {
        QFETCH(int, task);
        QFETCH(int, factor);
        QFETCH(int, size);
        QFETCH(int, channels);
        const auto t = cm::EditTask(task);
        const cv::Mat a = operatorMatrix(t, factor, size, channels, false);
        const cv::Mat at = operatorMatrix(t, factor, size, channels, true);
        const cv::Mat identity = cv::Mat::eye(a.rows, a.cols, CV_64F);
        QVERIFY(maxAbsDiff(a * a.t(), identity) < 1e-6);
        QVERIFY(maxAbsDiff(at, a.t()) < 1e-6); // transpose() really is A^T
    }

    void firstRowsAreLuminanceAndPatchMean() {
        // Colour: coefficient 0 is the luminance direction; patches: coefficient 0 is p * the patch mean.
        cv::Mat rgb(1, 1, CV_32FC3, cv::Scalar(0.2, -0.4, 0.9));
        const float lum = cm::applyEditOperator(cm::EditTask::Colorize, 1, rgb, false).at<cv::Vec3f>(0)[0];
        const double norm = std::sqrt(0.2989 * 0.2989 + 0.5870 * 0.5870 + 0.1140 * 0.1140);
        QVERIFY(std::abs(lum - (0.2989 * 0.2 - 0.5870 * 0.4 + 0.1140 * 0.9) / norm) < 1e-6);
        const cv::Mat image = randomImage(8, 1, 3);
        const cv::Mat coefficients = cm::applyEditOperator(cm::EditTask::SuperResolution, 4, image, false);
        const double mean = cv::mean(image(cv::Rect(4, 0, 4, 4)))[0];
        QVERIFY(std::abs(coefficients.at<float>(0, 4) - 4 * mean) < 1e-5);
        const cv::Mat mask = cm::editOperatorMask(cm::EditTask::SuperResolution, 4, 8, 1);
        QCOMPARE(cv::countNonZero(mask), 64 - 4);
        QCOMPARE(mask.at<float>(4, 4), 0.0f);
    }

    void inpaintingKeepsTheUnmaskedPixels() {
        cm::EditParams params;
        params.task = cm::EditTask::Inpaint;
        params.images = {randomImage(28, 1, 1), randomImage(28, 1, 2)};
        params.masks = {centreSquareMask(28, 10)};
        params.sigmas = {80, 5, 0.5};
        params.conditioning = cm::Conditioning::ofClass(3);
        const auto result = cm::edit(m_grey, params);
        QCOMPARE(result.nfe, 3);
        for (int j = 0; j < 2; ++j) {
            cv::Mat keep;
            cv::bitwise_not(params.masks[0], keep);
            cv::Mat diff = cv::abs(result.images[j] - params.images[j]);
            double kept = 0, filled = 0;
            cv::minMaxLoc(diff, nullptr, &kept, nullptr, nullptr, keep);
            cv::minMaxLoc(diff, nullptr, &filled, nullptr, nullptr, params.masks[0]);
            QVERIFY2(kept < 1e-5, qPrintable(QString::number(kept)));
            QVERIFY(filled > 0.1); // the hole was generated, not copied
        }
    }

    void colorizationKeepsTheLuminance() {
        cm::EditParams params;
        params.task = cm::EditTask::Colorize;
        params.images = {randomImage(32, 1, 4)};
        params.sigmas = {80, 2};
        const auto out = cm::edit(m_colour, params).images[0];
        QCOMPARE(out.channels(), 3);
        double worst = 0;
        for (int r = 0; r < 32; ++r)
            for (int c = 0; c < 32; ++c) {
                const auto p = out.at<cv::Vec3f>(r, c);
                const double luminance = 0.2989 * p[0] + 0.5870 * p[1] + 0.1140 * p[2];
                const double grey = params.images[0].at<float>(r, c) * (0.2989 + 0.5870 + 0.1140);
                worst = std::max(worst, std::abs(luminance - grey));
            }
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        // and it is not grey: the chroma was generated
        cv::Mat planes[3];
        cv::split(out, planes);
        QVERIFY(cv::norm(planes[0], planes[2], cv::NORM_INF) > 0.01);
    }

    void superResolutionKeepsThePatchMeans() {
        for (int factor : {2, 4}) {
            cm::EditParams params;
            params.task = cm::EditTask::SuperResolution;
            params.factor = factor;
            params.images = {randomImage(28 / factor, 1, 5)};
            params.sigmas = {80, 1};
            const auto out = cm::edit(m_grey, params).images[0];
            QCOMPARE(out.rows, 28);
            cv::Mat means;
            cv::resize(out, means, cv::Size(28 / factor, 28 / factor), 0, 0, cv::INTER_AREA);
            QVERIFY2(maxAbsDiff(means, params.images[0]) < 1e-5, qPrintable(QString::number(factor)));
        }
    }

    void strokeEditingStartsFromThePaintingAndIsReproducible() {
        cm::EditParams params;
        params.task = cm::EditTask::Stroke;
        params.images = {randomImage(28, 1, 6)};
        params.seed = 9;
        const auto a = cm::edit(m_grey, params), b = cm::edit(m_grey, params);
        QCOMPARE(a.nfe, 2);
        QCOMPARE(maxAbsDiff(a.images[0], b.images[0]), 0.0);
        params.seed = 10;
        QVERIFY(maxAbsDiff(cm::edit(m_grey, params).images[0], a.images[0]) > 1e-3);
    }

    void aMaskCoveringEverythingGeneratesAFreshImage() {
        // Documented behaviour: nothing is kept, so the result is a sample from the same noise.
        cm::EditParams params;
        params.task = cm::EditTask::Inpaint;
        params.images = {randomImage(28, 1, 7)};
        params.masks = {cv::Mat(28, 28, CV_8U, cv::Scalar(255))};
        params.sigmas = {80};
        params.seed = 4;
        const auto edited = cm::edit(m_grey, params).images[0];
        cm::SampleParams sampling;
        sampling.count = 1;
        sampling.seed = 4;
        const auto sampled = cm::sample(m_grey, sampling).images[0];
        cv::Mat clamped;
        cv::min(cv::max(edited, -1.0), 1.0, clamped);
        QVERIFY(maxAbsDiff(clamped, sampled) < 1e-5);
    }

    void editedImagesOfABatchDoNotMix_data() { addTasks(); }
    void editedImagesOfABatchDoNotMix() {
        // Edited image j of a batch of 8 is the edit of reference j alone with seed + j.
        QFETCH(int, task);
        const auto t = cm::EditTask(task);
        const auto& model = modelFor(t);
        const auto together = cm::edit(model, editOf(t, 0, 8, 40, 1)).images;
        QCOMPARE(int(together.size()), 8);
        double worst = 0;
        for (int j = 0; j < 8; ++j) {
            const auto alone = cm::edit(model, editOf(t, j, 1, 40 + uint64_t(j), 1)).images[0];
            const double diff = maxAbsDiff(together[j], alone);
            worst = std::max(worst, diff);
            QVERIFY2(diff < 1e-5, qPrintable(QString("image %1: %2").arg(j).arg(diff)));
        }
        qInfo("largest difference to the edit made alone: %.3g", worst);
    }

    void editingUsesTheClassLabel_data() { addTasks(); }
    void editingUsesTheClassLabel() {
        // The same references and noise with class 0, class 1 and unconditional (-1): the generated part
        // differs clearly for every image.
        QFETCH(int, task);
        const auto t = cm::EditTask(task);
        const auto& model = modelFor(t);
        std::vector<std::vector<cv::Mat>> byLabel;
        for (int label : {0, 1, -1})
            byLabel.push_back(cm::edit(model, editOf(t, 0, 3, 50, label)).images);
        // Share of the image that is generated: the inpainting hole, 2 of 3 colour coordinates, 15 of 16
        // patch coefficients, everything for strokes.
        const double generated = t == cm::EditTask::Inpaint ? 14.0 * 14.0 / (28.0 * 28.0) : 1.0;
        double smallest = INFINITY;
        for (int j = 0; j < 3; ++j)
            for (auto [a, b] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{1, 2}}) {
                const cv::Mat& x = byLabel[a][j];
                const double diff =
                    cv::norm(x, byLabel[b][j], cv::NORM_L1) / double(x.total() * x.channels()) / generated;
                smallest = std::min(smallest, diff);
                QVERIFY2(diff > 0.02,
                         qPrintable(QString("image %1, labels %2/%3: %4").arg(j).arg(a).arg(b).arg(diff)));
            }
        qInfo("smallest mean absolute difference between two labels' edits (generated part): %.3f", smallest);
    }

    void badInputGetsAClearError() {
        const auto expectMessage = [&](cm::EditParams params, const cm::Model& model, cm::ErrorKind kind,
                                       const char* text) {
            const auto e = expectError([&] { cm::edit(model, params); });
            QVERIFY2(e.kind() == kind && QString(e.what()).contains(text), e.what());
        };
        cm::EditParams inpaint;
        inpaint.task = cm::EditTask::Inpaint;
        inpaint.images = {randomImage(28, 1, 1)};
        inpaint.masks = {centreSquareMask(32, 4)};
        expectMessage(inpaint, m_grey, cm::ErrorKind::InvalidArgument, "the mask is 32x32");
        inpaint.masks = {cv::Mat(28, 28, CV_8U, cv::Scalar(0))};
        expectMessage(inpaint, m_grey, cm::ErrorKind::InvalidArgument, "the mask is empty");
        inpaint.masks = {};
        expectMessage(inpaint, m_grey, cm::ErrorKind::InvalidArgument, "one mask");
        inpaint.masks = {centreSquareMask(28, 4)};
        inpaint.images = {randomImage(32, 1, 1)};
        expectMessage(inpaint, m_grey, cm::ErrorKind::Shape, "needs 28x28");
        inpaint.images = {randomImage(28, 3, 1)};
        expectMessage(inpaint, m_grey, cm::ErrorKind::InvalidArgument, "3 channel(s); it needs 1");
        inpaint.images = {};
        expectMessage(inpaint, m_grey, cm::ErrorKind::InvalidArgument, "at least one image");

        cm::EditParams colorize;
        colorize.task = cm::EditTask::Colorize;
        colorize.images = {randomImage(28, 1, 1)};
        expectMessage(colorize, m_grey, cm::ErrorKind::InvalidArgument, "needs an RGB model");
        colorize.images = {randomImage(32, 3, 1)};
        expectMessage(colorize, m_colour, cm::ErrorKind::InvalidArgument, "already in colour");

        cm::EditParams superres;
        superres.task = cm::EditTask::SuperResolution;
        superres.images = {randomImage(7, 1, 1)};
        superres.factor = 3;
        expectMessage(superres, m_grey, cm::ErrorKind::InvalidArgument, "2, 4 or 8");
        superres.factor = 8;
        expectMessage(superres, m_grey, cm::ErrorKind::InvalidArgument, "does not divide");
        superres.factor = 4;
        superres.images = {randomImage(8, 1, 1)};
        expectMessage(superres, m_grey, cm::ErrorKind::Shape, "low-resolution");
        superres.images = {randomImage(7, 1, 1)};
        superres.sigmas = {1, 5};
        expectMessage(superres, m_grey, cm::ErrorKind::InvalidArgument, "strictly decrease");

        auto teacherCard = cmtest::tinyUNetCard(cm::ModelKind::EdmDenoiser);
        const auto teacher = cm::Model::create(teacherCard, 1);
        superres.sigmas = {};
        expectMessage(superres, teacher, cm::ErrorKind::InvalidArgument, "needs a consistency model");
        QCOMPARE(expectError([] { cm::editTaskFromName("sharpen"); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    void interpolationEndsAtTheTwoSeedsSamples() {
        cm::InterpolationParams params;
        params.seedA = 3;
        params.seedB = 8;
        params.frames = 5;
        params.conditioning = cm::Conditioning::ofClass(2);
        const auto frames = cm::interpolate(m_grey, params);
        QCOMPARE(int(frames.size()), 5);
        for (auto [seed, frame] : {std::pair{3, 0}, std::pair{8, 4}}) {
            cm::SampleParams sampling;
            sampling.count = 1;
            sampling.seed = uint64_t(seed);
            sampling.conditioning = cm::Conditioning::ofClass(2);
            QVERIFY(maxAbsDiff(cm::sample(m_grey, sampling).images[0], frames[frame]) < 1e-5);
        }
        QVERIFY(maxAbsDiff(frames[2], frames[0]) > 1e-3);
        QVERIFY(maxAbsDiff(frames[2], frames[4]) > 1e-3);
        params.frames = 1;
        QCOMPARE(expectError([&] { cm::interpolate(m_grey, params); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    void interpolationBetweenTwoClassesEndsAtEachClass() {
        cm::InterpolationParams params;
        params.seedA = 3;
        params.seedB = 8;
        params.frames = 5;
        params.conditioning = cm::Conditioning::ofClass(1);
        params.conditioningB = cm::Conditioning::ofClass(2);
        const auto frames = cm::interpolate(m_grey, params);
        QCOMPARE(int(frames.size()), 5);
        for (auto [seed, frame, label] : {std::tuple{3, 0, 1}, std::tuple{8, 4, 2}}) {
            cm::SampleParams sampling;
            sampling.count = 1;
            sampling.seed = uint64_t(seed);
            sampling.conditioning = cm::Conditioning::ofClass(label);
            QVERIFY(maxAbsDiff(cm::sample(m_grey, sampling).images[0], frames[frame]) < 1e-5);
        }
        // End B really is class 2: with one class for both ends the last frame differs.
        params.conditioningB = {};
        QVERIFY(maxAbsDiff(cm::interpolate(m_grey, params)[4], frames[4]) > 1e-3);
        params.conditioningB = cm::Conditioning::perImage({1, 2});
        QCOMPARE(expectError([&] { cm::interpolate(m_grey, params); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    void noiseIsSeededPerImage() {
        const std::vector<cv::Mat> images = {randomImage(28, 1, 1), randomImage(28, 1, 2)};
        const auto a = cm::addNoise(images, 0.5, 7), b = cm::addNoise({images[1]}, 0.5, 8);
        QCOMPARE(maxAbsDiff(a[1], b[0]), 0.0);
        cv::Mat noise = a[0] - images[0];
        cv::Scalar mean, deviation;
        cv::meanStdDev(noise, mean, deviation);
        QVERIFY(std::abs(deviation[0] - 0.5) < 0.05);
    }
};

QTEST_GUILESS_MAIN(TestEditing)
#include "test_editing.moc"
