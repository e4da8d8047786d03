#include "dataset.h"

#include "error.h"
#include "image_util.h"

#include <opencv2/imgproc.hpp>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace cm {

namespace fs = std::filesystem;

namespace {

constexpr int kMnistSide = 28;
constexpr int64_t kMnistPixels = kMnistSide * kMnistSide;
// IDX counts come from the file; a generous cap keeps a corrupt header from demanding terabytes.
constexpr uint32_t kMaxIdxItems = 1000000;
constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

const std::vector<std::string> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

[[noreturn]] void dataError(const std::string& message) {
    throw Error(ErrorKind::Data, message);
}

float toUnit(uint8_t v) {
    return float(v) / 127.5f - 1.0f;
}

// gzopen/gzread read gzip-compressed and plain files alike.
class GzReader {
  public:
    explicit GzReader(const std::string& path) : m_path(path), m_file(gzopen(path.c_str(), "rb")) {
        if (!m_file) dataError(path + ": cannot open the file");
        gzbuffer(m_file, 1 << 17);
    }
    ~GzReader() { gzclose(m_file); }
    GzReader(const GzReader&) = delete;
    GzReader& operator=(const GzReader&) = delete;

    // Reads up to `size` bytes in bounded chunks (memory grows only as data actually arrives) and
    // returns how many it got; a zlib error (e.g. a damaged gzip stream) throws.
    std::size_t read(std::vector<uint8_t>& out, std::size_t size) {
        out.clear();
        constexpr std::size_t kChunk = 1 << 20;
        while (out.size() < size) {
            const std::size_t want = std::min(kChunk, size - out.size());
            const std::size_t old = out.size();
            out.resize(old + want);
            const int got = gzread(m_file, out.data() + old, unsigned(want));
            if (got < 0) {
                int code = 0;
                const char* message = gzerror(m_file, &code);
                dataError(m_path + ": cannot read the data: " + (message ? message : "zlib error"));
            }
            out.resize(old + std::size_t(got));
            if (std::size_t(got) < want) break;
        }
        return out.size();
    }

  private:
    std::string m_path;
    gzFile m_file;
};

std::string findIdxFile(const std::string& directory, const std::string& name) {
    const std::string plain = (fs::path(directory) / name).string();
    const std::string gz = plain + ".gz";
    std::error_code ec;
    if (fs::is_regular_file(plain, ec)) return plain;
    if (fs::is_regular_file(gz, ec)) return gz;
    dataError("missing Fashion-MNIST file: neither " + plain + " nor " + gz + " exists");
}

std::string hex32(uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", unsigned(v));
    return text;
}

uint32_t bigEndian32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

// Reads an IDX file: checks magic, the expected dimensions, and that the payload is exactly complete.
std::vector<uint8_t> readIdx(const std::string& path, uint32_t magic, uint32_t& count) {
    GzReader reader(path);
    const bool images = magic == kImagesMagic;
    const std::size_t headerSize = images ? 16 : 8;
    std::vector<uint8_t> header;
    if (reader.read(header, headerSize) != headerSize)
        dataError(path + ": truncated: the IDX header needs " + std::to_string(headerSize) +
                  " bytes, found " + std::to_string(header.size()));
    const uint32_t foundMagic = bigEndian32(header.data());
    if (foundMagic != magic) {
        const char* what =
            images ? "unsigned-byte images, 3 dimensions" : "unsigned-byte labels, 1 dimension";
        dataError(path + ": bad IDX magic number " + hex32(foundMagic) + ", expected " + hex32(magic) + " (" +
                  what + ")");
    }
    count = bigEndian32(header.data() + 4);
    if (count > kMaxIdxItems)
        dataError(path + ": the header claims " + std::to_string(count) + " items, more than the limit of " +
                  std::to_string(kMaxIdxItems));
    if (images) {
        const uint32_t rows = bigEndian32(header.data() + 8), cols = bigEndian32(header.data() + 12);
        if (rows != kMnistSide || cols != kMnistSide)
            dataError(path + ": images are " + std::to_string(rows) + "x" + std::to_string(cols) +
                      ", expected 28x28");
    }
    const std::size_t payload = std::size_t(count) * (images ? std::size_t(kMnistPixels) : 1);
    std::vector<uint8_t> data;
    if (reader.read(data, payload) != payload)
        dataError(path + ": truncated: the header promises " + std::to_string(count) + " items (" +
                  std::to_string(payload) + " bytes) but only " + std::to_string(data.size()) +
                  " bytes follow");
    std::vector<uint8_t> extra;
    if (reader.read(extra, 1) != 0)
        dataError(path + ": unexpected bytes after the " + std::to_string(count) +
                  " items the header declares");
    return data;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return text;
}

bool isImageExtension(const fs::path& path) {
    const std::string ext = lowercase(path.extension().string());
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".webp";
}

// Resizes so the shorter side equals `size`, then crops the centre square.
cv::Mat resizeAndCrop(const cv::Mat& image, int size) {
    const int w = image.cols, h = image.rows;
    int newW = size, newH = size;
    if (w < h)
        newH = std::max(size, int(std::lround(double(h) * size / w)));
    else
        newW = std::max(size, int(std::lround(double(w) * size / h)));
    cv::Mat resized = image;
    if (newW != w || newH != h) {
        // INTER_AREA averages when shrinking (no aliasing); INTER_CUBIC is smoother when enlarging.
        const int interpolation = newW < w ? cv::INTER_AREA : cv::INTER_CUBIC;
        cv::resize(image, resized, cv::Size(newW, newH), 0, 0, interpolation);
    }
    return resized(cv::Rect((newW - size) / 2, (newH - size) / 2, size, size));
}

std::string skipReason(const std::string& path, const std::string& message) {
    return message.compare(0, path.size() + 2, path + ": ") == 0 ? message : path + ": " + message;
}

} // namespace

