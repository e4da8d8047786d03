#include "prompt_unet.h"

#include "compute_precision.h"
#include "core/error.h"
#include "feature_network.h"
#include "qformer.h"

#include <algorithm>
#include <cmath>

namespace cm::detail {

// One joint text-image cross-attention layer (DEADiff's figure 3).
class JointCrossAttention : public torch::nn::Module {
  public:
    JointCrossAttention(int channels, int contextWidth, int heads, bool withImage) : m_heads(heads) {
        norm = register_module("norm", groupNorm(channels));
        toQ = register_module("to_q", nn::Linear(nn::LinearOptions(channels, channels).bias(false)));
        toK = register_module("to_k", nn::Linear(nn::LinearOptions(contextWidth, channels).bias(false)));
        toV = register_module("to_v", nn::Linear(nn::LinearOptions(contextWidth, channels).bias(false)));
        if (withImage) {
            toKImage = register_module("to_k_image", nn::Linear(nn::LinearOptions(contextWidth, channels).bias(false)));
            toVImage = register_module("to_v_image", nn::Linear(nn::LinearOptions(contextWidth, channels).bias(false)));
        }
        proj = register_module("proj", nn::Linear(channels, channels));
        // The base starts as the plain UNet: the layer adds nothing until training opens it.
        torch::NoGradGuard noGrad;
        proj->weight.zero_();
        proj->bias.zero_();
    }

    // h: [N, C, H, W]; prompt: [N, L, ctx]; image: [N, M, ctx] or undefined (the base alone).
    torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& prompt, const torch::Tensor& image,
                          double* imageAttention = nullptr) {
        const auto n = h.size(0), c = h.size(1), height = h.size(2), width = h.size(3);
        const auto x = groupNormFloat32(*norm, h).to(torch::kFloat32).flatten(2).transpose(1, 2); // [N, HW, C]
        auto k = toK->forward(prompt), v = toV->forward(prompt);
        if (image.defined() && toKImage) {
            k = torch::cat({k, toKImage->forward(image)}, 1);
            v = torch::cat({v, toVImage->forward(image)}, 1);
        }
        const auto q = toQ->forward(x);
        if (imageAttention) {
            const int64_t lp = prompt.size(1), hd = c / m_heads;
            const auto qs = q.reshape({n, -1, m_heads, hd}).transpose(1, 2);
            const auto ks = k.reshape({n, k.size(1), m_heads, hd}).transpose(1, 2);
            const auto w = torch::softmax(torch::matmul(qs, ks.transpose(2, 3)) / std::sqrt(double(hd)), -1);
            *imageAttention = k.size(1) > lp ? w.narrow(3, lp, k.size(1) - lp).sum(3).mean().item<double>() : 0.0;
        }
        const auto out = proj->forward(multiHeadAttention(q, k, v, m_heads));
        return h + out.transpose(1, 2).reshape({n, c, height, width}).to(h.scalar_type());
    }

    std::vector<torch::Tensor> imageProjections() const {
        if (!toKImage) return {};
        return {toKImage->weight, toVImage->weight};
    }
    void copyImageProjectionsFromPrompt() {
        if (!toKImage) return;
        torch::NoGradGuard noGrad;
        toKImage->weight.copy_(toK->weight);
        toVImage->weight.copy_(toV->weight);
    }

  private:
    int m_heads;
    nn::GroupNorm norm{nullptr};
    nn::Linear toQ{nullptr}, toK{nullptr}, toV{nullptr}, toKImage{nullptr}, toVImage{nullptr}, proj{nullptr};
};

