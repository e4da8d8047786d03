// The "ADM" UNet of OpenAI's consistency_models (cm/unet.py, from guided-diffusion), with the module
// names of its state_dict, so the published checkpoints load tensor for tensor.
#include "adm_unet.h"

#include "compute_precision.h"

#include <cmath>

namespace cm::detail {

namespace nn = torch::nn;

namespace {

nn::GroupNorm groupNorm32(int channels) {
    return nn::GroupNorm(nn::GroupNormOptions(32, channels).eps(1e-5));
}

nn::Conv2d conv(int in, int out, int kernel, int stride = 1) {
    return nn::Conv2d(nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2));
}

enum class Resample { None, Up, Down };

torch::Tensor resample(const torch::Tensor& x, Resample how) {
    namespace F = torch::nn::functional;
    if (how == Resample::Up)
        return F::interpolate(
            x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest));
    if (how == Resample::Down) return F::avg_pool2d(x, F::AvgPool2dFuncOptions(2).stride(2));
    return x;
}

// One element of a TimestepEmbedSequential: maps (h, emb) -> h.
class AdmLayer : public nn::Module {
  public:
    virtual torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& emb) = 0;
};

class ResBlock : public AdmLayer {
  public:
    ResBlock(int in, int out, int embDim, double dropoutRate, bool scaleShift, Resample how)
        : m_scaleShift(scaleShift), m_resample(how) {
        in_layers = register_module("in_layers", nn::Sequential(groupNorm32(in), nn::SiLU(), conv(in, out, 3)));
        emb_layers = register_module("emb_layers",
                                     nn::Sequential(nn::SiLU(), nn::Linear(embDim, scaleShift ? 2 * out : out)));
        out_layers = register_module("out_layers", nn::Sequential(groupNorm32(out), nn::SiLU(),
                                                                  nn::Dropout(dropoutRate), conv(out, out, 3)));
        if (in != out) skip_connection = register_module("skip_connection", conv(in, out, 1));
        m_inNorm = in_layers[0]->as<nn::GroupNorm>();
        m_embLinear = emb_layers[1]->as<nn::Linear>();
        m_inConv = in_layers[2]->as<nn::Conv2d>();
        m_outNorm = out_layers[0]->as<nn::GroupNorm>();
        m_dropout = out_layers[2]->as<nn::Dropout>();
        m_outConv = out_layers[3]->as<nn::Conv2d>();
    }

    torch::Tensor forward(const torch::Tensor& xIn, const torch::Tensor& emb) override {
        // GroupNorm in float32 whatever the compute type, as the original's GroupNorm32.
        NormAct act = NormAct::thenSilu();
        auto h = groupNormFloat32(*m_inNorm, xIn, act);
        h = conv2d(*m_inConv, resample(h, m_resample));
        const auto x = resample(xIn, m_resample);
        const auto embOut = linearFloat32(*m_embLinear, torch::silu(emb));
        if (m_scaleShift) {
            const auto scaleShift = embOut.chunk(2, 1);
            act.scale = scaleShift[0];
            act.shift = scaleShift[1];
        } else {
            act.preShift = embOut;
        }
        h = conv2d(*m_outConv, m_dropout->forward(groupNormFloat32(*m_outNorm, h, act)));
        return (skip_connection ? conv2d(*skip_connection, x) : x) + h;
    }

  private:
    bool m_scaleShift;
    Resample m_resample;
    nn::Sequential in_layers{nullptr}, emb_layers{nullptr}, out_layers{nullptr};
    nn::Conv2d skip_connection{nullptr};
    nn::GroupNormImpl* m_inNorm = nullptr;
    nn::GroupNormImpl* m_outNorm = nullptr;
    nn::LinearImpl* m_embLinear = nullptr;
    nn::Conv2dImpl* m_inConv = nullptr;
    nn::Conv2dImpl* m_outConv = nullptr;
    nn::DropoutImpl* m_dropout = nullptr;
};

