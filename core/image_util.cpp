#include "image_util.h"

#include "atomic_file.h"
#include "error.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>

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

bool jpegHeader(const std::vector<uint8_t>& b, ImageHeader& header) {
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
            // Length (2), sample precision (1), height (2), width (2), component count (1).
            if (pos + 8 > b.size()) return false;
            header.bytesPerSample = b[pos + 2] > 8 ? 2 : 1;
            header.height = be16(b, pos + 3);
            header.width = be16(b, pos + 5);
            header.channels = std::max(1, int(b[pos + 7]));
            return true;
        }
        if (length < 2) return false;
        pos += length;
    }
    return false;
}

bool webpHeader(const std::vector<uint8_t>& b, ImageHeader& header) {
    header.channels = 4; // the decoder may add alpha; budget for it
    header.bytesPerSample = 1;
    if (startsWith(b, 12, "VP8 ", 4) && b.size() >= 30 && startsWith(b, 23, "\x9d\x01\x2a", 3)) {
        header.width = le16(b, 26) & 0x3FFF;
        header.height = le16(b, 28) & 0x3FFF;
        return true;
    }
    if (startsWith(b, 12, "VP8L", 4) && b.size() >= 25 && b[20] == 0x2F) {
        const uint32_t bits = le16(b, 21) | uint32_t(le16(b, 23)) << 16;
        header.width = int64_t(bits & 0x3FFF) + 1;
        header.height = int64_t((bits >> 14) & 0x3FFF) + 1;
        return true;
    }
    if (startsWith(b, 12, "VP8X", 4) && b.size() >= 30) {
        header.width = int64_t(le24(b, 24)) + 1;
        header.height = int64_t(le24(b, 27)) + 1;
        return true;
    }
    return false;
}

bool pngHeader(const std::vector<uint8_t>& b, ImageHeader& header) {
    // IHDR: width (4), height (4), bit depth (1), colour type (1).
    if (b.size() < 26 || !startsWith(b, 12, "IHDR", 4)) return false;
    header.width = be32(b, 16);
    header.height = be32(b, 20);
    header.bytesPerSample = b[24] == 16 ? 2 : 1;
    switch (b[25]) {
    case 0: // grey
        header.channels = 1;
        break;
    case 2: // RGB
        header.channels = 3;
        break;
    default: // palette, grey + alpha, RGBA: decoded with alpha
        header.channels = 4;
        break;
    }
    return true;
}

constexpr int64_t kMegabyte = 1 << 20;

// Refuses an image whose decoded form would exceed the limits; `header` comes from the file or the decoder.
void checkDecodedSize(const std::string& path, const ImageHeader& header) {
    const int64_t width = header.width, height = header.height;
    if (height > 0 && width > kMaxImagePixels / height)
        throw Error(ErrorKind::Format, path + ": the image is " + std::to_string(width) + " x " +
                                           std::to_string(height) + " pixels, more than the limit of " +
                                           std::to_string(kMaxImagePixels / 1000000) + " megapixels");
    if (header.decodedBytes() > kMaxDecodedImageBytes)
        throw Error(ErrorKind::Format,
                    path + ": the image is " + std::to_string(width) + " x " + std::to_string(height) +
                        " pixels of " + std::to_string(header.channels) + " x " +
                        std::to_string(8 * header.bytesPerSample) + "-bit samples; decoding it would take " +
                        std::to_string((header.decodedBytes() + kMegabyte - 1) / kMegabyte) +
                        " MB, more than the limit of " + std::to_string(kMaxDecodedImageBytes / kMegabyte) +
                        " MB");
}

// The file's bytes, refused unread when the file is larger than any image this reads could be compressed to.
std::vector<uint8_t> readImageBytes(const std::string& path) {
    std::vector<uint8_t> bytes = readWholeFile(path, kMaxDecodedImageBytes + kMaxDecodedImageBytes / 8);
    if (sniffKind(bytes) == ImageKind::Unknown)
        throw Error(ErrorKind::Format, path + ": not a PNG, JPEG or WebP image");
    return bytes;
}

