#include "tokenizer.h"

#include "core/detail/denoiser.h"
#include "core/detail/runtime_init.h"
#include "core/detail/sampling.h"
#include "core/detail/seeded_construction.h"
#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "detail/lfq.h"
#include "detail/tokenizer_impl.h"

namespace cm {

namespace detail {

NetworkConditioning codeConditioning(const torch::Tensor& code, const torch::Tensor& keep) {
    NetworkConditioning conditioning;
    conditioning.tokenCodes = code;
    conditioning.tokenKeep = keep;
    return conditioning;
}

torch::Tensor flowVelocity(TokenizerDecoder& decoder, const TokenizerConfig& config, const torch::Tensor& x,
                           const torch::Tensor& t, const NetworkConditioning& conditioning) {
    const double sigmaData = config.flowSigmaData;
    const auto cSkip = mapPerSample(t, [&](double value) { return flowScalings(value, sigmaData).cSkip; });
    const auto cOut = mapPerSample(t, [&](double value) { return flowScalings(value, sigmaData).cOut; });
    return perSample(cSkip, x).to(x.scalar_type()) * x +
           perSample(cOut, x).to(x.scalar_type()) * decoder.forward(x, t, conditioning);
}

torch::Tensor decoderVelocity(TokenizerDecoder& decoder, const TokenizerConfig& config, const torch::Tensor& x,
                              double t, const torch::Tensor& code, bool keepCode) {
    const int64_t n = x.size(0);
    return flowVelocity(decoder, config, x, torch::full({n}, t, torch::kFloat32),
                        codeConditioning(code, keepCode ? torch::ones({n}) : torch::zeros({n})));
}

torch::Tensor decodeFlow(TokenizerDecoder& decoder, const TokenizerConfig& config, const torch::Tensor& noise, const torch::Tensor& code,
                         const std::vector<double>& times, const FlowGuidance& guidance,
                         const std::function<void()>& onEvaluation) {
    auto velocity = [&](const torch::Tensor& x, double t, bool conditional) {
        auto v = decoderVelocity(decoder, config, x, t, code, conditional);
        if (onEvaluation) onEvaluation();
        return v;
    };
    return integrateFlow<torch::Tensor>(noise, times, velocity, guidance).clamp(-1, 1);
}

torch::Tensor consistencyEstimate(TokenizerDecoder& network, const TokenizerConfig& config, const torch::Tensor& x,
                                  const torch::Tensor& t, const torch::Tensor& code) {
    const int64_t n = x.size(0);
    const auto velocity = flowVelocity(network, config, x, t, codeConditioning(code, torch::ones({n})));
    return x - perSample(t.to(x.scalar_type()), x) * velocity;
}

torch::Tensor oneStepDecode(TokenizerDecoder& oneStep, const TokenizerConfig& config, const torch::Tensor& noise,
                            const torch::Tensor& code) {
    return consistencyEstimate(oneStep, config, noise, torch::ones({noise.size(0)}), code).clamp(-1, 1);
}

std::vector<double> decodeTimes(const TokenizerCard& card, const DecodeParams& params) {
    return shiftedFlowTimes(params.steps > 0 ? params.steps : card.sampling.steps,
                            params.rho > 0 ? params.rho : card.sampling.rho);
}

FlowGuidance decodeGuidance(const TokenizerCard& card, const DecodeParams& params) {
    FlowGuidance guidance = card.sampling.guidance;
    if (params.guidance >= 0) guidance.weight = params.guidance;
    guidance.validate();
    return guidance;
}

torch::Tensor tokenizerInput(const TokenizerConfig& config, const std::vector<cv::Mat>& images) {
    std::vector<torch::Tensor> batch;
    for (const auto& image : images) {
        if (image.rows != config.imageSize || image.cols != config.imageSize || image.channels() != config.channels)
            throw Error(ErrorKind::Shape, "the image is " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                              " with " + std::to_string(image.channels()) +
                                              " channel(s); the tokenizer needs " + std::to_string(config.imageSize) +
                                              "x" + std::to_string(config.imageSize) + " with " +
                                              std::to_string(config.channels));
        batch.push_back(imageToTensor(image));
    }
    return torch::stack(batch);
}

} // namespace detail

namespace {

std::vector<cv::Mat> toImages(const torch::Tensor& batch) {
    std::vector<cv::Mat> images;
    for (int64_t j = 0; j < batch.size(0); ++j)
        images.push_back(detail::tensorToImage(batch[j]));
    return images;
}

} // namespace

Tokenizer Tokenizer::load(const std::string& path) {
    detail::ensureRuntimeInitialised();
    const SafetensorsFile file = readSafetensors(path);
    Tokenizer tokenizer;
    tokenizer.m_impl = std::make_shared<Impl>();
    tokenizer.m_impl->card = TokenizerCard::fromMetadata(file.metadata, path);
    const TokenizerCard& card = tokenizer.m_impl->card;
    detail::requireWeightsForCard(file, card.parameterCount(), "tokenizer", path);
    tokenizer.m_impl->networks = std::make_shared<detail::TokenizerNetworks>(card.config, card.hasOneStepDecoder());
    detail::loadStateDict(*tokenizer.m_impl->networks, file, "", path);
    tokenizer.m_impl->networks->eval();
    tokenizer.m_impl->path = path;
    return tokenizer;
}

Tokenizer Tokenizer::create(const TokenizerCard& card, uint64_t seed) {
    detail::ensureRuntimeInitialised();
    card.config.validate();
    Tokenizer tokenizer;
    tokenizer.m_impl = std::make_shared<Impl>();
    tokenizer.m_impl->card = card;
    tokenizer.m_impl->networks =
        detail::constructSeeded(seed, [&] {
            return std::make_shared<detail::TokenizerNetworks>(card.config, card.hasOneStepDecoder());
        });
    tokenizer.m_impl->networks->eval();
    return tokenizer;
}

void Tokenizer::save(const std::string& path) const {
    SafetensorsFile file;
    file.metadata = m_impl->card.toMetadata();
    detail::addStateDict(file, *m_impl->networks, "", DType::F32);
    writeSafetensors(path, file);
}

const TokenizerCard& Tokenizer::card() const {
    return m_impl->card;
}
TokenizerCard& Tokenizer::card() {
    return m_impl->card;
}
const std::string& Tokenizer::path() const {
    return m_impl->path;
}

int64_t Tokenizer::parameterCount() const {
    int64_t count = 0;
    for (const auto& p : m_impl->networks->parameters())
        count += p.numel();
    return count;
}

std::vector<std::vector<float>> Tokenizer::encodeLatents(const std::vector<cv::Mat>& images) const {
    if (images.empty()) return {};
    c10::InferenceMode inference;
    const auto latents = m_impl->networks->encoder->forward(detail::tokenizerInput(m_impl->card.config, images))
                             .reshape({int64_t(images.size()), -1})
                             .contiguous();
    std::vector<std::vector<float>> result;
    for (int64_t j = 0; j < latents.size(0); ++j)
        result.emplace_back(latents[j].data_ptr<float>(), latents[j].data_ptr<float>() + latents.size(1));
    return result;
}

std::vector<TokenCode> Tokenizer::encode(const std::vector<cv::Mat>& images) const {
    if (images.empty()) return {};
    c10::InferenceMode inference;
    const auto latents = m_impl->networks->encoder->forward(detail::tokenizerInput(m_impl->card.config, images));
    return detail::codesFromSigns(detail::lfqQuantize(latents));
}

std::vector<cv::Mat> Tokenizer::decode(const std::vector<TokenCode>& codes, const DecodeParams& params,
                                       const ProgressFn& progress, const CancelFlag* cancel) const {
    if (codes.empty()) return {};
    const auto& config = m_impl->card.config;
    const auto times = detail::decodeTimes(m_impl->card, params);
    const auto guidance = detail::decodeGuidance(m_impl->card, params);
    const auto signs = detail::signsFromCodes(codes, config.tokens, config.bitsPerToken);
    c10::InferenceMode inference;
    detail::PerImageNoise noise(params.seed, int(codes.size()), config.itemShape());
    if (m_impl->card.isDeterministic()) {
        detail::EvaluationTicker ticker{&progress, cancel, 0, 1};
        ticker.checkCancel();
        const auto zeros = torch::zeros_like(noise.next());
        const auto image = detail::oneStepDecode(*m_impl->networks->decoder, config, zeros, signs);
        ticker.tick();
        return toImages(image);
    }
    if ((params.steps == 1 || params.steps == 2) && m_impl->networks->oneStep) {
        if (!(params.twoStepTime > 0 && params.twoStepTime < 1))
            throw Error(ErrorKind::InvalidArgument, "the two-step decoder's middle time must be in (0, 1)");
        detail::EvaluationTicker ticker{&progress, cancel, 0, params.steps};
        ticker.checkCancel();
        auto image = detail::oneStepDecode(*m_impl->networks->oneStep, config, noise.next(), signs);
        ticker.tick();
        if (params.steps == 2) {
            ticker.checkCancel();
            const double t = params.twoStepTime;
            const auto renoised = t * noise.next() + (1 - t) * image;
            image = detail::consistencyEstimate(*m_impl->networks->oneStep, config, renoised,
                                                torch::full({renoised.size(0)}, t, torch::kFloat32), signs)
                        .clamp(-1, 1);
            ticker.tick();
        }
        return toImages(image);
    }
    detail::EvaluationTicker ticker{&progress, cancel, 0, flowEvaluations(times, guidance)};
    ticker.checkCancel();
    auto images = detail::decodeFlow(*m_impl->networks->decoder, config, noise.next(), signs, times, guidance, [&] {
        ticker.tick();
        ticker.checkCancel();
    });
    return toImages(images);
}

int Tokenizer::decodeEvaluations(const DecodeParams& params) const {
    if (m_impl->card.isDeterministic()) return 1;
    if ((params.steps == 1 || params.steps == 2) && m_impl->networks->oneStep) return params.steps;
    return flowEvaluations(detail::decodeTimes(m_impl->card, params), detail::decodeGuidance(m_impl->card, params));
}

std::vector<cv::Mat> Tokenizer::velocity(const std::vector<cv::Mat>& noisy, double t,
                                         const Conditioning& conditioning) const {
    const auto& config = m_impl->card.config;
    const auto& codes = conditioning.tokenCodes;
    if (codes.size() != noisy.size())
        throw Error(ErrorKind::InvalidArgument, "velocity needs one token code (or an empty one) per image");
    if (!(t >= 0 && t <= 1)) throw Error(ErrorKind::InvalidArgument, "the flow time t must be in [0, 1]");
    if (noisy.empty()) return {};
    c10::InferenceMode inference;
    const auto x = detail::tokenizerInput(config, noisy);
    std::vector<TokenCode> filled;
    std::vector<float> keep;
    for (const auto& code : codes) {
        keep.push_back(code.bits.empty() ? 0.0f : 1.0f);
        filled.push_back(code.bits.empty() ? TokenCode{std::vector<uint8_t>(config.codeBits(), 0)} : code);
    }
    const auto signs = detail::signsFromCodes(filled, config.tokens, config.bitsPerToken);
    const auto v = detail::flowVelocity(*m_impl->networks->decoder, config, x, torch::full({x.size(0)}, t, torch::kFloat32),
                                        detail::codeConditioning(signs, torch::tensor(keep, torch::kFloat32)));
    return toImages(v);
}

} // namespace cm