int64_t Dataset::itemSize() const {
    if (itemShape.empty()) return 0;
    int64_t size = 1;
    for (int64_t d : itemShape)
        size *= d;
    return size;
}

int64_t Dataset::count() const {
    const int64_t size = itemSize();
    return size > 0 ? int64_t(values.size()) / size : 0;
}

std::string defaultFashionMnistDirectory() {
    return "/usr/share/datasets/fashion-mnist";
}

Dataset loadFashionMnist(const std::string& directory, Split split) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec))
        dataError("the Fashion-MNIST directory " + directory +
                  " does not exist (on Debian: apt install dataset-fashion-mnist)");
    const std::string prefix = split == Split::Train ? "train" : "t10k";
    const std::string imagesPath = findIdxFile(directory, prefix + "-images-idx3-ubyte");
    const std::string labelsPath = findIdxFile(directory, prefix + "-labels-idx1-ubyte");

    uint32_t imageCount = 0, labelCount = 0;
    const std::vector<uint8_t> labels = readIdx(labelsPath, kLabelsMagic, labelCount);
    const std::vector<uint8_t> pixels = readIdx(imagesPath, kImagesMagic, imageCount);
    if (imageCount != labelCount)
        dataError(imagesPath + " has " + std::to_string(imageCount) + " images but " + labelsPath + " has " +
                  std::to_string(labelCount) + " labels");
    if (imageCount == 0) dataError(imagesPath + ": the file holds no images");

    Dataset data;
    data.itemShape = {1, kMnistSide, kMnistSide};
    data.classNames = kFashionMnistClasses;
    data.labels.reserve(labelCount);
    for (uint32_t i = 0; i < labelCount; ++i) {
        if (labels[i] >= kFashionMnistClasses.size())
            dataError(labelsPath + ": label " + std::to_string(labels[i]) + " of item " + std::to_string(i) +
                      " is outside 0..9");
        data.labels.push_back(labels[i]);
    }
    data.values.resize(pixels.size());
    std::transform(pixels.begin(), pixels.end(), data.values.begin(), toUnit);
    data.description = std::string("Fashion-MNIST ") + (split == Split::Train ? "train" : "test") + " (" +
                       std::to_string(imageCount) + " images)";
    return data;
}

