#!/usr/bin/env bash
# The architecture's one-way data flow, checked on the sources (ctest test_layers): core/ includes no Qt
# header; ui/, app/ and tools/ include no torch header and nothing of core's private folders (detail/,
# training/); core's public headers (core/*.h) include no torch (~20 s per translation unit that does).
set -u
cd "$(dirname "$0")/.."
status=0
fail() { echo "layer violation: $*"; status=1; }
while IFS= read -r hit; do fail "$hit (core/ must not include Qt)"; done \
  < <(grep -rnE '#include <Q[A-Za-z]*>|#include <Qt' core --include='*.h' --include='*.cpp')
while IFS= read -r hit; do fail "$hit (core/detail/ is private to the engine)"; done \
  < <(grep -rnE '#include "(core/)?(detail|training)/' ui app tools --include='*.h' --include='*.cpp')
while IFS= read -r hit; do fail "$hit (torch stays inside core/)"; done \
  < <(grep -rnE '#include <(torch|ATen|c10)/' ui app tools --include='*.h' --include='*.cpp')
while IFS= read -r hit; do fail "$hit (torch in a public header: keep it in .cpp files or core/detail/)"; done \
  < <(grep -nE '#include <(torch|ATen|c10)/' core/*.h)
[ $status -eq 0 ] && echo "layers: core has no Qt; ui, app and tools have no torch and nothing private of core; core's public headers have no torch"
exit $status
