// Measuring a model: the Frechet distance (FD) of its samples to a reference set in the evaluator's
// feature space, the class accuracy of class-conditional samples, and the sampling time; and the search
// for the intermediate noise levels of multistep consistency sampling.
#pragma once

#include "dataset.h"
#include "feature_net.h"
#include "frechet.h"
#include "model.h"
#include "progress.h"
#include "sampler.h"

#include <vector>

namespace cm {

// The evaluator's feature statistics of a data set (e.g. the Fashion-MNIST test images).
FeatureStatistics referenceStatistics(const FeatureNet& evaluator, const Dataset& reference,
                                      const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

struct EvalParams {
    SampleParams sampling; // count, seed, sampler, sigmas ... (its conditioning is set below)
    // For a class-conditional model: sample j asks for class j mod K (balanced, like the test set) and the
    // evaluator's predictions give the accuracy. Otherwise samples use the null label.
    bool classConditional = true;
    int keepImages = 0; // return the first images (for a grid)
};

struct EvalResult {
    long count = 0;
    int nfe = 0;
    std::vector<double> sigmas; // the noise levels the sampler visited
    double fd = 0;
    double classAccuracy = -1; // share of samples classified as the class asked for; -1 when not measured
    double samplingSeconds = 0; // network time only (feature extraction not included)
    double secondsPerThousand() const { return count ? samplingSeconds * 1000.0 / double(count) : 0; }
    std::vector<cv::Mat> images; // the first keepImages samples
};

// Throws Error(Shape) when the evaluator and the model disagree on image size or channels,
// Error(Cancelled) when cancelled. Progress counts images (sampled and measured).
EvalResult evaluateModelSamples(const Model& model, const FeatureNet& evaluator,
                                const FeatureStatistics& reference, const EvalParams& params,
                                const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

struct SigmaSearchParams {
    int steps = 2;         // 2 or 3 (the greedy search fixes one level at a time)
    int samples = 1000;    // per candidate
    uint64_t seed = 0;     // every candidate uses the same noise
    std::vector<double> candidates; // empty: 8 log-spaced levels between 10 sigma_min and sigma_max / 2
    bool classConditional = true;
};

struct SigmaSearchTrial {
    std::vector<double> sigmas;
    double fd = 0;
};

struct SigmaSearchResult {
    std::vector<double> sigmas; // the best schedule found, starting at sigma_max
    double fd = 0;
    std::vector<SigmaSearchTrial> trials; // every schedule measured, in order
};

// Greedy search for multistep consistency sampling: with sigma_max first, chooses the second level among
// the candidates by FD against `validation`, then the third among the candidates below it.
SigmaSearchResult searchSigmas(const Model& model, const FeatureNet& evaluator,
                               const FeatureStatistics& validation, const SigmaSearchParams& params,
                               const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace cm
