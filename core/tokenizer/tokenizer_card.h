// What a tokenizer file says about itself (its safetensors "__metadata__"): the FlowMo family's sizes,
// the code's bit count, the rectified-flow parameterisation, the default sampler and the stages trained.
// Plain values; torch-free.
#pragma once

#include "flow_schedule.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cm {

// The sizes of a FlowMo tokenizer: an MMDiT encoder and a larger MMDiT decoder over
// [latent tokens; image patches], and a lookup-free quantizer of tokens x bitsPerToken bits.
struct TokenizerConfig {
    int imageSize = 28; // square images, divisible by patchSize
    int channels = 1;   // 1 (grey) or 3 (RGB)
    int patchSize = 4;
    int tokens = 5;
    int bitsPerToken = 11;
    int entropyGroupBits = 11; // LFQ's entropy term is over sub-codes of this many bits (divides bitsPerToken)
    int encoderWidth = 64, encoderDepth = 2;
    int decoderWidth = 96, decoderDepth = 4;
    int heads = 4;            // attention heads of every block (divides both widths)
    double timeScale = 1000;  // the decoder embeds timeScale * t sinusoidally (FlowMo's convention)
    double flowSigmaData = 0.5; // the output's preconditioning (flow_schedule.h); 0 = FlowMo's plain v = F

    int codeBits() const { return tokens * bitsPerToken; }
    int patchCount() const { return (imageSize / patchSize) * (imageSize / patchSize); }
    double bitsPerPixel() const { return double(codeBits()) / double(imageSize * imageSize); }
    std::vector<int64_t> itemShape() const { return {channels, imageSize, imageSize}; }
    // Throws cm::Error(InvalidArgument) naming the field and the allowed values.
    void validate() const;
    // Weights of encoder + decoder, computed without building them (a file is checked against it first).
    int64_t parameterCount() const;
    int64_t decoderParameterCount() const;
    std::string describe() const; // several lines for the card
};

// The two bit rates of the paper, scaled to an image size: "lo" about 0.07 and "hi" about 0.22 bits per
// pixel, as tokens x 11 bits (28 x 28: 5 x 11 = 55 bits and 16 x 11 = 176 bits; 32 x 32: 7 x 11 = 77 and
// 20 x 11 = 220). Throws Error(InvalidArgument) for another name.
TokenizerConfig tokenizerPreset(const std::string& bitRate, int imageSize, int channels);

// The parameterisation the decoder's output is read with: x_t = t z + (1 - t) x, output v = z - x.
constexpr const char* kRectifiedFlowVelocity = "rectified-flow-velocity";
// The deterministic-autoencoder baseline: the same networks, the decoder evaluated once at x_t = 0, t = 1
// and read as the estimate x_hat = x_t - t v (trained on MSE + the perceptual term, not on the flow).
constexpr const char* kDeterministicDecoder = "deterministic";

struct TokenizerSampling {
    int steps = 25;
    double rho = 4;
    FlowGuidance guidance;
};

struct TokenizerCard {
    TokenizerConfig config;
    std::string parameterisation = kRectifiedFlowVelocity;
    TokenizerSampling sampling;
    // trained stages in order: "1a", "1b", "one-step" (the distilled decoder); "autoencoder" for the
    // deterministic baseline
    std::vector<std::string> stages;
    std::string trainingJson = "{}";
    std::string dataset;
    std::vector<std::string> classNames;
    long trainingSteps = 0;
    std::string licence;
    std::string notes;

    // Whether the file holds a one-step decoder (a consistency model distilled from the flow decoder).
    bool hasOneStepDecoder() const;
    bool isDeterministic() const { return parameterisation == kDeterministicDecoder; }
    int64_t parameterCount() const; // encoder, decoder and the one-step decoder when there is one

    std::map<std::string, std::string> toMetadata() const;
    // Throws cm::Error(Format) naming `origin` and the field; a CM Studio model file (a generator) is
    // refused with a message that says so.
    static TokenizerCard fromMetadata(const std::map<std::string, std::string>& metadata, const std::string& origin);
    std::string describe() const;
};

// The metadata "format" of tokenizer files (a model card refuses it by name).
constexpr const char* kTokenizerFormat = "cmstudio-tokenizer";

std::string tokenizerConfigToJson(const TokenizerConfig& config);
TokenizerConfig tokenizerConfigFromJson(const std::string& json, const std::string& origin);

} // namespace cm
