// Reading a whole input image for a model of `size` x `size` with `channels` and writing a result, for the
// cmstudio-cli commands that take one (tokenize); the checks and adaptations are core's edit-input rule.
#pragma once

#include <QString>

#include <opencv2/core.hpp>

// Without `fit` the size is checked from the header, before paying for decoding a large image; with it the
// shorter side is resized and the centre cropped; grey <-> RGB adapted (a note on stderr when colours go).
// Returns float [-1, 1]. Throws cm::Error (Shape for a wrong size, Io/Format for an unreadable file).
cv::Mat loadModelImage(const QString& path, int size, int channels, bool fit);

// Writes a [-1, 1] image as 8-bit, enlarged `zoom` times with nearest neighbours, atomically.
void writeModelImage(const QString& path, const cv::Mat& image, int zoom);
