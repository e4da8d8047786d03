#include "run_description.h"

#include "objective.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>

namespace cm::training {

std::string runDescriptionJson(const TrainParams& p, const NetworkConfig& network) {
    nlohmann::json j;
    j["mode"] = trainModeName(p.mode);
    j["network"] = nlohmann::json::parse(networkConfigToJson(network));
    j["total_steps"] = p.totalSteps;
    j["batch_size"] = p.batchSize;
    j["learning_rate"] = p.learningRate;
    j["warmup_steps"] = p.warmupSteps;
    j["optimizer"] = p.optimizer == OptimizerKind::Adam ? "adam" : "radam";
    j["betas"] = {p.beta1, p.beta2};
    j["grad_clip"] = p.gradClip;
    j["ema_rates"] = p.emaRates;
    j["label_dropout"] = p.labelDropout;
    j["seed"] = p.seed;
    objectiveFor(p.mode).describe(p, j);
    if (p.mode != TrainMode::Edm) {
        j["metric"] = distanceMetricName(p.metric);
        j["huber_c"] = p.huberC;
    }
    return j.dump();
}

std::string formatNumber(double value) {
    if (!std::isfinite(value)) return "";
    std::ostringstream out;
    out.precision(8);
    out << value;
    return out.str();
}

} // namespace cm::training
