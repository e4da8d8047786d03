#!/usr/bin/env bash
# Measures every bundled model and writes docs/RESULTS.md, docs/results/fd-vs-nfe.png and the 10x10
# sample grids in docs/grids/. Resumable: measurements are cached (docs/results/cache.jsonl) by model
# checksum and arguments. The full table (10,000 samples per row) takes hours on 2 cores.
# Environment: SAMPLES (10000), COLOUR_SAMPLES (4000), SEARCH_SAMPLES (1000), SPEED_SAMPLES (400),
# SPEED_REPEATS (3), THREADS (0 = all cores), CMSTUDIO_CLI (another build of the CLI), ONLY_CACHED=1.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/app/cmstudio-cli ] && [ -x build/tools/cmstudio-plot ] || scripts/build.sh
exec /usr/bin/python3 scripts/results_table.py
