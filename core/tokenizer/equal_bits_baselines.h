// One image through the baselines a tokenizer is compared with (the Compress view's second row): the
// deterministic autoencoder and k-means of patches at the tokenizer's bit count, and JPEG and WebP at their
// smallest recognisable file. Each uses its own module (autoencoder_baseline, patch_vq, codec_baseline) and
// the PSNR of tokenizer_evaluation.h, so the figures are those `tokenize eval` averages. Reentrant; the
// baselines are only read.
#pragma once

#include "core/feature_net.h"
#include "core/progress.h"
#include "core/tokenizer/patch_vq.h"
#include "core/tokenizer/tokenizer.h"

#include <opencv2/core.hpp>

#include <optional>
#include <vector>

namespace cm {

struct EqualBitsBaselines {
    std::optional<Tokenizer> autoencoder; // a deterministic autoencoder (card().isDeterministic())
    std::optional<PatchVq> patchVq;       // a codebook at the tokenizer's bits (patchVqForBits)
    std::optional<FeatureNet> classifier; // judges JPEG's and WebP's "recognisable"; none: no codec rows
};

struct BaselineReconstruction {
    enum Kind { Autoencoder, PatchVq, Jpeg, Webp };
    Kind kind = Autoencoder;
    cv::Mat image;         // float [-1, 1], the original's shape
    double bits = 0;       // the code's bits; a codec's whole file (8 x bytes)
    double psnr = 0;       // dB on [0, 1] pixels against the original
    int evaluations = 0;   // network evaluations (the autoencoder's one)
    double seconds = 0;    // encoding and decoding (a codec: its search over qualities)
    long bytes = 0;        // codecs: the file
    int quality = 0;       // codecs: the quality chosen
    bool recognisable = true; // codecs: false when no quality kept the classifier's class (quality 100 shown)
};

// Those of `baselines` that are present, in the order above, for `original` (float [-1, 1] of the baselines'
// shape; Error(Shape) otherwise). Cancelling stops between baselines (Error(Cancelled)).
std::vector<BaselineReconstruction> reconstructWithBaselines(const cv::Mat& original, const EqualBitsBaselines& baselines,
                                                             const CancelFlag* cancel = nullptr);

} // namespace cm
