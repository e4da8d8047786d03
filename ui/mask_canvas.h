// MaskCanvas: the editing surface. Shows one small image (grey or RGB) zoomed with nearest-neighbour
// scaling and lets the user paint the edit mask (255 = generate, 0 = keep) or colour strokes onto the
// image. Every completed edit is one command on the canvas's own QUndoStack. GUI thread only.
#pragma once

#include <QColor>
#include <QImage>
#include <QPoint>
#include <QPointF>
#include <QRect>
#include <QWidget>

#include <vector>

class QUndoStack;

class MaskCanvas : public QWidget {
    Q_OBJECT
  public:
    enum Tool { MaskBrush, Eraser, Rectangle, ColourBrush };
    Q_ENUM(Tool)

    static constexpr int kMinBrushSize = 1;
    static constexpr int kMaxBrushSize = 64;
    // Larger files are refused by loadImageFile: the models work on 28 or 32 pixels.
    static constexpr int kMaxLoadSide = 4096;

    explicit MaskCanvas(QWidget* parent = nullptr);
    ~MaskCanvas() override;

    // The document. image() is Format_Grayscale8 or Format_RGB888 (null when empty); mask() is
    // Format_Grayscale8 of the same size.
    QImage image() const { return m_image; }
    QImage mask() const { return m_mask; }
    bool hasImage() const { return !m_image.isNull(); }
    // Starts a new document: the mask is cleared and the undo history dropped. Other formats are
    // converted (grey formats to Grayscale8, everything else to RGB888 with alpha over white).
    void setImage(const QImage& image);
    // Reads an image file (any format QImageReader knows) and starts a new document with it; content
    // that is all grey becomes Grayscale8. On failure returns false and a message naming the file.
    bool loadImageFile(const QString& path, QString* error);
    // Undoable: replaces the image, e.g. with an inpainting result ("Inpaint" is the label in the
    // history). A result of another size also resizes the mask (nearest neighbour); on an empty canvas
    // it opens the result with an empty mask (and undo empties the canvas again).
    void applyResult(const QImage& result, const QString& label);
    // Undoable: replaces the mask (converted to Grayscale8, scaled to the image size if needed).
    void setMask(const QImage& mask);

    QUndoStack* undoStack() const { return m_undoStack; }

    Tool tool() const { return m_tool; }
    int brushSize() const { return m_brushSize; }
    double brushHardness() const { return m_brushHardness; }
    QColor brushColour() const { return m_brushColour; }
    bool isMaskVisible() const { return m_maskVisible; }
    QColor overlayColour() const { return m_overlayColour; }
    // True between mouse press and release of a stroke or rectangle.
    bool isEditing() const { return m_drag != Drag::None; }

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

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

  public slots:
    void setTool(MaskCanvas::Tool tool);
    void setBrushSize(int size);
    void setBrushHardness(double hardness);
    void setBrushColour(const QColor& colour);
    void setMaskVisible(bool visible);
    void setOverlayColour(const QColor& colour);
    void invertMask();
    void clearMask();

  signals:
    // After every committed change of the mask (stroke released, rectangle, invert, clear, undo, redo,
    // new document).
    void maskChanged();
    // While a mask stroke or rectangle is being dragged; the owner debounces for live inpainting.
    void maskEditing();
    void imageChanged();
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
    friend class CanvasEditCommand;
    struct State {
        QImage image;
        QImage mask;
    };
    enum class Drag { None, Stroke, Rectangle };

    State state() const { return {m_image, m_mask}; }
    // Sets the document from the undo stack, emitting the signals of the layers that changed.
    void restoreState(const State& state);
    // Pushes the already-applied change since `before` as one command.
    void commitDrag(const QString& label);
    void cancelDrag();
    void pushEdit(const QString& label, const State& after);

    QPointF brushCentre(const QPointF& imagePos) const;
    double brushCoverage(double distance) const;
    void strokeSegment(const QPointF& from, const QPointF& to);
    void applyStroke(const QRect& area);
    void updateRectangle(const QPoint& corner, bool erase);
    void rebuildOverlay(const QRect& area);
    void updateHover(const QPointF& widgetPos);

    QImage m_image;
    QImage m_mask;
    QImage m_overlay; // the mask as premultiplied ARGB in the overlay colour, kept in step with m_mask
    QUndoStack* m_undoStack = nullptr;

    Tool m_tool = MaskBrush;
    int m_brushSize = 3;
    double m_brushHardness = 1.0;
    QColor m_brushColour = Qt::white;
    bool m_maskVisible = true;
    QColor m_overlayColour = QColor(255, 40, 90);

    Drag m_drag = Drag::None;
    State m_dragBefore;
    Tool m_dragTool = MaskBrush;
    std::vector<float> m_strokeCoverage; // per pixel, the strongest brush coverage of this stroke
    QPointF m_lastCentre;
    QPoint m_rectStart, m_rectEnd;
    bool m_rectErase = false;

    bool m_pointerInside = false;
    QPointF m_pointerPos; // widget coordinates
    QPoint m_hoverPixel{-1, -1};
};
