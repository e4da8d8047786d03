// Conversions between the engine's images (cv::Mat, float [-1, 1] or 8-bit, RGB order) and Qt's QImage.
// Plain functions; every result owns its pixels (safe to pass between threads).
#pragma once

#include <QImage>
#include <opencv2/core.hpp>

// [-1, 1] float (CV_32FC1 / CV_32FC3) or 8-bit (CV_8UC1 / CV_8UC3) -> Grayscale8 / RGB888.
QImage matToQImage(const cv::Mat& image);

// Any QImage -> [-1, 1] float with `channels` channels (1: grey by luminance, 3: RGB); alpha is
// composited on white, as the engine's file reader does.
cv::Mat qImageToMat(const QImage& image, int channels);

// Any QImage -> 8-bit grey (CV_8UC1) or RGB (CV_8UC3), pixels copied; alpha composited on white.
cv::Mat qImageTo8U(const QImage& image, int channels);
