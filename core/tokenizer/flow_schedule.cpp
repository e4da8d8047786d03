#include "flow_schedule.h"

#include "core/error.h"
#include "core/metadata_fields.h"

#include <cmath>

namespace cm {

std::vector<double> shiftedFlowTimes(int steps, double rho) {
    if (steps < 1 || steps > 10000)
        throw Error(ErrorKind::InvalidArgument, "flow steps must be in 1..10000, got " + std::to_string(steps));
    if (!(rho >= 0.1 && rho <= 20))
        throw Error(ErrorKind::InvalidArgument,
                    "the schedule's rho must be in [0.1, 20], got " + metadata::formatShort(rho));
    std::vector<double> times;
    for (int i = steps; i >= 0; --i)
        times.push_back(std::pow(double(i) / double(steps), rho));
    return times;
}

FlowScalings flowScalings(double t, double sigmaData) {
    if (sigmaData <= 0) return {};
    const double s2 = sigmaData * sigmaData;
    const double variance = t * t + (1 - t) * (1 - t) * s2; // Var(x_t)
    const double cSkip = (t - (1 - t) * s2) / variance;     // Cov(v, x_t) / Var(x_t)
    return {cSkip, std::sqrt(std::max(0.0, 1 + s2 - cSkip * cSkip * variance))};
}

void FlowGuidance::validate() const {
    if (!(weight >= 0 && weight <= 20))
        throw Error(ErrorKind::InvalidArgument,
                    "the guidance weight must be in [0, 20], got " + metadata::formatShort(weight));
    if (!(low >= 0 && high <= 1 && low <= high))
        throw Error(ErrorKind::InvalidArgument, "the guidance interval must lie in [0, 1] with low <= high, got [" +
                                                    metadata::formatShort(low) + ", " +
                                                    metadata::formatShort(high) + "]");
}

int flowEvaluations(const std::vector<double>& times, const FlowGuidance& guidance) {
    int count = 0;
    for (std::size_t i = 0; i + 1 < times.size(); ++i)
        count += guidance.activeAt(times[i]) ? 2 : 1;
    return count;
}

} // namespace cm
