// The multistep schedules the GUI offers before a user edits one. Plain functions.
#pragma once

#include "engine_types.h"

#include <QVector>

// Consistency models: the card's recommended levels for `steps` (1..8), else cm::consistencyPresetLevels.
QVector<double> consistencyPresetSigmas(int steps, const ModelInfo& model);

// Denoisers: the Heun point counts the refine view compares (3, 7, 15 and 35 evaluations).
QVector<int> denoiserPresetPoints();
