#!/usr/bin/env bash
# Installs what CM Studio needs, builds it, and runs the whole test suite: every Qt Test executable under
# ctest, then the torch-free parsers and data loaders again under AddressSanitizer + UBSan, and a bounded
# libFuzzer run of every parser of untrusted files (FUZZ_SECONDS each, default 30 to keep CI under 40 minutes; 0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export QT_QPA_PLATFORM=offscreen
# Serial on purpose: two processes each running OpenMP on 2 cores slow each other down many times over.
(cd build && ctest --output-on-failure --timeout 1800)
# The Debian package: built, validated, installed, both programs run from it, then purged.
scripts/check-package.sh build
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMSTUDIO_SANITIZE=ON >/dev/null
cmake --build build-asan
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --timeout 1800)
# The fuzz targets (fuzz/fuzz_*.cpp) on their seed corpora; any crash, leak, timeout or out-of-memory fails.
# A fixed seed: a red CI must be reproducible; campaigns that explore run scripts/fuzz.sh without one.
if [ "${FUZZ_SECONDS:-30}" -gt 0 ]; then CMSTUDIO_FUZZ_SEED=${CMSTUDIO_FUZZ_SEED:-1} scripts/fuzz.sh "${FUZZ_SECONDS:-30}"; fi
