// The networks' compute precision: float32, or bfloat16 where the CPU has the units for it (AVX-512 BF16,
// AMX). Chosen once per process, before work starts, and applied inside the engine: weights stay float32
// (training updates them in float32), normalisations and the preconditioning run in float32, and every
// tensor or image the API returns is float32.
#pragma once

#include <string>

namespace cm {

enum class Precision {
    Auto, // bfloat16 when the CPU supports it, else float32 (the default)
    Fp32,
    Bf16, // bfloat16 if the CPU supports it; else float32 and a note saying why (precisionNote)
};

// What this CPU and OS offer, detected once (cpuid, XCR0, then one small bfloat16 convolution compared
// with float32). The environment variable CMSTUDIO_DISABLE_BF16=1 makes the detector report "no bfloat16",
// to exercise the fallback on a machine that has it.
struct PrecisionSupport {
    bool avx512Bf16 = false; // CPUID.(EAX=7,ECX=1):EAX bit 5, with the OS saving the AVX-512 state
    bool amxBf16 = false;    // CPUID.(EAX=7,ECX=0):EDX bit 22, with the OS saving the tile state
    bool bf16 = false;       // bfloat16 compute is usable: the instructions exist and the check matched
    std::string detail;      // one line: what was found, or why bfloat16 is not usable
};
const PrecisionSupport& precisionSupport();

// Process-wide; the default is CMSTUDIO_PRECISION (auto, fp32 or bf16) when set, else Auto. Never throws: a request the CPU cannot honour falls back to float32 and precisionNote()
// says so. Call before starting work (like setThreadCount); evaluations read it when they start.
void setPrecision(Precision precision);
Precision requestedPrecision();
Precision activePrecision(); // Fp32 or Bf16: what the networks compute in
// Empty, or one sentence saying why the requested precision is not the active one.
std::string precisionNote();
// For `info`, the CLI's banner and the app's status bar, e.g. "bfloat16 (AVX-512 BF16, AMX)" or
// "float32 (asked for)".
std::string precisionSummary();

// "auto", "fp32", "bf16" (also "float32", "bfloat16"); anything else throws Error(InvalidArgument).
Precision parsePrecision(const std::string& text);
const char* precisionName(Precision precision);

} // namespace cm
