// MaskDocument: what the Edit tab edits. One small image (grey or RGB) and its edit mask (255 = generate,
// 0 = keep), with colour strokes painted onto the image. Every completed edit is one command on the
// document's own QUndoStack. A stroke or rectangle is a live edit: it changes the layers as the pointer
// drags and becomes one command when committed. No widgets: MaskCanvas shows the document and turns the
// pointer into edits. GUI thread only.
#pragma once

#include "ui/brush.h"

#include <QColor>
#include <QImage>
#include <QObject>
#include <QPoint>
#include <QPointF>
#include <QRect>

#include <optional>

class QUndoStack;

class MaskDocument : public QObject {
    Q_OBJECT
  public:
    // Larger files are reduced by loadImageFile to this longest side (reducedFrom() tells): the models work
    // on 28 to 256 pixels, and the canvas needs no more.
    static constexpr int kMaxLoadSide = 2048;

    explicit MaskDocument(QObject* parent = nullptr);
    ~MaskDocument() override;

    // image() is Format_Grayscale8 or Format_RGB888 (null when empty); mask() is Format_Grayscale8 of
    // the same size.
    QImage image() const { return m_image; }
    QImage mask() const { return m_mask; }
    bool hasImage() const { return !m_image.isNull(); }
    // Starts a new document: the mask is cleared and the undo history dropped. Other formats are
    // converted (grey formats to Grayscale8, everything else to RGB888 with alpha over white).
    void setImage(const QImage& image);
    // Reads an image file (any format QImageReader knows) and starts a new document with it; content
    // that is all grey becomes Grayscale8. On failure returns false and a message naming the file.
    bool loadImageFile(const QString& path, QString* error);
    // The file's own size when loadImageFile reduced it to kMaxLoadSide; invalid otherwise (also after
    // setImage).
    QSize reducedFrom() const { return m_reducedFrom; }
    // Undoable: replaces the image, e.g. with an inpainting result ("Inpaint" is the label in the
    // history). A result of another size also resizes the mask (nearest neighbour); on an empty document
    // it opens the result with an empty mask (and undo empties the document again).
    void applyResult(const QImage& result, const QString& label);
    // Undoable: replaces the mask (converted to Grayscale8, scaled to the image size if needed).
    void setMask(const QImage& mask);

    QUndoStack* undoStack() const { return m_undoStack; }

    // Live edits, on a document with an image. A stroke starts at a brush centre and extends from its
    // last centre to the next (image coordinates); a rectangle spans its first corner pixel and the
    // latest (clamped to the image). The extend functions return false when nothing moved. Starting
    // another edit, undo and redo cancel a live edit first.
    void beginStroke(const Brush& brush, BrushStroke::Effect effect, const QColor& colour,
                     const QPointF& centre);
    bool extendStroke(const QPointF& centre);
    void beginRectangle(const QPoint& corner, bool erase);
    bool extendRectangle(const QPoint& corner, bool erase);
    // Pushes the live edit as one command, unless it changed nothing.
    void commitEdit();
    // Puts the layers back as they were before the live edit.
    void cancelEdit();
    bool isEditing() const { return m_edit != Edit::None; }
    // The pixels of the live rectangle; null when no rectangle is being dragged.
    QRect liveRectangle() const;

  public slots:
    void invertMask();
    void clearMask();

  signals:
    // After every committed change of the mask (edit committed or cancelled, invert, clear, undo, redo,
    // new document).
    void maskChanged();
    // After every committed change of the image.
    void imageChanged();
    // Pixels of the image or the mask changed inside `area` (image coordinates), live or committed.
    void pixelsChanged(const QRect& area);

  private:
    friend class DocumentEditCommand;
    struct Layers {
        QImage image;
        QImage mask;
    };
    enum class Edit { None, Stroke, Rectangle };

    Layers layers() const { return {m_image, m_mask}; }
    // Sets the layers from the undo stack, emitting the signals of the layers that changed.
    void restoreLayers(const Layers& layers);
    // Applies `after` as one command.
    void pushEdit(const QString& label, const Layers& after);
    QString liveEditLabel() const;
    void endEdit();

    QImage m_image;
    QImage m_mask;
    QSize m_reducedFrom;
    QUndoStack* m_undoStack = nullptr;

    Edit m_edit = Edit::None;
    Layers m_beforeEdit;
    std::optional<BrushStroke> m_stroke;
    QPointF m_strokeEnd;
    QPoint m_rectangleStart, m_rectangleEnd;
    bool m_rectangleErases = false;
};
