#include "schedule_presets.h"

#include "core/schedule.h"

QVector<double> consistencyPresetSigmas(int steps, const ModelInfo& model) {
    // The card's recommended levels for that many steps (searched for this model) beat a generic guess.
    if (model.recommendedSigmas.size() == steps && steps > 1) return model.recommendedSigmas;
    if (model.recommendedTs.size() == steps && steps > 1 && model.recommendedGrid > 1) {
        cm::NoiseConstants k;
        k.sigmaMin = model.sigmaMin;
        k.sigmaMax = model.sigmaMax;
        k.rho = model.rho;
        const std::vector<int> ts(model.recommendedTs.begin(), model.recommendedTs.end());
        const std::vector<double> sigmas = cm::sigmasFromTs(ts, model.recommendedGrid, k);
        return QVector<double>(sigmas.begin(), sigmas.end());
    }
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
