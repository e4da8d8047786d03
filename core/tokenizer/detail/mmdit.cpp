#include "mmdit.h"

#include "core/detail/networks.h"

#include <cmath>

namespace cm::detail {

namespace nn = torch::nn;

namespace {

constexpr int kTimeEmbeddingDim = 256; // as in tokenizer_card.cpp's weight count

nn::LayerNorm plainNorm(int width) {
    return nn::LayerNorm(nn::LayerNormOptions({width}).elementwise_affine(false).eps(1e-6));
}

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& scale) {
    return x * torch::rsqrt(x.pow(2).mean(-1, true) + 1e-6) * scale;
}

torch::Tensor positions(nn::Module& module, const char* name, int64_t count, int width) {
    return module.register_parameter(name, torch::randn({count, width}) * 0.02);
}

torch::Tensor tanhGelu(const torch::Tensor& x) {
    return torch::gelu(x, "tanh");
}

} // namespace

torch::Tensor patchify(const torch::Tensor& images, int p) {
    const auto n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
    return images.reshape({n, c, h / p, p, w / p, p}).permute({0, 2, 4, 1, 3, 5}).reshape({n, (h / p) * (w / p), c * p * p});
}

torch::Tensor unpatchify(const torch::Tensor& patches, int p, int channels, int imageSize) {
    const auto n = patches.size(0);
    const int side = imageSize / p;
    return patches.reshape({n, side, side, channels, p, p}).permute({0, 3, 1, 4, 2, 5}).reshape({n, channels, imageSize, imageSize});
}

MmditStream::MmditStream(int width_, int heads_, int conditionWidth) : width(width_), heads(heads_) {
    if (conditionWidth > 0) {
        adaLN = register_module("adaln", nn::Linear(conditionWidth, 6 * width));
        // AdaLN-Zero: the gate rows (2 and 5 of the six chunks) start at zero, so the block starts as the identity.
        torch::NoGradGuard noGrad;
        for (int chunk : {2, 5}) {
            adaLN->weight.narrow(0, chunk * width, width).zero_();
            adaLN->bias.narrow(0, chunk * width, width).zero_();
        }
    }
    norm1 = register_module("norm1", plainNorm(width));
    norm2 = register_module("norm2", plainNorm(width));
    qkv = register_module("qkv", nn::Linear(width, 3 * width));
    qScale = register_parameter("q_norm", torch::ones({width / heads}));
    kScale = register_parameter("k_norm", torch::ones({width / heads}));
    proj = register_module("proj", nn::Linear(width, width));
    mlpIn = register_module("mlp_in", nn::Linear(width, 4 * width));
    mlpOut = register_module("mlp_out", nn::Linear(4 * width, width));
}

std::array<torch::Tensor, 6> MmditStream::modulation(const torch::Tensor& condition, int64_t batch) {
    if (!adaLN) {
        auto zero = torch::zeros({batch, 1, width});
        auto one = torch::ones({batch, 1, width});
        return {zero, zero, one, zero, zero, one};
    }
    auto chunks = adaLN->forward(torch::silu(condition)).unsqueeze(1).chunk(6, -1);
    return {chunks[0], chunks[1], chunks[2], chunks[3], chunks[4], chunks[5]};
}

MmditBlock::MmditBlock(int width, int heads, int conditionWidth) {
    latentStream = register_module("latent", std::make_shared<MmditStream>(width, heads, conditionWidth));
    imageStream = register_module("image", std::make_shared<MmditStream>(width, heads, conditionWidth));
}

std::pair<torch::Tensor, torch::Tensor> MmditBlock::forward(const torch::Tensor& latent, const torch::Tensor& image,
                                                            const torch::Tensor& condition) {
    const int64_t n = latent.size(0), tokens = latent.size(1);
    const int heads = latentStream->heads, width = latentStream->width, headDim = width / heads;
    MmditStream* streams[2] = {latentStream.get(), imageStream.get()};
    const torch::Tensor inputs[2] = {latent, image};
    std::array<torch::Tensor, 6> mod[2];
    torch::Tensor q[2], k[2], v[2];
    for (int s = 0; s < 2; ++s) {
        mod[s] = streams[s]->modulation(condition, n);
        auto h = streams[s]->norm1->forward(inputs[s]) * (1 + mod[s][1]) + mod[s][0];
        auto qkv = streams[s]->qkv->forward(h).reshape({n, inputs[s].size(1), 3, heads, headDim}).permute({2, 0, 3, 1, 4});
        q[s] = rmsNorm(qkv[0], streams[s]->qScale);
        k[s] = rmsNorm(qkv[1], streams[s]->kScale);
        v[s] = qkv[2];
    }
    // One attention over [latent; image]: every token sees both streams.
    auto query = torch::cat({q[0], q[1]}, 2), key = torch::cat({k[0], k[1]}, 2), value = torch::cat({v[0], v[1]}, 2);
    auto weights = torch::softmax(torch::matmul(query, key.transpose(-1, -2)) / std::sqrt(double(headDim)), -1);
    auto attended = torch::matmul(weights, value).permute({0, 2, 1, 3}).reshape({n, -1, width});
    const torch::Tensor parts[2] = {attended.narrow(1, 0, tokens), attended.narrow(1, tokens, attended.size(1) - tokens)};
    torch::Tensor outputs[2];
    for (int s = 0; s < 2; ++s) {
        auto x = inputs[s] + mod[s][2] * streams[s]->proj->forward(parts[s]);
        auto h = streams[s]->norm2->forward(x) * (1 + mod[s][4]) + mod[s][3];
        outputs[s] = x + mod[s][5] * streams[s]->mlpOut->forward(tanhGelu(streams[s]->mlpIn->forward(h)));
    }
    return {outputs[0], outputs[1]};
}

