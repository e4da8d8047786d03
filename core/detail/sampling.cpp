#include "sampling.h"

#include "core/error.h"
#include "denoiser.h"

#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <random>

namespace cm::detail {

PerImageNoise::PerImageNoise(uint64_t firstSeed, int count, std::vector<int64_t> itemShape)
    : m_itemShape(std::move(itemShape)) {
    m_generators.reserve(count);
    for (int j = 0; j < count; ++j)
        m_generators.push_back(at::detail::createCPUGenerator(firstSeed + uint64_t(j)));
}

torch::Tensor PerImageNoise::next() {
    std::vector<torch::Tensor> parts;
    parts.reserve(m_generators.size());
    for (auto& generator : m_generators)
        parts.push_back(at::randn(m_itemShape, generator, torch::kFloat32));
    return torch::stack(parts);
}

void EvaluationTicker::checkCancel() const {
    if (cancel && cancel->load()) throw Error(ErrorKind::Cancelled, "cancelled by the user");
}

void EvaluationTicker::tick() {
    ++done;
    blocksDone = 0;
    report();
}

void EvaluationTicker::block() {
    checkCancel();
    if (blocksPerEvaluation <= 0) return;
    blocksDone = std::min(blocksDone + 1, blocksPerEvaluation);
    report();
}

void EvaluationTicker::report() const {
    if (!progress || !*progress) return;
    // The blocks, then the output layers, which tick() reports as the evaluation's last unit.
    const long units = blocksPerEvaluation > 0 ? blocksPerEvaluation + 1 : 1;
    (*progress)(done * units + blocksDone, total * units);
}

TickerBlocks::TickerBlocks(EvaluationTicker& ticker, const Model::Impl& model)
    : observer([&ticker] { ticker.block(); }) {
    ticker.blocksPerEvaluation = model.network->blockCount();
}

torch::Tensor sigmaVector(double sigma, int64_t count) {
    return torch::full({count}, sigma, torch::TensorOptions().dtype(torch::kFloat64));
}

torch::Tensor consistencyChain(const Model::Impl& model, const torch::Tensor& unitNoise,
                               const std::vector<double>& sigmas, const NetworkConditioning& conditioning,
                               PerImageNoise& noise, EvaluationTicker& ticker, const StepObserver& observe,
                               const torch::Tensor& start, const Projector& project) {
    c10::InferenceMode inference; // sampling never needs autograd
    TickerBlocks inside(ticker, model);
    const double sigmaMin = model.card.noise.sigmaMin;
    torch::Tensor x;
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
        ticker.checkCancel();
        torch::Tensor noisy;
        if (i == 0) {
            noisy = start.defined() ? start + unitNoise * sigmas[0] : unitNoise * sigmas[0];
        } else {
            const double scale = std::sqrt(std::max(0.0, sigmas[i] * sigmas[i] - sigmaMin * sigmaMin));
            noisy = x + scale * noise.next();
        }
        x = sampleEstimate(model, noisy, sigmas[i], conditioning);
        if (project) x = project(x);
        ticker.tick();
        if (observe) observe(int(i), x.clamp(-1, 1));
    }
    return project ? x : x.clamp(-1, 1);
}

torch::Tensor edmIntegrate(const Model::Impl& model, const torch::Tensor& unitNoise,
                           const std::vector<double>& sigmas, bool heun, const NetworkConditioning& conditioning,
                           EvaluationTicker& ticker, const StepObserver& observe) {
    c10::InferenceMode inference; // sampling never needs autograd
    TickerBlocks inside(ticker, model);
    auto x = unitNoise * sigmas[0];
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
        const double from = sigmas[i];
        const double to = i + 1 < sigmas.size() ? sigmas[i + 1] : 0.0;
        ticker.checkCancel();
        const auto denoised = sampleEstimate(model, x, from, conditioning);
        ticker.tick();
        const auto slope = (x - denoised) / from;
        auto next = x + (to - from) * slope;
        if (heun && to > 0) {
            ticker.checkCancel();
            const auto denoisedNext = sampleEstimate(model, next, to, conditioning);
            ticker.tick();
            next = x + (to - from) * 0.5 * (slope + (next - denoisedNext) / to);
        }
        x = next;
        if (observe) observe(int(i), denoised.clamp(-1, 1));
    }
    return x.clamp(-1, 1);
}

