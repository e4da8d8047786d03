#include "fused_group_norm.h"

#include "core/precision.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#if defined(__x86_64__)
// GCC 12's AVX-512 headers start some conversions from _mm512_undefined_*() and then warn about it when
// they are inlined into a target("avx512...") function: a known false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define CM_FUSED_AVX512 1
#endif

namespace cm::detail {

namespace {

// Pixels per work item: partial sums over this many values stay exact enough in float32.
constexpr int64_t kChunk = 64;

#ifdef CM_FUSED_AVX512
#define CM_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

CM_TARGET inline __m512 loadBf16(const uint16_t* p, __mmask16 mask) {
    const __m256i raw = _mm256_maskz_loadu_epi16(mask, p);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
}

CM_TARGET inline void storeBf16(uint16_t* p, __m512 v, __mmask16 mask) {
    _mm256_mask_storeu_epi16(p, mask, (__m256i)_mm512_cvtneps_pbh(v));
}

// exp(t) to ~2 ulp in float32 over the range SiLU needs (the result is rounded to bfloat16 anyway).
CM_TARGET inline __m512 expPs(__m512 t) {
    t = _mm512_max_ps(_mm512_min_ps(t, _mm512_set1_ps(88.0f)), _mm512_set1_ps(-87.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(t, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), t);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

CM_TARGET inline __mmask16 maskFor(int64_t remaining) {
    return remaining >= 16 ? __mmask16(0xffff) : __mmask16((1u << remaining) - 1);
}

// Per-channel sums and sums of squares of pixels [begin, end) of one sample.
CM_TARGET void channelSums(const uint16_t* x, int64_t channels, int64_t begin, int64_t end, float* sum,
                           float* sumSq) {
    for (int64_t c = 0; c < channels; c += 16) {
        const __mmask16 mask = maskFor(channels - c);
        __m512 s = _mm512_setzero_ps(), q = _mm512_setzero_ps();
        for (int64_t p = begin; p < end; ++p) {
            const __m512 v = loadBf16(x + p * channels + c, mask);
            s = _mm512_add_ps(s, v);
            q = _mm512_fmadd_ps(v, v, q);
        }
        _mm512_mask_storeu_ps(sum + c, mask, s);
        _mm512_mask_storeu_ps(sumSq + c, mask, q);
    }
}

// y = act(x * a + b) per channel for pixels [begin, end) of one sample.
CM_TARGET void applyAffine(const uint16_t* x, uint16_t* y, int64_t channels, int64_t begin, int64_t end,
                           const float* a, const float* b, bool silu) {
    for (int64_t p = begin; p < end; ++p) {
        for (int64_t c = 0; c < channels; c += 16) {
            const __mmask16 mask = maskFor(channels - c);
            const int64_t at = p * channels + c;
            __m512 v = _mm512_fmadd_ps(loadBf16(x + at, mask), _mm512_maskz_loadu_ps(mask, a + c),
                                       _mm512_maskz_loadu_ps(mask, b + c));
            if (silu)
                v = _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f), expPs(_mm512_sub_ps(_mm512_setzero_ps(), v))));
            storeBf16(y + at, v, mask);
        }
    }
}

// dy * act'(v): SiLU's derivative sigmoid(v) * (1 + v * (1 - sigmoid(v))), or dy for the identity.
CM_TARGET inline __m512 activationGrad(__m512 v, __m512 dy, bool silu) {
    if (!silu) return dy;
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 sig = _mm512_div_ps(one, _mm512_add_ps(one, expPs(_mm512_sub_ps(_mm512_setzero_ps(), v))));
    return _mm512_mul_ps(dy, _mm512_mul_ps(sig, _mm512_fmadd_ps(v, _mm512_sub_ps(one, sig), one)));
}

// Per channel over pixels [begin, end) of one sample, with v = x * a + b and dv = dy * act'(v):
// sums of x, of dv and of dv * x (the backward's statistics).
CM_TARGET void backwardSums(const uint16_t* x, const uint16_t* dy, int64_t channels, int64_t begin, int64_t end,
                            const float* a, const float* b, bool silu, float* sumX, float* sumDv, float* sumDvX) {
    for (int64_t c = 0; c < channels; c += 16) {
        const __mmask16 mask = maskFor(channels - c);
        const __m512 ca = _mm512_maskz_loadu_ps(mask, a + c), cb = _mm512_maskz_loadu_ps(mask, b + c);
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), s2 = _mm512_setzero_ps();
        for (int64_t p = begin; p < end; ++p) {
            const int64_t at = p * channels + c;
            const __m512 v = loadBf16(x + at, mask);
            const __m512 dv = activationGrad(_mm512_fmadd_ps(v, ca, cb), loadBf16(dy + at, mask), silu);
            s0 = _mm512_add_ps(s0, v);
            s1 = _mm512_add_ps(s1, dv);
            s2 = _mm512_fmadd_ps(dv, v, s2);
        }
        _mm512_mask_storeu_ps(sumX + c, mask, s0);
        _mm512_mask_storeu_ps(sumDv + c, mask, s1);
        _mm512_mask_storeu_ps(sumDvX + c, mask, s2);
    }
}

