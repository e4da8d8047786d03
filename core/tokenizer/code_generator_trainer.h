// Training the stage-2 code generator (code_generator.h) on a tokenizer's codes of training images:
// binary cross-entropy of each bit given the bits before it and the class, Adam, an EMA of the weights (the
// saved file), atomic checkpoints (core/training/checkpoint.h; a resumed run reaches the same weights bit for
// bit, on any world size) and a CSV log (step, samples, loss, bits_per_code, grad_norm, lr, seconds).
// Data-parallel as cm::train (DistributedParams). Not thread-safe; one training per process.
#pragma once

#include "core/dataset.h"
#include "core/distributed.h"
#include "core/progress.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/tokenizer.h"

#include <functional>
#include <string>
#include <vector>

namespace cm {

// The codes of a data set's images under a tokenizer, with their labels (all 0 without labels).
struct CodeSet {
    std::vector<TokenCode> codes;
    std::vector<int64_t> labels;
    std::vector<std::string> classNames;
    std::string description;
    int classes() const { return classNames.empty() ? 1 : int(classNames.size()); }
};
CodeSet encodeDataset(const Tokenizer& tokenizer, const Dataset& data, int batch = 256, const ProgressFn& progress = {},
                      const CancelFlag* cancel = nullptr);

struct CodeGeneratorTrainParams {
    int width = 512, depth = 2; // the network; bits and classes come from the codes
    std::string tokenizerName;  // recorded on the card
    long totalSteps = 2000;
    int batchSize = 128;
    double learningRate = 1e-3;
    double emaRate = 0.999;
    uint64_t seed = 0;
    int threads = 0;
    std::string outputPath, checkpointPath, logPath; // checkpoint / log default: OUT.ckpt / OUT.csv
    long logEvery = 50, checkpointEvery = 500;
    bool resume = false, overwrite = false;
    DistributedParams distributed; // alone by default; one rank of a group (torchrun, --nproc)
};

struct CodeGeneratorTrainSummary {
    long steps = 0;
    double seconds = 0, lastLoggedBitsPerCode = 0;
    bool cancelled = false;
    double communicationSeconds = 0; // waiting for the other ranks (data-parallel)
};

const std::vector<std::string>& codeGeneratorLogColumns();

// Cancelling saves a checkpoint and the generator and returns cancelled = true (in a group: every rank
// stops after the same step).
CodeGeneratorTrainSummary trainCodeGenerator(const CodeGeneratorTrainParams& params, const CodeSet& codes,
                                             const std::function<void(long step, long total, double bitsPerCode)>& observe = {},
                                             const CancelFlag* cancel = nullptr);

} // namespace cm
