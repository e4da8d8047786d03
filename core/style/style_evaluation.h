// Measuring a style model (issue 19's comparison): on held-out styles and garments, each case prompts one
// garment with a reference of another garment in a held-out style, and the outputs are judged by networks
// that know the world's ground truth, not by the model:
// - style similarity: a style classifier trained on renders (labels: the render's colour word, texture kind
//   and background, styleWordsOf) predicts the *reference's* attributes from the output; and a
//   feature-statistics distance (per-channel mean and standard deviation of the style classifier's
//   convolutional map, Gatys/AdaIN style statistics) between output and reference;
// - prompt alignment: the Fashion-MNIST classifier reads the output's garment (garmentPlane) as the
//   prompted class; content leakage: it reads the reference's class instead;
// - FD of the outputs to real renders of the prompted garment in the reference's style ("ideals"), in the
//   style classifier's feature space; and the time per image.
// Reentrant; FeatureNet and Model handles are shared (see their headers).
#pragma once

#include "core/feature_net.h"
#include "core/model.h"
#include "core/progress.h"
#include "core/style_world.h"

#include <opencv2/core.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cm {

// ---- the style classifier ------------------------------------------------------------------------

// A render's style class: colour word x texture kind x background (7 x 5 x 4 = 140 classes), and back.
inline constexpr int kStyleColourWords = 7, kStyleTextureKinds = 5;
inline constexpr int kStyleClasses = kStyleColourWords * kStyleTextureKinds * kBackgroundKinds;
int styleClassOf(const StyleSpec& style, const Palette& palette);
struct StyleAttributes {
    int colour = 0, texture = 0, background = 0; // indices: styleWords() colour, TextureKind, BackgroundKind
};
StyleAttributes styleAttributesOf(int styleClass); // Error(InvalidArgument) outside 0..kStyleClasses-1
std::vector<std::string> styleClassNames();         // "red stripes white", ...

// `count` renders of drawn garments in drawn styles of `split`, labelled by style class.
Dataset styleLabelledRenders(const StyleWorld& world, int64_t count, StyleSplit split, uint64_t seed);

struct StyleClassifierParams {
    int64_t renders = 8192; // training renders (training styles of `train`)
    int64_t heldOutRenders = 1024; // held-out styles of `heldOut` (its garments: the test split)
    int epochs = 4;
    int width = 16;
    int featureDim = 64;
    uint64_t seed = 0;
    int threads = 0;
};
// A FeatureNet classifier of style classes, saved like every evaluator; its card's heldOutScore is the
// exact-class accuracy on held-out renders. Errors as trainFeatureNet.
FeatureNet trainStyleClassifier(const StyleWorld& train, const StyleWorld& heldOut, const StyleClassifierParams& params,
                                const std::function<void(const FeatureNetTrainStatus&)>& observe = {},
                                const CancelFlag* cancel = nullptr);

// ---- the judges --------------------------------------------------------------------------------------

// The garment of a 32x32 style-world image as a 28x28 Fashion-MNIST-like plane (CV_32FC1 in [-1, 1]):
// each pixel's RGB distance to the border's mean colour (the background), scaled so that the farthest
// pixel is 1, the centre 28x28 kept. A render's luminance alone cannot be read this way: on a white
// background the garment is darker than it, on a black one brighter.
cv::Mat garmentPlane(const cv::Mat& styleImage);

struct StyleJudges {
    FeatureNet styleClassifier;   // trainStyleClassifier (RGB 32 px, kStyleClasses classes)
    FeatureNet garmentClassifier; // a Fashion-MNIST classifier (grey 28 px, 10 classes), e.g. the bundled one
};
// Error(InvalidArgument) naming which judge does not read what it must.
void checkStyleJudges(const StyleJudges& judges);

// ---- cases and scores ----------------------------------------------------------------------------------

struct StyleCase {
    cv::Mat reference; // CV_8UC3: an item of referenceClass in `style`
    cv::Mat ideal;     // CV_8UC3: another item, of promptClass, in the same style (what a right answer looks like)
    StyleSpec style;
    int styleClass = 0; // styleClassOf(style): the attributes an output should show
    int referenceClass = 0, promptClass = 0; // always different
};
// `count` cases of `world` (its garments: use the test split for held-out garments), styles from `split`,
// classes drawn uniformly, the prompted one different from the reference's. Seeded.
std::vector<StyleCase> styleCases(const StyleWorld& world, StyleSplit split, int count, uint64_t seed);

struct StyleScores {
    long images = 0;
    // The share of outputs whose predicted attribute is the reference's: all three, and each alone.
    double styleMatch = 0, colourMatch = 0, textureMatch = 0, backgroundMatch = 0;
    double statisticsDistance = 0; // mean over cases of the feature-statistics distance to the reference
    double promptAlignment = 0;    // share classified as the prompted garment
    double leakage = 0;            // share classified as the reference's garment
    double fd = 0;                 // to the cases' ideals (style classifier features)
};
// Scores `outputs` (one per case, [-1, 1] float or 8-bit RGB of the world's size). Passing the cases'
// references or ideals as outputs gives the measures' own ranges. Error(InvalidArgument) for a count
// mismatch or fewer than two cases, Error(Shape) for images of another size.
StyleScores scoreStyleOutputs(const std::vector<StyleCase>& cases, const std::vector<cv::Mat>& outputs,
                              const StyleJudges& judges);
// The distance of the style statistics of two images (one formula for the score and the tests).
double styleStatisticsDistance(const FeatureNet& styleClassifier, const cv::Mat& a, const cv::Mat& b);

struct StyleEvaluationParams {
    int count = 64;
    uint64_t seed = 0;
    int edmPoints = 18; // Heun points of a multistep model (2 N - 1 evaluations); a one-step model takes 1
    StyleSplit split = StyleSplit::HeldOut;
};
struct StyleEvaluation {
    std::vector<StyleCase> cases;
    std::vector<cv::Mat> outputs; // CV_32FC3 in [-1, 1]
    StyleScores scores;
    StyleScores idealScores;     // the ideals scored as outputs: the ceiling the judges allow
    StyleScores referenceScores; // the references as outputs: what copying the reference scores
    int nfe = 0;
    double secondsPerImage = 0; // sampling only
};
// Samples each case (the prompted garment, the reference in style mode: content tokens zeroed; a single
// encoder keeps its one set) and scores it. Error(InvalidArgument) for a model that is not a style model.
StyleEvaluation evaluateStyleModel(const Model& styleModel, const StyleWorld& world, const StyleJudges& judges,
                                   const StyleEvaluationParams& params, const ProgressFn& progress = {},
                                   const CancelFlag* cancel = nullptr);

} // namespace cm