// dx = P * dv + Q * x + R per channel for pixels [begin, end) of one sample.
CM_TARGET void applyBackward(const uint16_t* x, const uint16_t* dy, uint16_t* dx, int64_t channels, int64_t begin,
                             int64_t end, const float* a, const float* b, const float* P, const float* Q,
                             const float* R, bool silu) {
    for (int64_t p = begin; p < end; ++p) {
        for (int64_t c = 0; c < channels; c += 16) {
            const __mmask16 mask = maskFor(channels - c);
            const int64_t at = p * channels + c;
            const __m512 v = loadBf16(x + at, mask);
            const __m512 dv = activationGrad(
                _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(mask, a + c), _mm512_maskz_loadu_ps(mask, b + c)),
                loadBf16(dy + at, mask), silu);
            __m512 out = _mm512_fmadd_ps(dv, _mm512_maskz_loadu_ps(mask, P + c), _mm512_maskz_loadu_ps(mask, R + c));
            out = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(mask, Q + c), out);
            storeBf16(dx + at, out, mask);
        }
    }
}
#endif

float valueAt(const torch::Tensor& t, int64_t n, int64_t c, int64_t channels) {
    return t.defined() ? t.data_ptr<float>()[n * channels + c] : 0.0f;
}

// Absent operands travel through the autograd node as empty tensors (its apply() cannot take undefined ones).
bool present(const torch::Tensor& t) {
    return t.defined() && t.numel() > 0;
}

torch::Tensor asFloat(const torch::Tensor& t) {
    return present(t) ? t.detach().to(torch::kFloat32).contiguous() : torch::Tensor();
}

// The operands of one normalisation, as the kernels read them.
struct Operands {
    torch::Tensor x; // bfloat16 channels-last
    torch::Tensor gamma, beta, preShift, scale, shift; // float32 contiguous or undefined
    int64_t n = 0, channels = 0, pixels = 0, groups = 0, chunks = 0;
    bool silu = false;

    Operands(const torch::Tensor& xIn, int groupCount, const torch::Tensor& gammaIn, const torch::Tensor& betaIn,
             const torch::Tensor& preShiftIn, const torch::Tensor& scaleIn, const torch::Tensor& shiftIn, bool act)
        : x(xIn.detach().contiguous(torch::MemoryFormat::ChannelsLast)), gamma(asFloat(gammaIn)),
          beta(asFloat(betaIn)), preShift(asFloat(preShiftIn)), scale(asFloat(scaleIn)), shift(asFloat(shiftIn)),
          n(x.size(0)), channels(x.size(1)), pixels(x.size(2) * x.size(3)), groups(groupCount),
          chunks((pixels + kChunk - 1) / kChunk), silu(act) {
        TORCH_CHECK(fusedGroupNormAvailable(), "fusedGroupNormBf16: this CPU lacks AVX-512 BF16");
        TORCH_CHECK(xIn.dim() == 4 && xIn.scalar_type() == torch::kBFloat16, "fusedGroupNormBf16: bf16 [N,C,H,W]");
        TORCH_CHECK(channels % groups == 0, "fusedGroupNormBf16: channels not divisible by groups");
    }
    const uint16_t* src() const { return reinterpret_cast<const uint16_t*>(x.data_ptr<at::BFloat16>()); }
};

// Group statistics of x + preShift per sample (mean and 1 / std, in double), and the per-channel map
// y = act(x * a + b) they fold into with gamma, beta and FiLM.
struct Folded {
    std::vector<double> mean, rstd; // [n * groups]
    std::vector<float> a, b;        // [n * channels]
};