// Self-attention whose qkv channels are laid out (three, heads, dim), as the published weights are.
class AttentionBlock : public AdmLayer {
  public:
    AttentionBlock(int channels, int headChannels) : m_heads(channels / headChannels) {
        norm = register_module("norm", groupNorm32(channels));
        qkv = register_module("qkv", conv(channels, 3 * channels, 1));
        proj_out = register_module("proj_out", conv(channels, channels, 1));
    }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override {
        const auto b = x.size(0), c = x.size(1), height = x.size(2), width = x.size(3);
        const int64_t length = height * width, headDim = c / m_heads;
        const auto packed = conv2d(*qkv, groupNormFloat32(*norm, x)).reshape({b, 3, m_heads, headDim, length});
        const auto q = packed.select(1, 0).reshape({b * m_heads, headDim, length});
        const auto k = packed.select(1, 1).reshape({b * m_heads, headDim, length});
        const auto v = packed.select(1, 2).reshape({b * m_heads, headDim, length});
        const double scale = 1.0 / std::sqrt(double(headDim));
        const auto weights = softmaxFloat32(torch::bmm(q.transpose(1, 2), k) * scale); // [bh, t, s]
        const auto attended = torch::bmm(v, weights.transpose(1, 2));                    // [bh, d, t]
        return x + conv2d(*proj_out, attended.reshape({b, c, height, width}));
    }

  private:
    int64_t m_heads;
    nn::GroupNorm norm{nullptr};
    nn::Conv2d qkv{nullptr}, proj_out{nullptr};
};

// Learned resampling without ResBlocks (resblock_updown = false): "op" and "conv" as in the original.
class Downsample : public AdmLayer {
  public:
    explicit Downsample(int channels) { op = register_module("op", conv(channels, channels, 3, 2)); }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override { return conv2d(*op, x); }

  private:
    nn::Conv2d op{nullptr};
};

class Upsample : public AdmLayer {
  public:
    explicit Upsample(int channels) { conv_ = register_module("conv", conv(channels, channels, 3)); }
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override {
        return conv2d(*conv_, resample(x, Resample::Up));
    }

  private:
    nn::Conv2d conv_{nullptr};
};

// The first input block is a bare convolution (registered by its EmbedSequential, not here).
class InputConv : public AdmLayer {
  public:
    explicit InputConv(nn::Conv2d convolution) : m_conv(std::move(convolution)) {}
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor&) override { return conv2d(*m_conv, x); }

  private:
    nn::Conv2d m_conv;
};

// A TimestepEmbedSequential: its children are named 0, 1, 2 like the original's nn.Sequential.
class EmbedSequential : public nn::Module {
  public:
    void add(std::shared_ptr<AdmLayer> layer) {
        register_module(std::to_string(m_layers.size()), layer);
        m_layers.push_back(std::move(layer));
    }
    void addConv(nn::Conv2d convolution) {
        register_module(std::to_string(m_layers.size()), convolution);
        m_layers.push_back(std::make_shared<InputConv>(convolution));
    }
    torch::Tensor forward(torch::Tensor h, const torch::Tensor& emb) {
        for (auto& layer : m_layers)
            h = layer->forward(h, emb);
        return h;
    }

  private:
    std::vector<std::shared_ptr<AdmLayer>> m_layers;
};

