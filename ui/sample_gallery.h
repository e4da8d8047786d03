// The grid of generated samples: nearest-neighbour thumbnails at a chosen zoom, selection, and the
// per-image settings (seed, class, schedule) that made each one, for export and for reuse.
#pragma once

#include <QImage>
#include <QVariantMap>
#include <QWidget>

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
    // The thumbnail size for an image of `image` pixels at slider position `zoom` (1..8).
    static QSize thumbnailSize(const QSize& image, int zoom);

  signals:
    void currentChanged(int index);
    void sendToEditorRequested(int index);
    void refineRequested(int index);
    void saveSelectedRequested();
    void copyRequested();

  private:
    void refreshIcons();
    void buildSomeIcons();

    QListWidget* m_list = nullptr;
    QSlider* m_zoom = nullptr;
    QVector<QImage> m_images;
    QVector<QVariantMap> m_settings;
    int m_nextIcon = 0;
};
