// libFuzzer target: image loading as the engine does it for edits and image-folder data sets (header check,
// then PNG/JPEG/WebP decoding, 16-bit and alpha handling). Only cm::Error may leave it, nothing may take
// more memory than the decode budget allows, and an image it returns is 8-bit grey or RGB.
#include "core/error.h"
#include "core/image_util.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    cm::ImageHeader header;
    if (cm::parseImageHeader(bytes, header) && (header.width < 0 || header.height < 0)) std::abort();
    try {
        const cv::Mat image = cm::decodeImage(bytes, "fuzz.png");
        if (image.type() != CV_8UC1 && image.type() != CV_8UC3) std::abort();
        if (int64_t(image.total()) > cm::kMaxImagePixels) std::abort();
    } catch (const cm::Error&) {
    }
    return 0;
}
