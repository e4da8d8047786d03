// The architecture of a network, as recorded in a model card. A plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

// The registry of architectures (core/detail/network_registry.cpp builds them). UNet: CM Studio's own
// image network; Mlp: points; AdmUNet: the "ADM" UNet of OpenAI's consistency_models (cm/unet.py);
// PromptUNet: DEADiff's prompt-conditioned UNet with joint cross-attention, and with imageQueries > 0 the
// style model built on it (two Q-Former extractors over a frozen feature map of a reference image).
enum class NetworkType { UNet, Mlp, AdmUNet, PromptUNet };
const char* networkTypeName(NetworkType type); // "unet", "mlp", "adm_unet", "prompt_unet"

struct NetworkConfig {
    NetworkType type = NetworkType::UNet;
    // UNet
    int imageSize = 28; // 28..256; divisible by 2^(levels-1)
    int channels = 1;   // 1 or 3
    int baseWidth = 32;
    std::vector<int> channelMult = {1, 2, 2}; // one entry per resolution level
    int resBlocks = 2;                        // residual blocks per level
    std::vector<int> attentionResolutions = {7}; // in pixels (resolution of the level)
    // ADM UNet only (baseWidth is its model_channels)
    int headChannels = 64;       // channels per attention head
    bool scaleShiftNorm = true;  // FiLM (scale and shift) from the embedding instead of an added bias
    bool resblockUpdown = true;  // ResBlocks resample; otherwise strided / nearest-neighbour convolutions
    // Prompt UNet (headChannels is its channels per attention head)
    int promptVocabulary = 10; // words (the style world's garment prompts); row promptVocabulary pads
    int promptLength = 2;      // tokens per prompt, padded
    int contextWidth = 64;     // width of the prompt (and image) tokens that cross-attention reads
    std::vector<int> crossAttentionResolutions = {32, 16, 8}; // in pixels; the lowest one gets content tokens
    // Prompt UNet style model (0 queries: the base alone)
    int imageQueries = 0;   // learned queries of each Q-Former (DEADiff: 16)
    int qformerWidth = 64;
    int qformerLayers = 2;
    int referenceWidth = 16; // the feature network's first width: its map is 4 x that channels at size / 4
    // The comparison methods of issue 19 are variants of this one architecture. imageExtractors: 2 is
    // DEADiff's pair of Q-Formers (style, content); 1 is a single image encoder (the IP-Adapter /
    // T2I-Adapter kind), whose tokens count as the style set and go to every cross-attention layer.
    // disentangledPlacement: content tokens only at the lowest cross-attention resolution, style tokens only
    // above it (DEADiff); false: both sets, concatenated, in every layer. A single encoder is never disentangled.
    int imageExtractors = 2;
    bool disentangledPlacement = true;
    // MLP (points of dimension `dataDim`)
    int dataDim = 2;
    int hiddenWidth = 128;
    int hiddenLayers = 3;
    // Both
    double dropout = 0.0;
    int numClasses = 0; // 0 = unconditional; otherwise label numClasses is the null (unconditional) label
                        // where the architecture has a null row (see hasNullClass)

    // Throws cm::Error(InvalidArgument) naming the field and the allowed values.
    void validate() const;
    std::vector<long> itemShape() const; // {C, H, W} or {dataDim}
    bool producesImages() const;          // false for point networks
    // The number of weights the network has, computed without building it: a model file is checked
    // against it before any memory is allocated (a tiny file must not make the engine build a huge
    // network). test_model checks it against the built networks of every architecture.
    int64_t parameterCount() const;
    std::string describe() const;         // "Architecture: ...\nImages: ...\n" for the model card
    // Images per network evaluation when the caller does not say: as many as keep one evaluation's
    // activations (every skip tensor plus a few working copies of the widest level, float32) within
    // kActivationBudgetBytes, from 1 to 64. 64 for the 28-32 px networks, about 20 for ImageNet 64 and
    // 1 for LSUN 256, whose activations alone take ~0.7 GB per image.
    int defaultBatchSize() const;
    static constexpr int64_t kActivationBudgetBytes = int64_t(1) << 30;
    // Whether the class embedding has an extra "no class" row. OpenAI's ADM has none: there an
    // unconditional sample gets a random class, as their sampler does.
    bool hasNullClass() const;
    // DEADiff's model family: a prompt decides the content; a style model also needs a reference image.
    bool takesPrompt() const { return type == NetworkType::PromptUNet; }
    bool needsReference() const { return takesPrompt() && imageQueries > 0; }
    // The disentangled placement: cross-attention layers at the lowest cross-attention resolution receive
    // the reference's content tokens, every higher-resolution one its style tokens.
    bool isContentLayer(int resolution) const;
    // Which token sets a cross-attention layer at `resolution` receives (a style model only).
    bool receivesStyleTokens(int resolution) const;
    bool receivesContentTokens(int resolution) const;
    const char* imagePlacementName() const; // "disentangled" or "everywhere"
};

std::string networkConfigToJson(const NetworkConfig& config);
NetworkConfig networkConfigFromJson(const std::string& json, const std::string& origin);

} // namespace cm
