// Small fixtures shared by the engine tests: tiny model cards, networks with non-zero outputs, and the
// 2-D mixture data set.
#pragma once

#include "core/dataset.h"
#include "core/model.h"
#include "core/model_card.h"
#include "core/safetensors.h"

#include <QTemporaryDir>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

namespace cmtest {

inline cm::ModelCard tinyUNetCard(cm::ModelKind kind, int classes = 0, int channels = 1) {
    cm::ModelCard card;
    card.kind = kind;
    card.network.imageSize = 28;
    card.network.channels = channels;
    card.network.baseWidth = 16;
    card.network.channelMult = {1, 2};
    card.network.resBlocks = 1;
    card.network.attentionResolutions = {14};
    card.network.numClasses = classes;
    for (int c = 0; c < classes; ++c)
        card.classNames.push_back("class" + std::to_string(c));
    card.recipe = "test";
    return card;
}

// Rewrites every float parameter of `model` with change(name, values, count) (float*, in place). The
// public API does not expose the weights, so this goes through a file: Model::save (F32), the safetensors
// records (raw little-endian floats), Model::load.
template <typename Change> void changeWeights(cm::Model& model, Change change) {
    QTemporaryDir dir;
    if (!dir.isValid()) throw std::runtime_error("changeWeights: no temporary folder");
    const std::string path = dir.filePath("weights.safetensors").toStdString();
    model.save(path);
    auto file = cm::readSafetensors(path);
    for (auto& [name, record] : file.tensors) {
        if (record.dtype != cm::DType::F32) continue;
        std::vector<float> values(std::size_t(record.elementCount()));
        std::memcpy(values.data(), record.bytes.data(), record.bytes.size());
        change(name, values.data(), values.size());
        std::memcpy(record.bytes.data(), values.data(), record.bytes.size());
    }
    cm::writeSafetensors(path, file);
    model = cm::Model::load(path);
}

// Adds seeded N(0, scale^2) noise to every parameter. A fresh network's last convolution and the
// residual blocks' second convolutions are zero (EDM's initialisation), so its F is exactly 0 and
// f(x, sigma) = c_skip x: a test on such a network cannot see images of a batch mixing or a class label
// being ignored. Perturbed, every parameter (class embedding included) reaches the output.
inline void perturbWeights(cm::Model& model, uint64_t seed, double scale = 0.05) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0.0, scale);
    changeWeights(model, [&](const std::string&, float* values, std::size_t count) {
        for (std::size_t i = 0; i < count; ++i)
            values[i] += float(normal(rng));
    });
}

// Model::create plus perturbWeights: the network the sampler and editing tests use.
inline cm::Model perturbedModel(const cm::ModelCard& card, uint64_t seed, double scale = 0.05) {
    cm::Model model = cm::Model::create(card, seed);
    perturbWeights(model, seed + 1000, scale);
    return model;
}

// Every parameter zero: F(x) = 0 exactly for any input, so f(x, sigma) = c_skip(sigma) x (a consistency
// model) or D(x, sigma) = c_skip(sigma) x (a denoiser), whatever the initialisation does.
inline cm::Model zeroOutputModel(const cm::ModelCard& card) {
    cm::Model model = cm::Model::create(card, 0);
    changeWeights(model, [](const std::string&, float* values, std::size_t count) {
        std::fill(values, values + count, 0.0f);
    });
    return model;
}

inline cm::NetworkConfig pointMlp(double dropout = 0.0) {
    cm::NetworkConfig config;
    config.type = cm::NetworkType::Mlp;
    config.dataDim = 2;
    config.hiddenWidth = 128;
    config.hiddenLayers = 3;
    config.dropout = dropout;
    return config;
}

constexpr int kModes = 8;
constexpr double kRadius = 1.0;
constexpr double kModeStd = 0.05;

inline cv::Point2d modeCentre(int k) {
    const double angle = 2 * M_PI * k / kModes;
    return {kRadius * std::cos(angle), kRadius * std::sin(angle)};
}

// Eight Gaussians on a circle: the classic 2-D test of generative models.
inline cm::Dataset eightGaussians(int count, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> normal(0.0, kModeStd);
    std::uniform_int_distribution<int> pick(0, kModes - 1);
    cm::Dataset data;
    data.itemShape = {2};
    data.description = "eight Gaussians";
    for (int i = 0; i < count; ++i) {
        const auto c = modeCentre(pick(rng));
        data.values.push_back(float(c.x + normal(rng)));
        data.values.push_back(float(c.y + normal(rng)));
    }
    return data;
}

// Share of points within 3 standard deviations of some mode centre.
inline double shareNearModes(const cv::Mat& points) {
    int near = 0;
    for (int i = 0; i < points.rows; ++i) {
        const cv::Point2d p(points.at<float>(i, 0), points.at<float>(i, 1));
        for (int k = 0; k < kModes; ++k)
            if (cv::norm(p - modeCentre(k)) < 3 * kModeStd) {
                ++near;
                break;
            }
    }
    return double(near) / points.rows;
}

// The fewest points that sit near any one mode, as a share of the ideal 1/8: catches mode collapse.
inline double weakestModeCoverage(const cv::Mat& points) {
    std::vector<int> counts(kModes, 0);
    for (int i = 0; i < points.rows; ++i) {
        const cv::Point2d p(points.at<float>(i, 0), points.at<float>(i, 1));
        for (int k = 0; k < kModes; ++k)
            if (cv::norm(p - modeCentre(k)) < 3 * kModeStd) ++counts[k];
    }
    return *std::min_element(counts.begin(), counts.end()) / (double(points.rows) / kModes);
}

} // namespace cmtest