PromptUNet::PromptUNet(const NetworkConfig& cfg) : m_config(cfg) {
    const int embDim = 4 * cfg.baseWidth;
    const int levels = int(cfg.channelMult.size());
    const bool style = cfg.imageQueries > 0;
    m_embedding = register_module("embedding", std::make_shared<Embedding>(cfg.baseWidth, embDim, 0));
    m_convIn = register_module("conv_in", conv3x3(cfg.channels, cfg.baseWidth));
    nn::ModuleList encoder = register_module("enc", nn::ModuleList());
    nn::ModuleList decoder = register_module("dec", nn::ModuleList());
    nn::ModuleList middle = register_module("mid", nn::ModuleList());
    nn::ModuleList cross = register_module("cross", nn::ModuleList());
    m_promptEmbed = register_module("prompt_embed", nn::Embedding(cfg.promptVocabulary + 1, cfg.contextWidth));
    m_promptPosition = register_parameter("prompt_position", torch::randn({cfg.promptLength, cfg.contextWidth}) * 0.02);
    m_promptNorm = register_module("prompt_norm", nn::LayerNorm(nn::LayerNormOptions({int64_t(cfg.contextWidth)})));

    auto listed = [](const std::vector<int>& list, int resolution) {
        return std::find(list.begin(), list.end(), resolution) != list.end();
    };
    auto add = [&](nn::ModuleList list, std::vector<Element>& typed, std::shared_ptr<Block> block, int channels,
                   int resolution, bool withCross, bool takesSkip) {
        list->push_back(block);
        Element element{block, nullptr, resolution, takesSkip};
        if (withCross && listed(cfg.crossAttentionResolutions, resolution)) {
            element.cross = std::make_shared<JointCrossAttention>(channels, cfg.contextWidth,
                                                                  channels / cfg.headChannels, style);
            cross->push_back(element.cross);
            m_cross.push_back(element.cross);
        }
        typed.push_back(element);
    };
    std::vector<int> skipChannels{cfg.baseWidth};
    int ch = cfg.baseWidth;
    int resolution = cfg.imageSize;
    for (int level = 0; level < levels; ++level) {
        const int out = cfg.baseWidth * cfg.channelMult[level];
        for (int r = 0; r < cfg.resBlocks; ++r) {
            add(encoder, m_encoder,
                std::make_shared<ResidualBlock>(ch, out, embDim, cfg.dropout, listed(cfg.attentionResolutions, resolution)),
                out, resolution, true, false);
            ch = out;
            skipChannels.push_back(ch);
        }
        if (level + 1 < levels) {
            add(encoder, m_encoder, std::make_shared<Downsample>(ch), ch, resolution, false, false);
            skipChannels.push_back(ch);
            resolution /= 2;
        }
    }
    add(middle, m_middle, std::make_shared<ResidualBlock>(ch, ch, embDim, cfg.dropout, true), ch, resolution, true, false);
    add(middle, m_middle, std::make_shared<ResidualBlock>(ch, ch, embDim, cfg.dropout, false), ch, resolution, false, false);
    for (int level = levels - 1; level >= 0; --level) {
        const int out = cfg.baseWidth * cfg.channelMult[level];
        for (int r = 0; r <= cfg.resBlocks; ++r) {
            const int skipCh = skipChannels.back();
            skipChannels.pop_back();
            add(decoder, m_decoder,
                std::make_shared<ResidualBlock>(ch + skipCh, out, embDim, cfg.dropout,
                                                listed(cfg.attentionResolutions, resolution)),
                out, resolution, true, true);
            ch = out;
        }
        if (level > 0) {
            add(decoder, m_decoder, std::make_shared<Upsample>(ch), ch, resolution, false, false);
            resolution *= 2;
        }
    }
    m_normOut = register_module("norm_out", groupNorm(ch));
    m_convOut = register_module("conv_out", conv3x3(ch, cfg.channels));
    zeroInit(m_convOut);

    if (style) {
        m_referenceEncoder = register_module("reference_encoder", featureEncoder(cfg.channels, cfg.referenceWidth));
        for (auto& p : m_referenceEncoder->parameters())
            p.set_requires_grad(false); // the project's own feature network, frozen
        const int mapChannels = 4 * cfg.referenceWidth;
        auto qformer = [&] {
            return std::make_shared<QFormer>(cfg.imageQueries, cfg.qformerWidth, cfg.qformerLayers, mapChannels,
                                             cfg.contextWidth);
        };
        // A single encoder (the IP-Adapter kind) has its own name: its file cannot pass for a DEADiff one.
        m_styleExtractor = register_module(cfg.imageExtractors == 2 ? "style_qformer" : "image_qformer", qformer());
        if (cfg.imageExtractors == 2) m_contentExtractor = register_module("content_qformer", qformer());
        copyImageProjectionsFromPrompt();
    }
}

torch::Tensor PromptUNet::promptContext(const torch::Tensor& tokens, int64_t count) {
    const auto ids = tokens.defined() ? tokens : torch::full({count, m_config.promptLength},
                                                             int64_t(m_config.promptVocabulary), torch::kInt64);
    return m_promptNorm->forward(m_promptEmbed->forward(ids) + m_promptPosition.unsqueeze(0));
}

std::pair<torch::Tensor, torch::Tensor> PromptUNet::imageTokens(const torch::Tensor& references) {
    torch::Tensor map;
    {
        torch::NoGradGuard frozen;
        map = m_referenceEncoder->forward(references.to(torch::kFloat32));
    }
    return {m_styleExtractor->forward(map), m_contentExtractor ? m_contentExtractor->forward(map) : torch::Tensor()};
}

QFormer& PromptUNet::extractor(bool style) {
    if (!style && !m_contentExtractor)
        throw Error(ErrorKind::InvalidArgument, "a single-encoder style model has no content extractor");
    return style ? *m_styleExtractor : *m_contentExtractor;
}

