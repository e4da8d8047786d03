#include "recent_files.h"

#include <QComboBox>
#include <QFileInfo>
#include <QSettings>

#include <algorithm>

void rememberRecentFile(const QString& settingsKey, const QString& path) {
    QSettings settings;
    QStringList recent = settings.value(settingsKey).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecentFiles) recent.removeLast();
    settings.setValue(settingsKey, recent);
}

void fillFilePicker(QComboBox* picker, const QStringList& bundled, const QString& settingsKey, const QString& current,
                    const QString& emptyText) {
    QStringList paths = bundled;
    for (const QString& path : QSettings().value(settingsKey).toStringList())
        if (!paths.contains(path) && QFileInfo::exists(path)) paths << path;
    picker->clear();
    if (paths.isEmpty()) picker->addItem(emptyText);
    for (const QString& path : paths) {
        picker->addItem(QFileInfo(path).completeBaseName(), path);
        picker->setItemData(picker->count() - 1, path, Qt::ToolTipRole);
    }
    picker->setCurrentIndex(std::max(0, picker->findData(current)));
}
