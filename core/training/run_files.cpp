#include "run_files.h"

#include "core/atomic_file.h"
#include "core/error.h"

#include <filesystem>
#include <iterator>

namespace cm::training {

namespace fs = std::filesystem;

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
