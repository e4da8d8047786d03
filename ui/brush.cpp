#include "ui/brush.h"

#include <algorithm>
#include <cmath>

namespace {

double distanceToSegment(const QPointF& p, const QPointF& a, const QPointF& b) {
    const QPointF ab = b - a;
    const double length2 = QPointF::dotProduct(ab, ab);
    double t = length2 > 0 ? QPointF::dotProduct(p - a, ab) / length2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const QPointF d = p - (a + t * ab);
    return std::sqrt(QPointF::dotProduct(d, d));
}

uchar toByte(double v) {
    return uchar(std::clamp(std::lround(v), 0L, 255L));
}

} // namespace

QPointF Brush::centreAt(const QPointF& imagePos) const {
    if (size % 2 == 1) return {std::floor(imagePos.x()) + 0.5, std::floor(imagePos.y()) + 0.5};
    return {std::round(imagePos.x()), std::round(imagePos.y())};
}

// 1 inside the hard core (hardness x radius), then a smoothstep down to 0 at the radius.
double Brush::coverage(double distance) const {
    const double radius = size / 2.0;
    const double core = hardness * radius;
    constexpr double eps = 1e-9;
    if (distance <= core + eps) return 1.0;
    if (distance >= radius) return 0.0;
    const double t = (distance - core) / (radius - core);
    return 1.0 - t * t * (3.0 - 2.0 * t);
}

BrushStroke::BrushStroke(const Brush& brush, Effect effect, const QImage& before, const QColor& colour)
    : m_brush(brush), m_effect(effect), m_before(before), m_colour(colour),
      m_coverage(size_t(before.width()) * before.height(), 0.0f) {}

QRect BrushStroke::addSegment(const QPointF& from, const QPointF& to, QImage* layer) {
    const double radius = m_brush.size / 2.0;
    const QRect bounds = QRect(QPoint(int(std::floor(std::min(from.x(), to.x()) - radius)),
                                      int(std::floor(std::min(from.y(), to.y()) - radius))),
                               QPoint(int(std::ceil(std::max(from.x(), to.x()) + radius)),
                                      int(std::ceil(std::max(from.y(), to.y()) + radius))))
                             .intersected(m_before.rect());
    if (bounds.isEmpty()) return {};
    const int w = m_before.width();
    for (int y = bounds.top(); y <= bounds.bottom(); ++y)
        for (int x = bounds.left(); x <= bounds.right(); ++x) {
            const double coverage = m_brush.coverage(distanceToSegment(QPointF(x + 0.5, y + 0.5), from, to));
            float& stored = m_coverage[size_t(y) * w + x];
            stored = std::max(stored, float(coverage));
        }
    repaint(bounds, layer);
    return bounds;
}

void BrushStroke::repaint(const QRect& area, QImage* layer) const {
    const int w = m_before.width();
    if (m_effect == PaintColour) {
        const bool grey = m_before.format() == QImage::Format_Grayscale8;
        const int channels = grey ? 1 : 3;
        const double paint[3] = {double(grey ? qGray(m_colour.rgb()) : m_colour.red()),
                                 double(m_colour.green()), double(m_colour.blue())};
        for (int y = area.top(); y <= area.bottom(); ++y) {
            const uchar* before = m_before.constScanLine(y);
            uchar* line = layer->scanLine(y);
            for (int x = area.left(); x <= area.right(); ++x) {
                const double a = m_coverage[size_t(y) * w + x];
                for (int c = 0; c < channels; ++c) {
                    const int i = x * channels + c;
                    line[i] = toByte(before[i] * (1.0 - a) + paint[c] * a);
                }
            }
        }
        return;
    }
    for (int y = area.top(); y <= area.bottom(); ++y) {
        const uchar* before = m_before.constScanLine(y);
        uchar* line = layer->scanLine(y);
        for (int x = area.left(); x <= area.right(); ++x) {
            const double a = m_coverage[size_t(y) * w + x];
            line[x] = m_effect == EraseMask ? toByte(before[x] * (1.0 - a))
                                            : std::max(before[x], toByte(255.0 * a));
        }
    }
}

QRect pixelSpan(const QPoint& corner, const QPoint& otherCorner) {
    return {QPoint(std::min(corner.x(), otherCorner.x()), std::min(corner.y(), otherCorner.y())),
            QPoint(std::max(corner.x(), otherCorner.x()), std::max(corner.y(), otherCorner.y()))};
}

QImage maskWithRectangle(const QImage& mask, const QRect& span, bool erase) {
    QImage result = mask.copy();
    const QRect r = span.intersected(result.rect());
    for (int y = r.top(); y <= r.bottom(); ++y)
        std::fill_n(result.scanLine(y) + r.left(), r.width(), uchar(erase ? 0 : 255));
    return result;
}

QImage invertedMask(const QImage& mask) {
    QImage inverted = mask.copy();
    inverted.invertPixels();
    return inverted;
}
