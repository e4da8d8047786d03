// Splitters whose sizes the user sets once: restored at start from the settings under `key`, written when
// the user drags a handle.
#pragma once

#include <QString>

class QSplitter;

// Restores the sizes saved under `key` (if any; else the splitter keeps the sizes it was given) and saves
// them whenever a handle is moved.
void rememberSplitterSizes(QSplitter* splitter, const QString& key);
