#include "model_locator.h"

#include "error.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace fs = std::filesystem;

namespace cm {
namespace {

constexpr const char* kExtension = ".safetensors";

// Evaluators (feature nets) sit next to the generative models; the card's "format" field tells them apart,
// and reading just the header keeps listing cheap. Unreadable files are not offered.
bool isEvaluatorFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    uint8_t lengthBytes[8] = {};
    if (!in.read(reinterpret_cast<char*>(lengthBytes), 8)) return true;
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | lengthBytes[i];
    if (length == 0 || length > (1u << 24)) return true;
    std::string header(length, '\0');
    if (!in.read(header.data(), static_cast<std::streamsize>(length))) return true;
    const nlohmann::json json = nlohmann::json::parse(header, nullptr, false);
    if (json.is_discarded() || !json.contains("__metadata__")) return true;
    return json["__metadata__"].value("format", "") != "cmstudio-model";
}

} // namespace

std::vector<std::string> bundledModelDirectories(const std::string& executableDir) {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("CMSTUDIO_MODELS_DIR"); env && *env) candidates.emplace_back(env);
    if (!executableDir.empty())
        candidates.push_back(fs::path(executableDir) / ".." / "share" / "cmstudio" / "models");
#ifdef CMSTUDIO_SOURCE_MODELS_DIR
    candidates.emplace_back(CMSTUDIO_SOURCE_MODELS_DIR);
#endif
    std::vector<std::string> existing;
    for (const fs::path& candidate : candidates) {
        std::error_code ec;
        if (!fs::is_directory(candidate, ec)) continue;
        const std::string normal = fs::weakly_canonical(candidate, ec).string();
        if (std::find(existing.begin(), existing.end(), normal) == existing.end()) existing.push_back(normal);
    }
    return existing;
}

std::vector<std::string> bundledModelFiles(const std::string& executableDir) {
    std::vector<std::string> files;
    std::set<std::string> names;
    for (const std::string& directory : bundledModelDirectories(executableDir)) {
        std::vector<fs::path> here;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(directory, ec))
            if (entry.is_regular_file(ec) && entry.path().extension() == kExtension) here.push_back(entry.path());
        std::sort(here.begin(), here.end());
        for (const fs::path& path : here)
            if (names.insert(path.filename().string()).second && !isEvaluatorFile(path))
                files.push_back(path.string());
    }
    std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() < fs::path(b).filename();
    });
    return files;
}

std::string resolveModelPath(const std::string& nameOrPath, const std::string& executableDir) {
    std::error_code ec;
    if (fs::is_regular_file(nameOrPath, ec)) return nameOrPath;
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

std::string defaultModelPath(const std::string& executableDir) {
    const std::vector<std::string> files = bundledModelFiles(executableDir);
    for (const std::string& file : files)
        if (fs::path(file).filename() == "fashion-mnist-ect.safetensors") return file;
    return files.empty() ? std::string() : files.front();
}

} // namespace cm