void foldAffine(const Operands& o, Folded& f) {
    const int64_t perGroup = o.channels / o.groups;
    const float* g = o.gamma.data_ptr<float>();
    const float* be = o.beta.data_ptr<float>();
    f.a.assign(std::size_t(o.n * o.channels), 0.0f);
    f.b.assign(std::size_t(o.n * o.channels), 0.0f);
    for (int64_t s = 0; s < o.n; ++s)
        for (int64_t c = 0; c < o.channels; ++c) {
            const double mean = f.mean[s * o.groups + c / perGroup], rstd = f.rstd[s * o.groups + c / perGroup];
            const double film = 1.0 + valueAt(o.scale, s, c, o.channels);
            const double slope = rstd * g[c];
            const double e = valueAt(o.preShift, s, c, o.channels);
            f.a[s * o.channels + c] = float(slope * film);
            f.b[s * o.channels + c] = float((be[c] + (e - mean) * slope) * film + valueAt(o.shift, s, c, o.channels));
        }
}

#ifdef CM_FUSED_AVX512
Folded fold(const Operands& o, double eps) {
    const int64_t n = o.n, channels = o.channels, pixels = o.pixels, chunks = o.chunks;
    const uint16_t* src = o.src();
    std::vector<float> partial(std::size_t(n * chunks * 2 * channels));
    at::parallel_for(0, n * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sample = item / chunks, chunk = item % chunks;
            float* sums = partial.data() + item * 2 * channels;
            channelSums(src + sample * pixels * channels, channels, chunk * kChunk,
                        std::min(pixels, (chunk + 1) * kChunk), sums, sums + channels);
        }
    });
    Folded f;
    f.mean.resize(std::size_t(n * o.groups));
    f.rstd.resize(std::size_t(n * o.groups));
    const int64_t perGroup = channels / o.groups;
    for (int64_t s = 0; s < n; ++s) {
        std::vector<double> sum(std::size_t(channels), 0.0), sumSq(std::size_t(channels), 0.0);
        for (int64_t chunk = 0; chunk < chunks; ++chunk) {
            const float* sums = partial.data() + (s * chunks + chunk) * 2 * channels;
            for (int64_t c = 0; c < channels; ++c) {
                sum[c] += sums[c];
                sumSq[c] += sums[channels + c];
            }
        }
        for (int64_t group = 0; group < o.groups; ++group) {
            double total = 0.0, totalSq = 0.0;
            for (int64_t c = group * perGroup; c < (group + 1) * perGroup; ++c) {
                const double e = valueAt(o.preShift, s, c, channels); // (x + e) summed over the pixels
                total += sum[c] + pixels * e;
                totalSq += sumSq[c] + 2.0 * e * sum[c] + pixels * e * e;
            }
            const double count = double(pixels * perGroup);
            const double mean = total / count;
            const double variance = std::max(0.0, totalSq / count - mean * mean);
            f.mean[s * o.groups + group] = mean;
            f.rstd[s * o.groups + group] = 1.0 / std::sqrt(variance + eps);
        }
    }
    foldAffine(o, f);
    return f;
}

torch::Tensor applyFolded(const Operands& o, const Folded& f) {
    auto y = torch::empty_like(o.x, o.x.options(), torch::MemoryFormat::ChannelsLast);
    const uint16_t* src = o.src();
    auto* dst = reinterpret_cast<uint16_t*>(y.data_ptr<at::BFloat16>());
    const int64_t channels = o.channels, pixels = o.pixels, chunks = o.chunks;
    at::parallel_for(0, o.n * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sample = item / chunks, chunk = item % chunks;
            applyAffine(src + sample * pixels * channels, dst + sample * pixels * channels, channels,
                        chunk * kChunk, std::min(pixels, (chunk + 1) * kChunk), f.a.data() + sample * channels,
                        f.b.data() + sample * channels, o.silu);
        }
    });
    return y;
}

// Gradients of y = act((norm(x + e) * gamma + beta) * (1 + scale) + shift) with v the pre-activation,
// dv = dy * act'(v), xhat the normalised input, k = (1 + scale) * gamma, per sample and group of M values:
//   dx = rstd * (k dv - mean(k dv) - xhat * mean(k dv xhat)) = P dv + Q x + R per channel,
//   de = sum dx, dscale = sum dv u (u = xhat gamma + beta), dshift = sum dv,
//   dgamma = sum (1 + scale) dv xhat, dbeta = sum (1 + scale) dv (over samples and pixels).
struct Gradients {
    torch::Tensor x, gamma, beta, preShift, scale, shift;
};

