#include "schedule_presets.h"

#include <cmath>

QVector<double> consistencyPresetSigmas(int steps, const ModelInfo& model) {
    QVector<double> sigmas{model.sigmaMax};
    if (steps == 2) {
        sigmas.push_back(0.8);
    } else if (steps > 2) {
        const double high = 2.5, low = 0.3;
        for (int i = 0; i < steps - 1; ++i)
            sigmas.push_back(high * std::pow(low / high, double(i) / double(steps - 2)));
    }
    return sigmas;
}

QVector<int> denoiserPresetPoints() { return {2, 4, 8, 18}; }
