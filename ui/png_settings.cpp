#include "png_settings.h"

#include <QCoreApplication>
#include <QImageReader>
#include <QImageWriter>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace {
constexpr const char* kSettingsKey = "cmstudio";
}

void attachSettings(QImage& image, const QVariantMap& settings) {
    image.setText(kSettingsKey,
                  QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(settings)).toJson(QJsonDocument::Compact)));
    image.setText("Software", "CM Studio");
    if (settings.contains("seed")) image.setText("Seed", settings.value("seed").toString());
    if (settings.contains("model")) image.setText("Model", settings.value("model").toString());
}

bool savePngWithSettings(const QImage& image, const QString& path, const QVariantMap& settings, QString* error) {
    QImage tagged = image;
    attachSettings(tagged, settings);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = QCoreApplication::translate("png", "%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    QImageWriter writer(&file, "png");
    if (!writer.write(tagged)) {
        file.cancelWriting();
        if (error) *error = QCoreApplication::translate("png", "%1: %2").arg(path, writer.errorString());
        return false;
    }
    if (!file.commit()) {
        if (error) *error = QCoreApplication::translate("png", "%1: cannot write (%2)").arg(path, file.errorString());
        return false;
    }
    return true;
}

std::optional<QVariantMap> readPngSettings(const QString& path) {
    QImageReader reader(path);
    const QString text = reader.text(kSettingsKey);
    if (text.isEmpty()) return std::nullopt;
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8());
    if (!document.isObject()) return std::nullopt;
    return document.object().toVariantMap();
}

QImage enlargedForExport(const QImage& image, int scale) {
    if (scale <= 1 || image.isNull()) return image;
    QImage enlarged = image.scaled(image.size() * scale, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    for (const QString& key : image.textKeys()) enlarged.setText(key, image.text(key));
    return enlarged;
}
