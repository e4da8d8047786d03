// ImageInspector: one small image zoomed pixel by pixel (nearest neighbour, 1x..32x or fit), with a
// read-out of the pixel under the pointer in 8-bit and model scale (v / 127.5 - 1), or a before/after
// comparison split by a draggable divider. GUI thread only.
#pragma once

#include <QImage>
#include <QWidget>

class QLabel;
class QScrollArea;
class QSlider;
class QToolButton;

class ImageInspector : public QWidget {
    Q_OBJECT
  public:
    static constexpr double kMinZoom = 1.0;
    static constexpr double kMaxZoom = 32.0;

    explicit ImageInspector(QWidget* parent = nullptr);
    ~ImageInspector() override;

    // Single mode: shows `image` (any format; null clears the view).
    void setImage(const QImage& image);
    // Compare mode: `before` left of the divider, `after` right of it. An `after` of another size is
    // scaled (nearest neighbour) to the size of `before`.
    void setComparison(const QImage& before, const QImage& after);
    void clear();

    QImage image() const { return m_image; }
    QImage afterImage() const { return m_after; }
    bool isComparing() const { return !m_after.isNull(); }
    // Screen pixels per image pixel (device-independent); in fit mode it follows the widget's size.
    double zoom() const;
    bool isFitToView() const { return m_fit; }
    // Divider position as a share of the image width, 0 (all after) .. 1 (all before).
    double comparePosition() const { return m_comparePosition; }

    // For tests and the owner: the zoomed view and the controls inside the inspector.
    QWidget* view() const;
    QSlider* compareSlider() const { return m_compareSlider; }
    QLabel* readoutLabel() const { return m_readout; }
    // Where the image sits in view() coordinates, and the pixel under a view() position ((-1, -1) outside).
    QRectF imageRect() const;
    QPoint imagePixelAt(const QPointF& viewPos) const;
    // The read-out for a view() position: "x 3, y 4: 143 (model 0.122)", or empty outside the image.
    // The label shows the same text with no line breaks inside a value.
    QString pixelTextAt(const QPointF& viewPos) const;

  public slots:
    // Fixed zoom, clamped to 1..32; leaves fit mode. The zoom steps of the buttons and the wheel are
    // 1, 2, 3, 4, 6, 8, 12, 16, 24, 32.
    void setZoom(double zoom);
    void zoomIn();
    void zoomOut();
    void fitToView();
    void setComparePosition(double position);

  signals:
    void zoomChanged(double zoom);
    void comparePositionChanged(double position);

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    class View;
    friend class View;

    void relayout();
    // Changes the zoom keeping the image point under `anchor` (view coordinates) where it is on screen.
    void zoomAround(double zoom, const QPointF& anchor);
    void updateControls();
    void showReadout(const QPointF& viewPos);
    void refreshReadout(); // after the image changed under a still pointer
    void paintView(QPainter& painter);
    QString valueText(const QImage& image, const QPoint& pixel) const;
    QString readoutText(const QPointF& viewPos, bool keepValuesTogether) const;

    QImage m_image; // before, in compare mode
    QImage m_after;
    bool m_fit = true;
    double m_zoom = 1.0; // when not fitting
    double m_comparePosition = 0.5;
    QPoint m_hoverPixel{-1, -1};

    QScrollArea* m_scroll = nullptr;
    View* m_view = nullptr;
    QToolButton* m_zoomOutButton = nullptr;
    QToolButton* m_zoomInButton = nullptr;
    QToolButton* m_fitButton = nullptr;
    QLabel* m_zoomLabel = nullptr;
    QWidget* m_compareRow = nullptr;
    QSlider* m_compareSlider = nullptr;
    QLabel* m_readout = nullptr;
};
