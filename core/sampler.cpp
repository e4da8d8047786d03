#include "sampler.h"

#include "detail/denoiser.h"
#include "detail/enum_names.h"
#include "detail/sampling.h"
#include "error.h"

#include <cmath>
#include <cstring>

namespace cm {

const char* samplerKindName(SamplerKind kind) {
    switch (kind) {
    case SamplerKind::Auto:
        return "auto";
    case SamplerKind::OneStep:
        return "onestep";
    case SamplerKind::Multistep:
        return "multistep";
    case SamplerKind::Euler:
        return "euler";
    case SamplerKind::Heun:
        return "heun";
    }
    return "auto";
}

SamplerKind samplerKindFromName(const std::string& name) {
    return detail::enumFromName(name,
                                std::array{SamplerKind::Auto, SamplerKind::OneStep, SamplerKind::Multistep,
                                           SamplerKind::Euler, SamplerKind::Heun},
                                samplerKindName, "sampler");
}

namespace {

SamplerKind effectiveSampler(const ModelCard& card, const SampleParams& params) {
    const bool consistency = card.kind == ModelKind::Consistency;
    SamplerKind kind = params.sampler;
    if (kind == SamplerKind::Auto) {
        if (!consistency) return SamplerKind::Heun;
        return params.sigmas.empty() && params.ts.empty() ? SamplerKind::OneStep : SamplerKind::Multistep;
    }
    const bool forDenoiser = kind == SamplerKind::Euler || kind == SamplerKind::Heun;
    if (consistency && forDenoiser)
        throw Error(ErrorKind::InvalidArgument,
                    std::string("the ") + samplerKindName(kind) +
                        " sampler integrates an EDM denoiser; this is a consistency model "
                        "(use onestep or multistep)");
    if (!consistency && !forDenoiser)
        throw Error(ErrorKind::InvalidArgument,
                    std::string("the ") + samplerKindName(kind) +
                        " sampler needs a consistency model; this is an EDM denoiser "
                        "(use heun or euler)");
    return kind;
}

void checkDecreasing(const std::vector<double>& sigmas, const NoiseConstants& noise) {
    for (std::size_t i = 0; i < sigmas.size(); ++i) {
        const double s = sigmas[i];
        if (!std::isfinite(s) || s < noise.sigmaMin || s > noise.sigmaMax)
            throw Error(ErrorKind::InvalidArgument,
                        "sigma " + std::to_string(s) + " is outside the model's range [" +
                            std::to_string(noise.sigmaMin) + ", " + std::to_string(noise.sigmaMax) + "]");
        if (i > 0 && s >= sigmas[i - 1])
            throw Error(ErrorKind::InvalidArgument, "sigmas must strictly decrease, got " +
                                                        std::to_string(sigmas[i - 1]) + " then " +
                                                        std::to_string(s));
    }
}

} // namespace

std::vector<double> resolveSigmas(const ModelCard& card, const SampleParams& params) {
    const SamplerKind kind = effectiveSampler(card, params);
    if (!params.sigmas.empty() && !params.ts.empty())
        throw Error(ErrorKind::InvalidArgument,
                    "give the schedule either as sigmas or as ts indices, not both");
    std::vector<double> sigmas;
    switch (kind) {
    case SamplerKind::OneStep:
        if (!params.sigmas.empty() || !params.ts.empty())
            throw Error(ErrorKind::InvalidArgument, "one-step sampling takes no sigma list (use multistep)");
        sigmas = {card.noise.sigmaMax};
        break;
    case SamplerKind::Multistep:
        if (params.sigmas.empty() && params.ts.empty())
            throw Error(ErrorKind::InvalidArgument, "multistep sampling needs sigmas or ts indices");
        sigmas = params.ts.empty() ? params.sigmas : sigmasFromTs(params.ts, params.steps, card.noise);
        // A last level at sigma_min is the identity (c_skip = 1, c_out = 0): the published sampler's
        // ts = 0,22,39 on 40 steps is two evaluations, not three.
        while (sigmas.size() > 1 && sigmas.back() <= card.noise.sigmaMin)
            sigmas.pop_back();
        break;
    case SamplerKind::Euler:
    case SamplerKind::Heun: {
        if (params.edmPoints < 1 || params.edmPoints > 1000)
            throw Error(ErrorKind::InvalidArgument,
                        "edm points must be in 1..1000, got " + std::to_string(params.edmPoints));
        if (!params.sigmas.empty()) {
            sigmas = params.sigmas;
        } else if (params.edmPoints == 1) {
            sigmas = {card.noise.sigmaMax};
        } else {
            sigmas = descendingKarrasGrid(params.edmPoints, card.noise);
        }
        break;
    }
    case SamplerKind::Auto:
        break;
    }
    checkDecreasing(sigmas, card.noise);
    return sigmas;
}

SampleResult sample(const Model& model, const SampleParams& params, const ProgressFn& progress,
                    const CancelFlag* cancel) {
    const auto& impl = model.impl();
    const auto& card = impl.card;
    if (params.count < 1 || params.count > 100000)
        throw Error(ErrorKind::InvalidArgument,
                    "count must be in 1..100000, got " + std::to_string(params.count));
    if (params.batchSize < 0)
        throw Error(ErrorKind::InvalidArgument,
                    "batch size must be positive (or 0: automatic), got " + std::to_string(params.batchSize));
    const int batchSize = params.batchSize > 0 ? params.batchSize : card.network.defaultBatchSize();
    const SamplerKind kind = effectiveSampler(card, params);
    const auto sigmas = resolveSigmas(card, params);
    const bool consistency = kind == SamplerKind::OneStep || kind == SamplerKind::Multistep;
    const bool heun = kind == SamplerKind::Heun;

    SampleResult result;
    result.sigmas = sigmas;
    result.nfe = consistency || !heun ? int(sigmas.size()) : heunEvaluations(int(sigmas.size()));

    // Validated against the card before the first evaluation.
    detail::conditioningTensors(card, params.conditioning, params.count, params.seed);

    const auto shapeLong = card.network.itemShape();
    const std::vector<int64_t> itemShape(shapeLong.begin(), shapeLong.end());
    const int batches = (params.count + batchSize - 1) / batchSize;
    detail::EvaluationTicker ticker{&progress, cancel, 0, long(batches) * result.nfe};
    std::vector<torch::Tensor> outputs;
    if (params.keepIntermediates) result.intermediates.resize(sigmas.size());

    for (int start = 0; start < params.count; start += batchSize) {
        const int n = std::min(batchSize, params.count - start);
        const auto conditioning = detail::conditioningTensors(card, params.conditioning.slice(start, n), n,
                                                              params.seed + uint64_t(start));
        detail::PerImageNoise noise(params.seed + uint64_t(start), n, itemShape);
        const auto z = noise.next();
        detail::StepObserver observe;
        if (params.keepIntermediates && card.network.producesImages())
            observe = [&](int step, const torch::Tensor& estimate) {
                for (int j = 0; j < n; ++j)
                    result.intermediates[step].push_back(detail::tensorToImage(estimate[j]));
            };
        outputs.push_back(consistency
                              ? detail::consistencyChain(impl, z, sigmas, conditioning, noise, ticker, observe)
                              : detail::edmIntegrate(impl, z, sigmas, heun, conditioning, ticker, observe));
    }
    const auto all = torch::cat(outputs);
    if (!card.network.producesImages()) {
        auto flat = all.contiguous();
        result.points = cv::Mat(int(flat.size(0)), int(flat.size(1)), CV_32F);
        std::memcpy(result.points.data, flat.data_ptr<float>(), sizeof(float) * flat.numel());
    } else {
        for (int j = 0; j < all.size(0); ++j)
            result.images.push_back(detail::tensorToImage(all[j]));
    }
    return result;
}

} // namespace cm
