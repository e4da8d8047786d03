// Adam and RAdam over a fixed list of parameters, with state that can be checkpointed as plain tensors.
// Private to core/. Not thread-safe.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace cm::detail {

class Optimizer {
  public:
    enum class Kind { Adam, RAdam };
    Optimizer(std::vector<torch::Tensor> parameters, Kind kind, double beta1, double beta2,
              double eps = 1e-8);

    void step(double learningRate);
    long stepCount() const { return m_step; }
    void setStepCount(long step) { m_step = step; }
    std::vector<torch::Tensor>& firstMoments() { return m_m; }
    std::vector<torch::Tensor>& secondMoments() { return m_v; }

  private:
    std::vector<torch::Tensor> m_parameters, m_m, m_v;
    Kind m_kind;
    double m_beta1, m_beta2, m_eps;
    long m_step = 0;
};

} // namespace cm::detail
