// core/detail/compute_precision: the helpers every network calls, in float32 (which must be LibTorch's own
// modules) and in bfloat16 (channels-last activations, float32 weights and gradients), forward and
// backward, against autograd of the float32 reference on the same bfloat16-representable values.
//
// Tolerances, relative to the largest magnitude of the reference tensor:
//  - float32: kFloat32Tolerance = 1e-6 (the same operations; convolutions may pick another algorithm);
//  - bfloat16 outputs and activation gradients (rounded to 8 significant bits): kBf16Tolerance = 1e-2;
//  - bfloat16 convolution weight and bias gradients (oneDNN's bfloat16 kernels: bfloat16 products, float32
//    sums, one rounding of the result to bfloat16): kBf16Tolerance as well (measured up to 2.6e-3);
//  - float32 gradients of the fused normalisation's parameters: kFloatGradTolerance = 1e-5.
//
// Torch comes first: Qt's `slots` keyword macro breaks torch's headers.
#include "core/detail/compute_precision.h"
#include "core/detail/training_losses.h"
#include "core/precision.h"

#include <QtTest>

namespace {

constexpr double kFloat32Tolerance = 1e-6;
constexpr double kBf16Tolerance = 1e-2;
constexpr double kFloatGradTolerance = 1e-5;

double relativeMaxError(const torch::Tensor& got, const torch::Tensor& reference) {
    const double scale = reference.abs().max().item<double>();
    return (got.to(torch::kFloat64) - reference.to(torch::kFloat64)).abs().max().item<double>() / std::max(scale, 1e-30);
}

torch::Tensor bf16Values(torch::Tensor t) {
    return t.to(torch::kBFloat16).to(torch::kFloat32);
}

torch::Tensor leaf(torch::Tensor t) {
    return t.detach().clone().requires_grad_(true);
}

} // namespace

class TestComputePrecision : public QObject {
    Q_OBJECT

