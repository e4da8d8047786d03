// Torch-free image helpers shared by the data loaders, the CLI and the GUI. Images in memory are
// float in [-1, 1] (CV_32FC1 / CV_32FC3) or 8-bit for display and files; colour is always RGB order
// (OpenCV's BGR appears only inside these functions). Reentrant and thread-safe.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

// Decoded images larger than these are refused: a small malicious file can claim gigapixels. Memory is
// budgeted in bytes as the decoder allocates them (a 16-bit RGBA pixel takes 8), and the file itself may not
// be larger than the decoded image could be.
inline constexpr int64_t kMaxImagePixels = 100'000'000;
inline constexpr int64_t kMaxDecodedImageBytes = int64_t(256) << 20;

// What a PNG, JPEG or WebP header declares: the size, and the samples the decoder will produce per pixel.
struct ImageHeader {
    int64_t width = 0, height = 0;
    int channels = 0;             // as decoded (a palette or grey-and-alpha PNG decodes to 4)
    int bytesPerSample = 1;       // 2 for 16-bit PNG
    int64_t decodedBytes() const; // saturates instead of overflowing
};

// [-1, 1] float (CV_32FC1 or CV_32FC3) -> CV_8UC1 / CV_8UC3, clamped and rounded; NaN becomes black.
cv::Mat toDisplay8U(const cv::Mat& floatImage);
// CV_8UC1 / CV_8UC3 -> float in [-1, 1] via v / 127.5 - 1 (the exact inverse of toDisplay8U on 8-bit levels).
cv::Mat fromDisplay8U(const cv::Mat& u8);

// Tiles equally sized 8-bit images row by row, `columns` per row, separated and framed by `padding`
// white (255) pixels. Different sizes or types are cm::Error(Shape).
cv::Mat makeGrid(const std::vector<cv::Mat>& images8U, int columns, int padding = 2);

// Encodes an RGB or grey 8-bit image as PNG, JPEG or WebP (chosen by the extension: .png, .jpg, .jpeg,
// .webp; WebP is lossless) and writes it atomically. Other extensions are cm::Error(InvalidArgument).
void writeImageAtomically(const std::string& path, const cv::Mat& rgbOrGrey8U);

// Reads a PNG, JPEG or WebP file as 8-bit RGB (CV_8UC3) or grey (CV_8UC1): 16-bit samples are scaled
// to 8 bits and transparency is composited on white. A missing file is cm::Error(Io); anything that is
// not a decodable PNG/JPEG/WebP, or larger than kMaxImagePixels or kMaxDecodedImageBytes (checked on the
// header, before decoding), is cm::Error(Format). Messages start with the path.
cv::Mat readImageFile(const std::string& path);

// readImageFile on bytes already in memory; `origin` starts the error messages.
cv::Mat decodeImage(const std::vector<uint8_t>& bytes, const std::string& origin);

// The header of an image file, read and checked like readImageFile does, without decoding the image:
// callers refuse a wrong size before paying for the decode.
ImageHeader readImageFileHeader(const std::string& path);

// The header a PNG, JPEG or WebP image declares, without decoding; false if the bytes are not one of those
// formats or the header is damaged.
bool parseImageHeader(const std::vector<uint8_t>& bytes, ImageHeader& header);
bool imageHeaderSize(const std::vector<uint8_t>& bytes, int64_t& width, int64_t& height);

// Writes a NumPy .npy file (format 1.0, '<f4', C order) atomically. values.size() must equal the
// product of `shape` (an empty shape is a scalar), else cm::Error(InvalidArgument).
void writeNpy(const std::string& path, const std::vector<float>& values, const std::vector<int64_t>& shape);

struct NpyArray {
    std::vector<int64_t> shape;
    std::vector<float> values; // C order
};
// Reads a float32 little-endian C-order .npy (format 1.0-3.0). Anything else (another dtype, Fortran
// order, a header or data size that does not match the shape) is cm::Error(Format) naming the file.
NpyArray readNpy(const std::string& path);
// An (N, C, H, W) array as N images of C channels (CV_32FC(C)); cm::Error(Shape) for another rank.
std::vector<cv::Mat> imagesFromNchw(const NpyArray& array, const std::string& origin);

} // namespace cm
