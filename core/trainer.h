// Training: EDM denoisers (teachers), consistency distillation (CD), consistency training (CT, iCT) and
// consistency tuning (ECT). Resumable from atomic checkpoints. Not thread-safe; run one training per process.
//
// Data-parallel: with params.distributed.worldSize = W > 1, W processes (one call each, rank 0..W-1) train
// one run. Each takes a disjoint slice of every global batch of batchSize samples; every random draw
// (data index, noise, noise level, label dropout) is made for the whole global batch and depends on the
// sample's global index only, so W processes reproduce the run of one to float rounding (exactly in
// expectation with network dropout, whose masks are per process). Gradients are summed by all-reduce;
// schedules run on the global step. Rank 0 alone writes the log, the checkpoint and the model; the
// checkpoint does not depend on W, so a run resumes on any number of processes.
#pragma once

#include "dataset.h"
#include "distributed.h"
#include "network_config.h"
#include "progress.h"
#include "schedule.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cm {

enum class TrainMode { Edm, Cd, Ct, Ict, Ect };
enum class DistanceMetric { L2, L1, PseudoHuber };
enum class OptimizerKind { Adam, RAdam };

const char* trainModeName(TrainMode mode);             // "edm", "cd", "ct", "ict", "ect"
TrainMode trainModeFromName(const std::string& name);  // throws InvalidArgument
const char* distanceMetricName(DistanceMetric metric); // "l2", "l1", "huber"
DistanceMetric distanceMetricFromName(const std::string& name);

struct TrainParams {
    TrainMode mode = TrainMode::Ict;
    NetworkConfig network; // cd and ect take the teacher's architecture instead
    NoiseConstants noise;  // cd and ect take the teacher's constants instead
    long totalSteps = 10000;
    int batchSize = 64;
    double learningRate = 2e-4;
    long warmupSteps = 0; // linear learning-rate warm-up
    OptimizerKind optimizer = OptimizerKind::RAdam;
    double beta1 = 0.9, beta2 = 0.999;
    double gradClip =
        0.0; // maximum global gradient norm; 0 = no clipping (iCT weights make clipping throttle)
    std::vector<double> emaRates = {0.9999}; // the first is the model that is saved for use
    double labelDropout = 0.1; // class-conditional training: share of labels replaced by the null label
    uint64_t seed = 0;
    int threads = 0; // 0 = LibTorch's default

    double edmPMean = -1.2, edmPStd = 1.2;

    std::string teacherPath; // cd: the EDM teacher; ect, and edm if set: the EDM denoiser to start from
    int cdSteps = 18;
    double cdTargetEma = 0.95;
    DistanceMetric metric = DistanceMetric::PseudoHuber;
    double huberC = -1.0; // < 0: 0.00054 * sqrt(dimension)

    double ctS0 = 2, ctS1 = 150, ctMu0 = 0.9;
    double ictS0 = 10, ictS1 = 1280, ictPMean = -1.1, ictPStd = 2.0;
    double ectQ = 2, ectK = 8, ectB = 1;
    long ectStageSteps = 0; // 0: totalSteps / 8

    std::string outputPath;     // the model file (first EMA), rewritten at each checkpoint
    std::string checkpointPath; // default: outputPath + ".ckpt"
    std::string logPath;        // CSV; default: outputPath + ".csv"
    long logEvery = 100;
    long checkpointEvery = 1000;
    // Every previewEvery steps (0: never) and at the end, a 4 x 4 grid of samples of the saved model from
    // fixed seeds (seed + j; one class per image, cycling, when class-conditional) replaces previewPath
    // atomically, for an app to show. Image networks only. Default path: outputPath + ".preview.png".
    long previewEvery = 0;
    std::string previewPath;
    bool resume = false;    // continue from checkpointPath (an error if there is none)
    bool overwrite = false; // without resume: replace an existing checkpoint and log

    DistributedParams distributed; // this process's place in a data-parallel run (default: alone)
};

struct TrainStatus {
    long step = 0, totalSteps = 0;
    double loss = 0;    // this step's loss
    double seconds = 0; // wall time of the whole run, resumed segments included
    int gridPoints = 0; // N(k) (0 where not used)
    double targetEma = 0;
};

struct TrainSummary {
    long steps = 0;
    double seconds = 0;
    double lastLoggedLoss = 0;
    bool cancelled = false;
    // Data-parallel: wall time this process waited for the other ranks (the all-reduces of the gradients
    // that backward did not hide, and of the step's loss sums), this segment only.
    double communicationSeconds = 0;
};

// Columns of the CSV log, in order (the official implementation's progress.csv plus lr, N, mu, seconds).
const std::vector<std::string>& trainLogColumns();

// Cancelling saves a checkpoint and returns with cancelled = true; resume continues from it.
// A non-finite loss throws Error(Numeric) without overwriting the last good checkpoint.
TrainSummary train(const TrainParams& params, const Dataset& data,
                   const std::function<void(const TrainStatus&)>& observe = {},
                   const CancelFlag* cancel = nullptr);

} // namespace cm