  private slots:
    // GroupNorm + FiLM + SiLU through groupNormFloat32: float32 is the reference itself; bfloat16 (the fused
    // kernel where the CPU has it, else LibTorch's operations in float32) agrees within the bf16 tolerance.
    void groupNormInBothPrecisions() {
        torch::manual_seed(3);
        const int64_t n = 2, channels = 64, side = 14, groups = 16;
        torch::nn::GroupNorm norm(torch::nn::GroupNormOptions(groups, channels).eps(1e-6));
        {
            torch::NoGradGuard noGrad;
            norm->weight.copy_(1 + 0.3 * torch::randn({channels}));
            norm->bias.copy_(0.2 * torch::randn({channels}));
        }
        const auto x = bf16Values(torch::randn({n, channels, side, side}) + 0.5);
        const auto scale = 0.3 * torch::randn({n, channels}), shift = 0.3 * torch::randn({n, channels});
        const auto gradOut = bf16Values(torch::randn({n, channels, side, side}));

        const auto refX = leaf(x), refScale = leaf(scale), refShift = leaf(shift);
        const auto expected = torch::silu(norm->forward(refX) * (1 + refScale.reshape({n, channels, 1, 1})) +
                                          refShift.reshape({n, channels, 1, 1}));
        expected.backward(gradOut);
        const auto refGamma = norm->weight.grad().clone(), refBeta = norm->bias.grad().clone();

        for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
            norm->zero_grad();
            const auto inX = leaf(x), inScale = leaf(scale), inShift = leaf(shift);
            cm::detail::NormAct act = cm::detail::NormAct::thenSilu();
            act.scale = inScale;
            act.shift = inShift;
            const auto y = cm::detail::groupNormFloat32(*norm, cm::detail::toCompute(inX, dtype), act);
            QCOMPARE(y.scalar_type(), dtype);
            (y.to(torch::kFloat32) * gradOut).sum().backward();
            const bool low = dtype == torch::kBFloat16;
            const double tol = low ? kBf16Tolerance : kFloat32Tolerance;
            const double floatTol = low ? kFloatGradTolerance : kFloat32Tolerance;
            QVERIFY(relativeMaxError(y.detach(), expected.detach()) <= tol);
            QVERIFY(relativeMaxError(inX.grad(), refX.grad()) <= tol);
            QVERIFY(relativeMaxError(inScale.grad(), refScale.grad()) <= floatTol);
            QVERIFY(relativeMaxError(inShift.grad(), refShift.grad()) <= floatTol);
            QVERIFY(relativeMaxError(norm->weight.grad(), refGamma) <= floatTol);
            QVERIFY(relativeMaxError(norm->bias.grad(), refBeta) <= floatTol);
        }
    }

    // A training convolution: in bfloat16 its float32 weight and bias get float32 gradients (computed by
    // oneDNN's bfloat16 kernels, the weight's on one thread, the bias's in the same pass), and the input's
    // gradient is bfloat16; the cached bfloat16 weight follows an in-place update of the float32 weight.
    void convolutionGradientsInBothPrecisions_data() {
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("kernel");
        QTest::newRow("3x3") << 1 << 3;
        QTest::newRow("3x3 stride 2") << 2 << 3;
        QTest::newRow("1x1") << 1 << 1;
    }
    void convolutionGradientsInBothPrecisions() {
        QFETCH(int, stride);
        QFETCH(int, kernel);
        torch::manual_seed(5);
        torch::nn::Conv2d conv(torch::nn::Conv2dOptions(48, 64, kernel).stride(stride).padding(kernel / 2));
        {
            torch::NoGradGuard noGrad;
            conv->weight.copy_(bf16Values(conv->weight));
            conv->bias.copy_(bf16Values(conv->bias));
        }
        const auto x = bf16Values(torch::randn({4, 48, 14, 14}));
        const int64_t outSide = (14 + 2 * (kernel / 2) - kernel) / stride + 1;
        const auto gradOut = bf16Values(torch::randn({4, 64, outSide, outSide}));

        const auto refX = leaf(x);
        const auto expected = torch::conv2d(refX, conv->weight, conv->bias, stride, kernel / 2);
        expected.backward(gradOut);
        const auto refWeight = conv->weight.grad().clone(), refBias = conv->bias.grad().clone();

        for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
            conv->zero_grad();
            const auto inX = leaf(x);
            const auto y = cm::detail::conv2d(*conv, cm::detail::toCompute(inX, dtype));
            QCOMPARE(y.scalar_type(), dtype);
            (y.to(torch::kFloat32) * gradOut).sum().backward();
            const bool low = dtype == torch::kBFloat16;
            const double tol = low ? kBf16Tolerance : kFloat32Tolerance;
            QCOMPARE(conv->weight.grad().scalar_type(), torch::kFloat32);
            QCOMPARE(conv->bias.grad().scalar_type(), torch::kFloat32);
            const double weightError = relativeMaxError(conv->weight.grad(), refWeight);
            const double biasError = relativeMaxError(conv->bias.grad(), refBias);
            qInfo("%s: output %.1e, input gradient %.1e, weight gradient %.1e, bias gradient %.1e",
                  low ? "bf16" : "fp32", relativeMaxError(y.detach(), expected.detach()),
                  relativeMaxError(inX.grad(), refX.grad()), weightError, biasError);
            QVERIFY(relativeMaxError(y.detach(), expected.detach()) <= tol);
            QVERIFY(relativeMaxError(inX.grad(), refX.grad()) <= tol);
            QVERIFY2(weightError <= tol, qPrintable(QString::number(weightError)));
            QVERIFY2(biasError <= tol, qPrintable(QString::number(biasError)));
        }

        // One optimizer-like update in place: the next bfloat16 forward must use the new weight.
        {
            torch::NoGradGuard noGrad;
            conv->weight.mul_(-1);
        }
        const auto after = cm::detail::conv2d(*conv, cm::detail::toCompute(leaf(x), torch::kBFloat16));
        const auto expectedAfter = torch::conv2d(x, conv->weight, conv->bias, stride, kernel / 2);
        QVERIFY(relativeMaxError(after.detach(), expectedAfter.detach()) <= kBf16Tolerance);
    }

    // Float32Scope forces float32 for this thread's forwards and nests; a consistency pair closer than
    // kBf16MinRelativeGap is evaluated inside one, a wider pair in the active precision.
    void closePairsComputeInFloat32() {
        if (!cm::precisionSupport().bf16) QSKIP("this CPU has no bfloat16 support");
        cm::setPrecision(cm::Precision::Bf16);
        QCOMPARE(cm::detail::computeDtype(), torch::kBFloat16);
        {
            const cm::detail::Float32Scope outer;
            QCOMPARE(cm::detail::computeDtype(), torch::kFloat32);
            {
                const cm::detail::Float32Scope inactive(false);
                QCOMPARE(cm::detail::computeDtype(), torch::kFloat32);
            }
            QCOMPARE(cm::detail::computeDtype(), torch::kFloat32);
        }
        QCOMPARE(cm::detail::computeDtype(), torch::kBFloat16);

        const auto dtypesFor = [](double high, double low) {
            std::vector<torch::ScalarType> seen;
            const auto record = [&] {
                seen.push_back(cm::detail::computeDtype());
                return torch::zeros({1});
            };
            cm::detail::evaluateWithSharedDropout(torch::tensor({80.0, high}), torch::tensor({40.0, low}), record,
                                                  record);
            return seen;
        };
        const double gap = cm::detail::kBf16MinRelativeGap;
        QCOMPARE(dtypesFor(1.0, 1.0 - gap), (std::vector<torch::ScalarType>{torch::kBFloat16, torch::kBFloat16}));
        QCOMPARE(dtypesFor(1.0, 1.0 - gap / 2), (std::vector<torch::ScalarType>{torch::kFloat32, torch::kFloat32}));
        QCOMPARE(cm::detail::computeDtype(), torch::kBFloat16);
        cm::setPrecision(cm::Precision::Fp32);
    }
};

QTEST_APPLESS_MAIN(TestComputePrecision)
#include "test_compute_precision.moc"
