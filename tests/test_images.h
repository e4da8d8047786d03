// Small QImage fixtures shared by the UI tests: patterns whose neighbouring pixels differ (so a wrong
// pixel cannot pass for a right one), filled masks, and a byte-exact comparison.
#pragma once

#include <QColor>
#include <QImage>
#include <QSize>

#include <cstring>

namespace cmtest {

inline QImage greyPattern(int w = 28, int h = 28) {
    QImage image(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            image.scanLine(y)[x] = uchar((x * 9 + y * 5) % 256);
    return image;
}

inline QImage rgbPattern(int w = 32, int h = 32) {
    QImage image(w, h, QImage::Format_RGB888);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            image.setPixelColor(x, y, QColor((x * 8) % 256, (y * 8) % 256, (x * y) % 256));
    return image;
}

inline QImage filledMask(const QSize& size, int value) {
    QImage mask(size, QImage::Format_Grayscale8);
    mask.fill(value);
    return mask;
}

inline bool sameBytes(const QImage& a, const QImage& b) {
    return a.size() == b.size() && a.format() == b.format() && a.sizeInBytes() == b.sizeInBytes() &&
           std::memcmp(a.constBits(), b.constBits(), size_t(a.sizeInBytes())) == 0;
}

} // namespace cmtest
