// The grid of generated samples: nearest-neighbour thumbnails at a chosen zoom, selection, and the
// per-image settings (seed, class, schedule) that made each one, for export and for reuse.
#pragma once

#include <QImage>
#include <QVariantMap>
#include <QWidget>

class QCheckBox;
class QLabel;
class QListWidget;
class QSlider;

class SampleGallery : public QWidget {
    Q_OBJECT
  public:
    explicit SampleGallery(QWidget* parent = nullptr);

    // Replaces the gallery. settings[i] describes images[i] (its own seed, class...).
    void setSamples(const QVector<QImage>& images, const QVector<QVariantMap>& settings);
    void clear();
    int count() const;
    QImage image(int index) const;
    QVariantMap settings(int index) const;
    int currentIndex() const; // -1 without a selection
    QVector<int> selectedIndices() const;
    void setCurrentIndex(int index);
    // All images tiled row by row (the grid the gallery shows), 8-bit, with 2-pixel white gaps.
    QImage gridImage() const;
    int columns() const;
    int zoom() const;
    // The largest zoom step (1..kMaxZoom, see thumbnails.h) at which `count` images of `image` size fit
    // in `area` (with `rowLength` > 0: in rows of that many).
    static int fittingZoom(QSize image, int count, QSize area, int rowLength = 0);
    // Rows of exactly `length` images (the Style view: one row per prompt) while they fit the width; 0 (the
    // default) wraps as many per row as fit. The grid image then has `length` columns too.
    void setRowLength(int length);
    int rowLength() const { return m_rowLength; }
    static constexpr int kMaxZoom = 16;
    static constexpr int kSpacing = 2;
    // Off: no "Refine and inspect" (the Style view's results), and a double-click sends to the editor.
    void setRefineOffered(bool offered) { m_refineOffered = offered; }

  signals:
    void currentChanged(int index);
    void sendToEditorRequested(int index);
    void refineRequested(int index);
    void saveSelectedRequested();
    void copyRequested();

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    void fitZoom();
    void showZoomValue();
    void refreshIcons();
    void updateGrid(); // the cells: the thumbnail and its gap, widened to make rows of m_rowLength
    void buildSomeIcons();

    QListWidget* m_list = nullptr;
    QSlider* m_zoom = nullptr;
    QLabel* m_zoomValue = nullptr;
    QCheckBox* m_fit = nullptr; // on: the zoom follows the gallery's size
    bool m_fitting = false;     // the zoom is being set by fitZoom, not by the user
    QVector<QImage> m_images;
    QVector<QVariantMap> m_settings;
    int m_nextIcon = 0;
    bool m_refineOffered = true;
    int m_rowLength = 0;
};
