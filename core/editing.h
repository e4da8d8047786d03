// Zero-shot editing with a consistency model (Algorithm 4 of the consistency-models paper): inpainting,
// colorization, super-resolution and stroke-guided editing are one loop with different orthogonal
// operators A and masks; plus denoising (one evaluation) and interpolation between two seeds.
// Reentrant; the Model may be shared between threads.
#pragma once

#include "model.h"
#include "progress.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

enum class EditTask {
    Inpaint,         // A = I, mask = the user's (nonzero = fill)
    Colorize,        // per pixel: orthogonal 3x3, first row the luminance direction; keep luminance
    SuperResolution, // per p x p patch: orthogonal (2-D DCT), first row constant; keep the patch means
    Stroke,          // A = I, nothing kept: the stroke painting only sets the start (SDEdit)
};
const char* editTaskName(EditTask task); // "inpaint", "colorize", "superres", "stroke"
EditTask editTaskFromName(const std::string& name);

struct EditParams {
    EditTask task = EditTask::Inpaint;
    // The references, [-1, 1] float (CV_32FC1 / CV_32FC3, RGB): for inpaint and stroke the model's size
    // and channels; for colorize 1-channel grey at the model's size (the model must be RGB); for superres
    // the low-resolution image, (model size / factor) square, with the model's channels.
    std::vector<cv::Mat> images;
    std::vector<cv::Mat> masks; // inpaint: one shared or one per image, model size, nonzero = fill
    int factor = 4;             // superres: 2, 4 or 8, dividing the model size
    std::vector<double> sigmas; // strictly decreasing noise levels; empty (and no ts): the task's default
    std::vector<int> ts;        // or indices on a descending Karras grid of `steps` points
    int steps = 40;
    uint64_t seed = 0; // image j uses seed + j
    Conditioning conditioning;
    int batchSize = 0; // images per network evaluation; 0: NetworkConfig::defaultBatchSize()
};

struct EditResult {
    // [-1, 1]-scale images of the model's size. The kept coordinates are exact (A x = A y there); the
    // result is also pulled into [-1, 1] by alternating projections, so that what remains outside is
    // tiny and saving to 8 bits keeps the kept coordinates to within a level.
    std::vector<cv::Mat> images;
    std::vector<double> sigmas;
    int nfe = 0;
};

// The schedule an edit uses when none is given (chosen on held-out images, see README).
std::vector<double> defaultEditSigmas(EditTask task, const ModelCard& card);

// Throws Error(InvalidArgument) for a mismatched mask, an empty mask, a grey/colour mix-up, a bad
// factor; Error(Shape) for an image of the wrong size; Error(Cancelled) when cancelled.
EditResult edit(const Model& model, const EditParams& params, const ProgressFn& progress = {},
                const CancelFlag* cancel = nullptr);

// The operator on one image of the given size and channels (coefficients in image layout), for tests
// and tools: A x, or A^T x with `transpose`. Also the keep/generate mask in A's coordinates (1 = generate).
cv::Mat applyEditOperator(EditTask task, int factor, const cv::Mat& image, bool transpose);
cv::Mat editOperatorMask(EditTask task, int factor, int size, int channels);

// Denoising: x = f(noisy, sigma) (or D(noisy, sigma) for an EDM denoiser), clamped to [-1, 1].
std::vector<cv::Mat> denoise(const Model& model, const std::vector<cv::Mat>& noisy, double sigma,
                             const Conditioning& conditioning = {});
// Adds N(0, sigma^2) noise, image j seeded seed + j (for demonstrations and tests).
std::vector<cv::Mat> addNoise(const std::vector<cv::Mat>& images, double sigma, uint64_t seed);

struct InterpolationParams {
    uint64_t seedA = 0, seedB = 1; // the noises of the one-step samples with these seeds
    int frames = 8;                // >= 2; the first and last are those samples
    Conditioning conditioning;     // end A's class (one for every frame unless end B has its own)
    Conditioning conditioningB;    // end B's class: empty = end A's; else frames blend the two embeddings
};
// Spherical interpolation of the two seeds' noises, each frame f(sigma_max z(a), sigma_max); with two
// classes, frame t's class embedding is (1 - t) e(A) + t e(B).
std::vector<cv::Mat> interpolate(const Model& model, const InterpolationParams& params,
                                 const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr);

} // namespace cm
