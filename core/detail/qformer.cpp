#include "qformer.h"

#include <cmath>

namespace cm::detail {

namespace nn = torch::nn;

torch::Tensor multiHeadAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads) {
    const auto n = q.size(0), lq = q.size(1), lk = k.size(1), d = q.size(2);
    const int64_t headDim = d / heads;
    auto split = [&](const torch::Tensor& t, int64_t length) {
        return t.to(torch::kFloat32).reshape({n, length, heads, headDim}).transpose(1, 2);
    };
    const auto weights =
        torch::softmax(torch::matmul(split(q, lq), split(k, lk).transpose(2, 3)) / std::sqrt(double(headDim)), -1);
    return torch::matmul(weights, split(v, lk)).transpose(1, 2).reshape({n, lq, d});
}

namespace {
nn::LayerNorm layerNorm(int width) {
    return nn::LayerNorm(nn::LayerNormOptions({int64_t(width)}));
}
} // namespace

// Heads of 32 channels where the width allows, otherwise one.
QFormerLayer::QFormerLayer(int width) : m_heads(width % 32 == 0 ? width / 32 : 1) {
    selfNorm = register_module("self_norm", layerNorm(width));
    selfQ = register_module("self_q", nn::Linear(width, width));
    selfK = register_module("self_k", nn::Linear(width, width));
    selfV = register_module("self_v", nn::Linear(width, width));
    selfOut = register_module("self_out", nn::Linear(width, width));
    crossNorm = register_module("cross_norm", layerNorm(width));
    crossQ = register_module("cross_q", nn::Linear(width, width));
    crossK = register_module("cross_k", nn::Linear(width, width));
    crossV = register_module("cross_v", nn::Linear(width, width));
    crossOut = register_module("cross_out", nn::Linear(width, width));
    mlpNorm = register_module("mlp_norm", layerNorm(width));
    mlp1 = register_module("mlp1", nn::Linear(width, 4 * width));
    mlp2 = register_module("mlp2", nn::Linear(4 * width, width));
}

torch::Tensor QFormerLayer::forward(const torch::Tensor& tokens, const torch::Tensor& image, int queries) {
    auto x = selfNorm->forward(tokens);
    auto h = tokens + selfOut->forward(multiHeadAttention(selfQ->forward(x), selfK->forward(x), selfV->forward(x), m_heads));
    // Only the queries read the image; the instruction steers them through self-attention.
    auto q = h.narrow(1, 0, queries);
    const auto read = crossOut->forward(
        multiHeadAttention(crossQ->forward(crossNorm->forward(q)), crossK->forward(image), crossV->forward(image), m_heads));
    h = torch::cat({q + read, h.narrow(1, queries, h.size(1) - queries)}, 1);
    return h + mlp2->forward(torch::gelu(mlp1->forward(mlpNorm->forward(h))));
}

QFormer::QFormer(int queries, int width, int layers, int mapChannels, int contextWidth) : m_queries(queries) {
    m_queryTokens = register_parameter("queries", torch::randn({queries, width}) * 0.02);
    m_instruction = register_parameter("instruction", torch::randn({1, width}) * 0.02);
    featureNorm = register_module("feature_norm", layerNorm(mapChannels));
    featureProj = register_module("feature_proj", nn::Linear(mapChannels, width));
    layerList = register_module("layers", nn::ModuleList());
    for (int i = 0; i < layers; ++i) {
        auto layer = std::make_shared<QFormerLayer>(width);
        layerList->push_back(layer);
        m_layers.push_back(layer);
    }
    outNorm = register_module("out_norm", layerNorm(width));
    outProj = register_module("out_proj", nn::Linear(width, contextWidth));
    outMlpNorm = register_module("out_mlp_norm", layerNorm(contextWidth));
    outMlp1 = register_module("out_mlp1", nn::Linear(contextWidth, 4 * contextWidth));
    outMlp2 = register_module("out_mlp2", nn::Linear(4 * contextWidth, contextWidth));
}

torch::Tensor QFormer::forward(const torch::Tensor& featureMap) {
    const auto n = featureMap.size(0);
    // [N, C, h, w] -> [N, h w, C]: one image token per position of the map.
    const auto image = featureProj->forward(featureNorm->forward(featureMap.to(torch::kFloat32).flatten(2).transpose(1, 2)));
    auto tokens = torch::cat({m_queryTokens, m_instruction}, 0).unsqueeze(0).expand({n, -1, -1});
    for (auto& layer : m_layers)
        tokens = layer->forward(tokens, image, m_queries);
    const auto out = outProj->forward(outNorm->forward(tokens.narrow(1, 0, m_queries)));
    return out + outMlp2->forward(torch::gelu(outMlp1->forward(outMlpNorm->forward(out))));
}

} // namespace cm::detail
