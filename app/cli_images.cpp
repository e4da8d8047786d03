#include "cli_images.h"

#include "cli_options.h"
#include "core/image_util.h"

#include <opencv2/imgproc.hpp>

#include <cstdio>

namespace {

bool isGreyInRgb(const cv::Mat& rgb) {
    std::vector<cv::Mat> planes;
    cv::split(rgb, planes);
    return cv::countNonZero(planes[0] != planes[1]) == 0 && cv::countNonZero(planes[1] != planes[2]) == 0;
}

cm::Error wrongSize(const QString& path, int64_t width, int64_t height, int size) {
    return cm::Error(cm::ErrorKind::Shape, str(path) + " is " + std::to_string(width) + "x" +
                                               std::to_string(height) + "; this needs " +
                                               std::to_string(size) + "x" + std::to_string(size) +
                                               " (pass --fit to resize and centre-crop)");
}

} // namespace

cv::Mat fitSquare(const cv::Mat& image, int size, int interpolation) {
    const double scale = double(size) / std::min(image.cols, image.rows);
    const int w = std::max(size, int(std::lround(image.cols * scale)));
    const int h = std::max(size, int(std::lround(image.rows * scale)));
    cv::Mat resized;
    cv::resize(image, resized, cv::Size(w, h), 0, 0, interpolation);
    return resized(cv::Rect((w - size) / 2, (h - size) / 2, size, size)).clone();
}

cv::Mat loadInput(const QString& path, int size, int channels, bool fit, bool wantGrey) {
    if (!fit) {
        const cm::ImageHeader header = cm::readImageFileHeader(str(path));
        if (header.width != size || header.height != size)
            throw wrongSize(path, header.width, header.height, size);
    }
    cv::Mat image = cm::readImageFile(str(path));
    if (image.channels() == 3 && (wantGrey || channels == 1)) {
        if (!isGreyInRgb(image)) {
            if (wantGrey)
                throw cm::Error(cm::ErrorKind::InvalidArgument,
                                str(path) + " is a colour image; colorize takes a grey image (convert it to grey first)");
            std::fprintf(stderr, "note: %s is in colour; the model is greyscale, so its luminance is used\n",
                         qPrintable(path));
        }
        cv::cvtColor(image, image, cv::COLOR_RGB2GRAY);
    } else if (image.channels() == 1 && channels == 3 && !wantGrey) {
        cv::cvtColor(image, image, cv::COLOR_GRAY2RGB);
    }
    if (image.cols != size || image.rows != size) {
        if (!fit) throw wrongSize(path, image.cols, image.rows, size);
        image = fitSquare(image, size, image.cols > size ? cv::INTER_AREA : cv::INTER_CUBIC);
    }
    return cm::fromDisplay8U(image);
}

void writeImage(const QString& path, const cv::Mat& image, int zoom) {
    cv::Mat out = cm::toDisplay8U(image);
    if (zoom > 1) cv::resize(out, out, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
    cm::writeImageAtomically(str(path), out);
}

