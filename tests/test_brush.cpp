// Tests ui/brush.*: where a brush sits, the disc a hard brush stamps (checked against an exact integer
// test), the fall-off of a soft one, clipping at the layer's border, strokes that do not build up and
// never write to the layer they started from (the one undo restores), colour strokes, rectangles and
// inversion.
#include "ui/brush.h"

#include <QtTest>

#include <cstring>
#include <functional>

namespace {

QImage filledMask(const QSize& size, int value) {
    QImage mask(size, QImage::Format_Grayscale8);
    mask.fill(value);
    return mask;
}

int at(const QImage& mask, int x, int y) {
    return mask.constScanLine(y)[x];
}

// A grey layer whose neighbouring pixels differ, so a wrong pixel cannot pass for a right one.
QImage pattern(int w, int h) {
    QImage image(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            image.scanLine(y)[x] = uchar((x * 9 + y * 5) % 256);
    return image;
}

QImage expectedMask(const QSize& size, const std::function<bool(int, int)>& inside) {
    QImage mask = filledMask(size, 0);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x)
            if (inside(x, y)) mask.scanLine(y)[x] = 255;
    return mask;
}

// One dab of `brush` at `centre` on a layer, as a stroke's first segment paints it.
QImage dab(const Brush& brush, const QPointF& centre, const QImage& before, QRect* changed = nullptr) {
    QImage layer = before;
    BrushStroke stroke(brush, BrushStroke::PaintMask, before);
    const QRect area = stroke.addSegment(centre, centre, &layer);
    if (changed) *changed = area;
    return layer;
}

} // namespace

class TestBrush : public QObject {
    Q_OBJECT
  private slots:
    void centreSnapsToPixelsOrCorners() {
        // Odd sizes sit on the centre of the pixel under the pointer, even ones on the nearest corner.
        QCOMPARE((Brush{3, 1.0}.centreAt({4.2, 7.9})), QPointF(4.5, 7.5));
        QCOMPARE((Brush{1, 1.0}.centreAt({0.0, 0.99})), QPointF(0.5, 0.5));
        QCOMPARE((Brush{4, 1.0}.centreAt({4.2, 7.9})), QPointF(4, 8));
        QCOMPARE((Brush{2, 1.0}.centreAt({4.6, 7.4})), QPointF(5, 7));
    }

    void hardBrushStampsExactlyTheDisc_data() {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("pixels");
        QTest::newRow("1") << 1 << 1;
        QTest::newRow("2") << 2 << 4;
        QTest::newRow("3") << 3 << 9;
        QTest::newRow("4") << 4 << 12;
        QTest::newRow("5") << 5 << 21;
        QTest::newRow("9") << 9 << 69;
        QTest::newRow("16") << 16 << 208;
    }

    void hardBrushStampsExactlyTheDisc() {
        QFETCH(int, size);
        QFETCH(int, pixels);
        const Brush brush{size, 1.0};
        const QPointF centre = brush.centreAt({20.3, 20.3});
        QRect changed;
        const QImage mask = dab(brush, centre, filledMask({41, 41}, 0), &changed);
        // The pixels whose centres lie within the radius, in integers: (2x + 1 - 2c)^2 + ... <= size^2.
        const int cx2 = int(2 * centre.x()), cy2 = int(2 * centre.y());
        const QImage disc = expectedMask({41, 41}, [&](int x, int y) {
            const int dx = 2 * x + 1 - cx2, dy = 2 * y + 1 - cy2;
            return dx * dx + dy * dy <= size * size;
        });
        QCOMPARE(mask, disc);
        int count = 0;
        for (int y = 0; y < 41; ++y)
            for (int x = 0; x < 41; ++x)
                count += at(mask, x, y) == 255;
        QCOMPARE(count, pixels);
        // The area reported as changed holds every painted pixel.
        for (int y = 0; y < 41; ++y)
            for (int x = 0; x < 41; ++x)
                if (at(mask, x, y)) QVERIFY(changed.contains(x, y));
    }

