#include "thumbnails.h"

QSize thumbnailSize(const QSize& image, int zoom) {
    if (image.width() < 64) return image * zoom;
    return image * (zoom / 4.0);
}

QPixmap thumbnailPixmap(const QImage& image, const QSize& size) {
    const Qt::TransformationMode mode =
        size.width() >= image.width() ? Qt::FastTransformation : Qt::SmoothTransformation;
    return QPixmap::fromImage(image.scaled(size, Qt::IgnoreAspectRatio, mode));
}