Gradients backwardFolded(const Operands& o, const Folded& f, const torch::Tensor& gradOut) {
    const auto dyT = gradOut.to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto* dy = reinterpret_cast<const uint16_t*>(dyT.data_ptr<at::BFloat16>());
    const uint16_t* src = o.src();
    const int64_t n = o.n, channels = o.channels, pixels = o.pixels, chunks = o.chunks;
    std::vector<float> partial(std::size_t(n * chunks * 3 * channels));
    at::parallel_for(0, n * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sample = item / chunks, chunk = item % chunks;
            float* sums = partial.data() + item * 3 * channels;
            backwardSums(src + sample * pixels * channels, dy + sample * pixels * channels, channels,
                         chunk * kChunk, std::min(pixels, (chunk + 1) * kChunk), f.a.data() + sample * channels,
                         f.b.data() + sample * channels, o.silu, sums, sums + channels, sums + 2 * channels);
        }
    });
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    Gradients out;
    out.gamma = torch::zeros({channels}, f32);
    out.beta = torch::zeros({channels}, f32);
    out.preShift = torch::empty({n, channels}, f32);
    out.scale = torch::empty({n, channels}, f32);
    out.shift = torch::empty({n, channels}, f32);
    float* dGamma = out.gamma.data_ptr<float>();
    float* dBeta = out.beta.data_ptr<float>();
    float* dPre = out.preShift.data_ptr<float>();
    float* dScale = out.scale.data_ptr<float>();
    float* dShift = out.shift.data_ptr<float>();
    const float* g = o.gamma.data_ptr<float>();
    const float* be = o.beta.data_ptr<float>();
    const int64_t perGroup = channels / o.groups;
    std::vector<float> P(std::size_t(n * channels)), Q(P.size()), R(P.size());
    const std::size_t perSample = std::size_t(channels);
    std::vector<double> sumX(perSample), sumDv(perSample), sumDvX(perSample), dvXhat(perSample);
    for (int64_t s = 0; s < n; ++s) {
        std::fill(sumX.begin(), sumX.end(), 0.0);
        std::fill(sumDv.begin(), sumDv.end(), 0.0);
        std::fill(sumDvX.begin(), sumDvX.end(), 0.0);
        for (int64_t chunk = 0; chunk < chunks; ++chunk) {
            const float* sums = partial.data() + (s * chunks + chunk) * 3 * channels;
            for (int64_t c = 0; c < channels; ++c) {
                sumX[c] += sums[c];
                sumDv[c] += sums[channels + c];
                sumDvX[c] += sums[2 * channels + c];
            }
        }
        for (int64_t group = 0; group < o.groups; ++group) {
            const double mean = f.mean[s * o.groups + group], rstd = f.rstd[s * o.groups + group];
            double m1 = 0.0, m2 = 0.0;
            for (int64_t c = group * perGroup; c < (group + 1) * perGroup; ++c) {
                const double e = valueAt(o.preShift, s, c, channels);
                const double k = (1.0 + valueAt(o.scale, s, c, channels)) * g[c];
                dvXhat[c] = rstd * (sumDvX[c] + (e - mean) * sumDv[c]);
                m1 += k * sumDv[c];
                m2 += k * dvXhat[c];
            }
            const double count = double(pixels * perGroup);
            m1 /= count;
            m2 /= count;
            for (int64_t c = group * perGroup; c < (group + 1) * perGroup; ++c) {
                const int64_t at = s * channels + c;
                const double e = valueAt(o.preShift, s, c, channels);
                const double film = 1.0 + valueAt(o.scale, s, c, channels);
                const double p = rstd * film * g[c], q = -rstd * rstd * m2;
                const double r = -rstd * m1 - rstd * rstd * m2 * (e - mean);
                P[at] = float(p);
                Q[at] = float(q);
                R[at] = float(r);
                dPre[at] = float(p * sumDv[c] + q * sumX[c] + double(pixels) * r);
                dScale[at] = float(g[c] * dvXhat[c] + be[c] * sumDv[c]);
                dShift[at] = float(sumDv[c]);
                dGamma[c] += float(film * dvXhat[c]);
                dBeta[c] += float(film * sumDv[c]);
            }
        }
    }
    out.x = torch::empty_like(o.x, o.x.options(), torch::MemoryFormat::ChannelsLast);
    auto* dx = reinterpret_cast<uint16_t*>(out.x.data_ptr<at::BFloat16>());
    at::parallel_for(0, n * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sample = item / chunks, chunk = item % chunks;
            const int64_t offset = sample * pixels * channels, c0 = sample * channels;
            applyBackward(src + offset, dy + offset, dx + offset, channels, chunk * kChunk,
                          std::min(pixels, (chunk + 1) * kChunk), f.a.data() + c0, f.b.data() + c0, P.data() + c0,
                          Q.data() + c0, R.data() + c0, o.silu);
        }
    });
    return out;
}

