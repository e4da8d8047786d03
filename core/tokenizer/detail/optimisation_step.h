// One optimisation step of the small single-process trainers (the deterministic-autoencoder baseline, the
// stage-2 code generator). Private to core/.
#pragma once

#include "core/training/ema_rate.h"
#include "core/detail/optimizer.h"
#include "core/training/data_parallel_run.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace cm::detail {

// The gradients of `loss` (cleared first), one optimiser step, then the weights' average updated at
// `emaRate`, warmed up (training::warmedUpEmaRate). With `parallel`, the gradients are summed over its ranks
// first (`loss` being this rank's share of the global batch's). Returns the gradient's norm.
inline double optimisationStep(const torch::Tensor& loss, const std::vector<torch::Tensor>& parameters,
                               Optimizer& optimizer, double learningRate, std::vector<torch::Tensor>& ema,
                               double emaRate, long step, training::DataParallelRun* parallel = nullptr) {
    for (auto parameter : parameters)
        parameter.mutable_grad() = torch::Tensor();
    if (parallel) parallel->beginBackward();
    loss.backward();
    if (parallel) parallel->finishBackward();
    double gradSquared = 0;
    for (const auto& parameter : parameters)
        if (parameter.grad().defined()) gradSquared += parameter.grad().pow(2).sum().item<double>();
    optimizer.step(learningRate);
    torch::NoGradGuard noGrad;
    const double rate = training::warmedUpEmaRate(emaRate, step);
    for (std::size_t i = 0; i < ema.size(); ++i)
        ema[i].mul_(rate).add_(parameters[i].detach(), 1 - rate);
    return std::sqrt(gradSquared);
}

} // namespace cm::detail
