// core/detail/fused_group_norm: the AVX-512 GroupNorm + FiLM + SiLU kernel, forward and backward, against
// the reference composition of LibTorch operations (GroupNorm, the FiLM maps, SiLU) differentiated by
// autograd in float32 on the same bfloat16-representable inputs and output gradient.
//
// Tolerances, relative to the largest magnitude of the reference tensor:
//  - outputs and x's gradient are bfloat16 (8 significant bits, rounding error up to 2^-9 of each value):
//    kBf16Tolerance = 1e-2;
//    (measured 2.0-2.5e-3 for x's gradient);
//  - the float32 gradients (gamma, beta, the pre-shift, FiLM scale and shift) come from float32 sums of
//    exact inputs: kFloatGradTolerance = 1e-5 (measured up to 4.4e-7).
//
// Torch comes first: Qt's `slots` keyword macro breaks torch's headers.
#include "core/detail/fused_group_norm.h"

#include <QtTest>

namespace {

constexpr double kBf16Tolerance = 1e-2;
constexpr double kFloatGradTolerance = 1e-5;

double relativeMaxError(const torch::Tensor& got, const torch::Tensor& reference) {
    const double scale = reference.abs().max().item<double>();
    return (got.to(torch::kFloat64) - reference.to(torch::kFloat64)).abs().max().item<double>() / std::max(scale, 1e-30);
}

struct Case {
    int64_t n, channels, h, w, groups;
    bool preShift, film, silu;
};

// One normalisation's inputs, all float32 leaves with bfloat16-representable values.
struct Inputs {
    torch::Tensor x, gamma, beta, preShift, scale, shift, gradOut;
};

torch::Tensor bf16Values(torch::Tensor t) {
    return t.to(torch::kBFloat16).to(torch::kFloat32);
}

Inputs makeInputs(const Case& c, uint64_t seed) {
    torch::manual_seed(seed);
    Inputs in;
    // An offset and a per-channel spread: the statistics must not depend on a zero mean.
    in.x = bf16Values(torch::randn({c.n, c.channels, c.h, c.w}) * (1 + torch::rand({1, c.channels, 1, 1})) + 0.7);
    in.gamma = 1 + 0.3 * torch::randn({c.channels});
    in.beta = 0.2 * torch::randn({c.channels});
    if (c.preShift) in.preShift = 0.5 * torch::randn({c.n, c.channels});
    if (c.film) {
        in.scale = 0.3 * torch::randn({c.n, c.channels});
        in.shift = 0.3 * torch::randn({c.n, c.channels});
    }
    in.gradOut = bf16Values(torch::randn({c.n, c.channels, c.h, c.w}));
    return in;
}

torch::Tensor perChannel(const torch::Tensor& v) {
    return v.reshape({v.size(0), v.size(1), 1, 1});
}

torch::Tensor reference(const Case& c, const Inputs& in) {
    auto h = in.preShift.defined() ? in.x + perChannel(in.preShift) : in.x;
    h = torch::group_norm(h, c.groups, in.gamma, in.beta, 1e-6);
    if (in.scale.defined()) h = h * (1 + perChannel(in.scale)) + perChannel(in.shift);
    return c.silu ? torch::silu(h) : h;
}

std::vector<torch::Tensor> leaves(const Inputs& in) {
    return {in.x, in.gamma, in.beta, in.preShift, in.scale, in.shift};
}

Inputs requiringGrad(const Inputs& in) {
    Inputs out = in;
    for (auto* t : {&out.x, &out.gamma, &out.beta, &out.preShift, &out.scale, &out.shift})
        if (t->defined()) *t = t->detach().clone().requires_grad_(true);
    return out;
}

const char* kNames[] = {"x", "gamma", "beta", "preShift", "scale", "shift"};

} // namespace

class TestFusedGroupNorm : public QObject {
    Q_OBJECT

  private:
    static void addCases() {
        QTest::addColumn<int>("index");
        QTest::newRow("film+silu 64ch 7x7 (one chunk)") << 0;
        QTest::newRow("film+silu 48ch 14x14 (masked lanes, 4 chunks)") << 1;
        QTest::newRow("preshift+silu 96ch 8x8") << 2;
        QTest::newRow("plain 32ch 28x28 one group per 4") << 3;
        QTest::newRow("film, no silu, 20ch 5x9") << 4;
    }
    static Case caseAt(int index) {
        const Case cases[] = {{3, 64, 7, 7, 16, false, true, true},
                              {2, 48, 14, 14, 12, false, true, true},
                              {2, 96, 8, 8, 32, true, false, true},
                              {2, 32, 28, 28, 8, false, false, false},
                              {3, 20, 5, 9, 5, false, true, false}};
        return cases[index];
    }

  private slots:
    void forwardMatchesReference_data() { addCases(); }
    void forwardMatchesReference() {
        if (!cm::detail::fusedGroupNormAvailable()) QSKIP("this CPU lacks AVX-512 BF16: the kernel cannot run");
        QFETCH(int, index);
        const Case c = caseAt(index);
        const Inputs in = makeInputs(c, 10 + index);
        torch::NoGradGuard noGrad;
        const auto expected = reference(c, in);
        const auto y = cm::detail::fusedGroupNormBf16(in.x.to(torch::kBFloat16), int(c.groups), in.gamma, in.beta,
                                                      1e-6, in.preShift, in.scale, in.shift, c.silu);
        QCOMPARE(y.scalar_type(), torch::kBFloat16);
        QVERIFY(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
        const double error = relativeMaxError(y, expected);
        QVERIFY2(error <= kBf16Tolerance, qPrintable(QString::number(error)));
    }

    void backwardMatchesAutograd_data() { addCases(); }
    void backwardMatchesAutograd() {
        if (!cm::detail::fusedGroupNormAvailable()) QSKIP("this CPU lacks AVX-512 BF16: the kernel cannot run");
        QFETCH(int, index);
        const Case c = caseAt(index);
        const Inputs base = makeInputs(c, 20 + index);

        const Inputs ref = requiringGrad(base);
        const auto expected = reference(c, ref);
        expected.backward(base.gradOut);

        const Inputs fused = requiringGrad(base);
        const auto xLow = fused.x.to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast);
        const auto y = cm::detail::fusedGroupNormBf16(xLow, int(c.groups), fused.gamma, fused.beta, 1e-6,
                                                      fused.preShift, fused.scale, fused.shift, c.silu);
        QVERIFY(y.requires_grad());
        QVERIFY(relativeMaxError(y.detach(), expected.detach()) <= kBf16Tolerance);
        // Through float32 as a loss would be, so the kernel receives a bfloat16 gradient (the rounded gradOut).
        (y.to(torch::kFloat32) * base.gradOut).sum().backward();

        const auto want = leaves(ref), got = leaves(fused);
        for (std::size_t i = 0; i < want.size(); ++i) {
            if (!want[i].defined()) continue;
            QVERIFY2(got[i].grad().defined(), kNames[i]);
            QCOMPARE(got[i].grad().scalar_type(), torch::kFloat32);
            const double error = relativeMaxError(got[i].grad(), want[i].grad());
            const double tolerance = i == 0 ? kBf16Tolerance : kFloatGradTolerance;
            qInfo("%s gradient: relative max error %.2e (tolerance %.0e)", kNames[i], error, tolerance);
            QVERIFY2(error <= tolerance, qPrintable(QString("%1: %2").arg(kNames[i]).arg(error)));
        }
    }
};

QTEST_APPLESS_MAIN(TestFusedGroupNorm)
#include "test_fused_group_norm.moc"
