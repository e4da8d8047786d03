#include "editing.h"

#include "detail/denoiser.h"
#include "detail/edit_operators.h"
#include "detail/enum_names.h"
#include "detail/sampling.h"
#include "error.h"
#include "sampler.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace cm {

const char* editTaskName(EditTask task) {
    switch (task) {
    case EditTask::Inpaint:
        return "inpaint";
    case EditTask::Colorize:
        return "colorize";
    case EditTask::SuperResolution:
        return "superres";
    case EditTask::Stroke:
        return "stroke";
    }
    return "inpaint";
}

EditTask editTaskFromName(const std::string& name) {
    return detail::enumFromName(
        name, std::array{EditTask::Inpaint, EditTask::Colorize, EditTask::SuperResolution, EditTask::Stroke},
        editTaskName, "edit task");
}

namespace {

constexpr int kRangeRounds = 50;

std::string sizeText(int width, int height, int channels) {
    return std::to_string(width) + "x" + std::to_string(height) + " with " + std::to_string(channels) +
           " channel(s)";
}

void requireConsistency(const Model& model, const char* what) {
    if (model.card().kind != ModelKind::Consistency)
        throw Error(ErrorKind::InvalidArgument,
                    std::string(what) + " needs a consistency model; this is an EDM denoiser");
    if (!model.card().network.producesImages())
        throw Error(ErrorKind::InvalidArgument, std::string(what) + " works on images; this model makes points");
}

void requireImage(const cv::Mat& image, int size, int channels, const std::string& what) {
    if (image.empty()) throw Error(ErrorKind::InvalidArgument, what + " is empty");
    if (image.channels() != channels)
        throw Error(ErrorKind::InvalidArgument, what + " has " + std::to_string(image.channels()) +
                                                    " channel(s); it needs " + std::to_string(channels));
    if (image.rows != size || image.cols != size)
        throw Error(ErrorKind::Shape, what + " is " + sizeText(image.cols, image.rows, image.channels()) +
                                          "; it needs " + sizeText(size, size, channels));
}

// The reference y in the model's layout: grey replicated to RGB for colorization, each low-resolution
// pixel replicated into its patch for super-resolution.
torch::Tensor referenceTensor(const EditParams& params, int size, int channels, int j) {
    const cv::Mat& image = params.images[j];
    const std::string what = "image " + std::to_string(j + 1);
    switch (params.task) {
    case EditTask::Colorize: {
        if (channels != 3)
            throw Error(ErrorKind::InvalidArgument,
                        "colorization needs an RGB model; this one is greyscale");
        if (image.channels() == 3)
            throw Error(ErrorKind::InvalidArgument,
                        what + " is already in colour; colorization takes a grey (1-channel) image");
        requireImage(image, size, 1, what);
        return detail::imageToTensor(image).expand({3, size, size}).contiguous();
    }
    case EditTask::SuperResolution: {
        const int low = size / params.factor;
        requireImage(image, low, channels, what + " (the low-resolution input)");
        cv::Mat up;
        cv::resize(image, up, cv::Size(size, size), 0, 0, cv::INTER_NEAREST);
        return detail::imageToTensor(up);
    }
    case EditTask::Inpaint:
    case EditTask::Stroke:
        requireImage(image, size, channels, what);
        return detail::imageToTensor(image);
    }
    return {};
}

torch::Tensor userMask(const EditParams& params, int size, int j) {
    const cv::Mat& mask = params.masks.size() == 1 ? params.masks[0] : params.masks[j];
    if (mask.rows != size || mask.cols != size)
        throw Error(ErrorKind::InvalidArgument, "the mask is " + std::to_string(mask.cols) + "x" +
                                                    std::to_string(mask.rows) + " but the image is " +
                                                    std::to_string(size) + "x" + std::to_string(size));
    cv::Mat grey = mask;
    if (mask.channels() != 1) cv::cvtColor(mask, grey, mask.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    cv::Mat binary;
    cv::compare(grey, 0, binary, cv::CMP_NE);
    if (cv::countNonZero(binary) == 0)
        throw Error(ErrorKind::InvalidArgument, "the mask is empty: nothing to fill (nonzero pixels mark the "
                                                "region to generate)");
    cv::Mat ones;
    binary.convertTo(ones, CV_32F, 1.0 / 255.0);
    return detail::imageToTensor(ones);
}

} // namespace

std::vector<double> defaultEditSigmas(EditTask task, const ModelCard& card) {
    const double top = card.noise.sigmaMax;
    switch (task) {
    case EditTask::Stroke:
        // The paper's levels for 64 px images, kept below the model's sigma_max and strictly decreasing.
        if (top > 5.38) return {5.38, 2.24};
        if (top > 2.24) return {top, 2.24};
        return {top, top / 2};
    case EditTask::Inpaint:
    case EditTask::Colorize:
    case EditTask::SuperResolution:
        // 20 levels: on held-out Fashion-MNIST, 4 / 10 / 20 / 40 levels gave inpainting PSNR 9.7 / 11.3 / 12.2 /
        // 12.8 dB (cv::inpaint Telea 11.4) and 4x super-resolution 14.7 / 15.5 / 16.1 / 16.5 dB (bicubic 15.6).
        return geometricLevels(top, std::max(0.1, 2 * card.noise.sigmaMin), 20);
    }
    return {};
}

EditResult edit(const Model& model, const EditParams& params, const ProgressFn& progress,
                const CancelFlag* cancel) {
    requireConsistency(model, "editing");
    const auto& card = model.card();
    const int size = card.network.imageSize, channels = card.network.channels;
    if (params.images.empty()) throw Error(ErrorKind::InvalidArgument, "editing needs at least one image");
    if (params.batchSize < 0) throw Error(ErrorKind::InvalidArgument, "the batch size must be at least 1 (or 0: automatic)");
    const int batchSize = params.batchSize > 0 ? params.batchSize : card.network.defaultBatchSize();
    const auto op = detail::makeEditOperator(params.task, params.factor);
    if (params.task == EditTask::SuperResolution && size % params.factor)
        throw Error(ErrorKind::InvalidArgument, "the factor " + std::to_string(params.factor) +
                                                    " does not divide the model's size " + std::to_string(size));
    if (params.task == EditTask::Inpaint) {
        if (params.masks.size() != 1 && params.masks.size() != params.images.size())
            throw Error(ErrorKind::InvalidArgument, "inpainting needs one mask, or one per image (got " +
                                                        std::to_string(params.masks.size()) + " for " +
                                                        std::to_string(params.images.size()) + " images)");
    }

    EditResult result;
    if (params.sigmas.empty() && params.ts.empty()) {
        result.sigmas = defaultEditSigmas(params.task, card);
    } else {
        SampleParams schedule;
        schedule.sampler = SamplerKind::Multistep;
        schedule.sigmas = params.sigmas;
        schedule.ts = params.ts;
        schedule.steps = params.steps;
        result.sigmas = resolveSigmas(card, schedule);
    }
    result.nfe = int(result.sigmas.size());

    // Everything is validated before the first network evaluation.
    const int count = int(params.images.size());
    std::vector<torch::Tensor> references, masks;
    for (int j = 0; j < count; ++j) {
        references.push_back(referenceTensor(params, size, channels, j));
        auto generate = op->generateMask(channels, size);
        if (params.task == EditTask::Inpaint) generate = generate * userMask(params, size, j);
        masks.push_back(generate.expand({1, channels, size, size}).squeeze(0));
    }
    detail::conditioningTensors(card, params.conditioning, count, params.seed); // validates

    detail::EvaluationTicker ticker{&progress, cancel, 0, long(count) * result.nfe};
    c10::InferenceMode inference;
    for (int start = 0; start < count; start += batchSize) {
        const int n = std::min(batchSize, count - start);
        const auto y = torch::stack(std::vector<torch::Tensor>(references.begin() + start, references.begin() + start + n));
        const auto generate = torch::stack(std::vector<torch::Tensor>(masks.begin() + start, masks.begin() + start + n));
        const auto conditioning = detail::conditioningTensors(card, params.conditioning.slice(start, n), n,
                                                              params.seed + uint64_t(start));
        detail::PerImageNoise noise(params.seed + uint64_t(start), n, {channels, size, size});
        const auto unitNoise = noise.next();
        torch::Tensor x;
        if (params.task == EditTask::Stroke) {
            // SDEdit: the painting is only the starting point; nothing is projected back.
            x = detail::consistencyChain(model.impl(), unitNoise, result.sigmas, conditioning, noise, ticker, {}, y);
        } else {
            const detail::Projection projection(*op, y, generate);
            x = detail::consistencyChain(model.impl(), unitNoise, result.sigmas, conditioning, noise, ticker, {},
                                         projection.start(), projection);
            // Alternating projections onto the pixel range and the kept coordinates: a saved 8-bit image
            // clamps to [-1, 1], which alone would break e.g. the patch means of a black region. Ending
            // with the projection keeps the kept coordinates exact.
            for (int round = 0; round < kRangeRounds; ++round)
                x = projection(x.clamp(-1, 1));
        }
        for (int j = 0; j < n; ++j)
            result.images.push_back(detail::tensorToImage(x[j]));
    }
    return result;
}

cv::Mat applyEditOperator(EditTask task, int factor, const cv::Mat& image, bool transpose) {
    const auto op = detail::makeEditOperator(task, factor);
    c10::InferenceMode inference;
    const auto x = detail::imageToTensor(image).unsqueeze(0);
    return detail::tensorToImage((transpose ? op->transpose(x) : op->forward(x))[0]);
}

cv::Mat editOperatorMask(EditTask task, int factor, int size, int channels) {
    const auto op = detail::makeEditOperator(task, factor);
    c10::InferenceMode inference;
    return detail::tensorToImage(op->generateMask(channels, size).expand({1, channels, size, size})[0]);
}

std::vector<cv::Mat> denoise(const Model& model, const std::vector<cv::Mat>& noisy, double sigma,
                             const Conditioning& conditioning) {
    auto images = evaluateModel(model, noisy, sigma, conditioning);
    for (auto& image : images)
        cv::min(cv::max(image, -1.0), 1.0, image);
    return images;
}

std::vector<cv::Mat> addNoise(const std::vector<cv::Mat>& images, double sigma, uint64_t seed) {
    if (!(sigma >= 0) || !std::isfinite(sigma))
        throw Error(ErrorKind::InvalidArgument, "the noise level must be a finite number >= 0");
    std::vector<cv::Mat> out;
    c10::InferenceMode inference;
    for (std::size_t j = 0; j < images.size(); ++j) {
        const auto x = detail::imageToTensor(images[j]);
        detail::PerImageNoise noise(seed + j, 1, x.sizes().vec());
        out.push_back(detail::tensorToImage(x + sigma * noise.next()[0]));
    }
    return out;
}

std::vector<cv::Mat> interpolate(const Model& model, const InterpolationParams& params, const ProgressFn& progress,
                                 const CancelFlag* cancel) {
    requireConsistency(model, "interpolation");
    if (params.frames < 2 || params.frames > 10000)
        throw Error(ErrorKind::InvalidArgument, "interpolation needs 2..10000 frames, not " + std::to_string(params.frames));
    const auto& card = model.card();
    const std::vector<int64_t> shape = {card.network.channels, card.network.imageSize, card.network.imageSize};
    c10::InferenceMode inference;
    // The same noises the one-step sampler draws for these seeds.
    const auto a = detail::PerImageNoise(params.seedA, 1, shape).next()[0].to(torch::kFloat64);
    const auto b = detail::PerImageNoise(params.seedB, 1, shape).next()[0].to(torch::kFloat64);
    const double cosine = ((a * b).sum() / (a.norm() * b.norm())).item<double>();
    const double theta = std::acos(std::clamp(cosine, -1.0, 1.0));
    constexpr int kFramesPerEvaluation = 64;
    detail::EvaluationTicker ticker{&progress, cancel, 0,
                                    (params.frames + kFramesPerEvaluation - 1) / kFramesPerEvaluation};
    detail::TickerBlocks inside(ticker, model.impl());
    // End A's class (a random one from seed A where the model has no unconditional mode), and end B's
    // (from seed B) when it has one: then frame t blends the class embeddings (1 - t) e(A) + t e(B).
    if (params.conditioning.classLabels.size() > 1 || params.conditioningB.classLabels.size() > 1 ||
        params.conditioning.hasBlend() || params.conditioningB.hasBlend())
        throw Error(ErrorKind::InvalidArgument, "interpolation takes one class per end");
    const auto endA = detail::conditioningTensors(card, params.conditioning, 1, params.seedA).labels;
    const bool blend = !params.conditioningB.classLabels.empty();
    const auto endB = blend ? detail::conditioningTensors(card, params.conditioningB, 1, params.seedB).labels
                            : torch::Tensor();
    if (blend && !endA.defined())
        throw Error(ErrorKind::InvalidArgument, "this model is unconditional: its ends take no class");
    std::vector<cv::Mat> frames;
    const double sigma = card.noise.sigmaMax;
    for (int start = 0; start < params.frames; start += kFramesPerEvaluation) {
        const int n = std::min(kFramesPerEvaluation, params.frames - start);
        std::vector<torch::Tensor> noises;
        for (int i = start; i < start + n; ++i) {
            const double t = double(i) / double(params.frames - 1);
            // slerp; endpoints exactly a and b, linear when the two noises are (nearly) parallel
            torch::Tensor z;
            if (i == 0) z = a;
            else if (i == params.frames - 1) z = b;
            else if (std::sin(theta) < 1e-6) z = (1 - t) * a + t * b;
            else z = (std::sin((1 - t) * theta) * a + std::sin(t * theta) * b) / std::sin(theta);
            noises.push_back(z.to(torch::kFloat32));
        }
        detail::NetworkConditioning conditioning(endA.defined() ? endA.expand({n}) : endA);
        if (blend) {
            conditioning.blendLabels = endB.expand({n});
            conditioning.blendWeights =
                torch::arange(start, start + n, torch::kFloat32) / float(params.frames - 1);
        }
        ticker.checkCancel();
        const auto x = detail::evaluate(model.impl(), torch::stack(noises) * sigma, detail::sigmaVector(sigma, n),
                                        conditioning);
        for (int i = 0; i < n; ++i)
            frames.push_back(detail::tensorToImage(x[i].clamp(-1, 1)));
        ticker.tick();
    }
    return frames;
}

} // namespace cm
