#include "schedule_presets.h"

#include "core/schedule.h"

#include <algorithm>

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
    cm::NoiseConstants k;
    k.sigmaMax = model.sigmaMax;
    const std::vector<double> sigmas = cm::consistencyPresetLevels(std::max(steps, 1), k);
    return QVector<double>(sigmas.begin(), sigmas.end());
}

QVector<int> denoiserPresetPoints() { return {2, 4, 8, 18}; }
