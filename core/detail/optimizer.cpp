#include "optimizer.h"

#include <cmath>

namespace cm::detail {

Optimizer::Optimizer(std::vector<torch::Tensor> parameters, Kind kind, double beta1, double beta2, double eps)
    : m_parameters(std::move(parameters)), m_kind(kind), m_beta1(beta1), m_beta2(beta2), m_eps(eps) {
    for (const auto& p : m_parameters) {
        m_m.push_back(torch::zeros_like(p));
        m_v.push_back(torch::zeros_like(p));
    }
}

void Optimizer::step(double learningRate) {
    torch::NoGradGuard noGrad;
    ++m_step;
    const double t = double(m_step);
    const double bias1 = 1.0 - std::pow(m_beta1, t);
    const double bias2 = 1.0 - std::pow(m_beta2, t);
    // RAdam (Liu et al. 2020): use the adaptive step only once the variance estimate is tractable.
    bool adaptive = true;
    double rectification = 1.0;
    if (m_kind == Kind::RAdam) {
        const double rhoInf = 2.0 / (1.0 - m_beta2) - 1.0;
        const double rho = rhoInf - 2.0 * t * std::pow(m_beta2, t) / bias2;
        adaptive = rho > 5.0;
        if (adaptive)
            rectification =
                std::sqrt((rho - 4.0) * (rho - 2.0) * rhoInf / ((rhoInf - 4.0) * (rhoInf - 2.0) * rho));
    }
    for (std::size_t i = 0; i < m_parameters.size(); ++i) {
        auto& p = m_parameters[i];
        if (!p.grad().defined()) continue;
        const auto& g = p.grad();
        m_m[i].mul_(m_beta1).add_(g, 1.0 - m_beta1);
        m_v[i].mul_(m_beta2).addcmul_(g, g, 1.0 - m_beta2);
        if (adaptive) {
            auto denom = (m_v[i] / bias2).sqrt_().add_(m_eps);
            p.addcdiv_(m_m[i], denom, -learningRate * rectification / bias1);
        } else {
            p.add_(m_m[i], -learningRate / bias1);
        }
    }
}

} // namespace cm::detail
