// The preview grid a run writes as it trains (TrainParams::previewEvery). Private to core/.
#pragma once

#include "core/model.h"

#include <cstdint>
#include <string>

namespace cm::training {

// 16 samples of `model` from fixed seeds (seed + j) in a 4 x 4 grid (images of one class each, cycling
// through the classes, when the model is class-conditional), written to `path` as a PNG through a
// temporary file and a rename. The same seeds every time, so grids differ only by what training changed.
void writePreviewGrid(const Model& model, const std::string& path, uint64_t seed);

inline constexpr int kPreviewImages = 16, kPreviewColumns = 4, kPreviewPadding = 2;

} // namespace cm::training
