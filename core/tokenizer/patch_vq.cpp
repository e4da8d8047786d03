#include "patch_vq.h"

#include "core/error.h"
#include "tokenizer_evaluation.h"

#include <opencv2/core.hpp>

#include <cmath>
#include <random>

namespace cm {

double PatchVqConfig::codeBits() const {
    return double(patchCount()) * std::log2(double(codebookSize));
}

void PatchVqConfig::validate() const {
    if (imageSize < 4 || imageSize > 1024) throw Error(ErrorKind::InvalidArgument, "k-means: the image size must be in 4..1024");
    if (channels != 1 && channels != 3) throw Error(ErrorKind::InvalidArgument, "k-means: channels must be 1 or 3");
    if (patchSize < 1 || imageSize % patchSize != 0)
        throw Error(ErrorKind::InvalidArgument, "k-means: the patch size must divide the image size");
    if (codebookSize < 2 || codebookSize > 65536)
        throw Error(ErrorKind::InvalidArgument, "k-means: the codebook size must be in 2..65536");
}

PatchVqConfig patchVqForBits(int bits, int imageSize, int channels) {
    for (int patch = 4; patch <= imageSize; ++patch) {
        if (imageSize % patch != 0) continue;
        PatchVqConfig config{imageSize, channels, patch, 0};
        config.codebookSize = int(std::lround(std::pow(2.0, double(bits) / double(config.patchCount()))));
        if (config.codebookSize >= 8 && config.codebookSize <= 65536) return config;
    }
    throw Error(ErrorKind::InvalidArgument, "no patch size gives a k-means codebook of 8..65536 entries for " +
                                                std::to_string(bits) + " bits at " + std::to_string(imageSize) + " px");
}

namespace {

// The patches of an image as rows of a (patches x patch^2 C) matrix, row-major patch order.
cv::Mat patchRows(const cv::Mat& image, int patch) {
    const int per = image.rows / patch;
    cv::Mat rows(per * per, patch * patch * image.channels(), CV_32F);
    for (int r = 0; r < per; ++r)
        for (int c = 0; c < per; ++c)
            image(cv::Rect(c * patch, r * patch, patch, patch)).clone().reshape(1, 1).copyTo(rows.row(r * per + c));
    return rows;
}

} // namespace

PatchVq PatchVq::train(const PatchVqConfig& config, const Dataset& data, uint64_t seed, int maxPatches, int iterations) {
    config.validate();
    if (data.itemShape != std::vector<int64_t>{config.channels, config.imageSize, config.imageSize})
        throw Error(ErrorKind::Shape, "k-means: the data's images are not " + std::to_string(config.imageSize) + " px with " +
                                          std::to_string(config.channels) + " channel(s)");
    const int perImage = config.patchCount();
    std::mt19937_64 random(seed);
    std::vector<int64_t> order(std::size_t(data.count()));
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = int64_t(i);
    std::shuffle(order.begin(), order.end(), random);
    const int64_t images = std::min<int64_t>(data.count(), std::max(1, maxPatches / perImage));
    cv::Mat samples;
    for (int64_t i = 0; i < images; ++i)
        samples.push_back(patchRows(datasetImages(data, order[std::size_t(i)], 1)[0], config.patchSize));
    if (samples.rows < config.codebookSize)
        throw Error(ErrorKind::Data, "k-means needs at least as many patches as codebook entries");
    PatchVq vq;
    vq.m_config = config;
    cv::Mat labels;
    cv::theRNG() = cv::RNG(seed ^ 0x9E3779B97F4A7C15ULL);
    cv::kmeans(samples, config.codebookSize, labels,
               cv::TermCriteria(cv::TermCriteria::MAX_ITER + cv::TermCriteria::EPS, iterations, 1e-6), 1,
               cv::KMEANS_PP_CENTERS, vq.m_centroids);
    return vq;
}

std::vector<int> PatchVq::encode(const cv::Mat& image) const {
    if (image.rows != m_config.imageSize || image.cols != m_config.imageSize || image.channels() != m_config.channels)
        throw Error(ErrorKind::Shape, "k-means: the image has the wrong size");
    const cv::Mat rows = patchRows(image, m_config.patchSize);
    std::vector<int> indices;
    for (int r = 0; r < rows.rows; ++r) {
        int best = 0;
        double bestDistance = INFINITY;
        for (int k = 0; k < m_centroids.rows; ++k) {
            const double d = cv::norm(rows.row(r), m_centroids.row(k), cv::NORM_L2SQR);
            if (d < bestDistance) bestDistance = d, best = k;
        }
        indices.push_back(best);
    }
    return indices;
}

cv::Mat PatchVq::decode(const std::vector<int>& indices) const {
    const int patch = m_config.patchSize, per = m_config.imageSize / patch;
    if (int(indices.size()) != per * per) throw Error(ErrorKind::InvalidArgument, "k-means: wrong number of indices");
    cv::Mat image(m_config.imageSize, m_config.imageSize, CV_32FC(m_config.channels));
    for (int i = 0; i < per * per; ++i) {
        if (indices[std::size_t(i)] < 0 || indices[std::size_t(i)] >= m_centroids.rows)
            throw Error(ErrorKind::InvalidArgument, "k-means: an index outside the codebook");
        m_centroids.row(indices[std::size_t(i)]).reshape(m_config.channels, patch)
            .copyTo(image(cv::Rect((i % per) * patch, (i / per) * patch, patch, patch)));
    }
    return image;
}

ReconstructionMethod patchVqMethod(const PatchVq& vq) {
    ReconstructionMethod method;
    method.bits = vq.config().codeBits();
    method.reconstruct = [vq](const std::vector<cv::Mat>& originals, uint64_t, std::vector<double>&) {
        std::vector<cv::Mat> out;
        for (const auto& image : originals)
            out.push_back(vq.decode(vq.encode(image)));
        return out;
    };
    return method;
}

} // namespace cm
