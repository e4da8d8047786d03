#include "networks.h"

#include "adm_unet.h"
#include "compute_precision.h"

#include <cmath>
#include <numeric>

namespace cm::detail {

namespace nn = torch::nn;

torch::Tensor positionalEmbedding(const torch::Tensor& noiseLabel, int dim) {
    const int half = dim / 2;
    auto freqs = torch::arange(half, torch::kFloat32) / float(half);
    freqs = torch::pow(1.0f / 10000.0f, freqs);
    auto angles = noiseLabel.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
    return torch::cat({torch::cos(angles), torch::sin(angles)}, 1);
}

namespace {

// As many groups as fit up to 32 with at least 4 channels each.
int groupCount(int channels) {
    int groups = std::max(1, std::min(32, channels / 4));
    while (channels % groups != 0)
        --groups;
    return groups;
}

nn::GroupNorm groupNorm(int channels) {
    return nn::GroupNorm(nn::GroupNormOptions(groupCount(channels), channels).eps(1e-6));
}

nn::Conv2d conv3x3(int in, int out, int stride = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1));
}

void zeroInit(nn::Conv2d& conv) {
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

class UNet : public NetworkBase {
  public:
    explicit UNet(const NetworkConfig& cfg) {
        const int embDim = 4 * cfg.baseWidth;
        const int levels = int(cfg.channelMult.size());
        embedding =
            register_module("embedding", std::make_shared<Embedding>(cfg.baseWidth, embDim, cfg.numClasses));
        convIn = register_module("conv_in", conv3x3(cfg.channels, cfg.baseWidth));
        encoder = register_module("enc", nn::ModuleList());
        decoder = register_module("dec", nn::ModuleList());
        middle = register_module("mid", nn::ModuleList());

        auto hasAttention = [&](int resolution) {
            return std::find(cfg.attentionResolutions.begin(), cfg.attentionResolutions.end(), resolution) !=
                   cfg.attentionResolutions.end();
        };
        std::vector<int> skipChannels{cfg.baseWidth};
        int ch = cfg.baseWidth;
        int resolution = cfg.imageSize;
        for (int level = 0; level < levels; ++level) {
            const int out = cfg.baseWidth * cfg.channelMult[level];
            for (int r = 0; r < cfg.resBlocks; ++r) {
                addBlock(
                    encoder, m_encoder,
                    std::make_shared<ResidualBlock>(ch, out, embDim, cfg.dropout, hasAttention(resolution)));
                ch = out;
                skipChannels.push_back(ch);
            }
            if (level + 1 < levels) {
                addBlock(encoder, m_encoder, std::make_shared<Downsample>(ch));
                skipChannels.push_back(ch);
                resolution /= 2;
            }
        }
        addBlock(middle, m_middle, std::make_shared<ResidualBlock>(ch, ch, embDim, cfg.dropout, true));
        addBlock(middle, m_middle, std::make_shared<ResidualBlock>(ch, ch, embDim, cfg.dropout, false));
        for (int level = levels - 1; level >= 0; --level) {
            const int out = cfg.baseWidth * cfg.channelMult[level];
            for (int r = 0; r <= cfg.resBlocks; ++r) {
                const int skipCh = skipChannels.back();
                skipChannels.pop_back();
                addBlock(decoder, m_decoder,
                         std::make_shared<ResidualBlock>(ch + skipCh, out, embDim, cfg.dropout,
                                                         hasAttention(resolution)));
                m_decoderTakesSkip.push_back(true);
                ch = out;
            }
            if (level > 0) {
                addBlock(decoder, m_decoder, std::make_shared<Upsample>(ch));
                m_decoderTakesSkip.push_back(false);
                resolution *= 2;
            }
        }
        normOut = register_module("norm_out", groupNorm(ch));
        convOut = register_module("conv_out", conv3x3(ch, cfg.channels));
        zeroInit(convOut);
    }

    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noiseLabel,
                          const NetworkConditioning& conditioning) override {
        auto emb = embedding->forward(noiseLabel, conditioning);
        auto h = conv2d(*convIn, toCompute(x, computeDtype()));
        std::vector<torch::Tensor> skips{h};
        for (auto& block : m_encoder) {
            h = block->forward(h, emb);
            skips.push_back(h);
        }
        for (auto& block : m_middle)
            h = block->forward(h, emb);
        for (std::size_t i = 0; i < m_decoder.size(); ++i) {
            if (m_decoderTakesSkip[i]) {
                h = torch::cat({h, skips.back()}, 1);
                skips.pop_back();
            }
            h = m_decoder[i]->forward(h, emb);
        }
        return toFloat32Output(conv2d(*convOut, groupNormFloat32(*normOut, h, NormAct::thenSilu())));
    }

  private:
    static void addBlock(nn::ModuleList& list, std::vector<std::shared_ptr<Block>>& typed,
                         std::shared_ptr<Block> block) {
        list->push_back(block);
        typed.push_back(std::move(block));
    }

    std::shared_ptr<Embedding> embedding;
    nn::Conv2d convIn{nullptr}, convOut{nullptr};
    nn::GroupNorm normOut{nullptr};
    nn::ModuleList encoder{nullptr}, middle{nullptr}, decoder{nullptr};
    std::vector<std::shared_ptr<Block>> m_encoder, m_middle, m_decoder;
    std::vector<bool> m_decoderTakesSkip;
};

