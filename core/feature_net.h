// The evaluator's feature network: a small CNN trained by this project on the data set itself, whose
// penultimate features give Frechet distances (FD) and whose predictions give the class accuracy of
// class-conditional samples. A classifier for labelled data (Fashion-MNIST), an autoencoder (features =
// the bottleneck) for unlabelled data such as the emoji set. Loaded handles are cheap to copy and safe to
// share between threads for inference.
#pragma once

#include "dataset.h"
#include "progress.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cm {

enum class FeatureNetKind { Classifier, Autoencoder };
const char* featureNetKindName(FeatureNetKind kind); // "classifier" / "autoencoder"

struct FeatureNetCard {
    FeatureNetKind kind = FeatureNetKind::Classifier;
    std::vector<int64_t> itemShape = {1, 28, 28}; // {C, H, W}; H = W, divisible by 4
    int width = 32;                               // channels of the first convolution
    int featureDim = 128;
    std::vector<std::string> classNames; // classifier only
    std::string dataset;
    std::string trainingJson = "{}";
    // Measured on held-out data when training ended: test accuracy (classifier) or mean squared
    // reconstruction error on [-1, 1] pixels (autoencoder).
    double heldOutScore = 0;
    std::string notes;

    std::map<std::string, std::string> toMetadata() const;
    // Throws cm::Error(Format) naming `origin` and the field.
    static FeatureNetCard fromMetadata(const std::map<std::string, std::string>& metadata,
                                       const std::string& origin);
    std::string describe() const;
};

struct FeatureOutput {
    long count = 0;
    std::vector<float> features;     // count x featureDim
    std::vector<int64_t> prediction; // classifier: argmax class per item; empty for an autoencoder
};

class FeatureNet {
  public:
    // Throws cm::Error (Io, Format, Shape, Numeric) naming the file and what is wrong.
    static FeatureNet load(const std::string& path);
    static FeatureNet create(const FeatureNetCard& card, uint64_t seed);
    void save(const std::string& path) const; // atomic

    const FeatureNetCard& card() const;
    FeatureNetCard& card();
    int64_t parameterCount() const;

    // Items are [-1, 1] images of the card's shape: a Dataset, or float images as the sampler returns
    // them (they are first rounded to 8-bit levels, as a saved PNG would be). Throws Error(Shape).
    FeatureOutput run(const Dataset& data, const ProgressFn& progress = {},
                      const CancelFlag* cancel = nullptr) const;
    FeatureOutput run(const std::vector<cv::Mat>& images, const ProgressFn& progress = {},
                      const CancelFlag* cancel = nullptr) const;

    struct Impl;
    Impl& impl() const { return *m_impl; }

  private:
    std::shared_ptr<Impl> m_impl;
};

struct FeatureNetTrainParams {
    FeatureNetKind kind = FeatureNetKind::Classifier;
    int width = 32;
    int featureDim = 128;
    int epochs = 4;
    int batchSize = 128;
    double learningRate = 1e-3; // Adam, cosine decay to zero over the run
    double dropout = 0.3;       // before the classifier's last layer
    bool horizontalFlips = true;
    uint64_t seed = 0;
    int threads = 0;
};

struct FeatureNetTrainStatus {
    long step = 0, totalSteps = 0;
    double loss = 0;
};

// Trains on `train`; measures the held-out score on `heldOut` (may be empty: score stays 0).
// Throws Error(Data) for an empty set or a classifier without labels, Error(Numeric) on a NaN loss,
// Error(Cancelled) when cancelled.
FeatureNet trainFeatureNet(const Dataset& train, const Dataset& heldOut, const FeatureNetTrainParams& params,
                           const std::function<void(const FeatureNetTrainStatus&)>& observe = {},
                           const CancelFlag* cancel = nullptr);

// Held-out score of `net` on `data`: accuracy for a classifier, reconstruction MSE for an autoencoder.
double featureNetScore(const FeatureNet& net, const Dataset& data);

} // namespace cm
