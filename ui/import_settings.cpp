#include "import_settings.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QSettings>

namespace {

QString groupFor(const QString& path) {
    const QByteArray key = QFileInfo(path).absoluteFilePath().toUtf8();
    return "imports/" + QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha1).toHex());
}

} // namespace

cm::ImportOptions rememberedImportOptions(const QString& path) {
    QSettings settings;
    settings.beginGroup(groupFor(path));
    cm::ImportOptions options;
    options.imageSize = settings.value("imageSize", 0).toInt();
    options.headChannels = settings.value("headChannels", 0).toInt();
    const QString kind = settings.value("kind").toString();
    if (kind == cm::modelKindName(cm::ModelKind::Consistency)) options.kind = cm::ModelKind::Consistency;
    if (kind == cm::modelKindName(cm::ModelKind::EdmDenoiser)) options.kind = cm::ModelKind::EdmDenoiser;
    const QString schedule = settings.value("schedule").toString();
    try {
        if (!schedule.isEmpty())
            options.schedule = cm::RecommendedSchedule::fromJson(schedule.toStdString(), "remembered settings");
    } catch (const std::exception&) {
        // A settings file edited by hand: forget the schedule rather than refuse the model.
    }
    if (options.imageSize < 0 || options.imageSize > 4096) options.imageSize = 0;
    if (options.headChannels < 0 || options.headChannels > 4096) options.headChannels = 0;
    return options;
}

void rememberImportOptions(const QString& path, const cm::ImportOptions& options) {
    QSettings settings;
    settings.beginGroup(groupFor(path));
    settings.setValue("path", QFileInfo(path).absoluteFilePath());
    settings.setValue("imageSize", options.imageSize);
    settings.setValue("headChannels", options.headChannels);
    settings.setValue("kind", options.kind ? QString::fromUtf8(cm::modelKindName(*options.kind)) : QString());
    settings.setValue("schedule",
                      options.schedule.empty() ? QString() : QString::fromStdString(options.schedule.toJson()));
}

bool needsImportStep(const QString& path) {
    const cm::ModelFormat format = cm::detectModelFormat(path.toStdString());
    return format == cm::ModelFormat::TorchStateDict || format == cm::ModelFormat::DiffusersFolder;
}