// Composites colour channels over white using the last channel as alpha; returns the colour channels only.
// Integer arithmetic row by row: no float copies of a large image.
cv::Mat compositeOnWhite(const cv::Mat& withAlpha) {
    const int colours = withAlpha.channels() - 1;
    cv::Mat out(withAlpha.rows, withAlpha.cols, CV_8UC(colours));
    for (int y = 0; y < withAlpha.rows; ++y) {
        const uint8_t* in = withAlpha.ptr<uint8_t>(y);
        uint8_t* result = out.ptr<uint8_t>(y);
        for (int x = 0; x < withAlpha.cols; ++x, in += colours + 1, result += colours) {
            const int alpha = in[colours];
            for (int c = 0; c < colours; ++c) // rounded v * a / 255 + 255 * (1 - a / 255)
                result[c] = uint8_t((in[c] * alpha + 255 * (255 - alpha) + 127) / 255);
        }
    }
    return out;
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

int64_t ImageHeader::decodedBytes() const {
    int64_t bytes = 0;
    if (width < 0 || height < 0 || __builtin_mul_overflow(width, height, &bytes) ||
        __builtin_mul_overflow(bytes, int64_t(std::max(channels, 1)) * bytesPerSample, &bytes))
        return std::numeric_limits<int64_t>::max();
    return bytes;
}

bool parseImageHeader(const std::vector<uint8_t>& bytes, ImageHeader& header) {
    header = ImageHeader{};
    switch (sniffKind(bytes)) {
    case ImageKind::Png:
        return pngHeader(bytes, header);
    case ImageKind::Jpeg:
        return jpegHeader(bytes, header);
    case ImageKind::Webp:
        return webpHeader(bytes, header);
    case ImageKind::Unknown:
        return false;
    }
    return false;
}

bool imageHeaderSize(const std::vector<uint8_t>& bytes, int64_t& width, int64_t& height) {
    ImageHeader header;
    if (!parseImageHeader(bytes, header)) return false;
    width = header.width;
    height = header.height;
    return true;
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

ImageHeader readImageFileHeader(const std::string& path) {
    ImageHeader header;
    if (!parseImageHeader(readImageBytes(path), header))
        throw Error(ErrorKind::Format, path + ": the image header is damaged");
    checkDecodedSize(path, header);
    return header;
}

cv::Mat readImageFile(const std::string& path) {
    return decodeImage(readImageBytes(path), path);
}

cv::Mat decodeImage(const std::vector<uint8_t>& bytes, const std::string& path) {
    if (sniffKind(bytes) == ImageKind::Unknown)
        throw Error(ErrorKind::Format, path + ": not a PNG, JPEG or WebP image");
    // Refuse before decoding when the header declares a huge image; check again afterwards in case the
    // header parse missed it.
    ImageHeader header;
    const bool headerParsed = parseImageHeader(bytes, header);
    if (headerParsed) checkDecodedSize(path, header);
    // OpenCV hands a file that libwebp refuses to the next reader whose signature matches, and its DICOM
    // reader (GDCM), which claims any file with "DICM" at byte 128, aborts the process on malformed input.
    // PNG and JPEG cannot fall through: OpenCV's signature checks for them are the ones sniffKind makes.
    if (sniffKind(bytes) == ImageKind::Webp && (!headerParsed || startsWith(bytes, 128, "DICM", 4)))
        throw Error(ErrorKind::Format, path + ": a damaged WebP image (no valid VP8, VP8L or VP8X header)");

    cv::Mat decoded;
    try {
        decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw Error(ErrorKind::Format, path + ": cannot decode the image: " + e.what());
    }
    if (decoded.empty())
        throw Error(ErrorKind::Format, path + ": not a decodable image (damaged or unsupported)");
    checkDecodedSize(path, {decoded.cols, decoded.rows, decoded.channels(), int(decoded.elemSize1())});

    cv::Mat eightBit;
    if (decoded.depth() == CV_8U)
        eightBit = decoded;
    else if (decoded.depth() == CV_16U)
        decoded.convertTo(eightBit, CV_8U, 1.0 / 257.0);
    else
        throw Error(ErrorKind::Format,
                    path + ": unsupported sample type (only 8- and 16-bit images are read)");
    decoded.release(); // a 16-bit original is not needed once its 8-bit copy exists

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

NpyArray readNpy(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(ErrorKind::Io, path + ": cannot open");
    auto fail = [&](const std::string& what) -> NpyArray { throw Error(ErrorKind::Format, path + ": " + what); };
    uint8_t preamble[8] = {};
    if (!in.read(reinterpret_cast<char*>(preamble), 8) || std::memcmp(preamble, "\x93NUMPY", 6) != 0)
        return fail("not a NumPy .npy file (no \\x93NUMPY magic)");
    const int major = preamble[6];
    if (major < 1 || major > 3) return fail("unsupported .npy version " + std::to_string(major));
    uint32_t headerLength = 0;
    uint8_t lengthBytes[4] = {};
    const int lengthSize = major == 1 ? 2 : 4;
    if (!in.read(reinterpret_cast<char*>(lengthBytes), lengthSize)) return fail("truncated header");
    for (int i = lengthSize - 1; i >= 0; --i)
        headerLength = (headerLength << 8) | lengthBytes[i];
    if (headerLength > 65536) return fail("header of " + std::to_string(headerLength) + " bytes is too long");
    std::string header(headerLength, '\0');
    if (!in.read(header.data(), headerLength)) return fail("truncated header");
    auto valueOf = [&](const std::string& key) {
        const auto at = header.find("'" + key + "'");
        if (at == std::string::npos) fail("header has no '" + key + "'");
        const auto colon = header.find(':', at);
        if (colon == std::string::npos) fail("malformed header");
        return colon + 1;
    };
    const auto descr = valueOf("descr");
    if (header.compare(header.find_first_not_of(' ', descr), 6, "'<f4'") != 0 &&
        header.compare(header.find_first_not_of(' ', descr), 6, "'<f4',") != 0)
        return fail("dtype must be float32 little-endian ('<f4'); convert with x.astype(np.float32)");
    const auto fortran = header.find_first_not_of(' ', valueOf("fortran_order"));
    if (header.compare(fortran, 5, "False") != 0) return fail("Fortran order is not supported (use C order)");
    const auto open = header.find('(', valueOf("shape"));
    const auto close = header.find(')', open);
    if (open == std::string::npos || close == std::string::npos) return fail("malformed shape");
    NpyArray array;
    uint64_t count = 1;
    std::string dims = header.substr(open + 1, close - open - 1);
    std::size_t pos = 0;
    while (pos < dims.size()) {
        const auto comma = dims.find(',', pos);
        std::string item = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? dims.size() : comma + 1;
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item.empty()) continue;
        int64_t d = 0;
        const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), d);
        if (error != std::errc() || end != item.data() + item.size() || d < 0 || array.shape.size() >= 32 ||
            __builtin_mul_overflow(count, uint64_t(d), &count))
            return fail("malformed shape (" + item.substr(0, 20) + ")");
        array.shape.push_back(d);
    }
    const auto start = in.tellg();
    in.seekg(0, std::ios::end);
    const uint64_t dataBytes = uint64_t(in.tellg() - start);
    if (count > dataBytes / sizeof(float) || dataBytes != count * sizeof(float))
        return fail("the shape holds " + std::to_string(count) + " floats but the file has " +
                    std::to_string(dataBytes) + " data bytes");
    in.seekg(start);
    array.values.resize(count);
    if (count && !in.read(reinterpret_cast<char*>(array.values.data()), std::streamsize(dataBytes)))
        return fail("truncated data");
    return array;
}

std::vector<cv::Mat> imagesFromNchw(const NpyArray& array, const std::string& origin) {
    if (array.shape.size() != 4)
        throw Error(ErrorKind::Shape, origin + ": expected a (N, C, H, W) array, got " +
                                          std::to_string(array.shape.size()) + " dimensions");
    const int n = int(array.shape[0]), c = int(array.shape[1]), h = int(array.shape[2]), w = int(array.shape[3]);
    std::vector<cv::Mat> images;
    for (int j = 0; j < n; ++j) {
        std::vector<cv::Mat> planes;
        for (int k = 0; k < c; ++k)
            planes.push_back(
                cv::Mat(h, w, CV_32F, const_cast<float*>(array.values.data()) + (int64_t(j) * c + k) * h * w).clone());
        cv::Mat image;
        cv::merge(planes, image);
        images.push_back(image);
    }
    return images;
}

} // namespace cm