Dataset loadImageFolder(const std::string& directory, const ImageFolderOptions& options) {
    if (options.size < 1 || options.size > 4096)
        throw Error(ErrorKind::InvalidArgument,
                    "image folder size must be in 1..4096, got " + std::to_string(options.size));
    if (options.channels != 1 && options.channels != 3)
        throw Error(ErrorKind::InvalidArgument, "image folder channels must be 1 (grey) or 3 (RGB), got " +
                                                    std::to_string(options.channels));
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) dataError("the image folder " + directory + " does not exist");

    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(directory, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        std::error_code fileEc;
        if (it->is_regular_file(fileEc) && isImageExtension(it->path())) files.push_back(it->path());
    }
    if (ec) dataError("cannot list the image folder " + directory + ": " + ec.message());
    std::sort(files.begin(), files.end());

    Dataset data;
    const int size = options.size, channels = options.channels;
    const std::size_t itemSize = std::size_t(channels) * size * size;
    std::vector<std::string> itemClasses;
    // Normalised so that "dir/" and "dir" give the same relative paths.
    fs::path base = fs::path(directory).lexically_normal();
    if (base.filename().empty()) base = base.parent_path();
    for (const fs::path& file : files) {
        const std::string path = file.string();
        std::string className;
        if (options.labelsFromSubfolders) {
            const fs::path relative = file.lexically_normal().lexically_relative(base);
            if (std::distance(relative.begin(), relative.end()) < 2) {
                data.skippedFiles.push_back(path + ": not inside a class sub-folder");
                continue;
            }
            className = relative.begin()->string();
        }
        cv::Mat image;
        try {
            image = readImageFile(path);
        } catch (const Error& e) {
            data.skippedFiles.push_back(skipReason(path, e.what()));
            continue;
        }
        if (channels == 1 && image.channels() == 3) cv::cvtColor(image, image, cv::COLOR_RGB2GRAY);
        if (channels == 3 && image.channels() == 1) cv::cvtColor(image, image, cv::COLOR_GRAY2RGB);
        const cv::Mat square = resizeAndCrop(image, size);

        // HWC interleaved -> CHW planar, mapped to [-1, 1].
        const std::size_t base = data.values.size();
        data.values.resize(base + itemSize);
        for (int y = 0; y < size; ++y) {
            const uint8_t* row = square.ptr<uint8_t>(y);
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < channels; ++c)
                    data.values[base + (std::size_t(c) * size + y) * size + x] =
                        toUnit(row[x * channels + c]);
        }
        itemClasses.push_back(className);
    }

    if (itemClasses.empty()) {
        std::string message = "no usable images in " + directory;
        if (files.empty()) message += " (no .png, .jpg, .jpeg or .webp files found)";
        if (!data.skippedFiles.empty()) {
            message += " (" + std::to_string(data.skippedFiles.size()) + " file(s) skipped; first reasons: ";
            for (std::size_t i = 0; i < std::min<std::size_t>(3, data.skippedFiles.size()); ++i)
                message += (i ? "; " : "") + data.skippedFiles[i];
            message += ")";
        }
        dataError(message);
    }

    data.itemShape = {channels, size, size};
    if (options.labelsFromSubfolders) {
        const std::set<std::string> classes(itemClasses.begin(), itemClasses.end());
        data.classNames.assign(classes.begin(), classes.end());
        std::map<std::string, int64_t> index;
        for (std::size_t i = 0; i < data.classNames.size(); ++i)
            index[data.classNames[i]] = int64_t(i);
        for (const std::string& name : itemClasses)
            data.labels.push_back(index[name]);
    }
    data.description =
        "image folder " + directory + " (" + std::to_string(itemClasses.size()) + " images, " +
        std::to_string(size) + "x" + std::to_string(size) + (channels == 1 ? " grey" : " RGB") +
        (options.labelsFromSubfolders ? ", " + std::to_string(data.classNames.size()) + " classes" : "") +
        ")";
    return data;
}

namespace {
std::string ordinal(int k) { // 2nd, 3rd, 10th, 11th, 21st
    const char* suffix = (k % 100 >= 11 && k % 100 <= 13) ? "th"
                         : k % 10 == 1                   ? "st"
                         : k % 10 == 2                   ? "nd"
                         : k % 10 == 3                   ? "rd"
                                                         : "th";
    return std::to_string(k) + suffix;
}
} // namespace

std::pair<Dataset, Dataset> splitEveryKth(const Dataset& data, int k) {
    if (k < 2)
        throw Error(ErrorKind::InvalidArgument, "splitEveryKth needs k >= 2, got " + std::to_string(k));
    Dataset kept, heldOut;
    for (Dataset* part : {&kept, &heldOut}) {
        part->itemShape = data.itemShape;
        part->classNames = data.classNames;
    }
    kept.description = data.description + " [without every " + ordinal(k) + " item]";
    heldOut.description = data.description + " [held out: every " + ordinal(k) + " item]";
    kept.skippedFiles = data.skippedFiles;

    const int64_t itemSize = data.itemSize();
    const int64_t count = data.count();
    for (int64_t i = 0; i < count; ++i) {
        Dataset& part = (i % k == k - 1) ? heldOut : kept;
        const auto first = data.values.begin() + i * itemSize;
        part.values.insert(part.values.end(), first, first + itemSize);
        if (data.hasLabels()) part.labels.push_back(data.labels[std::size_t(i)]);
    }
    return {std::move(kept), std::move(heldOut)};
}

} // namespace cm
