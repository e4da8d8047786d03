#include "trainer.h"

#include "detail/enum_names.h"
#include "error.h"
#include "training/training_run.h"

#include <array>

namespace cm {

using detail::enumFromName;

const char* trainModeName(TrainMode mode) {
    switch (mode) {
    case TrainMode::Edm:
        return "edm";
    case TrainMode::Cd:
        return "cd";
    case TrainMode::Ct:
        return "ct";
    case TrainMode::Ict:
        return "ict";
    case TrainMode::Ect:
        return "ect";
    }
    return "ict";
}

TrainMode trainModeFromName(const std::string& name) {
    if (name == "lpips") throw Error(ErrorKind::InvalidArgument, "'lpips' is a metric, not a training mode");
    return enumFromName(
        name, std::array{TrainMode::Edm, TrainMode::Cd, TrainMode::Ct, TrainMode::Ict, TrainMode::Ect},
        trainModeName, "training mode");
}

const char* distanceMetricName(DistanceMetric metric) {
    switch (metric) {
    case DistanceMetric::L2:
        return "l2";
    case DistanceMetric::L1:
        return "l1";
    case DistanceMetric::PseudoHuber:
        return "huber";
    }
    return "huber";
}

DistanceMetric distanceMetricFromName(const std::string& name) {
    if (name == "lpips")
        throw Error(
            ErrorKind::InvalidArgument,
            "the LPIPS metric needs ImageNet-trained VGG/AlexNet weights, which cannot be obtained on this "
            "machine; use huber, l2 or l1");
    return enumFromName(name, std::array{DistanceMetric::L2, DistanceMetric::L1, DistanceMetric::PseudoHuber},
                        distanceMetricName, "distance metric");
}

const std::vector<std::string>& trainLogColumns() {
    static const std::vector<std::string> columns = {
        "step",      "samples",    "loss", "loss_q0", "loss_q1", "loss_q2", "loss_q3",
        "grad_norm", "param_norm", "lr",   "N",       "mu",      "seconds"};
    return columns;
}

TrainSummary train(const TrainParams& params, const Dataset& data,
                   const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel) {
    return training::runTraining(params, data, observe, cancel);
}

} // namespace cm
