// The tiny style world shared by test_style_model, test_style_view and bench/style_diagnostics: two garments
// (trouser, bag) and two far-apart styles, so one measurement means the same thing in the tests and the
// bench; and the settings of its short training runs.
#pragma once

#include "core/feature_net.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"

#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace cmtest {

constexpr int kTrouser = 1, kBag = 8;

// Ten palettes (every 10th is held out), the first two far apart: warm on white and cool on black.
inline std::vector<cm::Palette> tinyPalettes() {
    std::vector<cm::Palette> palettes;
    for (int i = 0; i < 10; ++i) {
        cm::Palette p;
        p.sourceImage = i;
        const int v = 20 * i;
        p.colours = {cv::Vec3b(uchar(v), 40, 40), cv::Vec3b(120, uchar(v), 120), cv::Vec3b(200, 200, uchar(v))};
        palettes.push_back(p);
    }
    palettes[0].colours = {cv::Vec3b(130, 20, 20), cv::Vec3b(230, 110, 30), cv::Vec3b(250, 220, 80)};
    palettes[1].colours = {cv::Vec3b(20, 40, 140), cv::Vec3b(30, 170, 160), cv::Vec3b(150, 230, 240)};
    return palettes;
}

// The first texture of `kind` that is not held out.
inline int firstTexture(cm::TextureKind kind) {
    for (std::size_t i = 0; i < cm::textureSettings().size(); ++i)
        if (cm::textureSettings()[i].kind == kind && !cm::StyleWorld::isHeldOutTexture(int(i))) return int(i);
    return -1;
}

// The reference encoder's training of the tiny world: an autoencoder of renders, width 8, 32 features.
inline cm::FeatureNetTrainParams tinyFeatureParams(int epochs) {
    cm::FeatureNetTrainParams features;
    features.kind = cm::FeatureNetKind::Autoencoder;
    features.width = 8;
    features.featureDim = 32;
    features.epochs = epochs;
    features.batchSize = 64;
    features.horizontalFlips = false;
    features.seed = 3;
    return features;
}

// A short run of the tiny base (a fast learning rate and EMA), written to `out`.
inline cm::StyleTrainParams tinyBaseParams(long steps, int batch, const std::string& out) {
    cm::StyleTrainParams base;
    base.stage = cm::StyleStage::Base;
    base.base = cm::styleBaseConfig("tiny");
    base.totalSteps = steps;
    base.batchSize = batch;
    base.learningRate = 2e-3;
    base.emaRate = 0.9;
    base.seed = 5;
    base.outputPath = out;
    base.logEvery = 100;
    base.checkpointEvery = 1000;
    return base;
}

// The extractors on that base (the stage's default noise levels), written to `out`.
inline cm::StyleTrainParams tinyExtractorParams(const cm::StyleTrainParams& base, const std::string& features,
                                                const cm::StyleExtractorConfig& config, long steps, const std::string& out) {
    cm::StyleTrainParams extractors = base;
    extractors.stage = cm::StyleStage::Extractors;
    extractors.basePath = base.outputPath;
    extractors.featureNetPath = features;
    extractors.extractors = config;
    extractors.totalSteps = steps;
    extractors.batchSize = 12;
    extractors.pMean = cm::defaultNoiseLevels(cm::StyleStage::Extractors).mean;
    extractors.pStd = cm::defaultNoiseLevels(cm::StyleStage::Extractors).std;
    extractors.outputPath = out;
    return extractors;
}

} // namespace cmtest
