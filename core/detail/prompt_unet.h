// DEADiff's prompt UNet: CM Studio's UNet whose residual blocks at the cross-attention resolutions are
// followed by a joint cross-attention layer, K = [W_K prompt ; W_K^I image tokens], V likewise, one softmax.
// With imageQueries > 0 (a style model) it also holds the frozen reference encoder (the feature network's
// trunk) and two Q-Formers: content tokens go to the layers at the lowest cross-attention resolution, style
// tokens to every other layer (NetworkConfig::isContentLayer); issue 19's comparison variants put both sets,
// or a single encoder's one set, in every layer (NetworkConfig::receivesStyleTokens, receivesContentTokens).
// Private to core/.
#pragma once

#include "networks.h"
#include "unet_blocks.h"

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace cm::detail {

std::shared_ptr<NetworkBase> makePromptUNet(const NetworkConfig& config);

// Records each cross-attention layer's input and output during one forward (in order input -> middle ->
// output); in replay mode each layer reads the recorded input instead of its own, so a second forward
// shows which layers respond to a change of the tokens themselves, not to a change upstream.
struct CrossAttentionProbe {
    bool replay = false;
    std::vector<torch::Tensor> inputs, outputs;
    std::vector<int> resolutions;
    // Per layer, the share of the softmax's mass on the image tokens (mean over pixels, heads and images).
    std::vector<double> imageAttention;
    std::size_t next = 0;
};

class JointCrossAttention;
class QFormer;

class PromptUNet : public NetworkBase {
  public:
    explicit PromptUNet(const NetworkConfig& config);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noiseLabel,
                          const NetworkConditioning& conditioning) override;

    const NetworkConfig& config() const { return m_config; }
    // [N, L, contextWidth] prompt tokens (undefined tokens: the null prompt for every image).
    torch::Tensor promptContext(const torch::Tensor& tokens, int64_t count);
    // The reference's style and content tokens, [N, queries, contextWidth] each (a style model only).
    std::pair<torch::Tensor, torch::Tensor> imageTokens(const torch::Tensor& references);
    QFormer& extractor(bool style);
    // What trains in each stage: the base (everything but the extractors, W^I and the reference encoder),
    // and the extractors with the image projections W_K^I, W_V^I.
    std::vector<torch::Tensor> baseParameters() const;
    std::vector<torch::Tensor> extractorParameters() const;
    // W_K^I, W_V^I <- W_K, W_V of each layer (DEADiff's initialisation).
    void copyImageProjectionsFromPrompt();
    torch::nn::Sequential& referenceEncoder() { return m_referenceEncoder; }

    void setProbe(CrossAttentionProbe* probe) { m_probe = probe; }
    // Diagnostics: replaces the extractors' output (style, content tokens) by a function of the batch.
    std::function<std::pair<torch::Tensor, torch::Tensor>(const NetworkConditioning&)> tokenOverride;

  private:
    struct Element {
        std::shared_ptr<Block> block;
        std::shared_ptr<JointCrossAttention> cross; // null where the resolution has none
        int resolution = 0;
        bool takesSkip = false;
    };
    torch::Tensor run(Element& element, torch::Tensor h, const torch::Tensor& emb, const torch::Tensor& prompt,
                      const torch::Tensor& styleTokens, const torch::Tensor& contentTokens);

    NetworkConfig m_config;
    std::vector<Element> m_encoder, m_middle, m_decoder;
    std::vector<std::shared_ptr<JointCrossAttention>> m_cross;
    std::shared_ptr<Embedding> m_embedding;
    torch::nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
    torch::nn::GroupNorm m_normOut{nullptr};
    torch::nn::Embedding m_promptEmbed{nullptr};
    torch::Tensor m_promptPosition;
    torch::nn::LayerNorm m_promptNorm{nullptr};
    torch::nn::Sequential m_referenceEncoder{nullptr};
    std::shared_ptr<QFormer> m_styleExtractor, m_contentExtractor;
    CrossAttentionProbe* m_probe = nullptr;
};

} // namespace cm::detail
