// Where the bundled models live, for the GUI and the CLI alike: the build tree while developing, and
// <prefix>/share/cmstudio/models once installed. Plain functions; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cm {

// The folders searched for bundled models, in order, existing ones only: $CMSTUDIO_MODELS_DIR, then
// <executableDir>/../share/cmstudio/models (an installed package), then the source tree this was built from.
std::vector<std::string> bundledModelDirectories(const std::string& executableDir);

// What the model folders hold: the generative models (*.safetensors whose card says "cmstudio-model"),
// sorted by name, the style models among them listed apart (the Style view's, not the model panel's), first folder wins for a name found twice; the tokenizers (card format
// "cmstudio-tokenizer"), sorted the same way; and the files that were left out because they cannot be
// read as a model card, as "path: reason" lines; and the evaluators (card format "cmstudio-feature-net"),
// listed apart. Never throws for a bad file: one broken download must not stop the app from starting.
struct BundledModels {
    std::vector<std::string> models;
    std::vector<std::string> styleModels; // models whose card is a style model (core/style): they need a reference
    std::vector<std::string> tokenizers;
    std::vector<std::string> evaluators;
    std::vector<std::string> skipped;
};
BundledModels scanBundledModels(const std::string& executableDir);

// The "__metadata__" of a safetensors file read from its header alone (what a card is parsed from; values
// that are not strings are left out). nullopt with `reason` set when the file is not a readable
// safetensors file with metadata. Never throws.
std::optional<std::map<std::string, std::string>> readHeaderMetadata(const std::string& file, std::string& reason);

// The folders of the bundled style swatches (small reference PNGs rendered by the style world,
// resources/style-swatches), existing ones only: $CMSTUDIO_SWATCHES_DIR, then
// <executableDir>/../share/cmstudio/style-swatches, then the source tree's.
std::vector<std::string> bundledSwatchDirectories(const std::string& executableDir);
// The swatch PNGs of the first of those folders that has any, sorted by name.
std::vector<std::string> bundledSwatchFiles(const std::string& executableDir);

// True when `file` is a CM Studio model whose card is a style model (from its header alone); false for
// anything else, readable or not. Never throws.
bool isStyleModelFile(const std::string& file);

// scanBundledModels(executableDir).models
std::vector<std::string> bundledModelFiles(const std::string& executableDir);

// `nameOrPath` as given when it names an existing file; otherwise a bundled model of that name, with or
// without ".safetensors" (e.g. "fashion-mnist-ect"). Throws Error(Io) listing the folders searched.
std::string resolveModelPath(const std::string& nameOrPath, const std::string& executableDir);

// The model the app opens first: fashion-mnist-cd if present, else the first bundled model; "" if none.
std::string defaultModelPath(const std::string& executableDir);

} // namespace cm
