#include "lfq.h"

#include "core/error.h"

namespace cm::detail {

torch::Tensor lfqQuantize(const torch::Tensor& latents) {
    auto signs = torch::where(latents >= 0, torch::ones_like(latents), -torch::ones_like(latents));
    return latents + (signs - latents).detach();
}

torch::Tensor lfqCommitment(const torch::Tensor& latents) {
    auto signs = torch::where(latents >= 0, torch::ones_like(latents), -torch::ones_like(latents));
    return (latents - signs.detach()).pow(2).mean();
}

torch::Tensor lfqEntropy(const torch::Tensor& latents, int groupBits, double temperature) {
    const auto terms = lfqEntropyTerms(latents, groupBits, temperature, {});
    return terms.perCode - terms.batch;
}

LfqEntropyTerms lfqEntropyTerms(const torch::Tensor& latents, int groupBits, double temperature,
                                const std::function<torch::Tensor(const torch::Tensor&)>& sumOverShards) {
    const int64_t codewords = int64_t(1) << groupBits;
    // Row c of the codebook is codeword c's bits, most significant first, as +-1.
    auto index = torch::arange(codewords, torch::kInt64).unsqueeze(1);
    auto shifts = torch::arange(groupBits - 1, -1, -1, torch::kInt64).unsqueeze(0);
    auto codebook = (torch::bitwise_and(torch::bitwise_right_shift(index, shifts), 1).to(torch::kFloat32) * 2 - 1);
    auto groups = latents.reshape({-1, groupBits});
    auto logits = 2 * torch::matmul(groups, codebook.t()) / temperature;
    auto logProbabilities = torch::log_softmax(logits, -1);
    auto probabilities = logProbabilities.exp();
    auto perCode = -(probabilities * logProbabilities).sum(-1).mean();
    torch::Tensor average;
    if (sumOverShards) {
        // The column sums and the row count of every share: the average over the whole batch.
        const auto rows = torch::full({1}, double(probabilities.size(0)), probabilities.options());
        const auto total = sumOverShards(torch::cat({probabilities.sum(0), rows}));
        average = total.narrow(0, 0, codewords) / total[codewords].detach();
    } else {
        average = probabilities.mean(0);
    }
    auto batch = -(average * torch::log(average.clamp_min(1e-12))).sum();
    return {perCode, batch};
}

std::vector<TokenCode> codesFromSigns(const torch::Tensor& signs) {
    const auto flat = signs.detach().to(torch::kFloat32).reshape({signs.size(0), -1}).contiguous();
    std::vector<TokenCode> codes(flat.size(0));
    const float* values = flat.data_ptr<float>();
    const int64_t bits = flat.size(1);
    for (int64_t i = 0; i < flat.size(0); ++i) {
        codes[i].bits.resize(bits);
        for (int64_t b = 0; b < bits; ++b)
            codes[i].bits[b] = values[i * bits + b] > 0 ? 1 : 0;
    }
    return codes;
}

torch::Tensor signsFromCodes(const std::vector<TokenCode>& codes, int tokens, int bitsPerToken) {
    const int bits = tokens * bitsPerToken;
    auto signs = torch::empty({int64_t(codes.size()), bits}, torch::kFloat32);
    float* out = signs.data_ptr<float>();
    for (std::size_t i = 0; i < codes.size(); ++i) {
        if (codes[i].bitCount() != bits)
            throw Error(ErrorKind::InvalidArgument, "code " + std::to_string(i + 1) + " has " +
                                                        std::to_string(codes[i].bitCount()) + " bits; this tokenizer's codes have " +
                                                        std::to_string(bits));
        for (int b = 0; b < bits; ++b)
            out[i * bits + b] = codes[i].bits[b] ? 1.0f : -1.0f;
    }
    return signs.reshape({int64_t(codes.size()), tokens, bitsPerToken});
}

} // namespace cm::detail
