// How large a sample is drawn in a gallery or strip, for every model size. Plain functions.
#pragma once

#include <QImage>
#include <QPixmap>

// Small images (28-32 px) grow by whole pixels (`zoom` times); from 64 px the same zoom steps through
// quarters of the image (1/4, 1/2, 3/4, 1, ... 2x), so a 256 px batch still shows several images a row.
QSize thumbnailSize(const QSize& image, int zoom);
// `image` drawn at `size`: nearest-neighbour when enlarging (pixels stay sharp), smoothed when reducing.
QPixmap thumbnailPixmap(const QImage& image, const QSize& size);
