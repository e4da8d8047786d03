// Measuring a tokenizer (or any image -> bits -> image method: the baselines) on held-out images: each image
// is encoded, its code decoded, and the reconstructions are compared with the originals: reconstruction FD
// in the evaluator's feature space (against the same held-out images), PSNR, the evaluator's class accuracy
// on the reconstructions, bits per pixel, network evaluations per image and decoding time. Reentrant; the
// tokenizer and evaluator are only read.
#pragma once

#include "core/dataset.h"
#include "core/feature_net.h"
#include "core/progress.h"
#include "core/tokenizer/tokenizer.h"

#include <functional>

namespace cm {

struct ReconstructionResult {
    long count = 0;
    double codeBits = 0;       // bits per image (the mean, for methods whose files vary: JPEG, WebP)
    double bitsPerPixel = 0;
    double fd = 0;             // reconstructions vs the originals, evaluator features
    double psnr = 0;           // mean over images, dB, on [0, 1] pixels (peak 1)
    double mse = 0;            // mean squared error on [-1, 1] pixels
    double classAccuracy = -1; // the evaluator's class of the reconstruction = the image's label; -1 unmeasured
    int evaluations = 0;       // decoder evaluations per image
    double decodeSeconds = 0;  // time of all reconstructing (features not included)
};

// The mean squared error of a reconstruction against its original on [-1, 1] pixels (same shape and type),
// and the PSNR in dB that error gives on [0, 1] pixels (peak 1): the figures measureReconstructions averages.
double reconstructionMse(const cv::Mat& original, const cv::Mat& reconstruction);
double psnrFromMse(double mse);

// An image -> bits -> image method. `reconstruct(originals, firstSeed, bits)` returns one reconstruction per
// original (image j seeded firstSeed + j); it may fill `bits` with each image's bit count (variable-size
// files), else every image counts `bits` below.
struct ReconstructionMethod {
    double bits = 0;
    int evaluations = 0;
    std::function<std::vector<cv::Mat>(const std::vector<cv::Mat>&, uint64_t, std::vector<double>&)> reconstruct;
};

// Images first..first+count-1 of `data` as H x W float [-1, 1] matrices (CV_32FC1 / CV_32FC3).
std::vector<cv::Mat> datasetImages(const Dataset& data, int64_t first, int64_t count);

// `heldOut` must match the evaluator's image shape (Error(Shape)) and hold >= 2 images; images are
// reconstructed `batch` at a time, image j from the noise of seed + j. Progress counts images.
ReconstructionResult measureReconstructions(const ReconstructionMethod& method, const FeatureNet& evaluator,
                                            const Dataset& heldOut, uint64_t seed, int batch = 100,
                                            const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

// A tokenizer (or the deterministic-autoencoder baseline, which is one) as a method: encode, then
// decode(params) with the noise of the given seed. Bits: the card's.
ReconstructionMethod tokenizerMethod(const Tokenizer& tokenizer, const DecodeParams& params,
                                     const CancelFlag* cancel = nullptr);

// The tokenizer's encode then decode(params); its shape must be the held-out images' too.
ReconstructionResult measureReconstructions(const Tokenizer& tokenizer, const FeatureNet& evaluator,
                                            const Dataset& heldOut, const DecodeParams& params, int batch = 100,
                                            const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace cm
