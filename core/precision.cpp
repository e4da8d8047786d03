#include "precision.h"

#include "error.h"

#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define CM_X86 1
#endif

namespace cm {

namespace {

// The process default: CMSTUDIO_PRECISION (auto, fp32, bf16) if set and valid, else Auto.
Precision precisionFromEnvironment() {
    const char* text = std::getenv("CMSTUDIO_PRECISION");
    if (!text || !*text) return Precision::Auto;
    try {
        return parsePrecision(text);
    } catch (const Error&) {
        return Precision::Auto;
    }
}

std::atomic<Precision>& requested() {
    static std::atomic<Precision> value{precisionFromEnvironment()};
    return value;
}

#ifdef CM_X86
// XCR0: which register states the OS saves on a context switch (without them the instructions fault).
uint64_t xcr0() {
    uint32_t eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0; // no OSXSAVE
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t(hi) << 32) | lo;
}
#endif

// A 3x3 convolution in bfloat16 (channels-last, the path the networks take) against float32: catches a
// library or OS that reports the units but computes garbage or nothing.
bool bf16ConvolutionMatches(std::string& why) {
    try {
        torch::NoGradGuard noGrad;
        auto generator = at::detail::createCPUGenerator(7);
        const auto x = torch::randn({2, 32, 8, 8}, generator, torch::kFloat32);
        const auto w = torch::randn({32, 32, 3, 3}, generator, torch::kFloat32) / 17.0;
        const auto reference = torch::conv2d(x, w, {}, 1, 1);
        const auto cl = torch::MemoryFormat::ChannelsLast;
        const auto low = torch::conv2d(x.to(torch::kBFloat16).contiguous(cl), w.to(torch::kBFloat16).contiguous(cl),
                                       {}, 1, 1)
                             .to(torch::kFloat32);
        // bfloat16 keeps 8 significant bits: a relative error near 2^-8 per product, averaged over 288.
        const double error = (low - reference).abs().max().item<double>();
        const double scale = reference.abs().max().item<double>();
        if (std::isfinite(error) && error <= 0.05 * scale) return true;
        why = "a bfloat16 test convolution differed from float32 by " + std::to_string(error);
    } catch (const std::exception& e) {
        why = std::string("a bfloat16 test convolution failed: ") + e.what();
    }
    return false;
}

PrecisionSupport detect() {
    PrecisionSupport s;
    if (const char* off = std::getenv("CMSTUDIO_DISABLE_BF16"); off && *off && std::strcmp(off, "0") != 0) {
        s.detail = "bfloat16 disabled by CMSTUDIO_DISABLE_BF16";
        return s;
    }
#ifdef CM_X86
    const uint64_t state = xcr0();
    const bool osAvx512 = (state & 0xe6) == 0xe6;         // SSE, AVX, opmask, ZMM upper halves, ZMM16-31
    const bool osTiles = (state & (3ull << 17)) == (3ull << 17); // XTILECFG, XTILEDATA
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        const bool amx = edx & (1u << 22);
        const uint32_t maxSubleaf = eax;
        s.amxBf16 = amx && osTiles;
        if (maxSubleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
            s.avx512Bf16 = (eax & (1u << 5)) && osAvx512;
    }
#endif
    if (!s.avx512Bf16 && !s.amxBf16) {
        s.detail = "this CPU has neither AVX-512 BF16 nor AMX";
        return s;
    }
    std::string why;
    s.bf16 = bf16ConvolutionMatches(why);
    if (!s.bf16) {
        s.detail = why;
        return s;
    }
    s.detail = s.avx512Bf16 && s.amxBf16 ? "AVX-512 BF16, AMX" : s.amxBf16 ? "AMX" : "AVX-512 BF16";
    return s;
}

} // namespace

const PrecisionSupport& precisionSupport() {
    static const PrecisionSupport support = detect();
    return support;
}

void setPrecision(Precision precision) {
    requested().store(precision);
}

Precision requestedPrecision() {
    return requested().load();
}

Precision activePrecision() {
    if (requestedPrecision() == Precision::Fp32) return Precision::Fp32;
    return precisionSupport().bf16 ? Precision::Bf16 : Precision::Fp32;
}

std::string precisionNote() {
    if (requestedPrecision() != Precision::Bf16 || activePrecision() == Precision::Bf16) return {};
    return "bfloat16 was asked for, but " + precisionSupport().detail + ": computing in float32";
}

std::string precisionSummary() {
    if (activePrecision() == Precision::Bf16) return "bfloat16 (" + precisionSupport().detail + ")";
    if (requestedPrecision() == Precision::Fp32) return "float32 (asked for)";
    return "float32 (" + precisionSupport().detail + ")";
}

Precision parsePrecision(const std::string& text) {
    if (text == "auto") return Precision::Auto;
    if (text == "fp32" || text == "float32") return Precision::Fp32;
    if (text == "bf16" || text == "bfloat16") return Precision::Bf16;
    throw Error(ErrorKind::InvalidArgument,
                "unknown precision '" + describeUntrusted(text) + "' (auto, fp32 or bf16)");
}

const char* precisionName(Precision precision) {
    switch (precision) {
    case Precision::Fp32:
        return "fp32";
    case Precision::Bf16:
        return "bf16";
    case Precision::Auto:
        break;
    }
    return "auto";
}

} // namespace cm
