// Chooses and installs the user-interface language: the "language" setting (Language menu) if set,
// otherwise the system locale. Call once after QApplication exists.
#pragma once

#include <QString>

// Returns the language installed ("zh_CN", or "en" for the source strings). `override` (from the
// command line) wins over the setting.
QString installTranslations(const QString& override = QString());
