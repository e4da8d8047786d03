// EDM denoiser training (the teacher): ln sigma ~ N(P_mean, P_std), weighted L2 to the clean image.
#include "core/detail/denoiser.h"
#include "core/detail/training_losses.h"
#include "objective.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace cm::training {

namespace {

LossTerms edmLoss(const ObjectiveInputs& in, const torch::Tensor& x, const detail::NetworkConditioning& conditioning,
                  BatchDraws& draws) {
    const auto& p = in.params;
    auto z = draws.normalItems(x.sizes().slice(1));
    auto logSigma = draws.normal(torch::kFloat64) * p.edmPStd + p.edmPMean;
    auto sigma = torch::exp(logSigma);
    auto denoised =
        detail::precondition(in.online, {ModelKind::EdmDenoiser, in.noise},
                             x + detail::perSample(sigma.to(torch::kFloat32), x) * z, sigma, conditioning);
    const double sd = in.noise.sigmaData;
    auto weight = detail::mapPerSample(sigma, [sd](double s) { return edmLossWeight(s, sd); });
    LossTerms terms;
    terms.position = detail::normalCdf((logSigma - p.edmPMean) / p.edmPStd);
    terms.perSample = weight.to(torch::kFloat32) * (denoised - x).pow(2).flatten(1).mean(1);
    return terms;
}

void describeEdm(const TrainParams& p, nlohmann::json& j) {
    j["p_mean"] = p.edmPMean;
    j["p_std"] = p.edmPStd;
    if (!p.teacherPath.empty()) j["init_from"] = std::filesystem::path(p.teacherPath).filename().string();
}

} // namespace

const Objective kEdmObjective{TrainMode::Edm, false, false, ModelKind::EdmDenoiser, describeEdm, edmLoss};

} // namespace cm::training
