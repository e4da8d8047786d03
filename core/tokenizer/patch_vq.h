// The k-means baseline at a tokenizer's bits: an image cut into P square patches, each replaced by the
// nearest of K centroids learned by k-means on training patches, so a code is P indices of log2(K) bits
// (P log2 K bits in all). A plain value; reentrant once trained.
#pragma once

#include "core/dataset.h"
#include "core/tokenizer/tokenizer_evaluation.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace cm {

struct PatchVqConfig {
    int imageSize = 28, channels = 1;
    int patchSize = 7;
    int codebookSize = 11;

    int patchCount() const { return (imageSize / patchSize) * (imageSize / patchSize); }
    double codeBits() const; // patchCount() * log2(codebookSize)
    void validate() const;   // Error(InvalidArgument) naming the field
};

// The sizes matching `bits`: the smallest patch (dividing the image size, at least 4 px) whose codebook
// K = round(2^(bits / patches)) has at least 8 entries. 28 px: 55 bits -> 7 x 7 patches, K = 11 (55.35
// bits); 176 bits -> 4 x 4 patches, K = 12 (175.66 bits).
PatchVqConfig patchVqForBits(int bits, int imageSize, int channels);

class PatchVq {
  public:
    // k-means++ then Lloyd iterations over at most `maxPatches` patches drawn (seeded) from `data`.
    // Error(Shape) when the data's images are not the config's, Error(Data) with fewer patches than K.
    static PatchVq train(const PatchVqConfig& config, const Dataset& data, uint64_t seed, int maxPatches = 20000,
                         int iterations = 30);

    const PatchVqConfig& config() const { return m_config; }
    // One centroid index per patch, row-major; and back. Images are float [-1, 1] of the config's shape.
    std::vector<int> encode(const cv::Mat& image) const;
    cv::Mat decode(const std::vector<int>& indices) const;

  private:
    PatchVqConfig m_config;
    cv::Mat m_centroids; // K x (patch * patch * channels), float
};

// The codebook as a measurable method: each image encoded and decoded, bits = config().codeBits(). The
// method holds a copy of the codebook.
ReconstructionMethod patchVqMethod(const PatchVq& vq);

} // namespace cm
