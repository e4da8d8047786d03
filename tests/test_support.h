// Small fixtures shared by the engine tests: tiny model cards and the 2-D mixture data set.
#pragma once

#include "core/dataset.h"
#include "core/model_card.h"

#include <opencv2/core.hpp>

#include <cmath>
#include <random>

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
