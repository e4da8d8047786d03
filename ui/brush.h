// The pixel maths of the Edit tab's tools on a Grayscale8 mask or a Grayscale8/RGB888 image: a soft
// round brush stroked along a path, the rectangle tool's span and fill, and mask inversion. Values and
// pure functions: no widgets, no undo (MaskDocument keeps the layers and their history).
#pragma once

#include <QColor>
#include <QImage>
#include <QPoint>
#include <QPointF>
#include <QRect>

#include <vector>

// A round brush `size` image pixels across. It covers fully within hardness x radius of its path and
// falls off smoothly to nothing at the radius: hardness 1 is a hard disc.
struct Brush {
    int size = 3;
    double hardness = 1.0;

    // Where the brush sits when the pointer is at `imagePos`: odd sizes on a pixel centre, even sizes
    // on a pixel corner, so a hard brush covers a symmetric disc `size` pixels across.
    QPointF centreAt(const QPointF& imagePos) const;
    // How much of a pixel whose centre lies `distance` image pixels from the brush path is covered, 0..1.
    double coverage(double distance) const;
};

// One stroke of a brush over one layer. Each pixel keeps the strongest coverage the stroke gave it and
// is recomputed from the layer as it was before the stroke, so going over a pixel twice in one stroke
// does not build up, and that earlier layer is never written to.
class BrushStroke {
  public:
    enum Effect { PaintMask, EraseMask, PaintColour };

    // `before` is the layer the stroke starts from: the mask for the mask effects, the image for
    // PaintColour (on a grey image the colour's grey level is painted).
    BrushStroke(const Brush& brush, Effect effect, const QImage& before, const QColor& colour = Qt::white);

    Effect effect() const { return m_effect; }

    // Covers the capsule from `from` to `to` (brush centres in image coordinates), so however far the
    // pointer jumped the stroke has no gaps, and rewrites `layer` (the same size and format as
    // `before`) there. Returns the pixels rewritten, clipped to the layer; empty when it lies outside.
    QRect addSegment(const QPointF& from, const QPointF& to, QImage* layer);

  private:
    void repaint(const QRect& area, QImage* layer) const;

    Brush m_brush;
    Effect m_effect;
    QImage m_before;
    QColor m_colour;
    std::vector<float> m_coverage; // per pixel, row by row
};

// The pixels from one corner pixel to the other, both included (QRect::normalized() would drop a row
// and a column when the corners are given right to left or bottom to top).
QRect pixelSpan(const QPoint& corner, const QPoint& otherCorner);

// `mask` with the pixels of `span` set to 255, or to 0 when erasing.
QImage maskWithRectangle(const QImage& mask, const QRect& span, bool erase);

// `mask` with every value v replaced by 255 - v.
QImage invertedMask(const QImage& mask);
