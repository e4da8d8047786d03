// DEADiff's model family (issue 19) on the engine's Model: a prompt UNet (network "prompt_unet") is the
// base, an EDM denoiser of the style world's renders conditioned on a garment prompt; a style model is the
// same file format with the base frozen inside, the project's feature network's trunk (frozen) reading the
// reference, and two Q-Former extractors whose style and content tokens enter the joint cross-attention of
// disjoint layer sets (content: the lowest cross-attention resolution; style: every higher one). Both are
// sampled by the engine's sampler with a Conditioning that carries prompt tokens and reference images.
// Functions are reentrant; the Model is a shared handle (see model.h).
#pragma once

#include "core/conditioning.h"
#include "core/feature_net.h"
#include "core/model.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

// The word indices of a prompt for a prompt model: the style world's garment vocabulary (one word or phrase
// per prompt; parseGarmentPrompt), so "a dress" is {3}. An unknown word is Error(InvalidArgument) listing
// the vocabulary.
std::vector<int> promptTokens(const std::string& prompt);
// The prompt vocabulary of a style base: the ten garment words, then the style words (styleWords()) that the
// base's training captions add after the garment (colour, texture, background: a prompt of 4 tokens).
int styleWordToken(int styleWord);
// Every word of that vocabulary in token order (garments, then style words): what `info` lists.
std::vector<std::string> promptVocabulary();

// The base's architecture: "tiny" (the end-to-end tests: width 16, two levels, cross-attention at 32 and
// 16 px) or "small" (width 32, levels 32/16/8 px, cross-attention at all three). Error(InvalidArgument)
// for another name.
NetworkConfig styleBaseConfig(const std::string& size);

// The card of an untrained base: EDM denoiser, the garment prompts as class names, the network above.
ModelCard styleBaseCard(const NetworkConfig& network);

struct StyleExtractorConfig {
    int queries = 16; // learned queries per Q-Former (DEADiff's 16)
    int width = 64;
    int layers = 2;
    // The comparison variants (NetworkConfig::imageExtractors, disentangledPlacement): DEADiff's two
    // extractors placed apart, or both sets in every layer, or one encoder in every layer.
    enum class Extractors { Dual, Single };
    Extractors extractors = Extractors::Dual;
    bool disentangled = true;
};
// "dual" / "single", "disentangled" / "everywhere", and back; an unknown name is Error(InvalidArgument)
// listing the choices.
const char* extractorsName(StyleExtractorConfig::Extractors extractors);
StyleExtractorConfig::Extractors extractorsFromName(const std::string& name);
bool disentangledFromPlacementName(const std::string& name);

// A style model from a trained base and the project's feature network: the base's weights are copied by
// name (they stay frozen), the feature network's convolutional trunk becomes the frozen reference encoder,
// the extractors start from `seed`, and W_K^I, W_V^I start as copies of each layer's W_K, W_V.
// Error(InvalidArgument) when `base` is not a prompt base (or already a style model) or the feature network
// does not read RGB images of the base's size.
Model createStyleModel(const Model& base, const FeatureNet& features, const StyleExtractorConfig& config, uint64_t seed);

// The tokens a style model's extractors make of each reference: queries x contextWidth floats per set.
struct ImageTokens {
    std::vector<float> style, content; // a single encoder's tokens are `style`; its `content` is empty
    int queries = 0, width = 0;
};
std::vector<ImageTokens> extractImageTokens(const Model& styleModel, const std::vector<cv::Mat>& references);

enum class StyleExtractor { Style, Content };
// The learned instruction token of one extractor (qformerWidth floats), and replacing it (for probing what
// it does; the change lives in this Model's shared weights).
std::vector<float> instructionToken(const Model& styleModel, StyleExtractor extractor);
void setInstructionToken(Model& styleModel, StyleExtractor extractor, const std::vector<float>& token);

// How each cross-attention layer (counted input -> middle -> output) responds to a change of conditioning:
// the network runs at `noisy` (one image) and noise level `sigma` under `a`, then under `b` with every
// layer fed the input it had under `a`, so `change` (the largest absolute difference of the layer's output)
// measures what the layer itself receives, not what reaches it from upstream. Must not overlap other use
// of the same Model (it instruments the shared network for the two evaluations).
struct CrossAttentionResponse {
    int layer = 0;
    int resolution = 0;
    bool contentLayer = false; // NetworkConfig::isContentLayer
    double change = 0;
};
std::vector<CrossAttentionResponse> crossAttentionResponses(const Model& model, const cv::Mat& noisy, double sigma,
                                                            const Conditioning& a, const Conditioning& b);

} // namespace cm
