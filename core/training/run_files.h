// The files a training run reads and writes, for every trainer. Private to core/.
#pragma once

#include "core/trainer.h"

#include <string>
#include <utility>
#include <vector>

namespace cm::training {

// The files a run writes must be distinct from each other and from the ones it reads (`files`: role and
// path; empty paths are skipped), and an existing output (`outputKind` "model", "tokenizer", ...) is
// replaced only when asked: a typo in --out must not destroy a model. Throws InvalidArgument.
void checkRunFiles(const std::vector<std::pair<std::string, std::string>>& files, const std::string& outputKind,
                   const std::string& outputPath, bool resume, bool overwrite);
// The consistency-model trainer's files (teacher, model, checkpoint, log, preview grid).
void checkRunFiles(const TrainParams& params);

// Before the first step, by the rank that writes: removes the temporary files a killed process left beside
// the checkpoint, the output and the log; on resume requires the checkpoint (Error(Io)); otherwise refuses
// to start over an existing run unless overwriting (InvalidArgument). Returns whether to load the checkpoint.
bool prepareRunFiles(const std::string& checkpointPath, const std::string& outputPath, const std::string& logPath,
                     bool resume, bool overwrite);

} // namespace cm::training