torch::Tensor labelTensor(const ModelCard& card, const std::vector<int>& labels, int count,
                          std::optional<uint64_t> firstSeed) {
    const int classes = card.network.numClasses;
    if (classes == 0) {
        for (int label : labels)
            if (label >= 0)
                throw Error(ErrorKind::InvalidArgument,
                            "this model is unconditional: it takes no class (asked for class " +
                                std::to_string(label) + ")");
        return {};
    }
    const bool nullRow = card.network.hasNullClass();
    auto noClass = [&](int j) -> int64_t {
        if (nullRow) return classes;
        if (!firstSeed)
            throw Error(ErrorKind::InvalidArgument, "this model has no unconditional mode (its " +
                                                        std::to_string(classes) +
                                                        "-class embedding has no null row): give a class");
        std::mt19937_64 rng(*firstSeed + uint64_t(j));
        return int64_t(std::uniform_int_distribution<int>(0, classes - 1)(rng));
    };
    auto tensor = torch::empty({count}, torch::kInt64);
    if (labels.size() > 1 && int(labels.size()) != count)
        throw Error(ErrorKind::InvalidArgument, "expected 1 or " + std::to_string(count) +
                                                    " class labels, got " + std::to_string(labels.size()));
    for (int j = 0; j < count; ++j) {
        const int label = labels.empty() ? -1 : labels.size() == 1 ? labels[0] : labels[j];
        if (label >= classes)
            throw Error(ErrorKind::InvalidArgument, "class " + std::to_string(label) +
                                                        " is out of range: this model has " +
                                                        std::to_string(classes) + " classes (0.." +
                                                        std::to_string(classes - 1) + ", or -1 for none)");
        tensor[j] = label < 0 ? noClass(j) : int64_t(label);
    }
    return tensor;
}

