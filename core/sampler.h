// Generating images (or points) from a model: one-step and multistep consistency sampling (Algorithm 1),
// Euler and Heun for EDM denoisers. Reentrant; the Model may be shared between threads.
#pragma once

#include "conditioning.h"
#include "model.h"
#include "progress.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace cm {

enum class SamplerKind {
    Auto, // consistency model: one step, or multistep when sigmas/ts are given; denoiser: Heun
    OneStep,
    Multistep,
    Euler, // denoisers: `edmPoints` evaluations
    Heun,  // denoisers: 2 * edmPoints - 1 evaluations
};
const char* samplerKindName(SamplerKind kind);
SamplerKind samplerKindFromName(const std::string& name); // throws InvalidArgument

struct SampleParams {
    int count = 16;
    uint64_t seed = 0;            // image j uses seed + j, so one image can be regenerated alone
    Conditioning conditioning;    // classes: none, one for all, or one per image
    SamplerKind sampler = SamplerKind::Auto;
    std::vector<double> sigmas; // multistep: strictly decreasing noise levels, the first one is the start
    std::vector<int> ts;        // or indices on a descending Karras grid of `steps` points (0 = sigma_max)
    int steps = 40;
    int edmPoints = 18;
    int batchSize = 0; // images per network evaluation; 0: NetworkConfig::defaultBatchSize()
    bool keepIntermediates = false;
};

struct SampleResult {
    std::vector<cv::Mat>
        images;     // H x W, CV_32FC1 or CV_32FC3 (RGB), values in [-1, 1]; empty for point models
    cv::Mat points; // point models: count x dim, CV_32F
    // keepIntermediates: [step][image] the clean-image estimate after each step (x0 chain / Heun trajectory)
    std::vector<std::vector<cv::Mat>> intermediates;
    std::vector<double> sigmas; // noise levels visited, in order
    int nfe = 0;                // network evaluations per image
};

// The noise levels `params` asks for on `card` (validated; throws InvalidArgument naming the problem).
std::vector<double> resolveSigmas(const ModelCard& card, const SampleParams& params);

SampleResult sample(const Model& model, const SampleParams& params, const ProgressFn& progress = {},
                    const CancelFlag* cancel = nullptr);

} // namespace cm
