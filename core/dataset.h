// Training and evaluation data held in memory as float32 in [-1, 1].
// A Dataset is a plain value; loaders are reentrant and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

struct Dataset {
    std::vector<int64_t> itemShape; // {C, H, W} for images, {D} for points
    std::vector<float> values;      // count() * itemSize() values, item-major
    std::vector<int64_t> labels;    // empty, or one label in [0, classNames.size()) per item
    std::vector<std::string> classNames;
    std::string description;               // where it came from, for model cards
    std::vector<std::string> skippedFiles; // unreadable files that a folder loader skipped (with reason)

    int64_t itemSize() const;
    int64_t count() const;
    bool hasLabels() const { return !labels.empty(); }
};

enum class Split { Train, Test };

// Reads the Fashion-MNIST IDX files (gzip or raw) from `directory`:
// train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-... for the test split.
// Missing, truncated or malformed files give cm::Error(Data) naming the file and what was expected.
Dataset loadFashionMnist(const std::string& directory, Split split);

// Debian's dataset-fashion-mnist location.
std::string defaultFashionMnistDirectory();

struct ImageFolderOptions {
    int size = 32;    // output is size x size (shorter side resized, then centre-cropped)
    int channels = 3; // 1 (grey) or 3 (RGB)
    bool labelsFromSubfolders = false;
};

// Loads every PNG, JPEG and WebP below `directory` (recursively, in sorted path order). Transparent
// pixels are composited on white. Unreadable files are listed in skippedFiles, not dropped silently.
// An empty result is cm::Error(Data).
Dataset loadImageFolder(const std::string& directory, const ImageFolderOptions& options);

// Splits off every k-th item (a deterministic holdout); returns {kept, heldOut}.
std::pair<Dataset, Dataset> splitEveryKth(const Dataset& data, int k);

} // namespace cm