// The fused normalisation as an autograd node: x's gradient in bfloat16 channels-last, the float32
// parameters' and FiLM inputs' gradients in float32. Saves x and the group statistics; the
// pre-activation is recomputed in the backward (cheaper than storing it).
struct FusedGroupNormFunction : torch::autograd::Function<FusedGroupNormFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& gamma, const torch::Tensor& beta, const torch::Tensor& preShift,
                                 const torch::Tensor& scale, const torch::Tensor& shift, int64_t groups, double eps,
                                 bool silu) {
        const Operands o(x, int(groups), gamma, beta, preShift, scale, shift, silu);
        const Folded f = fold(o, eps);
        ctx->save_for_backward({o.x, gamma, beta, preShift, scale, shift});
        ctx->saved_data["groups"] = groups;
        ctx->saved_data["silu"] = silu;
        ctx->saved_data["mean"] = torch::tensor(f.mean, torch::kFloat64);
        ctx->saved_data["rstd"] = torch::tensor(f.rstd, torch::kFloat64);
        return applyFolded(o, f);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const Operands o(saved[0], int(ctx->saved_data["groups"].toInt()), saved[1], saved[2], saved[3], saved[4],
                         saved[5], ctx->saved_data["silu"].toBool());
        Folded f;
        const auto mean = ctx->saved_data["mean"].toTensor(), rstd = ctx->saved_data["rstd"].toTensor();
        f.mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
        f.rstd.assign(rstd.data_ptr<double>(), rstd.data_ptr<double>() + rstd.numel());
        foldAffine(o, f);
        Gradients g = backwardFolded(o, f, grads[0]);
        const auto keep = [](const torch::Tensor& input, torch::Tensor grad) {
            return present(input) ? grad.to(input.scalar_type()) : torch::Tensor();
        };
        return {g.x,
                keep(saved[1], g.gamma),
                keep(saved[2], g.beta),
                keep(saved[3], g.preShift),
                keep(saved[4], g.scale),
                keep(saved[5], g.shift),
                {},
                {},
                {}};
    }
};
#endif

} // namespace

bool fusedGroupNormAvailable() {
#ifdef CM_FUSED_AVX512
    static const bool available = !std::getenv("CMSTUDIO_NO_FUSED_NORM") && precisionSupport().avx512Bf16 && __builtin_cpu_supports("avx512bw") &&
                                  __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    return available;
#else
    return false;
#endif
}

torch::Tensor fusedGroupNormBf16(const torch::Tensor& x, int groups, const torch::Tensor& gamma,
                                 const torch::Tensor& beta, double eps, const torch::Tensor& preShift,
                                 const torch::Tensor& scale, const torch::Tensor& shift, bool silu) {
#ifdef CM_FUSED_AVX512
    const auto needsGrad = [](const torch::Tensor& t) { return t.defined() && t.requires_grad(); };
    if (torch::GradMode::is_enabled() && (needsGrad(x) || needsGrad(gamma) || needsGrad(beta) ||
                                          needsGrad(preShift) || needsGrad(scale) || needsGrad(shift))) {
        const auto orEmpty = [](const torch::Tensor& t) { return present(t) ? t : torch::empty({0}); };
        return FusedGroupNormFunction::apply(x, gamma, beta, orEmpty(preShift), orEmpty(scale), orEmpty(shift),
                                             int64_t(groups), eps, silu);
    }
    const Operands o(x, groups, gamma, beta, preShift, scale, shift, silu);
    return applyFolded(o, fold(o, eps));
#else
    TORCH_CHECK(false, "fusedGroupNormBf16: built without AVX-512");
    (void)x, (void)groups, (void)gamma, (void)beta, (void)eps, (void)preShift, (void)scale, (void)shift, (void)silu;
    return {};
#endif
}

} // namespace cm::detail