TokenizerEncoder::TokenizerEncoder(const TokenizerConfig& config) : m_config(config) {
    const int w = config.encoderWidth;
    patchIn = register_module("patch_in", nn::Linear(config.channels * config.patchSize * config.patchSize, w));
    imagePosition = positions(*this, "image_position", config.patchCount(), w);
    // The latent stream starts from learned token embeddings (FlowMo: zeros through a Linear, plus rotary
    // positions; here one learned vector per token says which token it is).
    latentPosition = positions(*this, "latent_position", config.tokens, w);
    for (int i = 0; i < config.encoderDepth; ++i)
        m_blocks.push_back(register_module("block" + std::to_string(i), std::make_shared<MmditBlock>(w, config.heads, 0)));
    outNorm = register_module("out_norm", plainNorm(w));
    latentOut = register_module("latent_out", nn::Linear(w, config.bitsPerToken));
}

torch::Tensor TokenizerEncoder::forward(const torch::Tensor& images) {
    auto image = patchIn->forward(patchify(images, m_config.patchSize)) + imagePosition;
    auto latent = latentPosition.unsqueeze(0).expand({images.size(0), -1, -1});
    for (auto& block : m_blocks)
        std::tie(latent, image) = block->forward(latent, image, torch::Tensor());
    return latentOut->forward(outNorm->forward(latent));
}

TokenizerDecoder::TokenizerDecoder(const TokenizerConfig& config) : m_config(config) {
    const int w = config.decoderWidth;
    codeIn = register_module("code_in", nn::Linear(config.bitsPerToken + 1, w));
    latentPosition = positions(*this, "latent_position", config.tokens, w);
    patchIn = register_module("patch_in", nn::Linear(config.channels * config.patchSize * config.patchSize, w));
    imagePosition = positions(*this, "image_position", config.patchCount(), w);
    time1 = register_module("time1", nn::Linear(kTimeEmbeddingDim, w));
    time2 = register_module("time2", nn::Linear(w, w));
    for (int i = 0; i < config.decoderDepth; ++i)
        m_blocks.push_back(register_module("block" + std::to_string(i), std::make_shared<MmditBlock>(w, config.heads, w)));
    finalNorm = register_module("final_norm", plainNorm(w));
    finalAdaLN = register_module("final_adaln", nn::Linear(w, 2 * w));
    {
        torch::NoGradGuard noGrad;
        finalAdaLN->weight.zero_();
        finalAdaLN->bias.zero_();
    }
    patchOut = register_module("patch_out", nn::Linear(w, config.channels * config.patchSize * config.patchSize));
}

torch::Tensor TokenizerDecoder::forward(const torch::Tensor& noisy, const torch::Tensor& t,
                                        const NetworkConditioning& conditioning) {
    const torch::Tensor& code = conditioning.tokenCodes;
    const torch::Tensor& keep = conditioning.tokenKeep;
    const int64_t n = noisy.size(0);
    auto condition =
        time2->forward(torch::silu(time1->forward(positionalEmbedding(t.to(torch::kFloat32) * m_config.timeScale, kTimeEmbeddingDim))));
    // The code with a constant-1 channel, all zeroed where it is dropped: a dropped code differs from any real one.
    auto mask = keep.to(torch::kFloat32).reshape({n, 1, 1});
    auto withFlag = torch::cat({code, torch::ones({n, code.size(1), 1})}, -1) * mask;
    auto latent = codeIn->forward(withFlag) + latentPosition;
    auto image = patchIn->forward(patchify(noisy, m_config.patchSize)) + imagePosition;
    for (auto& block : m_blocks)
        std::tie(latent, image) = block->forward(latent, image, condition);
    auto shiftScale = finalAdaLN->forward(torch::silu(condition)).unsqueeze(1).chunk(2, -1);
    auto h = finalNorm->forward(image) * (1 + shiftScale[1]) + shiftScale[0];
    return unpatchify(patchOut->forward(h), m_config.patchSize, m_config.channels, m_config.imageSize);
}

TokenizerNetworks::TokenizerNetworks(const TokenizerConfig& config, bool withOneStep) {
    config.validate();
    encoder = register_module("encoder", std::make_shared<TokenizerEncoder>(config));
    decoder = register_module("decoder", std::make_shared<TokenizerDecoder>(config));
    if (withOneStep) oneStep = register_module("one_step", std::make_shared<TokenizerDecoder>(config));
}

} // namespace cm::detail
