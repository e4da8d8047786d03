#include "run_files.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <filesystem>

namespace cm::training {

namespace fs = std::filesystem;

void checkRunFiles(const std::vector<std::pair<std::string, std::string>>& files, const std::string& outputKind,
                   const std::string& outputPath, bool resume, bool overwrite) {
    for (std::size_t i = 0; i < files.size(); ++i)
        for (std::size_t j = i + 1; j < files.size(); ++j)
            if (!files[i].second.empty() && sameFile(files[i].second, files[j].second))
                throw Error(ErrorKind::InvalidArgument, files[i].first + " and " + files[j].first +
                                                            " are the same file (" + files[j].second +
                                                            "); give each its own path");
    if (!resume && !overwrite && fs::exists(outputPath))
        throw Error(ErrorKind::InvalidArgument, "the " + outputKind + " file " + outputPath +
                                                    " already exists; resume its run, allow overwriting it, "
                                                    "or choose another output path");
}

void checkRunFiles(const TrainParams& p) {
    checkRunFiles({{"the teacher", p.teacherPath},
                   {"the output model", p.outputPath},
                   {"the checkpoint", p.checkpointPath},
                   {"the training log", p.logPath},
                   {"the preview grid", p.previewPath}},
                  "model", p.outputPath, p.resume, p.overwrite);
}

bool prepareRunFiles(const std::string& checkpointPath, const std::string& outputPath, const std::string& logPath,
                     bool resume, bool overwrite) {
    // A process killed while saving leaves its temporary file; the checkpoint itself is intact.
    removeStaleTemporaries(checkpointPath);
    removeStaleTemporaries(outputPath);
    removeStaleTemporaries(logPath);
    const bool checkpointExists = fs::exists(checkpointPath);
    if (resume) {
        if (!checkpointExists) throw Error(ErrorKind::Io, "cannot resume: there is no checkpoint at " + checkpointPath);
        return true;
    }
    if (!overwrite && (checkpointExists || fs::exists(logPath)))
        throw Error(ErrorKind::InvalidArgument, "a training run already exists (" +
                                                    (checkpointExists ? checkpointPath : logPath) +
                                                    "); resume it, or allow overwriting it");
    return false;
}

} // namespace cm::training
