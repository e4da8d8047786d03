// The Tokenizer's Impl and the tensor-level encode / velocity / decode shared by the public API and the
// trainer. Private to core/.
#pragma once

#include "core/tokenizer/tokenizer.h"
#include "mmdit.h"

#include <torch/torch.h>

namespace cm {

struct Tokenizer::Impl {
    TokenizerCard card;
    std::shared_ptr<detail::TokenizerNetworks> networks;
    std::string path;
};

namespace detail {

// The decoder's velocity with the code (keep = 1) or with the code dropped (keep = 0), t a scalar.
torch::Tensor decoderVelocity(TokenizerDecoder& decoder, const torch::Tensor& x, double t, const torch::Tensor& code,
                              bool keepCode);

// 25-step (or `times`) flow sampling from `noise` for +-1 codes [N, T, B]; clipped to [-1, 1].
// `onEvaluation` is called after each network evaluation (it may throw Error(Cancelled)).
torch::Tensor decodeFlow(TokenizerDecoder& decoder, const torch::Tensor& noise, const torch::Tensor& code,
                         const std::vector<double>& times, const FlowGuidance& guidance,
                         const std::function<void()>& onEvaluation = {});

// The card's sampling settings with the caller's overrides (0 / negative = the card's).
std::vector<double> decodeTimes(const TokenizerCard& card, const DecodeParams& params);
FlowGuidance decodeGuidance(const TokenizerCard& card, const DecodeParams& params);

// Images -> [N, C, H, W], checked against the card (Error(Shape) naming expected and found).
torch::Tensor tokenizerInput(const TokenizerConfig& config, const std::vector<cv::Mat>& images);

} // namespace detail
} // namespace cm
