// Sampling loops on tensors, shared by the public sampler, the editor and the evaluator. Private to core/.
#pragma once

#include "core/conditioning.h"
#include "core/model.h"
#include "core/progress.h"
#include "networks.h"

#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <vector>

namespace cm::detail {

// One generator per image, seeded seed + j: image j's noise does not depend on the batch it is in.
class PerImageNoise {
  public:
    PerImageNoise(uint64_t firstSeed, int count, std::vector<int64_t> itemShape);
    torch::Tensor next(); // [count, itemShape...] standard normal

  private:
    std::vector<at::Generator> m_generators;
    std::vector<int64_t> m_itemShape;
};

// Counts network evaluations (tick) and, for networks that report between their blocks, the blocks inside
// one (block): progress then moves and Cancel takes effect within an evaluation. Reports done/total in
// evaluations, or in blocks when the network has them. Throws Error(Cancelled) when the flag is up.
struct EvaluationTicker {
    const ProgressFn* progress = nullptr;
    const CancelFlag* cancel = nullptr;
    long done = 0, total = 0; // evaluations
    long blocksPerEvaluation = 0;
    long blocksDone = 0; // inside the current evaluation
    void checkCancel() const;
    void tick();
    void block();

  private:
    void report() const;
};

// While alive, the network's blocks report to `ticker` (set up for `model`'s network).
struct TickerBlocks {
    TickerBlocks(EvaluationTicker& ticker, const Model::Impl& model);
    BlockObserver observer;
};

using StepObserver = std::function<void(int step, const torch::Tensor& estimate)>;

using Projector = std::function<torch::Tensor(const torch::Tensor&)>;

// Algorithm 1 from x = f(start + sigmas[0] * z, sigmas[0]) (start: zeros when undefined); later levels
// re-noise with sqrt(tau^2 - sigma_min^2). With a projector (Algorithm 4, editing) each estimate is
// projected, and the result is not clamped so the kept coordinates stay exact.
torch::Tensor consistencyChain(const Model::Impl& model, const torch::Tensor& unitNoise,
                               const std::vector<double>& sigmas, const NetworkConditioning& conditioning,
                               PerImageNoise& noise, EvaluationTicker& ticker,
                               const StepObserver& observe = {}, const torch::Tensor& start = {},
                               const Projector& project = {});

// EDM's Euler or Heun integration of the PF-ODE through `sigmas` (descending) and then to 0.
torch::Tensor edmIntegrate(const Model::Impl& model, const torch::Tensor& unitNoise,
                           const std::vector<double>& sigmas, bool heun, const NetworkConditioning& conditioning,
                           EvaluationTicker& ticker, const StepObserver& observe = {});

// Labels tensor for a batch: explicit labels, a single label, and -1 for "no class": the null label
// (numClasses) where the network has one; otherwise (OpenAI's ADM) a random class per image, drawn from
// firstSeed + j like the official sampler's random labels, or an error when no seed is given.
torch::Tensor labelTensor(const ModelCard& card, const std::vector<int>& labels, int count,
                          std::optional<uint64_t> firstSeed = std::nullopt);

// The tensors of `conditioning` for `count` images, validated against the card; kNoClass (in the labels
// or the blend) is resolved as labelTensor does.
NetworkConditioning conditioningTensors(const ModelCard& card, const Conditioning& conditioning, int count,
                                        std::optional<uint64_t> firstSeed = std::nullopt);

// The model's estimate for sampling and editing: one evaluation, clamped to [-1, 1] when the card says
// its published sampler clamps every step.
torch::Tensor sampleEstimate(const Model::Impl& model, const torch::Tensor& x, double sigma,
                             const NetworkConditioning& conditioning);

torch::Tensor sigmaVector(double sigma, int64_t count);

// [C,H,W] float tensor in [-1,1] <-> H x W cv::Mat (RGB order).
cv::Mat tensorToImage(const torch::Tensor& chw);
torch::Tensor imageToTensor(const cv::Mat& image);

} // namespace cm::detail
