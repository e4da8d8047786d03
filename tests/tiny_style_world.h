// The tiny style world shared by test_style_model and bench/style_diagnostics: two garments (trouser,
// bag) and two far-apart styles, so one measurement means the same thing in the test and the bench.
#pragma once

#include "core/style_world.h"

#include <opencv2/core.hpp>

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

} // namespace cmtest
