// The recently opened files the app remembers (models, tokenizers, style models): a list per settings key,
// newest first, and the pickers that offer them after the bundled files. Plain functions, GUI thread.
#pragma once

#include <QString>
#include <QStringList>

class QComboBox;

// The most files a recent list keeps.
inline constexpr int kMaxRecentFiles = 8;

// Puts `path` first in the list under `settingsKey` (once), keeping kMaxRecentFiles.
void rememberRecentFile(const QString& settingsKey, const QString& path);

// Fills `picker` with `bundled`, then the remembered files that still exist and are not bundled: the name
// shown, the path as the item's data and tooltip; `current` selected (else the first). `emptyText` is the
// one item when there is none.
void fillFilePicker(QComboBox* picker, const QStringList& bundled, const QString& settingsKey, const QString& current,
                    const QString& emptyText);
