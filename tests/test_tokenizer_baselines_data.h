// Tiny image sets for the tokenizer baselines' tests.
#pragma once

#include "core/dataset.h"

#include <opencv2/core.hpp>

namespace cmtest {

// Four 16 x 16 grey images: a bright 8 x 8 square on black in each quadrant, two with a grey bar.
inline cm::Dataset fourSquares() {
    constexpr int size = 16;
    cm::Dataset data;
    data.itemShape = {1, size, size};
    data.description = "four squares";
    for (int i = 0; i < 4; ++i) {
        cv::Mat image(size, size, CV_32F, cv::Scalar(-1));
        image(cv::Rect((i % 2) * 8, (i / 2) * 8, 8, 8)).setTo(1);
        if (i == 1 || i == 2) image(cv::Rect(0, 7, size, 2)).setTo(0);
        data.values.insert(data.values.end(), (float*)image.datastart, (float*)image.dataend);
    }
    return data;
}

// Mean squared error of each image against the set's mean image (the error a 0-bit code reaches).
inline double meanImageError(const cm::Dataset& data) {
    const auto n = data.count(), d = data.itemSize();
    double error = 0;
    for (int64_t k = 0; k < d; ++k) {
        double mean = 0;
        for (int64_t i = 0; i < n; ++i)
            mean += data.values[std::size_t(i * d + k)];
        mean /= double(n);
        for (int64_t i = 0; i < n; ++i)
            error += std::pow(data.values[std::size_t(i * d + k)] - mean, 2);
    }
    return error / double(n * d);
}

} // namespace cmtest
