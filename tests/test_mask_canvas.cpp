// Tests ui/mask_canvas.* and ui/image_inspector.* by driving the real widgets offscreen: strokes,
// rectangles and colour strokes painted with mouse events land on exactly the expected pixels, and
// every edit undoes bit for bit.
#include "ui/image_inspector.h"
#include "ui/mask_canvas.h"
#include "ui/mask_document.h"
#include "test_images.h"

#include <QApplication>
#include <QLabel>
#include <QSignalSpy>
#include <QSlider>
#include <QUndoStack>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <queue>

namespace {

using cmtest::filledMask;
using cmtest::greyPattern;
using cmtest::rgbPattern;

constexpr int kZoom = 10;

// The widget position of the centre of image pixel (x, y) on a canvas at zoom 10 with no margin.
QPoint at(int x, int y) {
    return {x * kZoom + kZoom / 2, y * kZoom + kZoom / 2};
}

int maskAt(const QImage& mask, int x, int y) {
    return mask.constScanLine(y)[x];
}

// A mouse move with buttons held, sent directly so it reaches the widget exactly as a drag would.
void moveTo(QWidget* widget, const QPoint& pos, Qt::MouseButtons buttons = Qt::LeftButton,
            Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    QMouseEvent event(QEvent::MouseMove, QPointF(pos), widget->mapToGlobal(QPointF(pos)), Qt::NoButton,
                      buttons, modifiers);
    QApplication::sendEvent(widget, &event);
}

// Press at the first point, move through the others, release at the last.
void drag(QWidget* widget, const QList<QPoint>& path, Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    QTest::mousePress(widget, Qt::LeftButton, modifiers, path.first());
    for (int i = 1; i < path.size(); ++i)
        moveTo(widget, path[i], Qt::LeftButton, modifiers);
    QTest::mouseRelease(widget, Qt::LeftButton, modifiers, path.last());
}

// The mask expected from a predicate over pixel coordinates.
QImage expectedMask(const QSize& size, const std::function<bool(int, int)>& inside) {
    QImage mask = filledMask(size, 0);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x)
            if (inside(x, y)) mask.scanLine(y)[x] = 255;
    return mask;
}

QString describeDifference(const QImage& actual, const QImage& expected) {
    if (actual.size() != expected.size() || actual.format() != expected.format())
        return QStringLiteral("size/format differ");
    for (int y = 0; y < actual.height(); ++y)
        for (int x = 0; x < actual.width(); ++x)
            if (actual.pixel(x, y) != expected.pixel(x, y))
                return QStringLiteral("first difference at (%1, %2): %3 vs %4")
                    .arg(x)
                    .arg(y)
                    .arg(qGray(actual.pixel(x, y)))
                    .arg(qGray(expected.pixel(x, y)));
    return QStringLiteral("equal");
}

} // namespace

class TestMaskCanvas : public QObject {
    Q_OBJECT
  private:
    // A shown 280x280 canvas holding a 28x28 grey image: zoom 10, no margin.
    std::unique_ptr<MaskCanvas> makeCanvas(const QImage& image = greyPattern()) {
        auto canvas = std::make_unique<MaskCanvas>();
        canvas->resize(image.width() * kZoom, image.height() * kZoom);
        canvas->document()->setImage(image);
        canvas->show();
        if (!QTest::qWaitForWindowExposed(canvas.get())) return nullptr;
        return canvas;
    }

