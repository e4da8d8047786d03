#include "cli_images.h"

#include "cli_options.h"
#include "core/edit_input.h"
#include "core/image_util.h"

#include <opencv2/imgproc.hpp>

#include <cstdio>

cv::Mat loadModelImage(const QString& path, int size, int channels, bool fit) {
    if (!fit) {
        const cm::ImageHeader header = cm::readImageFileHeader(str(path));
        cm::requireEditInputSize(header.width, header.height, size, str(path));
    }
    cm::NetworkConfig shape;
    shape.imageSize = size;
    shape.channels = channels;
    // A stroke edit's input is the whole image at the model's size and channels: the same rule.
    const cm::PreparedEditInput input =
        cm::prepareEditInput(cm::EditTask::Stroke, cm::readImageFile(str(path)), shape, 0, fit, str(path));
    for (const std::string& note : input.notes)
        std::fprintf(stderr, "note: %s\n", note.c_str());
    return input.image;
}

void writeModelImage(const QString& path, const cv::Mat& image, int zoom) {
    cv::Mat out = cm::toDisplay8U(image);
    if (zoom > 1) cv::resize(out, out, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
    cm::writeImageAtomically(str(path), out);
}
