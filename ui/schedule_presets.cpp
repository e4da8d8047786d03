#include "schedule_presets.h"

#include "core/schedule.h"

QVector<double> consistencyPresetSigmas(int steps, const ModelInfo& model) {
    QVector<double> sigmas{model.sigmaMax};
    if (steps == 2) {
        sigmas.push_back(0.8);
    } else if (steps > 2) {
        for (double sigma : cm::geometricLevels(2.5, 0.3, steps - 1))
            sigmas.push_back(sigma);
    }
    return sigmas;
}

QVector<int> denoiserPresetPoints() { return {2, 4, 8, 18}; }
