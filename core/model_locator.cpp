#include "model_locator.h"

#include "error.h"
#include "model_card.h"
#include "untrusted_json.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace cm {
namespace {

constexpr const char* kExtension = ".safetensors";

constexpr uint64_t kMaxHeaderBytes = 1u << 24; // real headers are kilobytes

enum class FileKind { Model, StyleModel, Evaluator, Tokenizer, Unreadable };

// Evaluators (feature nets) sit next to the generative models; the card's "format" field tells them apart,
// and reading just the header keeps listing cheap. `reason` says why a file is Unreadable.
FileKind classify(const fs::path& path, std::string& reason) {
    const auto metadata = readHeaderMetadata(path.string(), reason);
    if (!metadata) return FileKind::Unreadable;
    const auto format = metadata->find("format");
    const std::string formatName = format != metadata->end() ? format->second : "";
    if (formatName == "cmstudio-model") {
        try {
            if (ModelCard::fromMetadata(*metadata, path.string()).network.needsReference()) return FileKind::StyleModel;
        } catch (const Error&) {
            // A damaged card is the loader's to report, with the file, when someone opens it.
        }
        return FileKind::Model;
    }
    if (formatName == "cmstudio-feature-net") return FileKind::Evaluator;
    if (formatName == "cmstudio-tokenizer") return FileKind::Tokenizer;
    reason = "\"format\" is not \"cmstudio-model\"";
    return FileKind::Unreadable;
}

// The candidates that are directories, canonical, each once, in order.
std::vector<std::string> existingDirectories(const std::vector<fs::path>& candidates) {
    std::vector<std::string> existing;
    for (const fs::path& candidate : candidates) {
        std::error_code ec;
        if (!fs::is_directory(candidate, ec)) continue;
        const std::string normal = fs::weakly_canonical(candidate, ec).string();
        if (std::find(existing.begin(), existing.end(), normal) == existing.end()) existing.push_back(normal);
    }
    return existing;
}

// $environment, then <executableDir>/../share/cmstudio/<installed>, then the source tree's `source`.
std::vector<std::string> resourceDirectories(const char* environment, const std::string& executableDir,
                                             const char* installed, const char* source) {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv(environment); env && *env) candidates.emplace_back(env);
    if (!executableDir.empty()) candidates.push_back(fs::path(executableDir) / ".." / "share" / "cmstudio" / installed);
    if (source && *source) candidates.emplace_back(source);
    return existingDirectories(candidates);
}

} // namespace

std::optional<std::map<std::string, std::string>> readHeaderMetadata(const std::string& file, std::string& reason) {
    std::ifstream in(file, std::ios::binary);
    uint8_t lengthBytes[8] = {};
    if (!in.read(reinterpret_cast<char*>(lengthBytes), 8)) {
        reason = "too short for a safetensors header";
        return std::nullopt;
    }
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
        length = (length << 8) | lengthBytes[i];
    if (length == 0 || length > kMaxHeaderBytes) {
        reason = "not a safetensors file (header length " + std::to_string(length) + ")";
        return std::nullopt;
    }
    std::string header(length, '\0');
    if (!in.read(header.data(), static_cast<std::streamsize>(length))) {
        reason = "truncated header";
        return std::nullopt;
    }
    nlohmann::json json;
    try {
        json = parseUntrustedJson(header, "header");
    } catch (const Error& e) {
        reason = e.what();
        return std::nullopt;
    }
    const auto metadata = json.is_object() ? json.find("__metadata__") : json.end();
    if (!json.is_object() || metadata == json.end() || !metadata->is_object()) {
        reason = "no \"__metadata__\" object (not a CM Studio file)";
        return std::nullopt;
    }
    std::map<std::string, std::string> out;
    for (auto it = metadata->begin(); it != metadata->end(); ++it)
        if (it->is_string()) out[it.key()] = it->get<std::string>();
    return out;
}

#ifndef CMSTUDIO_SOURCE_MODELS_DIR
#define CMSTUDIO_SOURCE_MODELS_DIR ""
#endif
#ifndef CMSTUDIO_SOURCE_SWATCHES_DIR
#define CMSTUDIO_SOURCE_SWATCHES_DIR ""
#endif

