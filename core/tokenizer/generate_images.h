// New images from FlowMo's stage 2: codes drawn from the code generator, decoded by the tokenizer (the
// CLI's `tokenize generate` and the Compress view's "Generate codes"). Reentrant.
#pragma once

#include "core/progress.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/tokenizer.h"

#include <opencv2/core.hpp>

#include <vector>

namespace cm {

struct GeneratedImages {
    std::vector<TokenCode> codes;
    std::vector<int> classes; // the class each code was drawn for
    std::vector<cv::Mat> images;
    int evaluations = 0;      // decoder evaluations per image
};

// `count` images: code j of class `classIndex` (or, for classIndex < 0, class j mod classes) drawn from the
// generator of seed + j at `temperature`, and decoded with `params` from the noise of seed + j (params.seed
// is ignored), so image j depends on seed + j alone. Error(InvalidArgument) for a generator whose codes are
// not the tokenizer's bit count, a class outside the generator's, or count < 1. Progress counts decoder
// evaluations (each decodes a batch of up to 100 images).
GeneratedImages generateImages(const Tokenizer& tokenizer, const CodeGenerator& generator, int classIndex, int count,
                               uint64_t seed, double temperature, const DecodeParams& params,
                               const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace cm
