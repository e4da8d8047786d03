// Applies the engine's default runtime settings once per process (see core/runtime.h). Private to core/.
#pragma once

namespace cm::detail {
void ensureRuntimeInitialised();
}
