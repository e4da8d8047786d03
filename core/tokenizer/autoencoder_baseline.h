// The deterministic-autoencoder baseline at the tokenizer's bits: FlowMo's encoder and lookup-free quantizer,
// and a plain decoder (the decoder's network evaluated once, at x_t = 0 and t = 1, read as the estimate
// x_hat = x_t - t v) trained end to end on MSE(x_hat, x) + the same perceptual, commitment and entropy
// terms as stage 1A. The file is a tokenizer whose card says parameterisation "deterministic" and stage
// "autoencoder", so encode, decode and measureReconstructions take it as they take a FlowMo tokenizer.
// Seeded; a CSV log; no resume (the baseline trains in one go). Not thread-safe; one training per process.
#pragma once

#include "core/tokenizer/tokenizer_trainer.h"

namespace cm {

// step, samples, loss, mse, perceptual, commitment, entropy, grad_norm, lr, seconds.
const std::vector<std::string>& autoencoderLogColumns();

// Takes TokenizerTrainParams' stage-1A fields (config, perceptual network and weights, optimiser, EMA, seed,
// files, intervals); `stage`, `initFrom`, `resume` and the flow-only fields are refused or unused. The
// tokenizer (EMA weights) is written at each checkpoint interval and at the end; cancelling writes it and
// returns cancelled = true.
TokenizerTrainSummary trainDeterministicAutoencoder(const TokenizerTrainParams& params, const Dataset& data,
                                                    const std::function<void(const TokenizerTrainStatus&)>& observe = {},
                                                    const CancelFlag* cancel = nullptr);

} // namespace cm