  private slots:
    void geometryUsesIntegerZoomCentred() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        QCOMPARE(canvas->zoom(), 10.0);
        QCOMPARE(canvas->imageRect(), QRectF(0, 0, 280, 280));
        QCOMPARE(canvas->imagePixelAt(at(3, 4)), QPoint(3, 4));
        QCOMPARE(canvas->imagePixelAt(QPointF(279.5, 0)), QPoint(27, 0));
        // 300x297: still zoom 10 (not 10.6), the image centred with 10 and 8 or 9 pixels around it.
        canvas->resize(300, 297);
        QCOMPARE(canvas->zoom(), 10.0);
        QCOMPARE(canvas->imageRect().size(), QSizeF(280, 280));
        QCOMPARE(canvas->imageRect().left(), 10.0);
        QCOMPARE(canvas->imagePixelAt(QPointF(10.5, 150)), QPoint(0, 14));
        QCOMPARE(canvas->imagePixelAt(QPointF(9.5, 150)), QPoint(-1, -1));
        QCOMPARE(canvas->imageToWidget(canvas->widgetToImage(QPointF(123.25, 77.5))), QPointF(123.25, 77.5));
        // Smaller than the image: a fractional zoom that still fits.
        canvas->resize(20, 14);
        QCOMPARE(canvas->zoom(), 0.5);
    }

    void brushFootprintIsASymmetricDisc_data() {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("pixels");
        QTest::newRow("1") << 1 << 1;
        QTest::newRow("2") << 2 << 4;
        QTest::newRow("3") << 3 << 9;
        QTest::newRow("4") << 4 << 12;
        QTest::newRow("5") << 5 << 21;
    }

    void brushFootprintIsASymmetricDisc() {
        QFETCH(int, size);
        QFETCH(int, pixels);
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->setBrushSize(size);
        // Odd brushes centre on the pixel under the pointer, even ones on the nearest pixel corner.
        QTest::mouseClick(canvas.get(), Qt::LeftButton, Qt::NoModifier,
                          size % 2 ? at(14, 14) : QPoint(140, 140));
        const QImage mask = canvas->document()->mask();
        int count = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x) {
                QVERIFY(maskAt(mask, x, y) == 0 || maskAt(mask, x, y) == 255);
                if (maskAt(mask, x, y) == 0) continue;
                ++count;
                // Symmetric about the brush centre: the pixel centre for odd sizes, its corner for even.
                const int mx = size % 2 ? 28 - x : 27 - x, my = size % 2 ? 28 - y : 27 - y;
                QCOMPARE(maskAt(mask, mx, my), 255);
            }
        QCOMPARE(count, pixels);
        QVERIFY(maskAt(mask, 14, 14) == 255);
    }

    void hardStrokeCoversExactlyThePathAndUndoes() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->setBrushSize(3);
        canvas->setBrushHardness(1.0);
        const QImage maskBefore = canvas->document()->mask();
        const QImage imageBefore = canvas->document()->image();
        QSignalSpy changed(canvas->document(), &MaskDocument::maskChanged);
        QSignalSpy editing(canvas.get(), &MaskCanvas::maskEditing);
        QSignalSpy imageChanged(canvas->document(), &MaskDocument::imageChanged);

        drag(canvas.get(), {at(5, 5), at(12, 5), at(20, 5)});
        const QImage expected =
            expectedMask({28, 28}, [](int x, int y) { return x >= 4 && x <= 21 && y >= 4 && y <= 6; });
        QVERIFY2(canvas->document()->mask() == expected,
                 qPrintable(describeDifference(canvas->document()->mask(), expected)));
        QCOMPARE(changed.count(), 1);
        QVERIFY(editing.count() >= 2);
        QCOMPARE(imageChanged.count(), 0);
        QCOMPARE(canvas->document()->image(), imageBefore);
        QCOMPARE(canvas->document()->undoStack()->count(), 1);
        QCOMPARE(canvas->document()->undoStack()->undoText(), QStringLiteral("Mask stroke"));
        const QImage maskAfter = canvas->document()->mask();

        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->document()->mask(), maskBefore);
        QCOMPARE(std::memcmp(canvas->document()->mask().constBits(), maskBefore.constBits(),
                             maskBefore.sizeInBytes()),
                 0);
        QCOMPARE(changed.count(), 2);
        canvas->document()->undoStack()->redo();
        QCOMPARE(canvas->document()->mask(), maskAfter);
        QCOMPARE(changed.count(), 3);
    }

    void oneFastMoveLeavesNoGap() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->setBrushSize(1);
        const QPoint from(1, 2), to(26, 21);
        drag(canvas.get(), {at(from.x(), from.y()), at(to.x(), to.y())});
        const QImage mask = canvas->document()->mask();
        // Every masked pixel lies on the line; the masked pixels connect the two ends (8-neighbourhood).
        const QLineF line(QPointF(from) + QPointF(0.5, 0.5), QPointF(to) + QPointF(0.5, 0.5));
        const QPointF dir = (line.p2() - line.p1()) / line.length();
        int count = 0;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                if (maskAt(mask, x, y)) {
                    ++count;
                    const QPointF d = QPointF(x + 0.5, y + 0.5) - line.p1();
                    QVERIFY(std::abs(d.x() * dir.y() - d.y() * dir.x()) <= 0.5 + 1e-9);
                }
        QVERIFY2(count >= 26 && count <= 2 * 26, qPrintable(QString::number(count)));
        std::vector<bool> seen(28 * 28, false);
        std::queue<QPoint> queue;
        queue.push(from);
        seen[from.y() * 28 + from.x()] = true;
        while (!queue.empty()) {
            const QPoint p = queue.front();
            queue.pop();
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    const QPoint q = p + QPoint(dx, dy);
                    if (!mask.rect().contains(q) || seen[q.y() * 28 + q.x()] || !maskAt(mask, q.x(), q.y()))
                        continue;
                    seen[q.y() * 28 + q.x()] = true;
                    queue.push(q);
                }
        }
        QVERIFY2(seen[to.y() * 28 + to.x()], "the stroke has a gap");
    }

    void rectangleSetsExactlyTheRectangle() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->setTool(MaskCanvas::Rectangle);
        QSignalSpy changed(canvas->document(), &MaskDocument::maskChanged);
        drag(canvas.get(), {at(3, 4), at(8, 9), at(10, 12)});
        const QImage rect =
            expectedMask({28, 28}, [](int x, int y) { return x >= 3 && x <= 10 && y >= 4 && y <= 12; });
        QVERIFY2(canvas->document()->mask() == rect,
                 qPrintable(describeDifference(canvas->document()->mask(), rect)));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(canvas->document()->undoStack()->undoText(), QStringLiteral("Rectangle mask"));

        // Dragged past the widget's corner: clamped to the image.
        drag(canvas.get(), {at(20, 20), QPoint(-30, 330)});
        const QImage both = expectedMask({28, 28}, [](int x, int y) {
            return (x >= 3 && x <= 10 && y >= 4 && y <= 12) || (x <= 20 && y >= 20);
        });
        QVERIFY2(canvas->document()->mask() == both,
                 qPrintable(describeDifference(canvas->document()->mask(), both)));

        // Shift+drag erases the rectangle.
        drag(canvas.get(), {at(5, 5), at(6, 3)}, Qt::ShiftModifier);
        const QImage erased = expectedMask({28, 28}, [](int x, int y) {
            if (x >= 5 && x <= 6 && y >= 3 && y <= 5) return false;
            return (x >= 3 && x <= 10 && y >= 4 && y <= 12) || (x <= 20 && y >= 20);
        });
        QVERIFY2(canvas->document()->mask() == erased,
                 qPrintable(describeDifference(canvas->document()->mask(), erased)));
        QCOMPARE(canvas->document()->undoStack()->undoText(), QStringLiteral("Erase rectangle"));
        QCOMPARE(canvas->document()->undoStack()->count(), 3);
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->document()->mask(), both);
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->document()->mask(), rect);
    }

    void setMaskIsUndoableAndEraserClears() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->document()->setMask(filledMask({28, 28}, 255));
        QCOMPARE(canvas->document()->mask(), filledMask({28, 28}, 255));
        QCOMPARE(canvas->document()->undoStack()->undoText(), QStringLiteral("Set mask"));
        canvas->setTool(MaskCanvas::Eraser);
        canvas->setBrushSize(3);
        drag(canvas.get(), {at(10, 20), at(10, 8)});
        const QImage expected =
            expectedMask({28, 28}, [](int x, int y) { return !(x >= 9 && x <= 11 && y >= 7 && y <= 21); });
        QVERIFY2(canvas->document()->mask() == expected,
                 qPrintable(describeDifference(canvas->document()->mask(), expected)));
        QCOMPARE(canvas->document()->undoStack()->undoText(), QStringLiteral("Erase stroke"));
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->document()->mask(), filledMask({28, 28}, 255));
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->document()->mask(), filledMask({28, 28}, 0));
        // A mask of another size is scaled to the image.
        canvas->document()->setMask(filledMask({7, 7}, 200));
        QCOMPARE(canvas->document()->mask(), filledMask({28, 28}, 200));
    }

    void softBrushFallsOffAndAccumulatesByMax() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->setBrushSize(9);
        canvas->setBrushHardness(0.0);
        QTest::mouseClick(canvas.get(), Qt::LeftButton, Qt::NoModifier, at(14, 14));
        QImage mask = canvas->document()->mask();
        QCOMPARE(maskAt(mask, 14, 14), 255);
        // Falls off monotonically to 0 just outside the radius (4.5 pixels).
        for (int d = 1; d <= 4; ++d)
            QVERIFY(maskAt(mask, 14 + d, 14) < maskAt(mask, 14 + d - 1, 14));
        QVERIFY(maskAt(mask, 17, 14) > 0 && maskAt(mask, 17, 14) < 255);
        QCOMPARE(maskAt(mask, 19, 14), 0);
        QCOMPARE(maskAt(mask, 14, 19), 0);
        QCOMPARE(maskAt(mask, 9, 14), 0);

        // Going over the same path again within one stroke does not build up.
        canvas->document()->clearMask();
        drag(canvas.get(), {at(8, 14), at(18, 14)});
        const QImage once = canvas->document()->mask();
        canvas->document()->clearMask();
        drag(canvas.get(), {at(8, 14), at(18, 14), at(8, 14), at(18, 14)});
        QCOMPARE(canvas->document()->mask(), once);

        // A second stroke keeps the stronger of old and new values.
        canvas->setBrushHardness(1.0);
        canvas->setBrushSize(1);
        drag(canvas.get(), {at(3, 14), at(24, 14)});
        mask = canvas->document()->mask();
        for (int x = 0; x < 28; ++x) {
            const int expected = (x >= 3 && x <= 24) ? 255 : maskAt(once, x, 14);
            QCOMPARE(maskAt(mask, x, 14), expected);
            QCOMPARE(maskAt(mask, x, 16), maskAt(once, x, 16));
        }
    }

    void colourBrushPaintsTheImageOnly() {
        const QImage original = rgbPattern();
        auto canvas = makeCanvas(original);
        QVERIFY(canvas);
        QCOMPARE(canvas->document()->image().format(), QImage::Format_RGB888);
        canvas->setTool(MaskCanvas::ColourBrush);
        canvas->setBrushColour(QColor(250, 10, 20));
        canvas->setBrushSize(1);
        QSignalSpy maskChanged(canvas->document(), &MaskDocument::maskChanged);
        QSignalSpy imageChanged(canvas->document(), &MaskDocument::imageChanged);
        drag(canvas.get(), {at(2, 5), at(10, 5)});
        const QImage painted = canvas->document()->image();
        for (int y = 0; y < 32; ++y)
            for (int x = 0; x < 32; ++x) {
                const bool onStroke = y == 5 && x >= 2 && x <= 10;
                QCOMPARE(painted.pixelColor(x, y),
                         onStroke ? QColor(250, 10, 20) : original.pixelColor(x, y));
            }
        QCOMPARE(canvas->document()->mask(), filledMask({32, 32}, 0));
        QCOMPARE(imageChanged.count(), 1);
        QCOMPARE(maskChanged.count(), 0);
        QCOMPARE(canvas->document()->undoStack()->undoText(), QStringLiteral("Colour stroke"));
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->document()->image(), original);
        QCOMPARE(std::memcmp(canvas->document()->image().constBits(), original.constBits(),
                             original.sizeInBytes()),
                 0);
        canvas->document()->undoStack()->redo();
        QCOMPARE(canvas->document()->image(), painted);

        // A soft colour brush blends; on a grey image it paints the colour's grey level.
        auto grey = makeCanvas(filledMask({28, 28}, 0));
        QVERIFY(grey);
        grey->setTool(MaskCanvas::ColourBrush);
        grey->setBrushColour(Qt::white);
        grey->setBrushSize(7);
        grey->setBrushHardness(0.0);
        QTest::mouseClick(grey.get(), Qt::LeftButton, Qt::NoModifier, at(14, 14));
        QCOMPARE(grey->document()->image().format(), QImage::Format_Grayscale8);
        QCOMPARE(qGray(grey->document()->image().pixel(14, 14)), 255);
        const int edge = qGray(grey->document()->image().pixel(17, 14));
        QVERIFY2(edge > 0 && edge < 255, qPrintable(QString::number(edge)));
    }

    void emptyCanvasIgnoresPainting() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->document()->setImage(QImage());
        // No edit, and the hint is still painted.
        drag(canvas.get(), {QPoint(10, 10), QPoint(100, 100)});
        QVERIFY(!canvas->document()->isEditing());
        QCOMPARE(canvas->document()->undoStack()->count(), 0);
        QVERIFY(!canvas->grab().isNull());
        QCOMPARE(canvas->imagePixelAt(QPointF(10, 10)), QPoint(-1, -1));
    }

    void keysHoverAndEscape() {
        auto canvas = makeCanvas();
        QVERIFY(canvas);
        canvas->setBrushSize(3);
        QTest::keyClick(canvas.get(), ']');
        QCOMPARE(canvas->brushSize(), 4);
        QTest::keyClick(canvas.get(), '[');
        QCOMPARE(canvas->brushSize(), 3);
        canvas->setBrushSize(1000);
        QCOMPARE(canvas->brushSize(), MaskCanvas::kMaxBrushSize);
        for (int i = 0; i < 100; ++i)
            QTest::keyClick(canvas.get(), '[');
        QCOMPARE(canvas->brushSize(), MaskCanvas::kMinBrushSize);

        QSignalSpy hovered(canvas.get(), &MaskCanvas::hoveredPixel);
        moveTo(canvas.get(), at(3, 4), Qt::NoButton);
        QCOMPARE(hovered.count(), 1);
        QCOMPARE(hovered.last().at(0).toPoint(), QPoint(3, 4));
        QCOMPARE(hovered.last().at(1).value<QColor>(),
                 QColor((3 * 9 + 4 * 5), (3 * 9 + 4 * 5), (3 * 9 + 4 * 5)));
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(canvas.get(), &leave);
        QCOMPARE(hovered.last().at(0).toPoint(), QPoint(-1, -1));
        QVERIFY(!hovered.last().at(1).value<QColor>().isValid());

        // Escape abandons a drag: nothing changes, nothing to undo.
        canvas->setBrushSize(3);
        QSignalSpy changed(canvas->document(), &MaskDocument::maskChanged);
        QTest::mousePress(canvas.get(), Qt::LeftButton, Qt::NoModifier, at(5, 5));
        moveTo(canvas.get(), at(15, 15));
        QVERIFY(canvas->document()->isEditing());
        QVERIFY(maskAt(canvas->document()->mask(), 10, 10) == 255);
        QTest::keyClick(canvas.get(), Qt::Key_Escape);
        QTest::mouseRelease(canvas.get(), Qt::LeftButton, Qt::NoModifier, at(15, 15));
        QVERIFY(!canvas->document()->isEditing());
        QCOMPARE(canvas->document()->mask(), filledMask({28, 28}, 0));
        QCOMPARE(canvas->document()->undoStack()->count(), 0);
        QCOMPARE(changed.count(), 1); // live inpainting is told that the mask went back
    }

    void overlayIsDrawnPixelExactly() {
        QImage flat(28, 28, QImage::Format_Grayscale8);
        flat.fill(100);
        auto canvas = makeCanvas(flat);
        QVERIFY(canvas);
        canvas->setTool(MaskCanvas::Rectangle);
        drag(canvas.get(), {at(10, 10), at(12, 12)});
        canvas->setMaskVisible(true);
        QImage shot = canvas->grab().toImage();
        const QColor masked = shot.pixelColor(at(11, 11));
        QVERIFY2(masked.red() > masked.green() + 40, qPrintable(masked.name()));
        // Nearest neighbour: the whole 10x10 block of a pixel has one colour, up to its edges.
        QCOMPARE(shot.pixelColor(QPoint(100, 100)), masked);
        QCOMPARE(shot.pixelColor(QPoint(129, 129)), masked);
        QCOMPARE(shot.pixelColor(QPoint(99, 99)), QColor(100, 100, 100));
        QCOMPARE(shot.pixelColor(QPoint(130, 130)), QColor(100, 100, 100));
        canvas->setMaskVisible(false);
        shot = canvas->grab().toImage();
        QCOMPARE(shot.pixelColor(at(11, 11)), QColor(100, 100, 100));
        // The canvas follows edits made to its document from elsewhere: undo, a mask set by the Edit tab.
        canvas->setMaskVisible(true);
        canvas->document()->undoStack()->undo();
        QCOMPARE(canvas->grab().toImage().pixelColor(at(11, 11)), QColor(100, 100, 100));
        canvas->document()->setMask(filledMask({28, 28}, 255));
        QCOMPARE(canvas->grab().toImage().pixelColor(at(0, 27)), masked);
    }

    // ---- ImageInspector ---------------------------------------------------------------------------

    void inspectorZooms() {
        ImageInspector inspector;
        inspector.resize(420, 480);
        inspector.setImage(greyPattern());
        inspector.show();
        QVERIFY(QTest::qWaitForWindowExposed(&inspector));
        QVERIFY(inspector.isFitToView());
        const QSize area = inspector.view()->size();
        const double fit = std::floor(std::min(area.width(), area.height()) / 28.0);
        QCOMPARE(inspector.zoom(), fit);
        QSignalSpy zoomed(&inspector, &ImageInspector::zoomChanged);
        inspector.setZoom(16);
        QCOMPARE(inspector.zoom(), 16.0);
        QVERIFY(!inspector.isFitToView());
        QVERIFY(inspector.view()->width() >= 28 * 16);
        QCOMPARE(zoomed.count(), 1);
        inspector.zoomIn();
        QCOMPARE(inspector.zoom(), 24.0);
        inspector.zoomIn();
        inspector.zoomIn();
        QCOMPARE(inspector.zoom(), 32.0);
        inspector.zoomOut();
        QCOMPARE(inspector.zoom(), 24.0);
        inspector.setZoom(100);
        QCOMPARE(inspector.zoom(), ImageInspector::kMaxZoom);
        inspector.setZoom(0.1);
        QCOMPARE(inspector.zoom(), ImageInspector::kMinZoom);
        // The wheel zooms in steps around the pointer.
        QWheelEvent wheel(QPointF(20, 20), inspector.view()->mapToGlobal(QPointF(20, 20)), QPoint(),
                          QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(inspector.view(), &wheel);
        QCOMPARE(inspector.zoom(), 2.0);
        inspector.fitToView();
        QVERIFY(inspector.isFitToView());
        QCOMPARE(inspector.zoom(), fit);
        // A 28x28 image at 32x is inspectable pixel by pixel: each pixel is its own 32x32 block.
        inspector.setZoom(32);
        const QRectF r = inspector.imageRect();
        QCOMPARE(r.size(), QSizeF(28 * 32, 28 * 32));
        QCOMPARE(inspector.imagePixelAt(r.topLeft() + QPointF(27 * 32 + 31.5, 0.5)), QPoint(27, 0));
    }

    void inspectorReadsPixels() {
        ImageInspector inspector;
        inspector.resize(420, 480);
        QImage grey = greyPattern();
        grey.scanLine(4)[3] = 143;
        inspector.setImage(grey);
        inspector.show();
        QVERIFY(QTest::qWaitForWindowExposed(&inspector));
        const double z = inspector.zoom();
        const QPointF pos = inspector.imageRect().topLeft() + QPointF(3.5, 4.5) * z;
        QCOMPARE(inspector.pixelTextAt(pos), QStringLiteral("x 3, y 4: 143 (model 0.122)"));
        QVERIFY(inspector.pixelTextAt(inspector.imageRect().topLeft() - QPointF(1, 1)).isEmpty());
        moveTo(inspector.view(), pos.toPoint(), Qt::NoButton);
        QCOMPARE(inspector.readoutLabel()->text().replace(QChar::Nbsp, QLatin1Char(' ')),
                 QStringLiteral("x 3, y 4: 143 (model 0.122)"));

        QImage rgb = rgbPattern();
        rgb.setPixelColor(0, 0, QColor(255, 0, 128));
        inspector.setImage(rgb);
        QCOMPARE(inspector.pixelTextAt(inspector.imageRect().topLeft() + QPointF(0.5, 0.5)),
                 QStringLiteral("x 0, y 0: RGB 255, 0, 128 (model 1.000, -1.000, 0.004)"));
    }

    void inspectorComparesWithADivider() {
        ImageInspector inspector;
        inspector.resize(420, 480);
        inspector.show();
        QVERIFY(QTest::qWaitForWindowExposed(&inspector));
        const QImage before = filledMask({28, 28}, 0), after = filledMask({28, 28}, 255);
        inspector.setComparison(before, after);
        QVERIFY(inspector.isComparing());
        QVERIFY(inspector.compareSlider()->isVisible());
        QCOMPARE(inspector.comparePosition(), 0.5);
        QSignalSpy moved(&inspector, &ImageInspector::comparePositionChanged);
        inspector.compareSlider()->setValue(250);
        QCOMPARE(inspector.comparePosition(), 0.25);
        QCOMPARE(moved.count(), 1);

        // Before (black) left of the divider, after (white) right of it.
        const QRectF r = inspector.imageRect();
        const int midY = int(r.center().y()) + 10;
        QImage shot = inspector.view()->grab().toImage();
        QCOMPARE(qGray(shot.pixel(int(r.left() + 0.1 * r.width()), midY)), 0);
        QCOMPARE(qGray(shot.pixel(int(r.left() + 0.4 * r.width()), midY)), 255);

        // Dragging in the view moves the divider and the slider with it.
        const QPoint grip(int(r.left() + 0.25 * r.width()), midY);
        QTest::mousePress(inspector.view(), Qt::LeftButton, Qt::NoModifier, grip);
        moveTo(inspector.view(), QPoint(int(r.left() + 0.75 * r.width()), midY));
        QTest::mouseRelease(inspector.view(), Qt::LeftButton, Qt::NoModifier,
                            QPoint(int(r.left() + 0.75 * r.width()), midY));
        QVERIFY(std::abs(inspector.comparePosition() - 0.75) < 0.01);
        QCOMPARE(inspector.compareSlider()->value(), int(std::lround(inspector.comparePosition() * 1000)));
        shot = inspector.view()->grab().toImage();
        QCOMPARE(qGray(shot.pixel(int(r.left() + 0.6 * r.width()), midY)), 0);

        QCOMPARE(inspector.pixelTextAt(r.topLeft() + QPointF(1, 1)),
                 QStringLiteral("x 0, y 0: before 0 (model -1.000); after 255 (model 1.000)"));
        inspector.setImage(before);
        QVERIFY(!inspector.isComparing());
        QVERIFY(!inspector.compareSlider()->isVisible());
    }
};

QTEST_MAIN(TestMaskCanvas)
#include "test_mask_canvas.moc"
