#include "evaluation.h"

#include "error.h"

#include <chrono>
#include <cmath>

namespace cm {

namespace {

void requireSameShape(const Model& model, const FeatureNet& evaluator) {
    const auto& net = model.card().network;
    const auto& shape = evaluator.card().itemShape;
    if (!net.producesImages())
        throw Error(ErrorKind::InvalidArgument, "the evaluator measures image models; this model makes points");
    if (shape[0] != net.channels || shape[1] != net.imageSize || shape[2] != net.imageSize)
        throw Error(ErrorKind::Shape,
                    "the model makes " + std::to_string(net.imageSize) + "x" + std::to_string(net.imageSize) +
                        " images with " + std::to_string(net.channels) + " channel(s) but the evaluator reads " +
                        std::to_string(shape[2]) + "x" + std::to_string(shape[1]) + " with " +
                        std::to_string(shape[0]));
}

} // namespace

FeatureStatistics referenceStatistics(const FeatureNet& evaluator, const Dataset& reference,
                                      const ProgressFn& progress, const CancelFlag* cancel) {
    const auto out = evaluator.run(reference, progress, cancel);
    return featureStatistics(out.features, out.count, evaluator.card().featureDim,
                             "features of " + reference.description);
}

EvalResult evaluateModelSamples(const Model& model, const FeatureNet& evaluator,
                                const FeatureStatistics& reference, const EvalParams& params,
                                const ProgressFn& progress, const CancelFlag* cancel) {
    requireSameShape(model, evaluator);
    const int total = params.sampling.count;
    if (total < 2) throw Error(ErrorKind::InvalidArgument, "an FD needs at least 2 samples");
    const int classes = model.card().network.numClasses;
    const bool conditional = params.classConditional && classes > 0;
    const bool measureAccuracy = conditional && evaluator.card().kind == FeatureNetKind::Classifier;
    if (measureAccuracy && int(evaluator.card().classNames.size()) != classes)
        throw Error(ErrorKind::InvalidArgument,
                    "the model has " + std::to_string(classes) + " classes but the evaluator knows " +
                        std::to_string(evaluator.card().classNames.size()));

    EvalResult result;
    result.count = total;
    std::vector<float> features;
    long correct = 0;
    // Chunks keep memory flat for any sample count; image j still uses seed + j.
    constexpr int kChunk = 1000;
    for (int start = 0; start < total; start += kChunk) {
        SampleParams chunk = params.sampling;
        chunk.count = std::min(kChunk, total - start);
        chunk.seed = params.sampling.seed + uint64_t(start);
        chunk.conditioning = Conditioning::none();
        if (conditional)
            for (int j = 0; j < chunk.count; ++j)
                chunk.conditioning.classLabels.push_back((start + j) % classes);
        const auto begin = std::chrono::steady_clock::now();
        auto sampled = sample(model, chunk, {}, cancel);
        result.samplingSeconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
        result.nfe = sampled.nfe;
        result.sigmas = sampled.sigmas;
        const auto out = evaluator.run(sampled.images, {}, cancel);
        features.insert(features.end(), out.features.begin(), out.features.end());
        if (measureAccuracy)
            for (int j = 0; j < chunk.count; ++j)
                correct += out.prediction[j] == chunk.conditioning.classLabels[j];
        for (auto& image : sampled.images) {
            if (int(result.images.size()) >= params.keepImages) break;
            result.images.push_back(image);
        }
        if (progress) progress(start + chunk.count, total);
    }
    result.fd = frechetDistance(
        featureStatistics(features, total, evaluator.card().featureDim, "features of the samples"), reference);
    if (measureAccuracy) result.classAccuracy = double(correct) / double(total);
    return result;
}

SigmaSearchResult searchSigmas(const Model& model, const FeatureNet& evaluator,
                               const FeatureStatistics& validation, const SigmaSearchParams& params,
                               const ProgressFn& progress, const CancelFlag* cancel) {
    if (model.card().kind != ModelKind::Consistency)
        throw Error(ErrorKind::InvalidArgument, "a sigma search is for consistency models");
    if (params.steps < 2 || params.steps > 3)
        throw Error(ErrorKind::InvalidArgument, "the sigma search handles 2 or 3 steps, not " +
                                                    std::to_string(params.steps));
    const auto& noise = model.card().noise;
    std::vector<double> candidates = params.candidates;
    if (candidates.empty()) {
        const double low = std::log(10 * noise.sigmaMin), high = std::log(noise.sigmaMax / 2);
        for (int i = 0; i < 8; ++i)
            candidates.push_back(std::exp(low + (high - low) * i / 7.0));
    }
    for (double c : candidates)
        if (!(c > noise.sigmaMin && c < noise.sigmaMax))
            throw Error(ErrorKind::InvalidArgument, "candidate sigma " + std::to_string(c) +
                                                        " is outside the model's open range (" +
                                                        std::to_string(noise.sigmaMin) + ", " +
                                                        std::to_string(noise.sigmaMax) + ")");
    SigmaSearchResult result;
    result.sigmas = {noise.sigmaMax};
    long totalTrials = 0;
    for (int level = 1; level < params.steps; ++level)
        totalTrials += long(candidates.size());
    long done = 0;
    for (int level = 1; level < params.steps; ++level) {
        double bestFd = INFINITY;
        std::vector<double> best;
        for (double candidate : candidates) {
            ++done;
            if (candidate >= result.sigmas.back()) continue;
            EvalParams eval;
            eval.sampling.count = params.samples;
            eval.sampling.seed = params.seed;
            eval.sampling.sampler = SamplerKind::Multistep;
            eval.sampling.sigmas = result.sigmas;
            eval.sampling.sigmas.push_back(candidate);
            eval.classConditional = params.classConditional;
            const auto measured = evaluateModelSamples(model, evaluator, validation, eval, {}, cancel);
            result.trials.push_back({eval.sampling.sigmas, measured.fd});
            if (measured.fd < bestFd) {
                bestFd = measured.fd;
                best = eval.sampling.sigmas;
            }
            if (progress) progress(done, totalTrials);
        }
        if (best.empty()) break; // no candidate below the previous level
        result.sigmas = best;
        result.fd = bestFd;
    }
    return result;
}

} // namespace cm
