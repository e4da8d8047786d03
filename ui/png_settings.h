// Images saved with the settings that made them: PNG text chunks ("cmstudio" holds the settings as JSON,
// plus readable "Seed", "Model", "Software" entries), read back when such a PNG is opened. Thread-safe.
#pragma once

#include <QImage>
#include <QString>
#include <QVariantMap>

#include <optional>

// Writes a PNG atomically (temporary file, then rename): an existing file is replaced only by a
// complete one. Returns false with a message naming the file on failure.
bool savePngWithSettings(const QImage& image, const QString& path, const QVariantMap& settings, QString* error);

// The settings a PNG written by savePngWithSettings carries; nullopt for other files (or unreadable ones).
std::optional<QVariantMap> readPngSettings(const QString& path);

// Copies `settings` into an image's text entries (what savePngWithSettings writes; for the clipboard too).
void attachSettings(QImage& image, const QVariantMap& settings);

// The image enlarged `scale` times with whole pixels (nearest neighbour), for exports of 28-32 px images;
// scale 1 (or less) returns it unchanged. Text entries are kept.
QImage enlargedForExport(const QImage& image, int scale);
