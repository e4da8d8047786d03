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

// The velocity v = c_skip(t) x_t + c_out(t) F(x_t, t, code) (flowScalings of the card's sigma_data); t [N],
// keep [N] (1: the code, 0: dropped). Training and sampling both read the network through this.
torch::Tensor flowVelocity(TokenizerDecoder& decoder, const TokenizerConfig& config, const torch::Tensor& x,
                           const torch::Tensor& t, const NetworkConditioning& conditioning);

// The network conditioning of +-1 codes [N, T, B], each kept (keep = 1) or dropped (0).
NetworkConditioning codeConditioning(const torch::Tensor& code, const torch::Tensor& keep);

// The same at one t for the whole batch, with the code (keepCode) or dropped.
torch::Tensor decoderVelocity(TokenizerDecoder& decoder, const TokenizerConfig& config, const torch::Tensor& x,
                              double t, const torch::Tensor& code, bool keepCode);

// 25-step (or `times`) flow sampling from `noise` for +-1 codes [N, T, B]; clipped to [-1, 1].
// `onEvaluation` is called after each network evaluation (it may throw Error(Cancelled)).
torch::Tensor decodeFlow(TokenizerDecoder& decoder, const TokenizerConfig& config, const torch::Tensor& noise, const torch::Tensor& code,
                         const std::vector<double>& times, const FlowGuidance& guidance,
                         const std::function<void()>& onEvaluation = {});

// The one-step decoder read as a consistency model of the flow: f(x_t, t) = x_t - t v(x_t, t), the estimate of
// the data along the flow's straight line; f(x, 0) = x exactly (the boundary condition by construction).
torch::Tensor consistencyEstimate(TokenizerDecoder& network, const TokenizerConfig& config, const torch::Tensor& x,
                                  const torch::Tensor& t, const torch::Tensor& code);
// One evaluation from pure noise (t = 1), clipped to [-1, 1].
torch::Tensor oneStepDecode(TokenizerDecoder& oneStep, const TokenizerConfig& config, const torch::Tensor& noise,
                            const torch::Tensor& code);

// The card's sampling settings with the caller's overrides (0 / negative = the card's).
std::vector<double> decodeTimes(const TokenizerCard& card, const DecodeParams& params);
FlowGuidance decodeGuidance(const TokenizerCard& card, const DecodeParams& params);

// Images -> [N, C, H, W], checked against the card (Error(Shape) naming expected and found).
torch::Tensor tokenizerInput(const TokenizerConfig& config, const std::vector<cv::Mat>& images);

} // namespace detail
} // namespace cm
