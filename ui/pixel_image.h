// An image drawn as large as its widget allows, pixels kept square (nearest neighbour): a 28- or 32-pixel
// image is read pixel by pixel. Used by the Compress and Style views' columns.
#pragma once

#include <QImage>
#include <QWidget>

class PixelImage : public QWidget {
  public:
    explicit PixelImage(const QImage& image = {}, QWidget* parent = nullptr);
    void setImage(const QImage& image);
    QImage image() const { return m_image; }
    QSize sizeHint() const override { return {224, 224}; }

  protected:
    void paintEvent(QPaintEvent* event) override;

  private:
    QImage m_image;
};
