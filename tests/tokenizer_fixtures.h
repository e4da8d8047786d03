// A tiny tokenizer set-up that trains in seconds, shared by the tokenizer suites (test_tokenizer_trainer,
// test_compress_view, the baselines', the selection's and the code generator's suites): four 16 x 16 images
// (and a folder of 24 rectangles, for what needs training images on disk), a small MMDiT configuration,
// and the training parameters of the tokenizer, the deterministic autoencoder and the code generator.
#pragma once

#include "core/dataset.h"
#include "core/image_util.h"
#include "core/tokenizer/code_generator_trainer.h"
#include "core/tokenizer/tokenizer_card.h"
#include "core/tokenizer/tokenizer_trainer.h"

#include <QDir>
#include <QString>
#include <QTemporaryDir>

#include <opencv2/core.hpp>

#include <vector>

namespace cmtest {

constexpr int kSize = 16;

// Four 16 x 16 images: a bright 8 x 8 square on black in each quadrant, two of them with a grey bar.
inline cm::Dataset squares() {
    cm::Dataset data;
    data.itemShape = {1, kSize, kSize};
    data.description = "four squares";
    for (int i = 0; i < 4; ++i) {
        cv::Mat image(kSize, kSize, CV_32F, cv::Scalar(-1));
        image(cv::Rect((i % 2) * 8, (i / 2) * 8, 8, 8)).setTo(1);
        if (i == 1 || i == 2) image(cv::Rect(0, 7, kSize, 2)).setTo(0);
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
            error += (data.values[std::size_t(i * d + k)] - mean) * (data.values[std::size_t(i * d + k)] - mean);
    }
    return error / double(n * d);
}

inline std::vector<cv::Mat> images(const cm::Dataset& data) {
    std::vector<cv::Mat> out;
    for (int64_t i = 0; i < data.count(); ++i)
        out.push_back(cv::Mat(kSize, kSize, CV_32F, const_cast<float*>(data.values.data()) + i * kSize * kSize).clone());
    return out;
}

inline cm::TokenizerConfig tinyConfig() {
    auto config = cm::tokenizerPreset("lo", kSize, 1);
    config.encoderWidth = 32;
    config.encoderDepth = 1;
    config.decoderWidth = 32;
    config.decoderDepth = 2;
    config.heads = 2;
    return config;
}

inline cm::TokenizerTrainParams tinyParams(const QTemporaryDir& dir, const char* name) {
    cm::TokenizerTrainParams p;
    p.config = tinyConfig();
    p.totalSteps = 40;
    p.batchSize = 8;
    p.learningRate = 2e-3;
    p.emaRate = 0.9;
    p.outputPath = dir.filePath(name).toStdString();
    p.logEvery = 10;
    p.checkpointEvery = 20;
    p.seed = 3;
    p.threads = 1;
    return p;
}

// The deterministic-autoencoder baseline's run on the same set (600 steps beat the mean image).
inline cm::TokenizerTrainParams tinyAutoencoderParams(const QTemporaryDir& dir, const char* name) {
    cm::TokenizerTrainParams p = tinyParams(dir, name);
    p.totalSteps = 600;
    p.learningRate = 4e-3;
    p.logEvery = 50;
    p.checkpointEvery = 50;
    return p;
}

// A small code generator's run (MADE of width 32).
inline cm::CodeGeneratorTrainParams tinyCodeGeneratorParams(const QTemporaryDir& dir, const char* name, long steps) {
    cm::CodeGeneratorTrainParams p;
    p.width = 32;
    p.depth = 2;
    p.totalSteps = steps;
    p.batchSize = 64;
    p.learningRate = 3e-3;
    p.emaRate = 0.9;
    p.seed = 2;
    p.threads = 1;
    p.logEvery = 10;
    p.checkpointEvery = 10;
    p.outputPath = dir.filePath(name).toStdString();
    return p;
}

// `count` 16 x 16 grey PNGs in `folder` (created): a rectangle of random place, size and brightness on
// black each (seeded), distinct enough for k-means' 45 codewords of 8 x 8 patches at 22 bits.
inline QString writeRectangleFolder(const QTemporaryDir& dir, const char* folder, int count = 24) {
    const QString path = dir.filePath(folder);
    QDir().mkpath(path);
    cv::RNG rng(11);
    for (int i = 0; i < count; ++i) {
        cv::Mat image(kSize, kSize, CV_8UC1, cv::Scalar(0));
        const int w = rng.uniform(4, 13), h = rng.uniform(4, 13);
        image(cv::Rect(rng.uniform(0, kSize - w + 1), rng.uniform(0, kSize - h + 1), w, h)).setTo(rng.uniform(80, 256));
        cm::writeImageAtomically(QDir(path).filePath(QString("%1.png").arg(i, 2, 10, QChar('0'))).toStdString(), image);
    }
    return path;
}

} // namespace cmtest
