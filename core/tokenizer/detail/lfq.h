// Lookup-free quantization (LFQ): each latent coordinate becomes its sign, with a straight-through
// gradient; the commitment and entropy terms that train the encoder towards confident, well-used bits;
// and the conversion between +-1 tensors and bit codes. Private to core/. Reentrant.
#pragma once

#include "core/tokenizer/token_code.h"

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace cm::detail {

// sign(x) with sign(0) = +1, and the gradient of the identity (straight-through).
torch::Tensor lfqQuantize(const torch::Tensor& latents);

// MSE(x, sign(x)) with sign(x) held constant: pulls each coordinate towards its bit.
torch::Tensor lfqCommitment(const torch::Tensor& latents);

// Over sub-codes of `groupBits` bits: logits 2 <x, c> against all 2^g codewords c in {-1, 1}^g, softmax at
// `temperature`; the mean per-sub-code entropy minus the entropy of the batch-averaged distribution
// (small when each sub-code is confident and the batch uses many codewords).
torch::Tensor lfqEntropy(const torch::Tensor& latents, int groupBits, double temperature = 0.1);

// lfqEntropy's two parts, for a batch shared by several processes: the mean per-sub-code entropy over
// these latents, and the entropy of the distribution averaged over the whole batch, whose sums go through
// `sumOverShards` (the sum over every process's share, differentiable for this one's; empty: this batch is
// all). lfqEntropy = perCode - batch.
struct LfqEntropyTerms {
    torch::Tensor perCode, batch;
};
LfqEntropyTerms lfqEntropyTerms(const torch::Tensor& latents, int groupBits, double temperature,
                                const std::function<torch::Tensor(const torch::Tensor&)>& sumOverShards);

// [N, T, B] of +-1 <-> codes of T * B bits (token-major, 1 for +1).
std::vector<TokenCode> codesFromSigns(const torch::Tensor& signs);
torch::Tensor signsFromCodes(const std::vector<TokenCode>& codes, int tokens, int bitsPerToken);

} // namespace cm::detail
