#include "image_convert.h"

#include "core/image_util.h"

#include <QPainter>

QImage matToQImage(const cv::Mat& image) {
    const cv::Mat u8 = image.depth() == CV_8U ? image : cm::toDisplay8U(image);
    const QImage::Format format = u8.channels() == 1 ? QImage::Format_Grayscale8 : QImage::Format_RGB888;
    const QImage view(u8.data, u8.cols, u8.rows, static_cast<qsizetype>(u8.step), format);
    return view.copy();
}

namespace {

QImage flattenedOnWhite(const QImage& image) {
    if (!image.hasAlphaChannel()) return image;
    QImage flat(image.size(), QImage::Format_RGB888);
    flat.fill(Qt::white);
    QPainter painter(&flat);
    painter.drawImage(0, 0, image);
    return flat;
}

} // namespace

cv::Mat qImageTo8U(const QImage& image, int channels) {
    const QImage converted = flattenedOnWhite(image).convertToFormat(channels == 1 ? QImage::Format_Grayscale8
                                                                                   : QImage::Format_RGB888);
    const cv::Mat view(converted.height(), converted.width(), channels == 1 ? CV_8UC1 : CV_8UC3,
                       const_cast<uchar*>(converted.constBits()), static_cast<size_t>(converted.bytesPerLine()));
    return view.clone();
}

cv::Mat qImageToMat(const QImage& image, int channels) { return cm::fromDisplay8U(qImageTo8U(image, channels)); }
