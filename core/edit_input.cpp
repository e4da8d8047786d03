#include "edit_input.h"

#include "error.h"
#include "image_util.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace cm {

namespace {

bool isGreyInRgb(const cv::Mat& rgb) {
    std::vector<cv::Mat> planes;
    cv::split(rgb, planes);
    return cv::countNonZero(planes[0] != planes[1]) == 0 && cv::countNonZero(planes[1] != planes[2]) == 0;
}

cv::Mat toGrey(const cv::Mat& image) {
    if (image.channels() == 1) return image;
    cv::Mat grey;
    cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY); // Rec. 601, the luminance the colour operator keeps
    return grey;
}

cv::Mat sized(const cv::Mat& image, int size, bool fit, const std::string& origin, int interpolation = -1) {
    if (image.cols == size && image.rows == size) return image;
    if (!fit) requireEditInputSize(image.cols, image.rows, size, origin);
    return fitSquare(image, size, interpolation);
}

} // namespace

void requireEditInputSize(int64_t width, int64_t height, int size, const std::string& origin) {
    if (width == size && height == size) return;
    throw Error(ErrorKind::Shape, origin + " is " + std::to_string(width) + "x" + std::to_string(height) +
                                      "; this needs " + std::to_string(size) + "x" + std::to_string(size) +
                                      " (fit it: resize and centre-crop, --fit)");
}

void requireEditMaskSize(int64_t width, int64_t height, int size, const std::string& origin) {
    if (width == size && height == size) return;
    throw Error(ErrorKind::InvalidArgument, "the mask " + origin + " is " + std::to_string(width) + "x" +
                                                std::to_string(height) + " but the image is " + std::to_string(size) +
                                                "x" + std::to_string(size) + " (fit both: --fit)");
}

cv::Mat fitSquare(const cv::Mat& image, int size, int interpolation) {
    if (image.empty() || size < 1) throw Error(ErrorKind::InvalidArgument, "nothing to fit");
    const int side = std::min(image.cols, image.rows);
    if (interpolation < 0) interpolation = side > size ? cv::INTER_AREA : cv::INTER_CUBIC;
    const double scale = double(size) / side;
    const int w = std::max(size, int(std::lround(image.cols * scale)));
    const int h = std::max(size, int(std::lround(image.rows * scale)));
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(w, h), 0, 0, interpolation);
    return resized(cv::Rect((w - size) / 2, (h - size) / 2, size, size)).clone();
}

PreparedEditInput prepareEditInput(EditTask task, const cv::Mat& image8U, const NetworkConfig& network, int factor,
                                   bool fit, const std::string& origin) {
    if (image8U.empty() || image8U.depth() != CV_8U || (image8U.channels() != 1 && image8U.channels() != 3))
        throw Error(ErrorKind::InvalidArgument, origin + ": an 8-bit grey or RGB image is needed");
    const int size = network.imageSize, channels = network.channels;
    PreparedEditInput out;
    const bool colour = image8U.channels() == 3 && !isGreyInRgb(image8U);
    cv::Mat image = image8U;
    switch (task) {
    case EditTask::Colorize:
        if (channels != 3)
            throw Error(ErrorKind::InvalidArgument, "colorization needs an RGB model; this one is greyscale");
        if (colour) out.notes.push_back(origin + " is in colour: its colours are replaced, only its luminance is kept");
        image = sized(toGrey(image), size, fit, origin);
        break;
    case EditTask::SuperResolution: {
        if (factor != 2 && factor != 4 && factor != 8)
            throw Error(ErrorKind::InvalidArgument, "the factor is 2, 4 or 8, not " + std::to_string(factor));
        if (size % factor)
            throw Error(ErrorKind::InvalidArgument, "the factor " + std::to_string(factor) +
                                                        " does not divide the model's size " + std::to_string(size));
        const int low = size / factor;
        if (!(image.cols == low && image.rows == low)) {
            // A full-size image is reduced to its patch means: the low-resolution input the operator keeps.
            if (image.cols == size && image.rows == size) {
                cv::resize(image, image, cv::Size(low, low), 0, 0, cv::INTER_AREA);
            } else {
                if (!fit) requireEditInputSize(image.cols, image.rows, low, origin);
                image = fitSquare(image, low);
            }
        }
        break;
    }
    case EditTask::Inpaint:
    case EditTask::Stroke:
        image = sized(image, size, fit, origin);
        break;
    }
    if (task != EditTask::Colorize) {
        if (image.channels() == 3 && channels == 1) {
            if (colour) out.notes.push_back(origin + " is in colour; the model is greyscale, so its luminance is used");
            image = toGrey(image);
        } else if (image.channels() == 1 && channels == 3) {
            cv::cvtColor(image, image, cv::COLOR_GRAY2RGB);
        }
    }
    out.image = fromDisplay8U(image);
    return out;
}

cv::Mat prepareEditMask(const cv::Mat& mask8U, int size, bool fit, const std::string& origin) {
    if (mask8U.empty() || mask8U.depth() != CV_8U || (mask8U.channels() != 1 && mask8U.channels() != 3))
        throw Error(ErrorKind::InvalidArgument, origin + ": an 8-bit mask image is needed");
    cv::Mat mask = mask8U.channels() == 1 ? mask8U : toGrey(mask8U);
    if (mask.cols == size && mask.rows == size) return mask;
    if (!fit) requireEditMaskSize(mask.cols, mask.rows, size, origin);
    return fitSquare(mask, size, cv::INTER_NEAREST);
}

} // namespace cm
