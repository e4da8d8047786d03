// Tests ui/mask_document.* without a widget: new documents from images and files, live strokes and
// rectangles that become one undo command each (or none when they change nothing), cancelled edits,
// results and masks set from outside, and undo that restores the exact bytes of both layers.
#include "ui/mask_document.h"
#include "test_images.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUndoStack>
#include <QtTest>

#include <cstring>

namespace {

using cmtest::filledMask;
using cmtest::greyPattern;
using cmtest::rgbPattern;
using cmtest::sameBytes;

// A stroke of `brush` along `centres` (image coordinates), committed.
void stroke(MaskDocument& document, BrushStroke::Effect effect, const Brush& brush,
            const QList<QPointF>& centres, const QColor& colour = Qt::white) {
    document.beginStroke(brush, effect, colour, centres.first());
    for (qsizetype i = 1; i < centres.size(); ++i)
        document.extendStroke(centres[i]);
    document.commitEdit();
}

} // namespace

class TestMaskDocument : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void strokeIsOneCommandAndUndoesExactly() {
        MaskDocument document;
        document.setImage(greyPattern());
        const QImage imageBefore = document.image();
        const QImage maskBefore = document.mask();
        QSignalSpy changed(&document, &MaskDocument::maskChanged);
        QSignalSpy imageChanged(&document, &MaskDocument::imageChanged);
        QSignalSpy pixels(&document, &MaskDocument::pixelsChanged);

        document.beginStroke(Brush{3, 1.0}, BrushStroke::PaintMask, Qt::white, {5.5, 5.5});
        QVERIFY(document.isEditing());
        QVERIFY(document.liveRectangle().isNull());
        QCOMPARE(document.mask().constScanLine(5)[5], uchar(255)); // live: painted while dragging
        QVERIFY(!document.extendStroke({5.5, 5.5}));               // not moved
        QVERIFY(document.extendStroke({20.5, 5.5}));
        QCOMPARE(changed.count(), 0); // not committed yet
        QCOMPARE(pixels.count(), 2);
        QCOMPARE(pixels.last().at(0).toRect(), QRect(QPoint(4, 4), QPoint(22, 7))); // the capsule's bounds
        QCOMPARE(document.undoStack()->count(), 0);
        document.commitEdit();
        QVERIFY(!document.isEditing());
        QCOMPARE(changed.count(), 1);
        QCOMPARE(imageChanged.count(), 0);
        QCOMPARE(document.undoStack()->count(), 1);
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Mask stroke"));
        QVERIFY(sameBytes(document.image(), imageBefore));
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                QCOMPARE(document.mask().constScanLine(y)[x],
                         uchar(x >= 4 && x <= 21 && y >= 4 && y <= 6 ? 255 : 0));
        const QImage maskAfter = document.mask();

