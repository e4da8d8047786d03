#include "image_util.h"

#include "atomic_file.h"
#include "error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace cm {

namespace {

enum class ImageKind { Unknown, Png, Jpeg, Webp };

bool startsWith(const std::vector<uint8_t>& bytes, std::size_t offset, const char* text, std::size_t length) {
    return bytes.size() >= offset + length && std::memcmp(bytes.data() + offset, text, length) == 0;
}

ImageKind sniffKind(const std::vector<uint8_t>& bytes) {
    if (startsWith(bytes, 0, "\x89PNG\r\n\x1a\n", 8)) return ImageKind::Png;
    if (startsWith(bytes, 0, "\xff\xd8\xff", 3)) return ImageKind::Jpeg;
    if (startsWith(bytes, 0, "RIFF", 4) && startsWith(bytes, 8, "WEBP", 4)) return ImageKind::Webp;
    return ImageKind::Unknown;
}

uint32_t be16(const std::vector<uint8_t>& b, std::size_t i) {
    return uint32_t(b[i]) << 8 | b[i + 1];
}
uint32_t be32(const std::vector<uint8_t>& b, std::size_t i) {
    return be16(b, i) << 16 | be16(b, i + 2);
}
uint32_t le16(const std::vector<uint8_t>& b, std::size_t i) {
    return uint32_t(b[i + 1]) << 8 | b[i];
}
uint32_t le24(const std::vector<uint8_t>& b, std::size_t i) {
    return uint32_t(b[i + 2]) << 16 | le16(b, i);
}

bool jpegHeaderSize(const std::vector<uint8_t>& b, int64_t& width, int64_t& height) {
    std::size_t pos = 2;
    while (pos < b.size()) {
        // Like libjpeg, tolerate stray bytes and fill bytes (0xFF runs) before a marker.
        while (pos < b.size() && b[pos] != 0xFF)
            ++pos;
        while (pos < b.size() && b[pos] == 0xFF)
            ++pos;
        if (pos >= b.size()) return false;
        const uint8_t marker = b[pos++];
        if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue; // no length field
        if (marker == 0xD9 || marker == 0xDA || pos + 2 > b.size())
            return false; // image data before any frame
        const std::size_t length = be16(b, pos);
        const bool startOfFrame =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (startOfFrame) {
            if (pos + 7 > b.size()) return false;
            height = be16(b, pos + 3);
            width = be16(b, pos + 5);
            return true;
        }
        if (length < 2) return false;
        pos += length;
    }
    return false;
}

bool webpHeaderSize(const std::vector<uint8_t>& b, int64_t& width, int64_t& height) {
    if (startsWith(b, 12, "VP8 ", 4) && b.size() >= 30 && startsWith(b, 23, "\x9d\x01\x2a", 3)) {
        width = le16(b, 26) & 0x3FFF;
        height = le16(b, 28) & 0x3FFF;
        return true;
    }
    if (startsWith(b, 12, "VP8L", 4) && b.size() >= 25 && b[20] == 0x2F) {
        const uint32_t bits = le16(b, 21) | uint32_t(le16(b, 23)) << 16;
        width = int64_t(bits & 0x3FFF) + 1;
        height = int64_t((bits >> 14) & 0x3FFF) + 1;
        return true;
    }
    if (startsWith(b, 12, "VP8X", 4) && b.size() >= 30) {
        width = int64_t(le24(b, 24)) + 1;
        height = int64_t(le24(b, 27)) + 1;
        return true;
    }
    return false;
}

[[noreturn]] void throwTooLarge(const std::string& path, int64_t width, int64_t height) {
    throw Error(ErrorKind::Format, path + ": the image is " + std::to_string(width) + " x " +
                                       std::to_string(height) + " pixels, more than the limit of " +
                                       std::to_string(kMaxImagePixels / 1000000) + " megapixels");
}

// Composites colour channels over white using the last channel as alpha; returns the colour channels only.
cv::Mat compositeOnWhite(const cv::Mat& withAlpha) {
    std::vector<cv::Mat> planes;
    cv::split(withAlpha, planes);
    cv::Mat alpha;
    planes.back().convertTo(alpha, CV_32F, 1.0 / 255.0);
    planes.pop_back();
    const cv::Mat inverse = 1.0 - alpha;
    for (cv::Mat& plane : planes) {
        cv::Mat value;
        plane.convertTo(value, CV_32F);
        value = value.mul(alpha) + inverse * 255.0;
        value.convertTo(plane, CV_8U);
    }
    cv::Mat merged;
    cv::merge(planes, merged);
    return merged;
}

void checkEightBit(const cv::Mat& image, const char* function) {
    if (image.empty() || (image.type() != CV_8UC1 && image.type() != CV_8UC3))
        throw Error(ErrorKind::InvalidArgument,
                    std::string(function) +
                        " needs a non-empty 8-bit grey or RGB image (CV_8UC1 or CV_8UC3)");
}

std::string lowercaseExtension(const std::string& path) {
    const std::size_t dot = path.rfind('.');
    const std::size_t slash = path.rfind('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string ext = path.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

} // namespace

bool imageHeaderSize(const std::vector<uint8_t>& bytes, int64_t& width, int64_t& height) {
    switch (sniffKind(bytes)) {
    case ImageKind::Png:
        if (bytes.size() < 24 || !startsWith(bytes, 12, "IHDR", 4)) return false;
        width = be32(bytes, 16);
        height = be32(bytes, 20);
        return true;
    case ImageKind::Jpeg:
        return jpegHeaderSize(bytes, width, height);
    case ImageKind::Webp:
        return webpHeaderSize(bytes, width, height);
    case ImageKind::Unknown:
        return false;
    }
    return false;
}

cv::Mat toDisplay8U(const cv::Mat& floatImage) {
    if (floatImage.type() != CV_32FC1 && floatImage.type() != CV_32FC3)
        throw Error(ErrorKind::InvalidArgument, "toDisplay8U needs a float image (CV_32FC1 or CV_32FC3)");
    cv::Mat clamped = floatImage.clone();
    cv::patchNaNs(clamped, -1.0);
    // Clamp before converting: saturate_cast of an infinity is not a clamp on every platform.
    cv::max(clamped, -1.0, clamped);
    cv::min(clamped, 1.0, clamped);
    cv::Mat out;
    clamped.convertTo(out, CV_8U, 127.5, 127.5);
    return out;
}

cv::Mat fromDisplay8U(const cv::Mat& u8) {
    checkEightBit(u8, "fromDisplay8U");
    cv::Mat out;
    u8.convertTo(out, CV_32F, 1.0 / 127.5, -1.0);
    return out;
}

cv::Mat makeGrid(const std::vector<cv::Mat>& images8U, int columns, int padding) {
    if (images8U.empty()) throw Error(ErrorKind::InvalidArgument, "makeGrid needs at least one image");
    if (columns < 1 || padding < 0)
        throw Error(ErrorKind::InvalidArgument, "makeGrid needs columns >= 1 and padding >= 0, got columns " +
                                                    std::to_string(columns) + ", padding " +
                                                    std::to_string(padding));
    const cv::Mat& first = images8U.front();
    checkEightBit(first, "makeGrid");
    for (std::size_t i = 1; i < images8U.size(); ++i) {
        const cv::Mat& image = images8U[i];
        if (image.size() != first.size() || image.type() != first.type())
            throw Error(ErrorKind::Shape,
                        "makeGrid: image " + std::to_string(i) + " is " + std::to_string(image.cols) + "x" +
                            std::to_string(image.rows) + " with " + std::to_string(image.channels()) +
                            " channel(s) but image 0 is " + std::to_string(first.cols) + "x" +
                            std::to_string(first.rows) + " with " + std::to_string(first.channels()));
    }
    const int count = int(images8U.size());
    const int cols = std::min(columns, count);
    const int rows = (count + cols - 1) / cols;
    const int w = first.cols, h = first.rows;
    cv::Mat grid(rows * h + (rows + 1) * padding, cols * w + (cols + 1) * padding, first.type(),
                 cv::Scalar::all(255));
    for (int i = 0; i < count; ++i) {
        const int r = i / cols, c = i % cols;
        images8U[std::size_t(i)].copyTo(
            grid(cv::Rect(padding + c * (w + padding), padding + r * (h + padding), w, h)));
    }
    return grid;
}

void writeImageAtomically(const std::string& path, const cv::Mat& rgbOrGrey8U) {
    const std::string ext = lowercaseExtension(path);
    std::vector<int> params;
    if (ext == ".jpg" || ext == ".jpeg") {
        params = {cv::IMWRITE_JPEG_QUALITY, 95};
    } else if (ext != ".png" && ext != ".webp") {
        throw Error(ErrorKind::InvalidArgument,
                    path + ": unknown image extension \"" + ext + "\" (use .png, .jpg, .jpeg or .webp)");
    }
    checkEightBit(rgbOrGrey8U, "writeImageAtomically");
    // A fresh Mat: assigning the input would share its pixels and cvtColor would swap them in place.
    cv::Mat bgr;
    if (rgbOrGrey8U.channels() == 3)
        cv::cvtColor(rgbOrGrey8U, bgr, cv::COLOR_RGB2BGR);
    else
        bgr = rgbOrGrey8U;
    std::vector<uint8_t> encoded;
    bool ok = false;
    try {
        ok = cv::imencode(ext, bgr, encoded, params);
    } catch (const cv::Exception& e) {
        throw Error(ErrorKind::Io, path + ": cannot encode the image: " + e.what());
    }
    if (!ok) throw Error(ErrorKind::Io, path + ": cannot encode the image as " + ext);
    writeFileAtomically(path, encoded);
}

cv::Mat readImageFile(const std::string& path) {
    const std::vector<uint8_t> bytes = readWholeFile(path);
    if (sniffKind(bytes) == ImageKind::Unknown)
        throw Error(ErrorKind::Format, path + ": not a PNG, JPEG or WebP image");
    int64_t width = 0, height = 0;
    // Refuse before decoding when the header declares a huge image; check again afterwards in case the
    // header parse missed it.
    if (imageHeaderSize(bytes, width, height) && height > 0 && width > kMaxImagePixels / height)
        throwTooLarge(path, width, height);

    cv::Mat decoded;
    try {
        decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw Error(ErrorKind::Format, path + ": cannot decode the image: " + e.what());
    }
    if (decoded.empty())
        throw Error(ErrorKind::Format, path + ": not a decodable image (damaged or unsupported)");
    if (int64_t(decoded.total()) > kMaxImagePixels) throwTooLarge(path, decoded.cols, decoded.rows);

    cv::Mat eightBit;
    if (decoded.depth() == CV_8U)
        eightBit = decoded;
    else if (decoded.depth() == CV_16U)
        decoded.convertTo(eightBit, CV_8U, 1.0 / 257.0);
    else
        throw Error(ErrorKind::Format,
                    path + ": unsupported sample type (only 8- and 16-bit images are read)");

    switch (eightBit.channels()) {
    case 1:
        return eightBit;
    case 2:
        return compositeOnWhite(eightBit);
    case 3: {
        cv::Mat rgb;
        cv::cvtColor(eightBit, rgb, cv::COLOR_BGR2RGB);
        return rgb;
    }
    case 4: {
        cv::Mat rgb;
        cv::cvtColor(compositeOnWhite(eightBit), rgb, cv::COLOR_BGR2RGB);
        return rgb;
    }
    default:
        throw Error(ErrorKind::Format,
                    path + ": unsupported channel count " + std::to_string(eightBit.channels()));
    }
}

void writeNpy(const std::string& path, const std::vector<float>& values, const std::vector<int64_t>& shape) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "writeNpy writes host floats as '<f4'");
    uint64_t count = 1;
    std::string dims;
    for (int64_t d : shape) {
        if (d < 0 || __builtin_mul_overflow(count, uint64_t(d), &count))
            throw Error(ErrorKind::InvalidArgument, path + ": invalid .npy shape (negative or overflowing)");
        dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    }
    if (shape.size() == 1) dims += ",";
    if (count != values.size())
        throw Error(ErrorKind::InvalidArgument, path + ": the shape holds " + std::to_string(count) +
                                                    " values but " + std::to_string(values.size()) +
                                                    " were given");

    std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
    // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64 (NumPy's alignment).
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header += '\n';
    if (header.size() > 65535)
        throw Error(ErrorKind::InvalidArgument,
                    path + ": the .npy shape has too many dimensions for format 1.0");

    const uint8_t preamble[10] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, uint8_t(header.size() & 0xFF), uint8_t(header.size() >> 8)};
    const std::size_t dataBytes = values.size() * sizeof(float);
    std::vector<uint8_t> bytes(sizeof preamble + header.size() + dataBytes);
    std::memcpy(bytes.data(), preamble, sizeof preamble);
    std::memcpy(bytes.data() + sizeof preamble, header.data(), header.size());
    if (dataBytes) std::memcpy(bytes.data() + sizeof preamble + header.size(), values.data(), dataBytes);
    writeFileAtomically(path, bytes);
}

} // namespace cm
