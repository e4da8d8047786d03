// Training DEADiff's two stages on the style world (core/style_world.h): the base (a prompt UNet, EDM
// denoiser of renders conditioned on the garment prompt alone, prompt dropped 10% for guidance), then, with
// the base frozen, the extractors (two Q-Formers and the image projections W_K^I, W_V^I) on pairs drawn
// 1:1:1: same style (content tokens zeroed), same content (style tokens zeroed), reconstruction (both, empty
// prompt); the image tokens of the first two dropped 15% of the time. Seeded and resumable from atomic
// checkpoints (core/training/checkpoint.h; on any world size), with the CSV log the Training view reads
// (trainLogColumns()). Data-parallel as cm::train (DistributedParams). A third stage makes the style model
// one-step: easy consistency tuning (ECT, the engine's objective) of the whole denoising network from the
// style model's weights, on the same pairs with the same conditioning (core/style/style_consistency.h).
// Not thread-safe; one training per process.
#pragma once

#include "core/distributed.h"
#include "core/network_config.h"
#include "core/progress.h"
#include "core/style/style_model.h"
#include "core/style_world.h"

#include <cstdint>
#include <functional>
#include <string>

namespace cm {

enum class StyleStage { Base, Extractors, Consistency };
const char* styleStageName(StyleStage stage); // "base", "extractors", "consistency"
StyleStage styleStageFromName(const std::string& name); // throws InvalidArgument

// What the extractors train on. Paired: DEADiff's three tasks 1:1:1 (same style, same content,
// reconstruction). Reconstruction: identical pairs only, the target's prompt kept and the image tokens
// dropped imageDropout of the time (the IP-Adapter / T2I-Adapter training, and DEADiff's "reconstruction
// only" ablation): the reference is the target itself, so nothing tells its style from its content.
enum class StyleTasks { Paired, Reconstruction };
const char* styleTasksName(StyleTasks tasks);            // "paired", "reconstruction"
StyleTasks styleTasksFromName(const std::string& name); // throws InvalidArgument

struct StyleTrainParams {
    StyleStage stage = StyleStage::Base;
    NetworkConfig base = styleBaseConfig("small"); // stage base: the architecture
    std::string basePath;       // stage extractors: the trained base (left untouched)
    std::string featureNetPath; // stage extractors: the project's feature network for 32x32 RGB renders
    std::string stylePath;      // stage consistency: the trained style model (left untouched)
    StyleExtractorConfig extractors; // also the variant: dual or single, disentangled or everywhere
    StyleTasks tasks = StyleTasks::Paired; // stage extractors
    long totalSteps = 2000;
    int batchSize = 32;
    double learningRate = 2e-4; // Adam (0.9, 0.999); DEADiff trains its extractors at 1e-4 (AdamW)
    double emaRate = 0.999;     // the saved weights are this average of the trained ones; 0: the last ones
    double promptDropout = 0.1; // stage base: the null prompt for this share (guidance)
    // Stage base: each of the caption's three style words (styleWordsOf) is given with this probability,
    // so the base learns to read style from its cross-attention, as a text-to-image model does; without
    // them its cross-attention carries only the garment, and the extractors found the style less reliably.
    double styleWordRate = 0.5;
    double imageDropout = 0.15; // stage extractors: image tokens zeroed in the same-style/same-content tasks
    // The lognormal noise levels of the loss (defaultNoiseLevels gives each stage's): EDM's sigma, or ECT's t.
    double pMean = -1.2, pStd = 1.2;
    // Stage consistency: ECT's schedule of r (core/schedule.h ectR): the ratio q, and steps per stage
    // (0: totalSteps / 8); k and b are the engine's (TrainParams).
    double ectQ = 2;
    long ectStageSteps = 0;
    uint64_t seed = 0;
    int threads = 0;

    std::string outputPath;     // the model file, rewritten at each checkpoint
    std::string checkpointPath; // default outputPath + ".ckpt"
    std::string logPath;        // default outputPath + ".csv"
    long logEvery = 20;
    long checkpointEvery = 200;
    bool resume = false;
    bool overwrite = false;
    DistributedParams distributed; // alone by default; one rank of a group (torchrun, --nproc)
};

// The noise levels each stage trains at: the base at EDM's ln sigma ~ N(-1.2, 1.2); the extractors at
// N(2.0, 1.0), where a reference's style decides the denoised image. Measured on the tiny world (README):
// below sigma ~ 5 the noisy target shows its own colours and the right reference lowers the loss by under
// 3%; above 10 by 30-50%. At N(0.4, 1.2) 6% of the samples were there and the extractors learned the
// style in one run of two; at N(2.0, 1.0) in every run measured. The one-step stage draws ECT's t at
// ln t ~ N(1.0, 2.0) rather than ECT's N(-1.1, 2.0): measured on the tiny world (300 steps), the prompted shape
// in 10 (one step) and 12 (two steps) of 16 outputs against 9 and 9, the style 16 of 16 with both.
struct NoiseLevels {
    double mean = 0, std = 1;
};
NoiseLevels defaultNoiseLevels(StyleStage stage);

struct StyleTrainStatus {
    long step = 0, totalSteps = 0;
    double loss = 0, seconds = 0;
};

struct StyleTrainSummary {
    long steps = 0;
    double seconds = 0;
    double lastLoggedLoss = 0;
    bool cancelled = false;
    double communicationSeconds = 0; // waiting for the other ranks (data-parallel)
};

// Draws from `world` as it is (restricted or not) with its training styles. Cancelling saves a checkpoint
// and the model and returns cancelled = true (in a group: every rank stops after the same step). A non-finite loss throws Error(Numeric), the last good
// checkpoint kept; bad parameters and files throw InvalidArgument naming them.
StyleTrainSummary trainStyleModel(const StyleTrainParams& params, const StyleWorld& world,
                                  const std::function<void(const StyleTrainStatus&)>& observe = {},
                                  const CancelFlag* cancel = nullptr);

} // namespace cm
