// A FlowMo tokenizer: images <-> short bit codes. The encoder (an MMDiT transformer) maps an image to
// tokens x bitsPerToken signs; the decoder (a larger MMDiT) is a rectified flow p(image | code) sampled by
// the shifted Euler sampler with guidance. A loaded Tokenizer is a cheap handle (copies share weights);
// concurrent encode/decode on one Tokenizer is safe; training mutates it and must not overlap other use.
#pragma once

#include "core/conditioning.h"
#include "core/progress.h"
#include "core/tokenizer/token_code.h"
#include "core/tokenizer/tokenizer_card.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cm {

struct DecodeParams {
    int steps = 0;     // 0: the card's (25); the ODE is integrated over steps + 1 times from 1 to 0
    double rho = 0;    // 0: the card's (4); t_i = (i / steps)^rho
    double guidance = -1; // < 0: the card's weight (1.5), applied inside the card's interval of t
    uint64_t seed = 0; // image j starts from the noise of seed + j
    // steps = 2 with a one-step decoder: its estimate from noise at t = 1 is put back on the straight line at
    // this t with fresh noise and estimated again (consistency models' multistep sampling).
    double twoStepTime = 0.5;
};

class Tokenizer {
  public:
    // Reads and validates a tokenizer file: card first (a model file is refused by name), then the
    // weight count against the card's sizes, then every tensor by name and shape, finite, none left over.
    // Throws cm::Error (Io, Format, Shape, Numeric) naming the file.
    static Tokenizer load(const std::string& path);
    // Freshly initialised networks for `card` (deterministic for a seed).
    static Tokenizer create(const TokenizerCard& card, uint64_t seed);
    void save(const std::string& path) const; // atomic

    const TokenizerCard& card() const;
    TokenizerCard& card();
    int64_t parameterCount() const;
    const std::string& path() const;

    // Images are H x W float [-1, 1] (CV_32FC1 / CV_32FC3) of the card's size and channels; Error(Shape)
    // otherwise. encodeLatents gives the encoder's continuous output (tokens x bitsPerToken per image),
    // encode its signs.
    std::vector<std::vector<float>> encodeLatents(const std::vector<cv::Mat>& images) const;
    std::vector<TokenCode> encode(const std::vector<cv::Mat>& images) const;
    // Integrates the decoder's flow from noise to an image for each code (Error(InvalidArgument) for a code
    // of the wrong bit count). With steps = 1 and a one-step decoder in the file (card().hasOneStepDecoder()),
    // one evaluation of that consistency model instead; steps = 2, two (params.twoStepTime). A deterministic
    // autoencoder (card().isDeterministic()) decodes in one evaluation whatever the steps. Progress counts
    // network evaluations.
    std::vector<cv::Mat> decode(const std::vector<TokenCode>& codes, const DecodeParams& params = {},
                                const ProgressFn& progress = {}, const CancelFlag* cancel = nullptr) const;
    // One decoder evaluation: the velocity v = z - x at x_t = `noisy`, time t in [0, 1], for each image's
    // conditioning.tokenCodes (one per image); an empty code means "dropped" (the unconditional velocity
    // guidance mixes in).
    // Decoder evaluations per image that decode(params) spends.
    int decodeEvaluations(const DecodeParams& params) const;
    std::vector<cv::Mat> velocity(const std::vector<cv::Mat>& noisy, double t, const Conditioning& conditioning) const;

    struct Impl;
    Impl& impl() const { return *m_impl; }

  private:
    std::shared_ptr<Impl> m_impl;
};

} // namespace cm
