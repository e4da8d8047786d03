// Turning a user's picture into an edit's input: the one place the CLI and the app check and adapt it.
// Plain functions on 8-bit images (CV_8UC1 grey or CV_8UC3 RGB, as readImageFile returns them).
#pragma once

#include "editing.h"
#include "network_config.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace cm {

struct PreparedEditInput {
    cv::Mat image;                  // what EditParams::images takes for the task, [-1, 1] float
    std::vector<std::string> notes; // what was changed that a user should know (colours dropped, ...)
};

// The input `task` needs on `network` from `image8U`: the size checked, or with `fit` the shorter side
// resized and the centre cropped (fitSquare); the channels adapted. Colorize takes the image's Rec. 601
// luminance (a colour image's colours are replaced: noted) and needs an RGB model. Super-resolution takes a
// low-resolution image (size / factor) or a full-size one reduced to its patch means; the factor must be 2,
// 4 or 8 and divide the size. A grey image on an RGB model is repeated in the three channels; a colour
// image on a grey model gives its luminance (noted). Throws Error(Shape) for a wrong size without `fit`,
// Error(InvalidArgument) otherwise; messages name `origin`.
PreparedEditInput prepareEditInput(EditTask task, const cv::Mat& image8U, const NetworkConfig& network, int factor,
                                   bool fit, const std::string& origin);
// An inpainting mask (nonzero = fill) at the model's size: grey, checked or fitted like its image.
cv::Mat prepareEditMask(const cv::Mat& mask8U, int size, bool fit, const std::string& origin);

// The size an edit's input must have without fitting (size / factor for a low-resolution input).
void requireEditInputSize(int64_t width, int64_t height, int size, const std::string& origin);
void requireEditMaskSize(int64_t width, int64_t height, int size, const std::string& origin);

// Shorter side resized to `size`, then centre-cropped: area averaging when shrinking, cubic when
// enlarging, or `interpolation` when given (nearest for masks).
cv::Mat fitSquare(const cv::Mat& image, int size, int interpolation = -1);

} // namespace cm
