#include "networks.h"

#include "adm_unet.h"
#include "compute_precision.h"
#include "prompt_unet.h"
#include "unet_blocks.h"

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
    case NetworkType::PromptUNet:
        return makePromptUNet(config);
    case NetworkType::UNet:
        break;
    }
    return std::make_shared<UNet>(config);
}

} // namespace cm::detail
