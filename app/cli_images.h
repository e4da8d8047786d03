// Reading an input image for a model and writing a result, shared by the cmstudio-cli commands that take
// images (edit, tokenize).
#pragma once

#include "core/error.h"

#include <QString>

#include <opencv2/core.hpp>

// Shorter side resized to `size`, then centre-cropped (only with --fit).
cv::Mat fitSquare(const cv::Mat& image, int size, int interpolation);

// Reads an image for the model: size checked (or fitted), channels adapted where that loses nothing a
// user would miss (grey -> RGB for a colour model; colour -> grey for a grey model, said on stderr).
// Without --fit the size must match: said from the header, before paying for decoding a large image.
// Returns float [-1, 1]. Throws cm::Error (Shape for a wrong size, Io/Format for an unreadable file).
cv::Mat loadInput(const QString& path, int size, int channels, bool fit, bool wantGrey);

// Writes a [-1, 1] image as 8-bit, enlarged `zoom` times with nearest neighbours, atomically.
void writeImage(const QString& path, const cv::Mat& image, int zoom);