class AdmUNet : public NetworkBase {
  public:
    explicit AdmUNet(const NetworkConfig& cfg) : m_modelChannels(cfg.baseWidth) {
        const int c = cfg.baseWidth, embDim = 4 * c;
        const auto block = [&](int in, int out, Resample how = Resample::None) {
            return std::make_shared<ResBlock>(in, out, embDim, cfg.dropout, cfg.scaleShiftNorm, how);
        };
        const auto attention = [&](int channels) { return std::make_shared<AttentionBlock>(channels, cfg.headChannels); };
        const auto attentionAt = [&](int ds) {
            for (int px : cfg.attentionResolutions)
                if (px * ds == cfg.imageSize) return true;
            return false;
        };
        time_embed = register_module("time_embed",
                                     nn::Sequential(nn::Linear(c, embDim), nn::SiLU(), nn::Linear(embDim, embDim)));
        if (cfg.numClasses > 0) label_emb = register_module("label_emb", nn::Embedding(cfg.numClasses, embDim));

        input_blocks = register_module("input_blocks", nn::ModuleList());
        output_blocks = register_module("output_blocks", nn::ModuleList());
        int ch = cfg.channelMult[0] * c;
        const int inputCh = ch;
        auto first = std::make_shared<EmbedSequential>();
        first->addConv(conv(cfg.channels, ch, 3));
        addInput(first);
        std::vector<int> skipChannels{ch};
        int ds = 1;
        const int levels = int(cfg.channelMult.size());
        for (int level = 0; level < levels; ++level) {
            for (int r = 0; r < cfg.resBlocks; ++r) {
                auto seq = std::make_shared<EmbedSequential>();
                const int out = cfg.channelMult[level] * c;
                seq->add(block(ch, out));
                ch = out;
                if (attentionAt(ds)) seq->add(attention(ch));
                addInput(seq);
                skipChannels.push_back(ch);
            }
            if (level + 1 < levels) {
                auto seq = std::make_shared<EmbedSequential>();
                if (cfg.resblockUpdown)
                    seq->add(block(ch, ch, Resample::Down));
                else
                    seq->add(std::make_shared<Downsample>(ch));
                addInput(seq);
                skipChannels.push_back(ch);
                ds *= 2;
            }
        }
        middle_block = register_module("middle_block", std::make_shared<EmbedSequential>());
        middle_block->add(block(ch, ch));
        middle_block->add(attention(ch));
        middle_block->add(block(ch, ch));

        for (int level = levels - 1; level >= 0; --level) {
            for (int i = 0; i <= cfg.resBlocks; ++i) {
                auto seq = std::make_shared<EmbedSequential>();
                const int skip = skipChannels.back();
                skipChannels.pop_back();
                const int out = cfg.channelMult[level] * c;
                seq->add(block(ch + skip, out));
                ch = out;
                if (attentionAt(ds)) seq->add(attention(ch));
                if (level > 0 && i == cfg.resBlocks) {
                    if (cfg.resblockUpdown)
                        seq->add(block(ch, ch, Resample::Up));
                    else
                        seq->add(std::make_shared<Upsample>(ch));
                    ds /= 2;
                }
                m_outputs.push_back(seq);
                output_blocks->push_back(seq);
            }
        }
        out = register_module("out", nn::Sequential(groupNorm32(ch), nn::SiLU(), conv(inputCh, cfg.channels, 3)));
        m_outNorm = out[0]->as<nn::GroupNorm>();
        m_outConv = out[2]->as<nn::Conv2d>();
    }

    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timeInput,
                          const NetworkConditioning& conditioning) override {
        auto emb = time_embed->forward(timestepEmbedding(timeInput, m_modelChannels));
        if (label_emb) {
            if (!conditioning.labels.defined())
                throw std::invalid_argument("the ADM UNet is class-conditional and needs a label per image");
            emb = emb + embedClasses(label_emb, conditioning);
        }
        std::vector<torch::Tensor> skips;
        auto h = toCompute(x, computeDtype());
        for (std::size_t i = 0; i < m_inputs.size(); ++i) {
            h = m_inputs[i]->forward(h, emb);
            skips.push_back(h);
            reportBlockDone();
        }
        h = middle_block->forward(h, emb);
        reportBlockDone();
        for (auto& block : m_outputs) {
            h = block->forward(torch::cat({h, skips.back()}, 1), emb);
            skips.pop_back();
            reportBlockDone();
        }
        return toFloat32Output(conv2d(*m_outConv, groupNormFloat32(*m_outNorm, h, NormAct::thenSilu())));
    }

    int blockCount() const override { return int(m_inputs.size() + 1 + m_outputs.size()); }

  private:
    void addInput(const std::shared_ptr<EmbedSequential>& seq) {
        input_blocks->push_back(seq);
        m_inputs.push_back(seq);
    }

    int m_modelChannels;
    nn::Sequential time_embed{nullptr}, out{nullptr};
    nn::Embedding label_emb{nullptr};
    nn::ModuleList input_blocks{nullptr}, output_blocks{nullptr};
    std::shared_ptr<EmbedSequential> middle_block;
    std::vector<std::shared_ptr<EmbedSequential>> m_inputs, m_outputs;
    nn::GroupNormImpl* m_outNorm = nullptr;
    nn::Conv2dImpl* m_outConv = nullptr;
};

} // namespace

torch::Tensor timestepEmbedding(const torch::Tensor& timeInput, int dim) {
    const int half = dim / 2;
    // The same operations in the same order as the original, so float32 rounding agrees.
    const auto freqs = torch::exp(torch::arange(0, half, torch::kFloat32) * float(-std::log(10000.0)) / float(half));
    const auto args = timeInput.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
    auto embedding = torch::cat({torch::cos(args), torch::sin(args)}, -1);
    if (dim % 2) embedding = torch::cat({embedding, torch::zeros_like(embedding.narrow(1, 0, 1))}, -1);
    return embedding;
}

std::shared_ptr<NetworkBase> makeAdmUNet(const NetworkConfig& config) {
    return std::make_shared<AdmUNet>(config);
}

} // namespace cm::detail
