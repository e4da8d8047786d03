// The raw networks F_theta(c_in x, c_noise, label): a UNet for images and a residual MLP for points.
// Private to core/. A network is not thread-safe while training; concurrent no-grad forwards are fine.
#pragma once

#include "core/network_config.h"

#include <torch/torch.h>

#include <functional>

namespace cm::detail {

// The conditioning of one batch as the network receives it (core/conditioning.h, resolved against the
// card by detail::conditioningTensors). Implicit from a labels tensor: most callers have only labels.
struct NetworkConditioning {
    NetworkConditioning() = default;
    NetworkConditioning(torch::Tensor classLabels) : labels(std::move(classLabels)) {}
    torch::Tensor labels;       // [N] int64 (row of the class embedding) or undefined
    torch::Tensor blendLabels;  // [N] int64 or undefined: the second class of a blend
    torch::Tensor blendWeights; // [N] float32: the second class's share
    torch::Tensor tokenCodes;   // [N, T, B] float32: a tokenizer's code as +-1 (straight-through values in training)
    torch::Tensor tokenKeep;    // [N] float32: 1 where the code is given, 0 where it is dropped
    torch::Tensor promptTokens; // [N, L] int64 word indices, padded with the vocabulary size (the null word)
    torch::Tensor references;   // [N, C, H, W] float32 in [-1, 1]: a style model's reference images
    torch::Tensor styleKeep;    // [N] float32: multiplies the style tokens (0: dropped / not used)
    torch::Tensor contentKeep;  // [N] float32: multiplies the content tokens
};

// The class embedding of a batch: rows of `table` by label, or the blend of two rows.
torch::Tensor embedClasses(torch::nn::Embedding& table, const NetworkConditioning& conditioning);

class NetworkBase : public torch::nn::Module {
  public:
    // x: scaled input [N, ...]; noiseLabel: c_noise [N] (float32).
    virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noiseLabel,
                                  const NetworkConditioning& conditioning) = 0;
    // How many times one forward calls reportBlockDone (large networks report between blocks).
    virtual int blockCount() const { return 0; }

  protected:
    // Tells this thread's BlockObserver that one more block is done; it may throw Error(Cancelled).
    static void reportBlockDone();
};

// While alive, receives this thread's reportBlockDone calls: progress and cancel inside one evaluation
// of a network that takes seconds. Scopes nest; the innermost one observes.
class BlockObserver {
  public:
    explicit BlockObserver(std::function<void()> onBlock);
    ~BlockObserver();
    BlockObserver(const BlockObserver&) = delete;
    BlockObserver& operator=(const BlockObserver&) = delete;

  private:
    friend class NetworkBase;
    std::function<void()> m_onBlock;
    BlockObserver* m_outer;
};

// The registry of architectures: builds the network a config names (validated first).
std::shared_ptr<NetworkBase> makeNetwork(const NetworkConfig& config);

// Sinusoidal embedding of c_noise (EDM's positional embedding: max period 10000).
torch::Tensor positionalEmbedding(const torch::Tensor& noiseLabel, int dim);

} // namespace cm::detail
