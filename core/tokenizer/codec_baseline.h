// JPEG and WebP for scale beside the tokenizers: for each image the smallest file (over quality 1..100, whole
// file bytes, headers included) that keeps the image recognisable, "recognisable" meaning that the project's
// classifier puts the decoded file in the same class as it puts the original (agreement with the original,
// not with the label). Reentrant; the classifier is only read.
#pragma once

#include "core/feature_net.h"
#include "core/tokenizer/tokenizer_evaluation.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace cm {

enum class ImageCodec { Jpeg, Webp };
const char* imageCodecName(ImageCodec codec);                // "jpeg", "webp"
ImageCodec imageCodecFromName(const std::string& name);      // Error(InvalidArgument) otherwise

struct CodecChoice {
    long bytes = 0;
    int quality = 0;
    bool recognisable = false; // false: no quality kept the class; the highest quality's file is reported
    cv::Mat decoded;           // float [-1, 1]
};

// One choice per image (float [-1, 1], grey or RGB). Error(InvalidArgument) when `classifier` is not a
// classifier or its image shape is not the images'.
std::vector<CodecChoice> smallestRecognisableFiles(ImageCodec codec, const std::vector<cv::Mat>& images,
                                                   const FeatureNet& classifier);

// The same as a measurable method (bits per image = 8 x bytes); `recognised` (optional) counts the images
// some quality kept recognisable.
ReconstructionMethod codecMethod(ImageCodec codec, const FeatureNet& classifier, long* recognised = nullptr);

} // namespace cm
