// FlowMo's networks: MMDiT double-stream blocks over [latent tokens; image patches], an encoder (image ->
// continuous latents) and a rectified-flow decoder (noisy image, t, code -> velocity). No convolutions.
// Private to core/. Not thread-safe while training; concurrent no-grad forwards are fine.
#pragma once

#include "core/detail/networks.h"
#include "core/tokenizer/tokenizer_card.h"

#include <torch/torch.h>

namespace cm::detail {

// [N, C, H, W] <-> [N, patches, C * p * p] (patches row-major, values channel-major within a patch).
torch::Tensor patchify(const torch::Tensor& images, int patchSize);
torch::Tensor unpatchify(const torch::Tensor& patches, int patchSize, int channels, int imageSize);

// One stream's own weights: modulation (absent in the encoder), two LayerNorms without affine parameters,
// the qkv projection with a learnable RMSNorm of q and k per head, the output projection and the MLP.
class MmditStream : public torch::nn::Module {
  public:
    MmditStream(int width, int heads, int conditionWidth); // conditionWidth 0: no modulation (identity)
    // Shift, scale and gate for attention and MLP, each [N, 1, width], from the condition [N, cond].
    std::array<torch::Tensor, 6> modulation(const torch::Tensor& condition, int64_t batch);

    torch::nn::Linear adaLN{nullptr}, qkv{nullptr}, proj{nullptr}, mlpIn{nullptr}, mlpOut{nullptr};
    torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
    torch::Tensor qScale, kScale;
    int width, heads;
};

// The two streams attend jointly: one softmax over the concatenation [latent; image].
class MmditBlock : public torch::nn::Module {
  public:
    MmditBlock(int width, int heads, int conditionWidth);
    // latent [N, T, w], image [N, P, w], condition [N, cond] (undefined without modulation).
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& latent, const torch::Tensor& image,
                                                    const torch::Tensor& condition);

    std::shared_ptr<MmditStream> latentStream, imageStream;
};

class TokenizerEncoder : public torch::nn::Module {
  public:
    explicit TokenizerEncoder(const TokenizerConfig& config);
    torch::Tensor forward(const torch::Tensor& images); // [N, C, H, W] in [-1, 1] -> latents [N, T, B]

  private:
    TokenizerConfig m_config;
    torch::nn::Linear patchIn{nullptr}, latentOut{nullptr};
    torch::nn::LayerNorm outNorm{nullptr};
    torch::Tensor imagePosition, latentPosition;
    std::vector<std::shared_ptr<MmditBlock>> m_blocks;
};

class TokenizerDecoder : public torch::nn::Module {
  public:
    explicit TokenizerDecoder(const TokenizerConfig& config);
    // x_t [N, C, H, W], t [N] in [0, 1], the conditioning's tokenCodes [N, T, B] and tokenKeep [N] (a dropped
    // code is zeroed). Returns the raw output F [N, C, H, W] (flowVelocity reads it as a velocity).
    torch::Tensor forward(const torch::Tensor& noisy, const torch::Tensor& t, const NetworkConditioning& conditioning);

  private:
    TokenizerConfig m_config;
    torch::nn::Linear codeIn{nullptr}, patchIn{nullptr}, time1{nullptr}, time2{nullptr}, finalAdaLN{nullptr},
        patchOut{nullptr};
    torch::nn::LayerNorm finalNorm{nullptr};
    torch::Tensor imagePosition, latentPosition;
    std::vector<std::shared_ptr<MmditBlock>> m_blocks;
};

// Encoder and decoder under the names "encoder." and "decoder." of the tokenizer file, and the one-step
// decoder ("one_step.", the decoder's architecture read as a consistency model) when the card has one.
class TokenizerNetworks : public torch::nn::Module {
  public:
    TokenizerNetworks(const TokenizerConfig& config, bool withOneStep);
    std::shared_ptr<TokenizerEncoder> encoder;
    std::shared_ptr<TokenizerDecoder> decoder, oneStep;
};

} // namespace cm::detail
