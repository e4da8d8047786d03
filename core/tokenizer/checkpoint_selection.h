// Held-out checkpoint selection (FlowMo stage 1B: too large a perceptual weight over-fits the perceptual
// network, so the checkpoint is picked by a held-out reconstruction FD, not by the training loss). At each
// checkpoint the tokenizer just written is measured on held-out images with the project's evaluator; the
// best so far (lowest FD) is copied to `bestPath`, and every measurement is a row of a CSV log
// (step, fd, psnr, class_accuracy, best). Not thread-safe; one per training run.
#pragma once

#include "core/dataset.h"
#include "core/feature_net.h"
#include "core/tokenizer/tokenizer.h"

#include <string>

namespace cm {

struct CheckpointSelectionParams {
    std::string bestPath; // the best tokenizer is copied here (atomically)
    std::string logPath;  // default bestPath + ".csv"
    DecodeParams decode;  // how reconstructions are decoded (the card's sampler by default)
    int batch = 100;
    bool resume = false;  // keep the log's rows up to the resumed step and its best FD
    long resumedStep = 0;
};

class CheckpointSelector {
  public:
    // `heldOut` must not overlap the images it will be reported on. Error(InvalidArgument) for files that
    // collide; on resume the log's best row is taken only if bestPath exists.
    CheckpointSelector(const CheckpointSelectionParams& params, const FeatureNet& evaluator, Dataset heldOut);

    // Measures the tokenizer at `tokenizerPath` (written after `step`); returns its FD.
    double consider(long step, const std::string& tokenizerPath);

    long bestStep() const { return m_bestStep; } // 0 before any measurement
    double bestFd() const { return m_bestFd; }

  private:
    CheckpointSelectionParams m_params;
    const FeatureNet& m_evaluator;
    Dataset m_heldOut;
    long m_bestStep = 0;
    double m_bestFd = 0;
};

// The columns of the selection log.
const std::vector<std::string>& checkpointSelectionColumns();

} // namespace cm
