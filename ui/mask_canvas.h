// MaskCanvas: the editing surface. Shows a MaskDocument (one small image, grey or RGB, and its edit
// mask) zoomed with nearest-neighbour scaling, and turns the pointer into edits of the document: the
// mask brush, eraser and rectangle paint the mask (255 = generate, 0 = keep), the colour brush paints
// strokes onto the image. GUI thread only.
#pragma once

#include "ui/brush.h"

#include <QColor>
#include <QImage>
#include <QPoint>
#include <QPointF>
#include <QRect>
#include <QWidget>

class MaskDocument;

class MaskCanvas : public QWidget {
    Q_OBJECT
  public:
    enum Tool { MaskBrush, Eraser, Rectangle, ColourBrush };
    Q_ENUM(Tool)

    static constexpr int kMinBrushSize = 1;
    static constexpr int kMaxBrushSize = 64;

    explicit MaskCanvas(QWidget* parent = nullptr);
    ~MaskCanvas() override;

    // The document shown and edited, owned by the canvas: the layers, their edits and the undo stack.
    MaskDocument* document() const { return m_document; }

    Tool tool() const { return m_tool; }
    int brushSize() const { return m_brush.size; }
    double brushHardness() const { return m_brush.hardness; }
    QColor brushColour() const { return m_brushColour; }
    bool isMaskVisible() const { return m_maskVisible; }
    QColor overlayColour() const { return m_overlayColour; }

    static QString toolName(Tool tool);
    static QString toolToolTip(Tool tool);

    // Geometry, shared by painting and input: where the image sits in widget coordinates, the zoom
    // (widget pixels per image pixel) and the mapping between the two.
    QRectF imageRect() const;
    double zoom() const;
    QPointF widgetToImage(const QPointF& widgetPos) const;
    QPointF imageToWidget(const QPointF& imagePos) const;
    // The image pixel under a widget position, or (-1, -1) outside the image.
    QPoint imagePixelAt(const QPointF& widgetPos) const;

    // The model's image size (0: none). An image smaller than it is shown at the zoom a model-size image
    // gets, not fitted to the canvas: a low-resolution input looks small and its super-resolved result
    // appears enlarged by the factor, each at its own size.
    void setReferenceSize(int pixels);
    int referenceSize() const { return m_referenceSize; }

    // A result shown in place of the document's image (the live-inpainting fill, on the canvas being
    // painted), with the mask overlay faint over it; cleared by an empty image or a new document image.
    void setPreview(const QImage& preview);
    QImage preview() const { return m_preview; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

  public slots:
    void setTool(MaskCanvas::Tool tool);
    void setBrushSize(int size);
    void setBrushHardness(double hardness);
    void setBrushColour(const QColor& colour);
    void setMaskVisible(bool visible);
    void setOverlayColour(const QColor& colour);

  signals:
    // While a mask stroke or rectangle is being dragged; the owner debounces for live inpainting.
    void maskEditing();
    // The image pixel under the pointer and its value; (-1, -1) and an invalid colour on leaving.
    void hoveredPixel(QPoint imagePos, QColor value);
    void toolChanged(MaskCanvas::Tool tool);
    void brushSizeChanged(int size);
    void brushHardnessChanged(double hardness);
    void maskVisibleChanged(bool visible);

  protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

  private:
    void onImageChanged();
    void rebuildOverlay(const QRect& area);
    void updateHover(const QPointF& widgetPos);

    MaskDocument* m_document;
    QImage m_overlay; // the mask as premultiplied ARGB in the overlay colour, kept in step with the mask
    QImage m_preview; // shown instead of the image while set (same size)

    Tool m_tool = MaskBrush;
    Brush m_brush;
    QColor m_brushColour = Qt::white;
    bool m_maskVisible = true;
    QColor m_overlayColour = QColor(255, 40, 90);
    int m_referenceSize = 0;

    // The drag in progress (while the document has a live edit) keeps the tool and brush it started with.
    Tool m_dragTool = MaskBrush;
    Brush m_dragBrush;
    bool m_dragErases = false; // a rectangle drag: Shift was held at the last pointer event

    bool m_pointerInside = false;
    QPointF m_pointerPos; // widget coordinates
    QPoint m_hoverPixel{-1, -1};
};
