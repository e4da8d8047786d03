#include "run_files.h"

#include "core/error.h"

#include <filesystem>
#include <iterator>

namespace cm::training {

namespace fs = std::filesystem;

namespace {

// Whether two paths name one file (existing or not): a hard link, "./x" and "x", or the same path.
bool sameFile(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    // weakly_canonical leaves a relative path relative when nothing of it exists yet: make it absolute first.
    const auto normal = [](const std::string& path) {
        std::error_code error;
        const fs::path result = fs::weakly_canonical(fs::absolute(path, error), error);
        return error ? fs::path(path) : result;
    };
    return normal(a) == normal(b);
}

} // namespace

void checkRunFiles(const TrainParams& p) {
    const std::pair<const char*, const std::string*> files[] = {{"the teacher", &p.teacherPath},
                                                                {"the output model", &p.outputPath},
                                                                {"the checkpoint", &p.checkpointPath},
                                                                {"the training log", &p.logPath},
                                                                {"the preview grid", &p.previewPath}};
    for (std::size_t i = 0; i < std::size(files); ++i)
        for (std::size_t j = i + 1; j < std::size(files); ++j)
            if (!files[i].second->empty() && sameFile(*files[i].second, *files[j].second))
                throw Error(ErrorKind::InvalidArgument, std::string(files[i].first) + " and " +
                                                            files[j].first + " are the same file (" +
                                                            *files[j].second + "); give each its own path");
    if (!p.resume && !p.overwrite && fs::exists(p.outputPath))
        throw Error(ErrorKind::InvalidArgument, "the model file " + p.outputPath +
                                                    " already exists; resume its run, allow overwriting it, "
                                                    "or choose another output path");
}

} // namespace cm::training
