// The discrete-grid objectives: consistency distillation (CD), consistency training (CT) and improved
// consistency training (iCT). Each step pairs sigma_n and sigma_{n+1} on a Karras grid of N(k) points.
#include "core/detail/denoiser.h"
#include "core/detail/training_losses.h"
#include "objective.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace cm::training {

namespace {

struct GridSchedule {
    int points;
    double targetEma;
};

GridSchedule gridSchedule(const TrainParams& p, long step) {
    switch (p.mode) {
    case TrainMode::Cd:
        return {p.cdSteps, p.cdTargetEma};
    case TrainMode::Ct:
        return {ctSteps(step, p.totalSteps, p.ctS0, p.ctS1),
                ctTargetEma(step, p.totalSteps, p.ctS0, p.ctS1, p.ctMu0)};
    case TrainMode::Ict:
        return {ictSteps(step, p.totalSteps, p.ictS0, p.ictS1), 0.0};
    default:
        return {p.cdSteps, 0.0};
    }
}

LossTerms gridLoss(const ObjectiveInputs& in, const torch::Tensor& x, const detail::NetworkConditioning& conditioning,
                   BatchDraws& draws) {
    const auto& p = in.params;
    auto opts64 = torch::TensorOptions().dtype(torch::kFloat64);
    auto z = draws.normalItems(x.sizes().slice(1));
    auto online = [&](const torch::Tensor& input, const torch::Tensor& sigma) {
        return detail::precondition(in.online, {ModelKind::Consistency, in.noise}, input, sigma, conditioning);
    };
    auto expand = [&](const torch::Tensor& perItem) {
        return detail::perSample(perItem.to(torch::kFloat32), x);
    };

    const GridSchedule schedule = gridSchedule(p, in.step);
    const int gridPoints = std::max(schedule.points, 2);
    const auto gridVector = karrasGrid(gridPoints, in.noise);
    auto grid = torch::tensor(gridVector, opts64);
    torch::Tensor index;
    if (p.mode == TrainMode::Ict)
        index = draws.categorical(
            torch::tensor(ictIndexProbabilities(gridVector, p.ictPMean, p.ictPStd), opts64));
    else
        index = draws.integers(0, gridPoints - 1);
    auto sigmaLow = grid.index_select(0, index);
    auto sigmaHigh = grid.index_select(0, index + 1);
    auto xHigh = x + expand(sigmaHigh) * z;

    torch::Tensor xLow;
    if (p.mode == TrainMode::Cd) {
        // One Heun step of the teacher's PF-ODE from sigma_{n+1} down to sigma_n.
        torch::NoGradGuard noGrad;
        auto teacher = [&](const torch::Tensor& input, const torch::Tensor& sigma) {
            return detail::precondition(*in.teacher, {ModelKind::EdmDenoiser, in.teacherNoise}, input, sigma,
                                        conditioning);
        };
        auto slope = (xHigh - teacher(xHigh, sigmaHigh)) / expand(sigmaHigh);
        auto step = expand(sigmaLow - sigmaHigh);
        auto euler = xHigh + step * slope;
        auto slopeLow = (euler - teacher(euler, sigmaLow)) / expand(sigmaLow);
        xLow = xHigh + step * 0.5 * (slope + slopeLow);
    } else {
        xLow = x + expand(sigmaLow) * z;
    }
    auto targetFn = [&]() {
        if (in.target)
            return detail::precondition(*in.target, {ModelKind::Consistency, in.noise}, xLow, sigmaLow,
                                        conditioning);
        return online(xLow, sigmaLow);
    };
    auto [pred, target] =
        detail::evaluateWithSharedDropout(sigmaHigh, sigmaLow, [&] { return online(xHigh, sigmaHigh); }, targetFn);
    auto weight = torch::ones({x.size(0)}, torch::kFloat32);
    if (p.mode == TrainMode::Ict) weight = (1.0 / (sigmaHigh - sigmaLow)).to(torch::kFloat32);

    LossTerms terms;
    terms.perSample = weight * detail::distance(pred, target, p.metric, p.huberC);
    terms.position = index.to(torch::kFloat64) / double(gridPoints - 1);
    terms.gridPoints = gridPoints;
    terms.targetEma = schedule.targetEma;
    return terms;
}

void describeCd(const TrainParams& p, nlohmann::json& j) {
    j["teacher"] = std::filesystem::path(p.teacherPath).filename().string();
    j["N"] = p.cdSteps;
    j["target_ema"] = p.cdTargetEma;
}

void describeCt(const TrainParams& p, nlohmann::json& j) {
    j["s0"] = p.ctS0;
    j["s1"] = p.ctS1;
    j["mu0"] = p.ctMu0;
}

void describeIct(const TrainParams& p, nlohmann::json& j) {
    j["s0"] = p.ictS0;
    j["s1"] = p.ictS1;
    j["p_mean"] = p.ictPMean;
    j["p_std"] = p.ictPStd;
}

} // namespace

const Objective kCdObjective{TrainMode::Cd, true, true, ModelKind::Consistency, describeCd, gridLoss};
const Objective kCtObjective{TrainMode::Ct, false, true, ModelKind::Consistency, describeCt, gridLoss};
const Objective kIctObjective{TrainMode::Ict, false, false, ModelKind::Consistency, describeIct, gridLoss};

} // namespace cm::training
