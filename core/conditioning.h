// What an image is conditioned on besides its noise: a plain value that the sampler, the editor and the
// interpolator hand to the network. Class labels (with or without a null row) today; a new family's
// conditioning (token codes, reference tokens) is a new member here, not a new parameter everywhere.
#pragma once

#include "tokenizer/token_code.h"

#include <opencv2/core.hpp>

#include <vector>

namespace cm {

// "No class": the null label where the class embedding has one; otherwise (OpenAI's ADM, whose 1000-class
// embedding has no null row) a random class per image drawn from that image's seed, as the official
// sampler does.
constexpr int kNoClass = -1;

struct Conditioning {
    // Each list is empty (nothing), one entry (shared by every image) or one entry per image.
    std::vector<int> classLabels; // kNoClass or 0..classes-1
    // A blend towards a second class: image j's class embedding is (1 - w) e(classLabels[j]) +
    // w e(blendClasses[j]), w = blendWeights[j] in [0, 1]. Interpolation between two classes uses it.
    std::vector<int> blendClasses;
    std::vector<double> blendWeights;
    // A tokenizer's codes (core/tokenizer): the decoder draws image j from p(image | tokenCodes[j]); an empty
    // code means "dropped" (the unconditional branch that guidance mixes in).
    std::vector<TokenCode> tokenCodes;
    // A prompt model's prompt (DEADiff's base, core/style): word indices into the model's vocabulary (the
    // style world's garment prompts, parseGarmentPrompt), at most the network's prompt length; an empty
    // prompt is the null prompt (guidance's unconditional branch).
    std::vector<std::vector<int>> promptTokens{};
    // A style model's reference images (H x W RGB of the model's size: CV_8UC3, or CV_32FC3 in [-1, 1]);
    // `referenceUse` says which token sets of the reference the network receives.
    std::vector<cv::Mat> referenceImages{};
    enum class ReferenceUse { StyleAndContent, StyleOnly, ContentOnly };
    ReferenceUse referenceUse = ReferenceUse::StyleAndContent;

    static Conditioning none() { return {}; }
    static Conditioning ofClass(int label) { return perImage({label}); }
    static Conditioning perImage(std::vector<int> labels) {
        Conditioning c;
        c.classLabels = std::move(labels);
        return c;
    }
    static Conditioning ofTokenCodes(std::vector<TokenCode> codes) {
        Conditioning c;
        c.tokenCodes = std::move(codes);
        return c;
    }
    static Conditioning ofPrompt(std::vector<int> tokens) {
        Conditioning c;
        c.promptTokens = {std::move(tokens)};
        return c;
    }

    // The conditioning of images [start, start + n): shared entries stay, per-image lists are cut.
    Conditioning slice(int start, int n) const;
    // The class every image shares, or kNoClass when there is none or they differ.
    int sharedClass() const;
    bool hasBlend() const { return !blendClasses.empty(); }
};

// Throws Error(InvalidArgument) when a list has neither 0, 1 nor `count` entries, the blend lists differ in
// length, or a weight is outside [0, 1]. Class ranges are the model's business (they depend on the card).
void validateConditioning(const Conditioning& conditioning, int count);

} // namespace cm