std::vector<std::string> bundledModelDirectories(const std::string& executableDir) {
    return resourceDirectories("CMSTUDIO_MODELS_DIR", executableDir, "models", CMSTUDIO_SOURCE_MODELS_DIR);
}

std::vector<std::string> bundledSwatchDirectories(const std::string& executableDir) {
    return resourceDirectories("CMSTUDIO_SWATCHES_DIR", executableDir, "style-swatches", CMSTUDIO_SOURCE_SWATCHES_DIR);
}

std::vector<std::string> bundledSwatchFiles(const std::string& executableDir) {
    for (const std::string& directory : bundledSwatchDirectories(executableDir)) {
        std::vector<std::string> files;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(directory, ec))
            if (entry.is_regular_file(ec) && entry.path().extension() == ".png") files.push_back(entry.path().string());
        std::sort(files.begin(), files.end());
        if (!files.empty()) return files;
    }
    return {};
}

BundledModels scanBundledModels(const std::string& executableDir) {
    BundledModels found;
    std::set<std::string> names;
    for (const std::string& directory : bundledModelDirectories(executableDir)) {
        std::vector<fs::path> here;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(directory, ec))
            if (entry.is_regular_file(ec) && entry.path().extension() == kExtension)
                here.push_back(entry.path());
        std::sort(here.begin(), here.end());
        for (const fs::path& path : here) {
            if (!names.insert(path.filename().string()).second) continue;
            std::string reason;
            switch (classify(path, reason)) {
            case FileKind::Model:
                found.models.push_back(path.string());
                break;
            case FileKind::StyleModel:
                found.styleModels.push_back(path.string());
                break;
            case FileKind::Unreadable:
                found.skipped.push_back(describeUntrusted(path.string(), 400) + ": " + reason);
                break;
            case FileKind::Tokenizer:
                found.tokenizers.push_back(path.string());
                break;
            case FileKind::Evaluator:
                found.evaluators.push_back(path.string());
                break;
            }
        }
    }
    auto byName = [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() < fs::path(b).filename();
    };
    std::sort(found.models.begin(), found.models.end(), byName);
    std::sort(found.styleModels.begin(), found.styleModels.end(), byName);
    std::sort(found.tokenizers.begin(), found.tokenizers.end(), byName);
    std::sort(found.evaluators.begin(), found.evaluators.end(), byName);
    return found;
}

bool isStyleModelFile(const std::string& file) {
    std::string reason;
    return classify(fs::path(file), reason) == FileKind::StyleModel;
}

std::vector<std::string> bundledModelFiles(const std::string& executableDir) {
    return scanBundledModels(executableDir).models;
}

std::string resolveModelPath(const std::string& nameOrPath, const std::string& executableDir) {
    std::error_code ec;
    if (fs::is_regular_file(nameOrPath, ec)) return nameOrPath;
    if (fs::is_directory(nameOrPath, ec)) return nameOrPath; // a diffusers folder
    const bool bareName = fs::path(nameOrPath).filename().string() == nameOrPath;
    const std::vector<std::string> directories = bundledModelDirectories(executableDir);
    if (bareName) {
        std::string file = nameOrPath;
        if (fs::path(file).extension() != kExtension) file += kExtension;
        for (const std::string& directory : directories)
            if (fs::is_regular_file(fs::path(directory) / file, ec)) return (fs::path(directory) / file).string();
    }
    std::string searched;
    for (const std::string& directory : directories) searched += (searched.empty() ? "" : ", ") + directory;
    throw Error(ErrorKind::Io, nameOrPath + ": no such model file" +
                                   (bareName ? " or bundled model (searched: " +
                                                   (searched.empty() ? std::string("no model folder found") : searched) + ")"
                                             : std::string()));
}

// CD: the best one-step and two-step FD of the bundled models (docs/RESULTS.md: 24.1 and 17.6 against
// ECT's 52.0 and 26.9).
constexpr const char* kDefaultModelFile = "fashion-mnist-cd.safetensors";

std::string defaultModelPath(const std::string& executableDir) {
    const std::vector<std::string> files = bundledModelFiles(executableDir);
    for (const std::string& file : files)
        if (fs::path(file).filename() == kDefaultModelFile) return file;
    return files.empty() ? std::string() : files.front();
}

} // namespace cm