        document.undoStack()->undo();
        QVERIFY(sameBytes(document.mask(), maskBefore));
        QCOMPARE(changed.count(), 2);
        document.undoStack()->redo();
        QVERIFY(sameBytes(document.mask(), maskAfter));
        QCOMPARE(changed.count(), 3);
        QCOMPARE(imageChanged.count(), 0);
    }

    void labelsNameTheEdit() {
        MaskDocument document;
        document.setImage(rgbPattern());
        stroke(document, BrushStroke::PaintMask, Brush{3, 1.0}, {{4.5, 4.5}});
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Mask stroke"));
        stroke(document, BrushStroke::EraseMask, Brush{3, 1.0}, {{4.5, 4.5}});
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Erase stroke"));
        stroke(document, BrushStroke::PaintColour, Brush{3, 1.0}, {{4.5, 4.5}}, QColor(1, 2, 3));
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Colour stroke"));
        document.beginRectangle({2, 2}, false);
        document.commitEdit();
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Rectangle mask"));
        document.beginRectangle({2, 2}, true);
        document.commitEdit();
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Erase rectangle"));
        QCOMPARE(document.undoStack()->count(), 5);
    }

    void colourStrokeChangesTheImageOnly() {
        MaskDocument document;
        const QImage original = rgbPattern();
        document.setImage(original);
        QSignalSpy changed(&document, &MaskDocument::maskChanged);
        QSignalSpy imageChanged(&document, &MaskDocument::imageChanged);
        stroke(document, BrushStroke::PaintColour, Brush{1, 1.0}, {{2.5, 5.5}, {10.5, 5.5}},
               QColor(250, 10, 20));
        QCOMPARE(document.image().pixelColor(6, 5), QColor(250, 10, 20));
        QCOMPARE(document.image().pixelColor(6, 6), original.pixelColor(6, 6));
        QCOMPARE(document.mask(), filledMask({32, 32}, 0));
        QCOMPARE(imageChanged.count(), 1);
        QCOMPARE(changed.count(), 0);
        document.undoStack()->undo();
        QVERIFY(sameBytes(document.image(), original));
    }

    void rectangleSpansItsCornersWithinTheImage() {
        MaskDocument document;
        document.setImage(greyPattern());
        document.beginRectangle({20, 20}, false);
        QCOMPARE(document.liveRectangle(), QRect(20, 20, 1, 1));
        QVERIFY(document.extendRectangle({-30, 330}, false)); // clamped to the image's corner pixel
        QCOMPARE(document.liveRectangle(), QRect(QPoint(0, 20), QPoint(20, 27)));
        QVERIFY(!document.extendRectangle({-1, 40}, false)); // the same pixel: nothing moved
        QVERIFY(document.extendRectangle({-1, 40}, true));   // erasing instead
        QVERIFY(document.extendRectangle({3, 25}, false));
        document.commitEdit();
        QVERIFY(document.liveRectangle().isNull());
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Rectangle mask"));
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                QCOMPARE(document.mask().constScanLine(y)[x],
                         uchar(x >= 3 && x <= 20 && y >= 20 && y <= 25 ? 255 : 0));
    }

    void anEditThatChangesNothingIsNoCommand() {
        MaskDocument document;
        document.setImage(greyPattern());
        QSignalSpy changed(&document, &MaskDocument::maskChanged);
        stroke(document, BrushStroke::EraseMask, Brush{5, 1.0},
               {{3.5, 3.5}, {20.5, 20.5}}); // on an empty mask
        document.beginRectangle({40, 40}, true);
        document.commitEdit();
        QCOMPARE(document.undoStack()->count(), 0);
        QCOMPARE(changed.count(), 0);
        // Without an image there is nothing to edit.
        MaskDocument empty;
        empty.beginStroke(Brush{}, BrushStroke::PaintMask, Qt::white, {1.5, 1.5});
        empty.beginRectangle({1, 1}, false);
        QVERIFY(!empty.isEditing());
    }

    void cancelPutsTheLayersBack() {
        MaskDocument document;
        const QImage original = rgbPattern();
        document.setImage(original);
        QSignalSpy changed(&document, &MaskDocument::maskChanged);
        QSignalSpy imageChanged(&document, &MaskDocument::imageChanged);
        document.beginStroke(Brush{5, 0.5}, BrushStroke::PaintColour, Qt::black, {10.5, 10.5});
        QVERIFY(!sameBytes(document.image(), original));
        document.cancelEdit();
        QVERIFY(!document.isEditing());
        QVERIFY(sameBytes(document.image(), original));
        QCOMPARE(imageChanged.count(), 0); // the image never changed for good
        QCOMPARE(changed.count(), 0);

        // A live mask edit that went back is a mask change: live inpainting followed it.
        document.beginRectangle({3, 3}, false);
        document.cancelEdit();
        QCOMPARE(document.mask(), filledMask({32, 32}, 0));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(document.undoStack()->count(), 0);

        // Undo during a live edit cancels the edit first.
        stroke(document, BrushStroke::PaintMask, Brush{3, 1.0}, {{5.5, 5.5}});
        const QImage painted = document.mask();
        document.beginStroke(Brush{3, 1.0}, BrushStroke::PaintMask, Qt::white, {20.5, 20.5});
        document.undoStack()->undo();
        QVERIFY(!document.isEditing());
        QCOMPARE(document.mask(), filledMask({32, 32}, 0));
        document.undoStack()->redo();
        QCOMPARE(document.mask(), painted);
    }

    void invertAndClearUndo() {
        MaskDocument document;
        document.setImage(greyPattern());
        stroke(document, BrushStroke::PaintMask, Brush{5, 0.3}, {{7.5, 7.5}, {15.5, 19.5}});
        const QImage painted = document.mask();
        QSignalSpy changed(&document, &MaskDocument::maskChanged);

        document.invertMask();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Invert mask"));
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                QCOMPARE(document.mask().constScanLine(y)[x], uchar(255 - painted.constScanLine(y)[x]));
        document.undoStack()->undo();
        QCOMPARE(document.mask(), painted);

        document.clearMask();
        QCOMPARE(document.mask(), filledMask({28, 28}, 0));
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Clear mask"));
        const int commands = document.undoStack()->count();
        document.clearMask(); // already clear: nothing to take back
        QCOMPARE(document.undoStack()->count(), commands);
        document.undoStack()->undo();
        QVERIFY(sameBytes(document.mask(), painted));
    }

    void setMaskIsUndoable() {
        MaskDocument document;
        document.setImage(greyPattern());
        document.setMask(filledMask({28, 28}, 255));
        QCOMPARE(document.mask(), filledMask({28, 28}, 255));
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Set mask"));
        document.setMask(filledMask({28, 28}, 255)); // the same: no command
        QCOMPARE(document.undoStack()->count(), 1);
        // A mask of another size is scaled to the image.
        document.setMask(filledMask({7, 7}, 200));
        QCOMPARE(document.mask(), filledMask({28, 28}, 200));
        document.undoStack()->undo();
        document.undoStack()->undo();
        QCOMPARE(document.mask(), filledMask({28, 28}, 0));
    }

    void applyResultUndoesExactly() {
        MaskDocument document;
        const QImage first = greyPattern();
        document.setImage(first);
        document.beginRectangle({2, 2}, false);
        document.extendRectangle({9, 9}, false);
        document.commitEdit();
        const QImage mask = document.mask();
        QImage result = first.copy();
        result.invertPixels();
        QSignalSpy imageChanged(&document, &MaskDocument::imageChanged);
        document.applyResult(result, QStringLiteral("Inpaint"));
        QCOMPARE(document.image(), result);
        QCOMPARE(document.mask(), mask);
        QCOMPARE(imageChanged.count(), 1);
        QCOMPARE(document.undoStack()->undoText(), QStringLiteral("Inpaint"));
        document.undoStack()->undo();
        QVERIFY(sameBytes(document.image(), first));
        QCOMPARE(document.mask(), mask);
        document.undoStack()->redo();
        QCOMPARE(document.image(), result);
        // A result of another size brings the mask along.
        document.applyResult(greyPattern(56, 56), QStringLiteral("Upscale"));
        QCOMPARE(document.mask().size(), QSize(56, 56));
        document.undoStack()->undo();
        QCOMPARE(document.mask(), mask);
    }

    void setImageStartsANewDocument() {
        MaskDocument document;
        document.setImage(greyPattern());
        stroke(document, BrushStroke::PaintMask, Brush{3, 1.0}, {{3.5, 3.5}, {9.5, 9.5}});
        QCOMPARE(document.undoStack()->count(), 1);
        QSignalSpy imageChanged(&document, &MaskDocument::imageChanged);
        QSignalSpy changed(&document, &MaskDocument::maskChanged);
        QImage argb(32, 32, QImage::Format_ARGB32);
        argb.fill(QColor(10, 20, 30, 255));
        document.setImage(argb);
        QCOMPARE(imageChanged.count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(document.undoStack()->count(), 0);
        QCOMPARE(document.image().format(), QImage::Format_RGB888);
        QCOMPARE(document.image().pixelColor(5, 5), QColor(10, 20, 30));
        QCOMPARE(document.mask(), filledMask({32, 32}, 0));
        // Transparency is composited over white.
        QImage clear(4, 4, QImage::Format_ARGB32);
        clear.fill(Qt::transparent);
        document.setImage(clear);
        QCOMPARE(document.image().pixelColor(1, 1), QColor(Qt::white));
        QImage grey16(8, 8, QImage::Format_Grayscale16);
        grey16.fill(Qt::black);
        document.setImage(grey16);
        QCOMPARE(document.image().format(), QImage::Format_Grayscale8);
        document.setImage(QImage());
        QVERIFY(!document.hasImage());
        QVERIFY(document.mask().isNull());
        // A result sent to the empty document opens it, undoably.
        document.applyResult(greyPattern(), QStringLiteral("Send to canvas"));
        QCOMPARE(document.image(), greyPattern());
        QCOMPARE(document.mask(), filledMask({28, 28}, 0));
        document.undoStack()->undo();
        QVERIFY(!document.hasImage());
        QVERIFY(document.mask().isNull());
    }

    void loadImageFileRefusesBadFiles() {
        MaskDocument document;
        QString error;
        const QString notes = m_dir.filePath("notes.png");
        {
            QFile file(notes);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("these are not pixels\n");
        }
        QVERIFY(!document.loadImageFile(notes, &error));
        QVERIFY2(error.contains("notes.png"), qPrintable(error));

        error.clear();
        QVERIFY(!document.loadImageFile(m_dir.filePath("missing.png"), &error));
        QVERIFY2(error.contains("missing.png"), qPrintable(error));
        QVERIFY(!document.hasImage());

        // A photo larger than the canvas takes is reduced as it is decoded, and says so (it was refused
        // at 4096 px without a way in; reduced to 2048, enough to paint a mask for a 28-256 px model).
        const QString huge = m_dir.filePath("huge.jpg");
        {
            QImage photo(12000, 9000, QImage::Format_Grayscale8);
            for (int y = 0; y < photo.height(); ++y) memset(photo.scanLine(y), (y / 900) * 25, size_t(photo.width()));
            QVERIFY(photo.save(huge, "JPEG", 80));
        }
        error.clear();
        QVERIFY2(document.loadImageFile(huge, &error), qPrintable(error));
        QCOMPARE(document.image().size(), QSize(2048, 1536));
        QCOMPARE(document.reducedFrom(), QSize(12000, 9000));
        QVERIFY(std::abs(qGray(document.image().pixel(100, 1536 * 5 / 10 + 20)) - 125) <= 3); // band 5
        const QString wideFile = m_dir.filePath("wide.png");
        QImage wide(MaskDocument::kMaxLoadSide + 4, 8, QImage::Format_Grayscale8);
        wide.fill(0);
        QVERIFY(wide.save(wideFile));
        QVERIFY2(document.loadImageFile(wideFile, &error), qPrintable(error));
        QCOMPARE(document.image().width(), MaskDocument::kMaxLoadSide);
        QCOMPARE(document.reducedFrom(), QSize(MaskDocument::kMaxLoadSide + 4, 8));
        document.setImage(greyPattern());
        QVERIFY(!document.reducedFrom().isValid());

        // Grey content stored as RGB loads as grey; colour stays RGB888.
        const QString greyFile = m_dir.filePath("grey.png");
        QVERIFY(greyPattern().convertToFormat(QImage::Format_RGB32).save(greyFile));
        QVERIFY(document.loadImageFile(greyFile, &error));
        QCOMPARE(document.image().format(), QImage::Format_Grayscale8);
        QCOMPARE(document.image(), greyPattern());
        const QString colourFile = m_dir.filePath("colour.png");
        QVERIFY(rgbPattern().save(colourFile));
        QVERIFY(document.loadImageFile(colourFile, nullptr));
        QCOMPARE(document.image(), rgbPattern());
        QCOMPARE(document.undoStack()->count(), 0);
    }
};

QTEST_MAIN(TestMaskDocument)
#include "test_mask_document.moc"
