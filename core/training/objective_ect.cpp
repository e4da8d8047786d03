// Easy consistency tuning (ECT): continuous-time pairs (t, r) with r -> t stage by stage, from an EDM
// denoiser's weights.
#include "core/detail/denoiser.h"
#include "core/detail/training_losses.h"
#include "objective.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace cm::training {

namespace {

LossTerms ectLoss(const ObjectiveInputs& in, const torch::Tensor& x, const detail::NetworkConditioning& conditioning,
                  BatchDraws& draws) {
    const auto& p = in.params;
    const auto& noise = in.noise;
    auto z = draws.normalItems(x.sizes().slice(1));
    auto online = [&](const torch::Tensor& input, const torch::Tensor& sigma) {
        return detail::precondition(in.online, {ModelKind::Consistency, noise}, input, sigma, conditioning);
    };
    auto expand = [&](const torch::Tensor& perItem) {
        return detail::perSample(perItem.to(torch::kFloat32), x);
    };
    const long stageSteps = p.ectStageSteps > 0 ? p.ectStageSteps : std::max(1L, p.totalSteps / 8);
    const int stage = int(in.step / stageSteps);
    auto logT = draws.normal(torch::kFloat64) * p.ictPStd + p.ictPMean;
    auto t = torch::exp(logT).clamp(2 * noise.sigmaMin, noise.sigmaMax);
    auto r = detail::mapPerSample(
        t, [&](double tValue) { return ectR(tValue, stage, p.ectQ, p.ectK, p.ectB, noise.sigmaMin); });
    auto [pred, target] = detail::evaluateWithSharedDropout(t, r, [&] { return online(x + expand(t) * z, t); },
                                                               [&] { return online(x + expand(r) * z, r); });
    LossTerms terms;
    terms.position = detail::normalCdf((torch::log(t) - p.ictPMean) / p.ictPStd);
    terms.perSample = detail::distance(pred, target, p.metric, p.huberC) / (t - r).to(torch::kFloat32);
    return terms;
}

void describeEct(const TrainParams& p, nlohmann::json& j) {
    j["init_from"] = std::filesystem::path(p.teacherPath).filename().string();
    j["q"] = p.ectQ;
    j["k"] = p.ectK;
    j["b"] = p.ectB;
    j["stage_steps"] = p.ectStageSteps;
    j["p_mean"] = p.ictPMean;
    j["p_std"] = p.ictPStd;
}

} // namespace

const Objective kEctObjective{TrainMode::Ect, true, false, ModelKind::Consistency, describeEct, ectLoss};

} // namespace cm::training
