// A row of small captioned images (a sampling chain, a step-count comparison), zoomed with whole pixels.
#pragma once

#include <QImage>
#include <QWidget>

class QHBoxLayout;

class ThumbnailStrip : public QWidget {
    Q_OBJECT
  public:
    explicit ThumbnailStrip(QWidget* parent = nullptr);
    void setImages(const QVector<QImage>& images, const QStringList& captions);
    void clear();
    int count() const { return int(m_images.size()); }
    QImage image(int index) const { return m_images.value(index); }
    QString caption(int index) const { return m_captions.value(index); }
    void setZoom(int zoom);

  signals:
    void clicked(int index);

  private:
    void rebuild();
    QHBoxLayout* m_layout = nullptr;
    QVector<QImage> m_images;
    QStringList m_captions;
    int m_zoom = 3;
};
