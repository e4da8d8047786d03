// Measuring a tokenizer on held-out images: each image is encoded, its code decoded, and the reconstructions
// are compared with the originals: reconstruction FD in the evaluator's feature space (against the same
// held-out images), PSNR, the evaluator's class accuracy on the reconstructions, bits per pixel, network
// evaluations per image and decoding time. Reentrant; the tokenizer and evaluator are only read.
#pragma once

#include "core/dataset.h"
#include "core/feature_net.h"
#include "core/progress.h"
#include "core/tokenizer/tokenizer.h"

namespace cm {

struct ReconstructionResult {
    long count = 0;
    int codeBits = 0;
    double bitsPerPixel = 0;
    double fd = 0;             // reconstructions vs the originals, evaluator features
    double psnr = 0;           // mean over images, dB, on [0, 1] pixels (peak 1)
    double mse = 0;            // mean squared error on [-1, 1] pixels
    double classAccuracy = -1; // the evaluator's class of the reconstruction = the image's label; -1 unmeasured
    int evaluations = 0;       // decoder evaluations per image
    double decodeSeconds = 0;  // network time of all decoding (encoding and features not included)
};

// The mean squared error of a reconstruction against its original on [-1, 1] pixels (same shape and type),
// and the PSNR in dB that error gives on [0, 1] pixels (peak 1): the figures measureReconstructions averages.
double reconstructionMse(const cv::Mat& original, const cv::Mat& reconstruction);
double psnrFromMse(double mse);

// `heldOut` must match the tokenizer's and the evaluator's image shape (Error(Shape)) and hold >= 2 images;
// images are decoded `batch` at a time, image j from the noise of params.seed + j. Progress counts images.
ReconstructionResult measureReconstructions(const Tokenizer& tokenizer, const FeatureNet& evaluator,
                                            const Dataset& heldOut, const DecodeParams& params, int batch = 100,
                                            const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace cm