namespace {

// A prompt model's tokens and a style model's references (core/style), checked against the network.
void promptTensors(const NetworkConfig& network, const Conditioning& conditioning, int count,
                   NetworkConditioning& tensors) {
    if (!network.takesPrompt() && !conditioning.promptTokens.empty())
        throw Error(ErrorKind::InvalidArgument, "this model takes no prompt (it is not a prompt model)");
    if (!network.needsReference() && !conditioning.referenceImages.empty())
        throw Error(ErrorKind::InvalidArgument,
                    "this model takes no reference image (it is not a style model; see cmstudio-cli stylize)");
    if (network.needsReference() && conditioning.referenceImages.empty())
        throw Error(ErrorKind::InvalidArgument,
                    "this is a style model: it needs a reference image (cmstudio-cli stylize --reference), not a "
                    "plain generator's conditioning");
    if (!conditioning.promptTokens.empty()) {
        auto ids = torch::full({count, network.promptLength}, int64_t(network.promptVocabulary), torch::kInt64);
        for (int j = 0; j < count; ++j) {
            const auto& prompt = conditioning.promptTokens.size() == 1 ? conditioning.promptTokens[0]
                                                                        : conditioning.promptTokens[std::size_t(j)];
            if (int(prompt.size()) > network.promptLength)
                throw Error(ErrorKind::InvalidArgument, "a prompt of " + std::to_string(prompt.size()) +
                                                            " words is too long: this model reads " +
                                                            std::to_string(network.promptLength));
            for (std::size_t t = 0; t < prompt.size(); ++t) {
                if (prompt[t] < 0 || prompt[t] >= network.promptVocabulary)
                    throw Error(ErrorKind::InvalidArgument, "prompt word " + std::to_string(prompt[t]) +
                                                                " is outside this model's vocabulary of " +
                                                                std::to_string(network.promptVocabulary));
                ids[j][int64_t(t)] = int64_t(prompt[t]);
            }
        }
        tensors.promptTokens = ids;
    }
    if (conditioning.referenceImages.empty()) return;
    std::vector<torch::Tensor> references;
    for (int j = 0; j < count; ++j) {
        const cv::Mat& image = conditioning.referenceImages.size() == 1 ? conditioning.referenceImages[0]
                                                                         : conditioning.referenceImages[std::size_t(j)];
        if (image.rows != network.imageSize || image.cols != network.imageSize || image.channels() != network.channels ||
            (image.depth() != CV_8U && image.depth() != CV_32F))
            throw Error(ErrorKind::Shape, "the reference image is " + std::to_string(image.cols) + "x" +
                                              std::to_string(image.rows) + " with " + std::to_string(image.channels()) +
                                              " channels; this style model needs " + std::to_string(network.imageSize) +
                                              "x" + std::to_string(network.imageSize) + " RGB (8-bit, or float in [-1, 1])");
        cv::Mat floats;
        if (image.depth() == CV_8U) image.convertTo(floats, CV_32F, 1.0 / 127.5, -1.0);
        else floats = image;
        references.push_back(imageToTensor(floats));
    }
    tensors.references = torch::stack(references);
    using Use = Conditioning::ReferenceUse;
    tensors.styleKeep = torch::full({count}, conditioning.referenceUse == Use::ContentOnly ? 0.0f : 1.0f);
    tensors.contentKeep = torch::full({count}, conditioning.referenceUse == Use::StyleOnly ? 0.0f : 1.0f);
}

} // namespace

NetworkConditioning conditioningTensors(const ModelCard& card, const Conditioning& conditioning, int count,
                                        std::optional<uint64_t> firstSeed) {
    validateConditioning(conditioning, count);
    NetworkConditioning tensors(labelTensor(card, conditioning.classLabels, count, firstSeed));
    if (conditioning.hasBlend() && tensors.labels.defined()) {
        tensors.blendLabels = labelTensor(card, conditioning.blendClasses, count, firstSeed);
        auto weights = torch::empty({count}, torch::kFloat32);
        for (int j = 0; j < count; ++j)
            weights[j] = float(conditioning.blendWeights.size() == 1 ? conditioning.blendWeights[0]
                                                                      : conditioning.blendWeights[j]);
        tensors.blendWeights = weights;
    }
    promptTensors(card.network, conditioning, count, tensors);
    return tensors;
}

torch::Tensor sampleEstimate(const Model::Impl& model, const torch::Tensor& x, double sigma,
                             const NetworkConditioning& conditioning) {
    auto estimate = evaluate(model, x, sigmaVector(sigma, x.size(0)), conditioning);
    return model.card.clampEachStep ? estimate.clamp(-1, 1) : estimate;
}

cv::Mat tensorToImage(const torch::Tensor& chw) {
    auto hwc = chw.detach().to(torch::kFloat32).permute({1, 2, 0}).contiguous();
    const int h = int(hwc.size(0)), w = int(hwc.size(1)), c = int(hwc.size(2));
    cv::Mat image(h, w, CV_32FC(c));
    std::memcpy(image.data, hwc.data_ptr<float>(), sizeof(float) * h * w * c);
    return image;
}

torch::Tensor imageToTensor(const cv::Mat& image) {
    cv::Mat floats;
    image.convertTo(floats, CV_32F);
    if (!floats.isContinuous()) floats = floats.clone();
    auto hwc = torch::from_blob(floats.data, {floats.rows, floats.cols, floats.channels()}, torch::kFloat32);
    return hwc.permute({2, 0, 1}).contiguous().clone();
}

} // namespace cm::detail
