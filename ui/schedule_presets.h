// The multistep schedules the GUI offers before a user edits one. Plain functions.
#pragma once

#include "engine_types.h"

#include <QVector>

// Consistency models: sigma_max, then levels picked for `steps` (1..8). The 2-step level 0.8 is the one
// the sigma search on the Fashion-MNIST validation split chose for both bundled models (README); longer
// schedules spread geometrically from 2.5 down to 0.3, which keeps each step a real refinement.
QVector<double> consistencyPresetSigmas(int steps, const ModelInfo& model);

// Denoisers: the Heun point counts the refine view compares (3, 7, 15 and 35 evaluations).
QVector<int> denoiserPresetPoints();