    void softBrushFallsOff() {
        const Brush soft{9, 0.0};
        const double radius = 4.5;
        QCOMPARE(soft.coverage(0), 1.0);
        QCOMPARE(soft.coverage(radius / 2), 0.5); // the smoothstep's midpoint
        QCOMPARE(soft.coverage(radius), 0.0);
        for (double d = 0.25; d < radius; d += 0.25)
            QVERIFY2(soft.coverage(d) < soft.coverage(d - 0.25), qPrintable(QString::number(d)));
        // Hardness keeps full coverage within hardness x radius.
        const Brush half{9, 0.5};
        QCOMPARE(half.coverage(radius / 2), 1.0);
        QVERIFY(half.coverage(radius / 2 + 0.1) < 1.0);

        const QImage mask = dab(soft, soft.centreAt({14.5, 14.5}), filledMask({28, 28}, 0));
        QCOMPARE(at(mask, 14, 14), 255);
        for (int d = 1; d <= 4; ++d) {
            QVERIFY(at(mask, 14 + d, 14) < at(mask, 14 + d - 1, 14));
            QCOMPARE(at(mask, 14 - d, 14), at(mask, 14 + d, 14)); // symmetric
            QCOMPARE(at(mask, 14, 14 + d), at(mask, 14 + d, 14));
        }
        QVERIFY(at(mask, 17, 14) > 0 && at(mask, 17, 14) < 255);
        QCOMPARE(at(mask, 19, 14), 0);
        QCOMPARE(at(mask, 9, 14), 0);
    }

    void stampingIsClippedAtTheBorder() {
        const Brush brush{9, 1.0};
        const QImage before = filledMask({10, 8}, 0);
        // At the corner: the quarter of the disc inside the layer, and the area reported inside too.
        QRect changed;
        const QImage corner = dab(brush, brush.centreAt({0.2, 0.2}), before, &changed);
        QVERIFY(before.rect().contains(changed));
        QCOMPARE(changed.topLeft(), QPoint(0, 0));
        QCOMPARE(corner, expectedMask({10, 8}, [](int x, int y) {
                     const int dx = 2 * x + 1 - 1, dy = 2 * y + 1 - 1;
                     return dx * dx + dy * dy <= 81;
                 }));
        // Past the bottom-right border.
        const QImage edge = dab(brush, brush.centreAt({11.0, 9.0}), before, &changed);
        QVERIFY(before.rect().contains(changed));
        QCOMPARE(at(edge, 9, 7), 255);
        QCOMPARE(at(edge, 0, 0), 0);
        // Wholly outside: nothing changes.
        const QImage outside = dab(brush, {40.5, -20.5}, before, &changed);
        QVERIFY(changed.isEmpty());
        QCOMPARE(outside, before);
        // A segment that crosses the layer paints the part inside.
        QImage layer = before;
        BrushStroke stroke(Brush{1, 1.0}, BrushStroke::PaintMask, before);
        changed = stroke.addSegment({-5.5, 3.5}, {20.5, 3.5}, &layer);
        QCOMPARE(changed.left(), 0);
        QCOMPARE(changed.right(), 9);
        QCOMPARE(layer, expectedMask({10, 8}, [](int, int y) { return y == 3; }));
    }

    void aStrokeDoesNotBuildUp() {
        // Passing over the same pixels again within one stroke leaves them as one pass did.
        const Brush soft{5, 0.2};
        const QImage before = filledMask({28, 28}, 200);
        QImage once = before, twice = before;
        BrushStroke single(soft, BrushStroke::EraseMask, before);
        single.addSegment({4.5, 14.5}, {20.5, 14.5}, &once);
        BrushStroke back(soft, BrushStroke::EraseMask, before);
        back.addSegment({4.5, 14.5}, {20.5, 14.5}, &twice);
        back.addSegment({20.5, 14.5}, {4.5, 14.5}, &twice);
        back.addSegment({4.5, 14.5}, {20.5, 14.5}, &twice);
        QCOMPARE(twice, once);
        QCOMPARE(at(once, 12, 14), 0);                           // erased under the path
        QVERIFY(at(once, 12, 16) > 0 && at(once, 12, 16) < 200); // partly at the soft edge
        QCOMPARE(at(once, 12, 20), 200);
        // The mask brush keeps what is already stronger than its coverage.
        QImage painted = pattern(28, 28);
        const QImage patterned = painted;
        BrushStroke paint(soft, BrushStroke::PaintMask, patterned);
        paint.addSegment({14.5, 14.5}, {14.5, 14.5}, &painted);
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                QVERIFY(at(painted, x, y) >= at(patterned, x, y));
        QCOMPARE(at(painted, 14, 14), 255);
    }

