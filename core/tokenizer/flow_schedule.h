// Rectified flow as the tokenizer's decoder uses it: x_t = t z + (1 - t) x with t = 1 pure noise, the
// network predicts v = z - x, and an image is the ODE dx/dt = v integrated from t = 1 to 0. The time
// grid, classifier-free guidance and the Euler integration, written once for any state type (torch
// tensors in the engine, cv::Mat or doubles in the tests). Header-only and torch-free; reentrant.
#pragma once

#include <functional>
#include <vector>

namespace cm {

// The decoder's output F becomes the velocity v = c_skip(t) x_t + c_out(t) F (EDM's preconditioning carried
// to rectified flow): c_skip is the best linear guess of v from x_t for data of standard deviation
// sigma_data, c_out the remaining standard deviation, so F is a unit-variance target at every t (-x / sigma_data
// at t = 1, z at t = 0). sigma_data = 0 is FlowMo's plain v = F.
struct FlowScalings {
    double cSkip = 0, cOut = 1;
};
FlowScalings flowScalings(double t, double sigmaData);

// FlowMo's shifted grid: t_i = (i / n)^rho for i = n .. 0, so n + 1 values from 1 down to 0. rho = 1 is
// plain linear spacing; rho = 4 (the default) spends the steps near t = 0. Throws Error(InvalidArgument)
// for n < 1 or rho outside [0.1, 20].
std::vector<double> shiftedFlowTimes(int steps, double rho);

// v = v_0 + w (v_c - v_0) where t lies in [low, high]; the conditional velocity alone elsewhere.
struct FlowGuidance {
    double weight = 1.5;
    double low = 0.145, high = 0.505;

    bool activeAt(double t) const { return weight != 1.0 && t >= low && t <= high; }
    // Throws Error(InvalidArgument) for a weight outside [0, 20] or an interval outside [0, 1].
    void validate() const;
};

// One Euler step of dx/dt = v from t to t + dt (dt < 0 towards the data).
template <typename State, typename Step> State flowEulerStep(const State& x, const State& v, const Step& dt) {
    return x + dt * v;
}

// Integrates from x at times.front() through every later time. `velocity(x, t, conditional)` returns the
// network's velocity with the code (conditional) or with the code dropped; `afterStep(i, x)` (optional)
// sees each new state. Guidance evaluates both where it is active, the conditional one elsewhere.
template <typename State, typename Velocity>
State integrateFlow(State x, const std::vector<double>& times, Velocity&& velocity, const FlowGuidance& guidance,
                    const std::function<void(int, const State&)>& afterStep = {}) {
    for (std::size_t i = 0; i + 1 < times.size(); ++i) {
        const double t = times[i];
        State v = velocity(x, t, true);
        if (guidance.activeAt(t)) {
            const State unconditional = velocity(x, t, false);
            v = unconditional + guidance.weight * (v - unconditional);
        }
        x = flowEulerStep(x, v, times[i + 1] - t);
        if (afterStep) afterStep(int(i), x);
    }
    return x;
}

// Network evaluations of integrateFlow over `times` (two where guidance is active).
int flowEvaluations(const std::vector<double>& times, const FlowGuidance& guidance);

} // namespace cm
