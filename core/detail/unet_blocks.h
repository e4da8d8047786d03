// The building blocks of CM Studio's UNet (residual blocks with FiLM from the embedding, self-attention,
// resampling, the noise embedding), shared by the class-conditional UNet and DEADiff's prompt UNet so that
// both keep the same tensor names. Private to core/.
#pragma once

#include "compute_precision.h"
#include "networks.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace cm::detail {

namespace nn = torch::nn;

// As many groups as fit up to 32 with at least 4 channels each.
inline int groupCount(int channels) {
    int groups = std::max(1, std::min(32, channels / 4));
    while (channels % groups != 0)
        --groups;
    return groups;
}

inline nn::GroupNorm groupNorm(int channels) {
    return nn::GroupNorm(nn::GroupNormOptions(groupCount(channels), channels).eps(1e-6));
}

inline nn::Conv2d conv3x3(int in, int out, int stride = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

inline void zeroInit(nn::Conv2d& conv) {
    torch::NoGradGuard guard;
    conv->weight.zero_();
    conv->bias.zero_();
}

// A UNet stage element: maps (h, emb) -> h.
class Block : public nn::Module {
  public:
    virtual torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& emb) = 0;
};

class AttentionBlock : public nn::Module {
  public:
    explicit AttentionBlock(int channels) : m_heads(std::max(1, channels / 64)) {
        norm = register_module("norm", groupNorm(channels));
        qkv = register_module("qkv", nn::Conv2d(nn::Conv2dOptions(channels, 3 * channels, 1)));
        proj = register_module("proj", nn::Conv2d(nn::Conv2dOptions(channels, channels, 1)));
        zeroInit(proj);
    }
    torch::Tensor forward(const torch::Tensor& x) {
        const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        const int64_t headDim = c / m_heads;
        auto qkvOut = conv2d(*qkv, groupNormFloat32(*norm, x)).reshape({n * m_heads, 3, headDim, h * w});
        auto q = qkvOut.select(1, 0), k = qkvOut.select(1, 1), v = qkvOut.select(1, 2);
        auto weights = softmaxFloat32(torch::bmm(q.transpose(1, 2), k) / std::sqrt(double(headDim)));
        auto out = torch::bmm(v, weights.transpose(1, 2)).reshape({n, c, h, w});
        return x + conv2d(*proj, out);
    }

  private:
    int m_heads;
    nn::GroupNorm norm{nullptr};
    nn::Conv2d qkv{nullptr}, proj{nullptr};
};

// Residual block with adaptive scale/shift from the embedding, optionally followed by self-attention.
class ResidualBlock : public Block {
  public:
    ResidualBlock(int in, int out, int embDim, double dropoutRate, bool attention) {
        norm1 = register_module("norm1", groupNorm(in));
        conv1 = register_module("conv1", conv3x3(in, out));
        embProj = register_module("emb_proj", nn::Linear(embDim, 2 * out));
        norm2 = register_module("norm2", groupNorm(out));
        dropout = register_module("dropout", nn::Dropout(dropoutRate));
        conv2 = register_module("conv2", conv3x3(out, out));
        zeroInit(conv2);
        if (in != out) skip = register_module("skip", nn::Conv2d(nn::Conv2dOptions(in, out, 1)));
        if (attention) attn = register_module("attn", std::make_shared<AttentionBlock>(out));
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& emb) override {
        auto h = conv2d(*conv1, groupNormFloat32(*norm1, x, NormAct::thenSilu()));
        const auto scaleShift = linearFloat32(*embProj, emb).chunk(2, 1);
        NormAct film = NormAct::thenSilu();
        film.scale = scaleShift[0];
        film.shift = scaleShift[1];
        h = conv2d(*conv2, dropout->forward(groupNormFloat32(*norm2, h, film)));
        h = h + (skip ? conv2d(*skip, x) : x);
        return attn ? attn->forward(h) : h;
    }

  private:
    nn::GroupNorm norm1{nullptr}, norm2{nullptr};
    nn::Conv2d conv1{nullptr}, conv2{nullptr}, skip{nullptr};
    nn::Linear embProj{nullptr};
    nn::Dropout dropout{nullptr};
    std::shared_ptr<AttentionBlock> attn;
};

class Downsample : public Block {
  public:
    explicit Downsample(int channels) { conv = register_module("conv", conv3x3(channels, channels, 2)); }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override { return conv2d(*conv, x); }

  private:
    nn::Conv2d conv{nullptr};
};

class Upsample : public Block {
  public:
    explicit Upsample(int channels) { conv = register_module("conv", conv3x3(channels, channels)); }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override {
        namespace F = torch::nn::functional;
        auto up = F::interpolate(
            x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
        return conv2d(*conv, up);
    }

  private:
    nn::Conv2d conv{nullptr};
};

// Noise (and class) embedding shared by both network types.
class Embedding : public nn::Module {
  public:
    Embedding(int base, int embDim, int numClasses) : m_base(base) {
        map1 = register_module("map1", nn::Linear(base, embDim));
        map2 = register_module("map2", nn::Linear(embDim, embDim));
        if (numClasses > 0)
            classEmbed = register_module("class_embed", nn::Embedding(numClasses + 1, embDim));
    }
    torch::Tensor forward(const torch::Tensor& noiseLabel, const NetworkConditioning& conditioning) {
        auto emb = map2->forward(torch::silu(map1->forward(positionalEmbedding(noiseLabel, m_base))));
        if (classEmbed && conditioning.labels.defined()) emb = emb + embedClasses(classEmbed, conditioning);
        return torch::silu(emb);
    }

  private:
    int m_base;
    nn::Linear map1{nullptr}, map2{nullptr};
    nn::Embedding classEmbed{nullptr};
};

} // namespace cm::detail
