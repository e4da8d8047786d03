// What the user told the import step about one foreign model file (a `.pt`, a diffusers folder),
// remembered per file in QSettings (keyed by its absolute path), so reopening it asks nothing again.
#pragma once

#include "core/model_import.h"

#include <QString>

cm::ImportOptions rememberedImportOptions(const QString& path);
void rememberImportOptions(const QString& path, const cm::ImportOptions& options);
// A model file the engine can open only with the import step (not a CM Studio safetensors file).
bool needsImportStep(const QString& path);
