#include "pixel_image.h"

#include <QPainter>

#include <algorithm>

PixelImage::PixelImage(const QImage& image, QWidget* parent) : QWidget(parent), m_image(image) {
    setMinimumSize(96, 96);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void PixelImage::setImage(const QImage& image) {
    m_image = image;
    update();
}

void PixelImage::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    if (m_image.isNull()) return;
    // Not whole pixels: columns of images of one size are then drawn the same size.
    const double zoom = std::min(double(width()) / m_image.width(), double(height()) / m_image.height());
    const QSizeF size(m_image.width() * zoom, m_image.height() * zoom);
    const QRectF target(QPointF((width() - size.width()) / 2, (height() - size.height()) / 2), size);
    painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
    painter.drawImage(target, m_image);
    painter.setPen(palette().mid().color());
    painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5));
}