std::vector<torch::Tensor> PromptUNet::extractorParameters() const {
    std::vector<torch::Tensor> list;
    if (!m_styleExtractor) return list;
    for (const auto& p : m_styleExtractor->parameters())
        list.push_back(p);
    if (m_contentExtractor)
        for (const auto& p : m_contentExtractor->parameters())
            list.push_back(p);
    for (const auto& layer : m_cross)
        for (const auto& p : layer->imageProjections())
            list.push_back(p);
    return list;
}

std::vector<torch::Tensor> PromptUNet::baseParameters() const {
    std::vector<torch::Tensor> list;
    const auto extractors = extractorParameters();
    std::vector<torch::Tensor> frozenEncoder = m_referenceEncoder ? m_referenceEncoder->parameters() : std::vector<torch::Tensor>{};
    auto isIn = [](const std::vector<torch::Tensor>& set, const torch::Tensor& p) {
        return std::any_of(set.begin(), set.end(), [&](const torch::Tensor& q) { return q.is_same(p); });
    };
    for (const auto& p : parameters())
        if (!isIn(extractors, p) && !isIn(frozenEncoder, p)) list.push_back(p);
    return list;
}

void PromptUNet::copyImageProjectionsFromPrompt() {
    for (auto& layer : m_cross)
        layer->copyImageProjectionsFromPrompt();
}

torch::Tensor PromptUNet::run(Element& element, torch::Tensor h, const torch::Tensor& emb, const torch::Tensor& prompt,
                              const torch::Tensor& styleTokens, const torch::Tensor& contentTokens) {
    h = element.block->forward(h, emb);
    if (!element.cross) return h;
    // The placement (NetworkConfig::receivesStyleTokens / receivesContentTokens): DEADiff's disentangled one,
    // or both sets concatenated in every layer, or a single encoder's tokens everywhere.
    const bool style = m_config.receivesStyleTokens(element.resolution) && styleTokens.defined();
    const bool content = m_config.receivesContentTokens(element.resolution) && contentTokens.defined();
    const torch::Tensor image = style && content ? torch::cat({styleTokens, contentTokens}, 1)
                                : style          ? styleTokens
                                : content        ? contentTokens
                                                 : torch::Tensor();
    if (!m_probe) return element.cross->forward(h, prompt, image);
    auto& probe = *m_probe;
    const std::size_t index = probe.next++;
    if (probe.replay) {
        auto out = element.cross->forward(probe.inputs.at(index), prompt, image);
        probe.outputs.at(index) = out;
        return out;
    }
    double share = 0;
    auto out = element.cross->forward(h, prompt, image, &share);
    probe.imageAttention.push_back(share);
    probe.inputs.push_back(h);
    probe.outputs.push_back(out);
    probe.resolutions.push_back(element.resolution);
    return out;
}

torch::Tensor PromptUNet::forward(const torch::Tensor& x, const torch::Tensor& noiseLabel,
                                  const NetworkConditioning& conditioning) {
    const int64_t n = x.size(0);
    const auto emb = m_embedding->forward(noiseLabel, NetworkConditioning{});
    const auto prompt = promptContext(conditioning.promptTokens, n);
    torch::Tensor styleTokens, contentTokens;
    if (m_styleExtractor && conditioning.references.defined()) {
        std::tie(styleTokens, contentTokens) =
            tokenOverride ? tokenOverride(conditioning) : imageTokens(conditioning.references);
        // Zeroed tokens, not absent ones: the dropped and the "style only" cases as DEADiff trains them.
        auto keep = [&](const torch::Tensor& factor) {
            return factor.defined() ? factor.to(torch::kFloat32).view({n, 1, 1}) : torch::ones({n, 1, 1});
        };
        styleTokens = styleTokens * keep(conditioning.styleKeep);
        if (contentTokens.defined()) contentTokens = contentTokens * keep(conditioning.contentKeep);
    }
    if (m_probe) m_probe->next = 0;
    auto h = conv2d(*m_convIn, toCompute(x, computeDtype()));
    std::vector<torch::Tensor> skips{h};
    for (auto& element : m_encoder) {
        h = run(element, h, emb, prompt, styleTokens, contentTokens);
        skips.push_back(h);
    }
    for (auto& element : m_middle)
        h = run(element, h, emb, prompt, styleTokens, contentTokens);
    for (auto& element : m_decoder) {
        if (element.takesSkip) {
            h = torch::cat({h, skips.back()}, 1);
            skips.pop_back();
        }
        h = run(element, h, emb, prompt, styleTokens, contentTokens);
    }
    return toFloat32Output(conv2d(*m_convOut, groupNormFloat32(*m_normOut, h, NormAct::thenSilu())));
}

std::shared_ptr<NetworkBase> makePromptUNet(const NetworkConfig& config) {
    return std::make_shared<PromptUNet>(config);
}

} // namespace cm::detail
