#include "remembered_splitter.h"

#include <QSettings>
#include <QSplitter>

void rememberSplitterSizes(QSplitter* splitter, const QString& key) {
    const QByteArray saved = QSettings().value(key).toByteArray();
    if (!saved.isEmpty()) splitter->restoreState(saved);
    QObject::connect(splitter, &QSplitter::splitterMoved, splitter,
                     [splitter, key] { QSettings().setValue(key, splitter->saveState()); });
}