    void theLayerBeforeTheStrokeIsNeverWritten() {
        // The document keeps the layer before a stroke for undo, sharing its pixels with the live layer
        // (QImage is implicitly shared): painting must leave those bytes exactly as they were.
        const QImage before = pattern(32, 32);
        const QImage copy = before.copy();
        QImage layer = before;
        BrushStroke stroke(Brush{7, 0.5}, BrushStroke::PaintMask, before);
        stroke.addSegment({3.5, 3.5}, {28.5, 20.5}, &layer);
        QVERIFY(layer != before);
        QCOMPARE(std::memcmp(before.constBits(), copy.constBits(), size_t(copy.sizeInBytes())), 0);
        QImage erased = before;
        BrushStroke eraser(Brush{7, 0.5}, BrushStroke::EraseMask, before);
        eraser.addSegment({3.5, 3.5}, {28.5, 20.5}, &erased);
        QCOMPARE(std::memcmp(before.constBits(), copy.constBits(), size_t(copy.sizeInBytes())), 0);
    }

    void colourStrokes() {
        QImage rgb(16, 16, QImage::Format_RGB888);
        rgb.fill(QColor(10, 20, 30));
        const QImage before = rgb;
        BrushStroke hard(Brush{1, 1.0}, BrushStroke::PaintColour, before, QColor(250, 10, 20));
        hard.addSegment({2.5, 5.5}, {10.5, 5.5}, &rgb);
        for (int y = 0; y < 16; ++y)
            for (int x = 0; x < 16; ++x)
                QCOMPARE(rgb.pixelColor(x, y),
                         y == 5 && x >= 2 && x <= 10 ? QColor(250, 10, 20) : QColor(10, 20, 30));
        QCOMPARE(before.pixelColor(5, 5), QColor(10, 20, 30));

        // On a grey layer the colour's grey level is painted; a soft brush blends towards it.
        QImage grey = filledMask({28, 28}, 0);
        const QImage black = grey;
        BrushStroke soft(Brush{7, 0.0}, BrushStroke::PaintColour, black, Qt::white);
        soft.addSegment({14.5, 14.5}, {14.5, 14.5}, &grey);
        QCOMPARE(grey.format(), QImage::Format_Grayscale8);
        QCOMPARE(at(grey, 14, 14), 255);
        QVERIFY(at(grey, 17, 14) > 0 && at(grey, 17, 14) < 255);
        QImage greyRed = filledMask({4, 4}, 0);
        const QImage greyBefore = greyRed;
        BrushStroke red(Brush{1, 1.0}, BrushStroke::PaintColour, greyBefore, QColor(255, 0, 0));
        red.addSegment({1.5, 1.5}, {1.5, 1.5}, &greyRed);
        QCOMPARE(at(greyRed, 1, 1), qGray(qRgb(255, 0, 0)));
    }

    void rectangles() {
        // Corners in any order give the same span, both corner pixels included.
        const QRect span(QPoint(3, 4), QPoint(10, 12));
        QCOMPARE(pixelSpan({3, 4}, {10, 12}), span);
        QCOMPARE(pixelSpan({10, 12}, {3, 4}), span);
        QCOMPARE(pixelSpan({10, 4}, {3, 12}), span);
        QCOMPARE(pixelSpan({5, 5}, {5, 5}), QRect(5, 5, 1, 1));

        const QImage empty = filledMask({28, 28}, 0);
        const QImage filled = maskWithRectangle(empty, span, false);
        QCOMPARE(filled,
                 expectedMask({28, 28}, [](int x, int y) { return x >= 3 && x <= 10 && y >= 4 && y <= 12; }));
        QCOMPARE(empty, filledMask({28, 28}, 0)); // the input is left alone
        const QImage erased = maskWithRectangle(filled, pixelSpan({5, 3}, {6, 5}), true);
        QCOMPARE(erased, expectedMask({28, 28}, [](int x, int y) {
                     return x >= 3 && x <= 10 && y >= 4 && y <= 12 && !(x >= 5 && x <= 6 && y <= 5);
                 }));
        // A span past the border is clipped.
        QCOMPARE(maskWithRectangle(empty, QRect(QPoint(-5, 20), QPoint(40, 40)), false),
                 expectedMask({28, 28}, [](int, int y) { return y >= 20; }));
    }

    void invert() {
        QImage ramp(256, 1, QImage::Format_Grayscale8);
        for (int v = 0; v < 256; ++v)
            ramp.scanLine(0)[v] = uchar(v);
        const QImage inverted = invertedMask(ramp);
        for (int v = 0; v < 256; ++v)
            QCOMPARE(at(inverted, v, 0), 255 - v);
        QCOMPARE(at(ramp, 0, 0), 0);
        QCOMPARE(invertedMask(inverted), ramp);
    }
};

QTEST_MAIN(TestBrush)
#include "test_brush.moc"
