// Writing small files for tests that read logs and images from disk. A failure stops the test run.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>

namespace cmtest {

// Replaces `path` with `bytes`; returns the path.
inline QString writeFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write %s", qPrintable(path));
    file.write(bytes);
    return file.fileName();
}

inline void appendFile(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append)) qFatal("cannot append to %s", qPrintable(path));
    file.write(bytes);
}

} // namespace cmtest