// Residual MLP for low-dimensional points (the 2-D test problems).
class Mlp : public NetworkBase {
  public:
    explicit Mlp(const NetworkConfig& cfg) {
        const int width = cfg.hiddenWidth;
        embedding = register_module("embedding", std::make_shared<Embedding>(64, width, cfg.numClasses));
        input = register_module("input", nn::Linear(cfg.dataDim, width));
        hidden = register_module("hidden", nn::ModuleList());
        for (int i = 0; i < cfg.hiddenLayers; ++i) {
            auto layer = nn::Linear(width, width);
            hidden->push_back(layer);
            m_hidden.push_back(layer);
        }
        dropout = register_module("dropout", nn::Dropout(cfg.dropout));
        output = register_module("output", nn::Linear(width, cfg.dataDim));
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& noiseLabel,
                          const NetworkConditioning& conditioning) override {
        const auto emb = embedding->forward(noiseLabel, conditioning);
        auto h = input->forward(x);
        // The noise level enters every layer: the map from sigma_max noise to the modes is sharp.
        for (auto& layer : m_hidden)
            h = h + dropout->forward(layer->forward(torch::silu(h + emb)));
        return output->forward(torch::silu(h));
    }

  private:
    std::shared_ptr<Embedding> embedding;
    nn::Linear input{nullptr}, output{nullptr};
    nn::ModuleList hidden{nullptr};
    std::vector<nn::Linear> m_hidden;
    nn::Dropout dropout{nullptr};
};

} // namespace

namespace {
thread_local BlockObserver* t_blockObserver = nullptr;
} // namespace

BlockObserver::BlockObserver(std::function<void()> onBlock) : m_onBlock(std::move(onBlock)), m_outer(t_blockObserver) {
    t_blockObserver = this;
}

BlockObserver::~BlockObserver() {
    t_blockObserver = m_outer;
}

torch::Tensor embedClasses(torch::nn::Embedding& table, const NetworkConditioning& conditioning) {
    auto emb = table->forward(conditioning.labels);
    if (!conditioning.blendLabels.defined()) return emb;
    const auto w = conditioning.blendWeights.to(emb.scalar_type()).unsqueeze(1);
    return (1 - w) * emb + w * table->forward(conditioning.blendLabels);
}

void NetworkBase::reportBlockDone() {
    if (t_blockObserver && t_blockObserver->m_onBlock) t_blockObserver->m_onBlock();
}

std::shared_ptr<NetworkBase> makeNetwork(const NetworkConfig& config) {
    config.validate();
    switch (config.type) {
    case NetworkType::Mlp:
        return std::make_shared<Mlp>(config);
    case NetworkType::AdmUNet:
        return makeAdmUNet(config);
    case NetworkType::UNet:
        break;
    }
    return std::make_shared<UNet>(config);
}

} // namespace cm::detail
