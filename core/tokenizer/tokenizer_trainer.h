// Training a FlowMo tokenizer: stage 1A (mode matching: encoder and decoder end to end on the rectified
// flow loss, a perceptual term on the one-step estimate, LFQ's commitment and entropy terms) and stage 1B
// (mode seeking: the encoder frozen, the decoder on the flow loss plus a small perceptual loss on the output
// of an 8-step Euler chain with random step sizes, back-propagated through the whole chain); and the
// one-step decoder (consistency distillation from the card's 25-step flow sampler: on that grid, the
// student's estimate at t_i matches its own stop-gradient estimate at t_{i+1} after one guided Euler step of
// the frozen decoder; the student starts from the decoder's weights; encoder and decoder stay). Resumable from
// atomic checkpoints (on any world size); a CSV log of every loss term. Data-parallel as cm::train (DistributedParams).
// Not thread-safe; one training per process.
#pragma once

#include "core/dataset.h"
#include "core/distributed.h"
#include "core/progress.h"
#include "core/tokenizer/tokenizer_card.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cm {

// "1a", "1b", and "one-step": consistency distillation of the flow decoder into a one-step decoder.
enum class TokenizerStage { ModeMatching, ModeSeeking, OneStep };
const char* tokenizerStageName(TokenizerStage stage);
TokenizerStage tokenizerStageFromName(const std::string& name); // throws InvalidArgument

struct TokenizerTrainParams {
    TokenizerStage stage = TokenizerStage::ModeMatching;
    TokenizerConfig config;   // stage 1A; stage 1B takes the starting tokenizer's
    std::string initFrom;     // stages 1B and one-step: the tokenizer to start from
    std::string perceptualNet; // a FeatureNet file (the project's own classifier or autoencoder); empty: none
    long totalSteps = 2000;
    int batchSize = 32;
    double learningRate = 3e-4; // Adam; FlowMo uses 1e-4 (1A) and 5e-5 (1B) at far larger batches
    double beta1 = 0.9, beta2 = 0.95;
    double emaRate = 0.999;     // the saved tokenizer is this average of the online weights
    // FlowMo's loss weights
    double perceptualWeight = 0.1;
    double commitmentWeight = 0.000625;
    double entropyWeight = 0.0025;
    double sampleWeight = 0.01; // stage 1B: the chain's perceptual loss
    int chainSteps = 8;         // stage 1B
    double codeDropout = 0.1;   // the code zeroed for this share of samples (guidance)
    double uniformTimeShare = 0.1; // t ~ U(0, 1) for this share, logit-normal otherwise
    uint64_t seed = 0;
    int threads = 0;

    std::string outputPath;     // the tokenizer file (EMA weights), rewritten at each checkpoint
    std::string checkpointPath; // default outputPath + ".ckpt"
    std::string logPath;        // default outputPath + ".csv"
    long logEvery = 20;
    long checkpointEvery = 200;
    bool resume = false;
    bool overwrite = false;
    // Data-parallel (as cm::train): worldSize ranks share every global batch of batchSize; rank 0 writes.
    DistributedParams distributed;
    // Called after each checkpoint's tokenizer is written (step, outputPath): held-out checkpoint selection
    // (checkpoint_selection.h) measures it there.
    std::function<void(long, const std::string&)> afterSave;
};

struct TokenizerTrainStatus {
    long step = 0, totalSteps = 0;
    double loss = 0, seconds = 0;
};

struct TokenizerTrainSummary {
    long steps = 0;
    double seconds = 0;
    double lastLoggedLoss = 0;
    bool cancelled = false;
    double communicationSeconds = 0; // data-parallel: this rank's wait for the others
};

// step, samples, loss, flow, perceptual, commitment, entropy, sample (1B), consistency (one-step), grad_norm,
// lr, seconds.
const std::vector<std::string>& tokenizerLogColumns();

// Cancelling saves a checkpoint and the tokenizer and returns cancelled = true (in a group: every rank stops
// after the same step). A non-finite loss throws
// Error(Numeric) with the last good checkpoint kept. `data` must match the config's image shape.
TokenizerTrainSummary trainTokenizer(const TokenizerTrainParams& params, const Dataset& data,
                                     const std::function<void(const TokenizerTrainStatus&)>& observe = {},
                                     const CancelFlag* cancel = nullptr);

} // namespace cm
