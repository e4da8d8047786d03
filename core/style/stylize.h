// Generating prompted garments in the style of a reference image with a style model (style_model.h): the
// one place the CLI (`cmstudio-cli stylize`) and the app's Style view check the model, fit the reference
// and sample. Reentrant; the Model may be shared between threads.
#pragma once

#include "core/conditioning.h"
#include "core/edit_input.h"
#include "core/model.h"
#include "core/progress.h"
#include "core/sampler.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

// Error(InvalidArgument) naming `origin` when `card` is not a style model (a plain generator, or a prompt
// base without extractors): what to use instead is in the message.
void requireStyleModel(const ModelCard& card, const std::string& origin);

// The reference as the style model reads it: the user's 8-bit image (grey, RGB; any size) with its shorter
// side resized to the model's `imageSize` and the centre cropped (fitSquare), grey repeated in three channels.
// `notes` says what was changed. Error(InvalidArgument) naming `origin` for an empty image.
PreparedEditInput prepareStyleReference(const cv::Mat& image8U, int imageSize, const std::string& origin);

// Steps when the user gives none: 1 for a consistency style model (one evaluation per image), the card's
// recommended Heun points for a denoiser, else 18 (35 evaluations).
int defaultStylizeSteps(const ModelCard& card);

struct StylizeParams {
    cv::Mat reference;                       // prepareStyleReference's image, or an 8-bit image to fit
    std::string referenceOrigin = "the reference"; // names it in messages
    std::vector<std::string> prompts;        // one or several garments (words of the style world)
    int count = 8;                           // images per prompt, 1..64
    int steps = 0;                           // 0: defaultStylizeSteps; consistency: evaluations; denoiser: Heun points
    uint64_t seed = 0;                       // image j of every prompt starts from the noise of seed + j
    Conditioning::ReferenceUse use = Conditioning::ReferenceUse::StyleOnly; // DEADiff's style mode by default
};

struct StylizeResult {
    cv::Mat reference;                       // as the model read it: model size, CV_32FC3 in [-1, 1]
    std::vector<std::string> notes;          // what fitting changed
    std::vector<std::string> prompts;        // the canonical garment of each prompt (garmentPrompts())
    std::vector<std::vector<cv::Mat>> images; // [prompt][j], CV_32FC3 in [-1, 1]
    SamplerKind sampler = SamplerKind::Auto;
    int steps = 0;
    int nfe = 0;                 // network evaluations per image
    std::vector<double> sigmas;  // noise levels visited (the same for every prompt)
};

// Checks every prompt, the model and the reference before any evaluation (an unknown word is Error(InvalidArgument)
// listing the vocabulary), then samples prompt after prompt; progress counts the evaluations of all of them.
StylizeResult stylize(const Model& model, const StylizeParams& params, const ProgressFn& progress = {},
                      const CancelFlag* cancel = nullptr);

} // namespace cm
