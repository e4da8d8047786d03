// DEADiff's extractor: a small Q-Former. Learned queries and one learned instruction token ("style" or
// "content") share self-attention; only the queries cross-attend to the frozen feature map of the reference;
// the query states, through a residual MLP projection, become image tokens of the UNet's context width.
// Private to core/. Not thread-safe while training; concurrent no-grad forwards are fine.
#pragma once

#include <torch/torch.h>

namespace cm::detail {

// Scaled dot-product attention with `heads` heads on [N, L, D] tensors (D divisible by heads): one softmax
// over all keys, computed in float32.
torch::Tensor multiHeadAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads);

class QFormerLayer : public torch::nn::Module {
  public:
    explicit QFormerLayer(int width);
    // tokens: [N, Q + 1, D] (queries then the instruction); image: [N, M, D] projected features.
    torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& image, int queries);

  private:
    int m_heads;
    torch::nn::LayerNorm selfNorm{nullptr}, crossNorm{nullptr}, mlpNorm{nullptr};
    torch::nn::Linear selfQ{nullptr}, selfK{nullptr}, selfV{nullptr}, selfOut{nullptr};
    torch::nn::Linear crossQ{nullptr}, crossK{nullptr}, crossV{nullptr}, crossOut{nullptr};
    torch::nn::Linear mlp1{nullptr}, mlp2{nullptr};
};

class QFormer : public torch::nn::Module {
  public:
    QFormer(int queries, int width, int layers, int mapChannels, int contextWidth);
    // featureMap: [N, C, h, w] -> image tokens [N, queries, contextWidth].
    torch::Tensor forward(const torch::Tensor& featureMap);
    torch::Tensor& instruction() { return m_instruction; } // [1, width]

  private:
    int m_queries;
    torch::Tensor m_queryTokens, m_instruction;
    torch::nn::LayerNorm featureNorm{nullptr}, outNorm{nullptr}, outMlpNorm{nullptr};
    torch::nn::Linear featureProj{nullptr}, outProj{nullptr}, outMlp1{nullptr}, outMlp2{nullptr};
    torch::nn::ModuleList layerList{nullptr};
    std::vector<std::shared_ptr<QFormerLayer>> m_layers;
};

} // namespace cm::detail
