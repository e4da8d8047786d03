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
#endif

float valueAt(const torch::Tensor& t, int64_t n, int64_t c, int64_t channels) {
    return t.defined() ? t.data_ptr<float>()[n * channels + c] : 0.0f;
}

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

torch::Tensor fusedGroupNormBf16(const torch::Tensor& xIn, int groups, const torch::Tensor& gammaIn,
                                 const torch::Tensor& betaIn, double eps, const torch::Tensor& preShiftIn,
                                 const torch::Tensor& scaleIn, const torch::Tensor& shiftIn, bool silu) {
    TORCH_CHECK(fusedGroupNormAvailable(), "fusedGroupNormBf16: this CPU lacks AVX-512 BF16");
    TORCH_CHECK(xIn.dim() == 4 && xIn.scalar_type() == torch::kBFloat16, "fusedGroupNormBf16: bf16 [N,C,H,W]");
    const auto x = xIn.contiguous(torch::MemoryFormat::ChannelsLast);
    const int64_t n = x.size(0), channels = x.size(1), pixels = x.size(2) * x.size(3);
    TORCH_CHECK(channels % groups == 0, "fusedGroupNormBf16: channels not divisible by groups");
    const auto asFloat = [&](const torch::Tensor& t) {
        return t.defined() ? t.detach().to(torch::kFloat32).contiguous() : t;
    };
    const auto gamma = asFloat(gammaIn), beta = asFloat(betaIn);
    const auto preShift = asFloat(preShiftIn), scale = asFloat(scaleIn), shift = asFloat(shiftIn);
    auto y = torch::empty_like(x, x.options(), torch::MemoryFormat::ChannelsLast);
#ifdef CM_FUSED_AVX512
    const auto* src = reinterpret_cast<const uint16_t*>(x.data_ptr<at::BFloat16>());
    auto* dst = reinterpret_cast<uint16_t*>(y.data_ptr<at::BFloat16>());
    const int64_t chunks = (pixels + kChunk - 1) / kChunk;
    std::vector<float> partial(std::size_t(n * chunks * 2 * channels));
    at::parallel_for(0, n * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sample = item / chunks, chunk = item % chunks;
            float* sums = partial.data() + item * 2 * channels;
            channelSums(src + sample * pixels * channels, channels, chunk * kChunk,
                        std::min(pixels, (chunk + 1) * kChunk), sums, sums + channels);
        }
    });
    // Per sample: group statistics in double, folded with gamma, beta and FiLM into y = x * a + b.
    std::vector<float> a(std::size_t(n * channels)), b(std::size_t(n * channels));
    const int64_t perGroup = channels / groups;
    const float* g = gamma.data_ptr<float>();
    const float* be = beta.data_ptr<float>();
    for (int64_t s = 0; s < n; ++s) {
        std::vector<double> sum(std::size_t(channels), 0.0), sumSq(std::size_t(channels), 0.0);
        for (int64_t chunk = 0; chunk < chunks; ++chunk) {
            const float* sums = partial.data() + (s * chunks + chunk) * 2 * channels;
            for (int64_t c = 0; c < channels; ++c) {
                sum[c] += sums[c];
                sumSq[c] += sums[channels + c];
            }
        }
        for (int64_t group = 0; group < groups; ++group) {
            double total = 0.0, totalSq = 0.0;
            for (int64_t c = group * perGroup; c < (group + 1) * perGroup; ++c) {
                const double e = valueAt(preShift, s, c, channels); // (x + e) summed over the pixels
                total += sum[c] + pixels * e;
                totalSq += sumSq[c] + 2.0 * e * sum[c] + pixels * e * e;
            }
            const double count = double(pixels * perGroup);
            const double mean = total / count;
            const double variance = std::max(0.0, totalSq / count - mean * mean);
            const double rstd = 1.0 / std::sqrt(variance + eps);
            for (int64_t c = group * perGroup; c < (group + 1) * perGroup; ++c) {
                const double film = 1.0 + valueAt(scale, s, c, channels);
                const double slope = rstd * g[c];
                const double e = valueAt(preShift, s, c, channels);
                a[s * channels + c] = float(slope * film);
                b[s * channels + c] =
                    float((be[c] + (e - mean) * slope) * film + valueAt(shift, s, c, channels));
            }
        }
    }
    at::parallel_for(0, n * chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
            const int64_t sample = item / chunks, chunk = item % chunks;
            applyAffine(src + sample * pixels * channels, dst + sample * pixels * channels, channels,
                        chunk * kChunk, std::min(pixels, (chunk + 1) * kChunk), a.data() + sample * channels,
                        b.data() + sample * channels, silu);
        }
    });
#endif
    return y;
}

} // namespace cm::detail
