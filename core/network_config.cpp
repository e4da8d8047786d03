#include "network_config.h"

#include "error.h"
#include "untrusted_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace cm {

namespace {

using nlohmann::json;

[[noreturn]] void invalid(const std::string& message) {
    throw Error(ErrorKind::InvalidArgument, message);
}

void checkRange(const char* field, long value, long lo, long hi) {
    if (value < lo || value > hi)
        invalid(std::string("network ") + field + " must be in " + std::to_string(lo) + ".." +
                std::to_string(hi) + ", got " + std::to_string(value));
}

void checkDropout(double dropout) {
    if (!(dropout >= 0.0 && dropout < 1.0)) {
        char text[64];
        const auto end = std::to_chars(text, text + sizeof text, dropout).ptr;
        invalid("network dropout must be in [0, 1), got " + std::string(text, end));
    }
}

std::string joinInts(const std::vector<int>& values) {
    std::string text;
    for (int v : values)
        text += (text.empty() ? "" : ", ") + std::to_string(v);
    return text;
}

[[noreturn]] void formatError(const std::string& origin, const std::string& message) {
    throw Error(ErrorKind::Format, origin + ": network config: " + message);
}

const json& requireKey(const json& object, const char* key, const std::string& origin) {
    const auto it = object.find(key);
    if (it == object.end()) formatError(origin, std::string("missing key \"") + key + "\"");
    return *it;
}

int toInt(const json& value, const std::string& what, const std::string& origin) {
    if (!value.is_number_integer())
        formatError(origin, what + " must be an integer, found " + describeJsonValue(value));
    const bool fits = value.is_number_unsigned()
                          ? value.get<uint64_t>() <= uint64_t(std::numeric_limits<int>::max())
                          : value.get<int64_t>() >= std::numeric_limits<int>::min() &&
                                value.get<int64_t>() <= std::numeric_limits<int>::max();
    if (!fits) formatError(origin, what + " is out of range: " + describeJsonValue(value));
    return value.get<int>();
}

int readInt(const json& object, const char* key, const std::string& origin) {
    return toInt(requireKey(object, key, origin), std::string("\"") + key + "\"", origin);
}

std::vector<int> readIntArray(const json& object, const char* key, const std::string& origin) {
    const json& value = requireKey(object, key, origin);
    if (!value.is_array()) formatError(origin, std::string("\"") + key + "\" must be an array of integers");
    std::vector<int> result;
    for (std::size_t i = 0; i < value.size(); ++i)
        result.push_back(toInt(value[i], std::string("\"") + key + "\" entry " + std::to_string(i), origin));
    return result;
}

bool readBool(const json& object, const char* key, const std::string& origin) {
    const json& value = requireKey(object, key, origin);
    if (!value.is_boolean()) formatError(origin, std::string("\"") + key + "\" must be true or false");
    return value.get<bool>();
}

double readNumber(const json& object, const char* key, const std::string& origin) {
    const json& value = requireKey(object, key, origin);
    if (!value.is_number())
        formatError(origin,
                    std::string("\"") + key + "\" must be a number, found " + describeJsonValue(value));
    return value.get<double>();
}

} // namespace

const char* networkTypeName(NetworkType type) {
    switch (type) {
    case NetworkType::UNet:
        return "unet";
    case NetworkType::Mlp:
        return "mlp";
    case NetworkType::AdmUNet:
        return "adm_unet";
    case NetworkType::PromptUNet:
        return "prompt_unet";
    }
    return "?";
}

bool NetworkConfig::producesImages() const {
    return type != NetworkType::Mlp;
}

std::string NetworkConfig::describe() const {
    std::string text;
    if (type == NetworkType::Mlp)
        return "Architecture: MLP, " + std::to_string(hiddenLayers) + " hidden layers of width " +
               std::to_string(hiddenWidth) + "\nData: points of dimension " + std::to_string(dataDim) + "\n";
    text = std::string("Architecture: ") +
           (type == NetworkType::AdmUNet      ? "ADM U-Net (OpenAI)"
            : type == NetworkType::PromptUNet ? "prompt U-Net (joint cross-attention)"
                                              : "U-Net") +
           ", base width " + std::to_string(baseWidth) + ", channel multipliers " + joinInts(channelMult) +
           ", " + std::to_string(resBlocks) + " residual blocks per level";
    if (!attentionResolutions.empty()) text += ", attention at " + joinInts(attentionResolutions) + " px";
    if (type == NetworkType::AdmUNet)
        text += ", " + std::to_string(headChannels) + " channels per head" +
                (scaleShiftNorm ? ", scale-shift norm" : "") + (resblockUpdown ? ", resampling ResBlocks" : "");
    if (type == NetworkType::PromptUNet) {
        std::vector<int> contentAt, styleAt;
        for (int r : crossAttentionResolutions)
            (isContentLayer(r) ? contentAt : styleAt).push_back(r);
        text += ", " + std::to_string(headChannels) + " channels per head; prompts of " +
                std::to_string(promptLength) + " tokens from " + std::to_string(promptVocabulary) +
                " words, width " + std::to_string(contextWidth) + ", cross-attention at " +
                joinInts(crossAttentionResolutions) + " px";
        if (imageQueries > 0) {
            text += std::string("\nStyle extractors: ") +
                    (imageExtractors == 2 ? "two Q-Formers (style, content)" : "one Q-Former (a single image encoder)") +
                    " of " + std::to_string(imageQueries) + " queries, width " + std::to_string(qformerWidth) + ", " +
                    std::to_string(qformerLayers) + " layers, over the feature network's map (width " +
                    std::to_string(referenceWidth) + "); ";
            if (imageExtractors == 1)
                text += "its tokens in every cross-attention layer";
            else if (disentangledPlacement)
                text += "disentangled: content tokens at " + joinInts(contentAt) + " px, style tokens at " +
                        joinInts(styleAt) + " px";
            else
                text += "both token sets in every cross-attention layer (not disentangled)";
        }
    }
    return text + "\nImages: " + std::to_string(imageSize) + "x" + std::to_string(imageSize) + ", " +
           (channels == 1 ? "greyscale" : "RGB") + "\n";
}

bool NetworkConfig::isContentLayer(int resolution) const {
    return !crossAttentionResolutions.empty() &&
           resolution == *std::min_element(crossAttentionResolutions.begin(), crossAttentionResolutions.end());
}

bool NetworkConfig::receivesStyleTokens(int resolution) const {
    return !disentangledPlacement || !isContentLayer(resolution);
}

bool NetworkConfig::receivesContentTokens(int resolution) const {
    return imageExtractors == 2 && (!disentangledPlacement || isContentLayer(resolution));
}

const char* NetworkConfig::imagePlacementName() const {
    return disentangledPlacement ? "disentangled" : "everywhere";
}

bool NetworkConfig::hasNullClass() const {
    return type != NetworkType::AdmUNet;
}

void NetworkConfig::validate() const {
    if (type == NetworkType::Mlp) {
        checkRange("data_dim", dataDim, 1, 4096);
        checkRange("hidden_width", hiddenWidth, 8, 8192);
        checkRange("hidden_layers", hiddenLayers, 1, 16);
    } else {
        checkRange("image_size", imageSize, 28, 256);
        if (channels != 1 && channels != 3)
            invalid("network channels must be 1 (grey) or 3 (RGB), got " + std::to_string(channels));
        checkRange("base_width", baseWidth, 8, 1024);
        if (channelMult.empty())
            invalid("network channel_mult must have at least one entry (one per resolution level)");
        for (int m : channelMult)
            checkRange("channel_mult entry", m, 1, 16);
        // Each level after the first halves the resolution, which must stay an integer.
        std::vector<int> resolutions = {imageSize};
        for (std::size_t level = 1; level < channelMult.size(); ++level) {
            if (resolutions.back() % 2 != 0)
                invalid("network image_size " + std::to_string(imageSize) + " must be divisible by 2^" +
                        std::to_string(channelMult.size() - 1) + " for " +
                        std::to_string(channelMult.size()) + " channel_mult levels");
            resolutions.push_back(resolutions.back() / 2);
        }
        checkRange("res_blocks", resBlocks, 1, 8);
        if (type == NetworkType::AdmUNet) {
            checkRange("head_channels", headChannels, 1, 1024);
            // GroupNorm(32) runs over every width of the network.
            if (baseWidth % 32 != 0)
                invalid("network base_width of an ADM UNet must be a multiple of 32 (GroupNorm groups), got " +
                        std::to_string(baseWidth));
            for (int m : channelMult)
                if ((baseWidth * m) % headChannels != 0)
                    invalid("network width " + std::to_string(baseWidth * m) +
                            " is not a multiple of head_channels " + std::to_string(headChannels));
        }
        auto requireLevels = [&](const std::vector<int>& list, const char* field) {
            for (int r : list) {
                bool found = false;
                for (int level : resolutions)
                    found = found || level == r;
                if (!found)
                    invalid(std::string("network ") + field + " entry " + std::to_string(r) +
                            " is not one of the resolutions of this network (" + joinInts(resolutions) + ")");
            }
        };
        requireLevels(attentionResolutions, "attention_resolutions");
        if (type == NetworkType::PromptUNet) {
            checkRange("head_channels", headChannels, 1, 1024);
            for (int m : channelMult)
                if ((baseWidth * m) % headChannels != 0)
                    invalid("network width " + std::to_string(baseWidth * m) +
                            " is not a multiple of head_channels " + std::to_string(headChannels));
            checkRange("prompt_vocabulary", promptVocabulary, 1, 100000);
            checkRange("prompt_length", promptLength, 1, 77);
            checkRange("context_width", contextWidth, 8, 2048);
            if (crossAttentionResolutions.empty())
                invalid("network cross_attention_resolutions must name at least one resolution");
            requireLevels(crossAttentionResolutions, "cross_attention_resolutions");
            if (numClasses != 0) invalid("a prompt_unet is conditioned on prompts, not classes: num_classes must be 0");
            checkRange("image_queries", imageQueries, 0, 256);
            if (imageQueries > 0) {
                int styleLevels = 0;
                for (int r : crossAttentionResolutions)
                    styleLevels += isContentLayer(r) ? 0 : 1;
                if (styleLevels == 0)
                    invalid("a style model needs cross-attention at two resolutions at least (content at the "
                            "lowest, style above it)");
                if (imageExtractors != 1 && imageExtractors != 2)
                    invalid("network image_extractors must be 1 (a single encoder) or 2 (style and content), got " +
                            std::to_string(imageExtractors));
                if (imageExtractors == 1 && disentangledPlacement)
                    invalid("a single image encoder has no content tokens to place apart: its image_placement is "
                            "\"everywhere\"");
                checkRange("qformer_width", qformerWidth, 8, 2048);
                checkRange("qformer_layers", qformerLayers, 1, 12);
                checkRange("reference_width", referenceWidth, 8, 512);
                if (referenceWidth % 8 != 0) // the feature network's GroupNorm(8)
                    invalid("network reference_width must be a multiple of 8, got " + std::to_string(referenceWidth));
                if (channels != 3 || imageSize % 4 != 0)
                    invalid("a style model reads RGB references whose size is divisible by 4");
            }
        }
    }
    checkDropout(dropout);
    checkRange("num_classes", numClasses, 0, 10000);
}

std::vector<long> NetworkConfig::itemShape() const {
    if (type == NetworkType::Mlp) return {long(dataDim)};
    return {long(channels), long(imageSize), long(imageSize)};
}

std::string networkConfigToJson(const NetworkConfig& config) {
    json j;
    if (config.type == NetworkType::Mlp) {
        j["type"] = "mlp";
        j["data_dim"] = config.dataDim;
        j["hidden_width"] = config.hiddenWidth;
        j["hidden_layers"] = config.hiddenLayers;
    } else {
        j["type"] = networkTypeName(config.type);
        j["image_size"] = config.imageSize;
        j["channels"] = config.channels;
        j["base_width"] = config.baseWidth;
        j["channel_mult"] = config.channelMult;
        j["res_blocks"] = config.resBlocks;
        j["attention_resolutions"] = config.attentionResolutions;
        if (config.type == NetworkType::AdmUNet) {
            j["head_channels"] = config.headChannels;
            j["scale_shift_norm"] = config.scaleShiftNorm;
            j["resblock_updown"] = config.resblockUpdown;
        }
        if (config.type == NetworkType::PromptUNet) {
            j["head_channels"] = config.headChannels;
            j["prompt_vocabulary"] = config.promptVocabulary;
            j["prompt_length"] = config.promptLength;
            j["context_width"] = config.contextWidth;
            j["cross_attention_resolutions"] = config.crossAttentionResolutions;
            j["image_queries"] = config.imageQueries;
            if (config.imageQueries > 0) {
                j["qformer_width"] = config.qformerWidth;
                j["qformer_layers"] = config.qformerLayers;
                j["reference_width"] = config.referenceWidth;
                // Written only for the comparison variants: DEADiff's files keep their JSON byte for byte.
                if (config.imageExtractors != 2) j["image_extractors"] = config.imageExtractors;
                if (!config.disentangledPlacement) j["image_placement"] = config.imagePlacementName();
            }
        }
    }
    j["dropout"] = config.dropout;
    j["num_classes"] = config.numClasses;
    return j.dump();
}

NetworkConfig networkConfigFromJson(const std::string& text, const std::string& origin) {
    const json j = parseUntrustedJson(text, origin + ": network config");
    if (!j.is_object()) formatError(origin, "expected a JSON object, found " + describeJsonValue(j));

    NetworkConfig config;
    const json& type = requireKey(j, "type", origin);
    if (type == "unet" || type == "adm_unet" || type == "prompt_unet") {
        config.type = type == "unet"       ? NetworkType::UNet
                      : type == "adm_unet" ? NetworkType::AdmUNet
                                           : NetworkType::PromptUNet;
        config.imageSize = readInt(j, "image_size", origin);
        config.channels = readInt(j, "channels", origin);
        config.baseWidth = readInt(j, "base_width", origin);
        config.channelMult = readIntArray(j, "channel_mult", origin);
        config.resBlocks = readInt(j, "res_blocks", origin);
        config.attentionResolutions = readIntArray(j, "attention_resolutions", origin);
        if (config.type == NetworkType::AdmUNet) {
            config.headChannels = readInt(j, "head_channels", origin);
            config.scaleShiftNorm = readBool(j, "scale_shift_norm", origin);
            config.resblockUpdown = readBool(j, "resblock_updown", origin);
        }
        if (config.type == NetworkType::PromptUNet) {
            config.headChannels = readInt(j, "head_channels", origin);
            config.promptVocabulary = readInt(j, "prompt_vocabulary", origin);
            config.promptLength = readInt(j, "prompt_length", origin);
            config.contextWidth = readInt(j, "context_width", origin);
            config.crossAttentionResolutions = readIntArray(j, "cross_attention_resolutions", origin);
            config.imageQueries = readInt(j, "image_queries", origin);
            if (config.imageQueries > 0) {
                config.qformerWidth = readInt(j, "qformer_width", origin);
                config.qformerLayers = readInt(j, "qformer_layers", origin);
                config.referenceWidth = readInt(j, "reference_width", origin);
                if (j.contains("image_extractors")) config.imageExtractors = readInt(j, "image_extractors", origin);
                if (j.contains("image_placement")) {
                    const json& placement = j["image_placement"];
                    if (placement != "disentangled" && placement != "everywhere")
                        formatError(origin, "\"image_placement\" must be \"disentangled\" or \"everywhere\", found " +
                                                describeJsonValue(placement));
                    config.disentangledPlacement = placement == "disentangled";
                }
            }
        }
    } else if (type == "mlp") {
        config.type = NetworkType::Mlp;
        config.dataDim = readInt(j, "data_dim", origin);
        config.hiddenWidth = readInt(j, "hidden_width", origin);
        config.hiddenLayers = readInt(j, "hidden_layers", origin);
    } else {
        formatError(origin,
                    "\"type\" must be \"unet\", \"adm_unet\", \"prompt_unet\" or \"mlp\", found " + describeJsonValue(type));
    }
    config.dropout = readNumber(j, "dropout", origin);
    config.numClasses = readInt(j, "num_classes", origin);
    try {
        config.validate();
    } catch (const Error& e) {
        // A file with an impossible architecture is a malformed file, reported against its origin.
        formatError(origin, e.what());
    }
    return config;
}

namespace {

int64_t convolution(int64_t in, int64_t out, int64_t kernel) {
    return in * out * kernel * kernel + out;
}
int64_t linear(int64_t in, int64_t out) {
    return in * out + out;
}
int64_t norm(int64_t channels) {
    return 2 * channels;
}
int64_t attention(int64_t channels) {
    return norm(channels) + convolution(channels, 3 * channels, 1) + convolution(channels, channels, 1);
}

// CM Studio's UNet (core/detail/networks.cpp).
int64_t unetParameters(const NetworkConfig& c) {
    const int64_t embDim = 4 * int64_t(c.baseWidth);
    auto hasAttention = [&](int resolution) {
        return std::find(c.attentionResolutions.begin(), c.attentionResolutions.end(), resolution) !=
               c.attentionResolutions.end();
    };
    auto block = [&](int64_t in, int64_t out, bool withAttention) {
        return norm(in) + convolution(in, out, 3) + linear(embDim, 2 * out) + norm(out) + convolution(out, out, 3) +
               (in != out ? convolution(in, out, 1) : 0) + (withAttention ? attention(out) : 0);
    };
    int64_t total = linear(c.baseWidth, embDim) + linear(embDim, embDim) +
                    (c.numClasses > 0 ? int64_t(c.numClasses + 1) * embDim : 0) +
                    convolution(c.channels, c.baseWidth, 3);
    std::vector<int64_t> skips{c.baseWidth};
    int64_t ch = c.baseWidth;
    int resolution = c.imageSize;
    const int levels = int(c.channelMult.size());
    for (int level = 0; level < levels; ++level) {
        const int64_t out = int64_t(c.baseWidth) * c.channelMult[level];
        for (int r = 0; r < c.resBlocks; ++r) {
            total += block(ch, out, hasAttention(resolution));
            ch = out;
            skips.push_back(ch);
        }
        if (level + 1 < levels) {
            total += convolution(ch, ch, 3);
            skips.push_back(ch);
            resolution /= 2;
        }
    }
    total += block(ch, ch, true) + block(ch, ch, false);
    for (int level = levels - 1; level >= 0; --level) {
        const int64_t out = int64_t(c.baseWidth) * c.channelMult[level];
        for (int r = 0; r <= c.resBlocks; ++r) {
            total += block(ch + skips.back(), out, hasAttention(resolution));
            skips.pop_back();
            ch = out;
        }
        if (level > 0) {
            total += convolution(ch, ch, 3);
            resolution *= 2;
        }
    }
    return total + norm(ch) + convolution(ch, c.channels, 3);
}

// OpenAI's ADM UNet (core/detail/adm_unet.cpp).
int64_t admParameters(const NetworkConfig& c) {
    const int64_t width = c.baseWidth, embDim = 4 * width;
    auto attentionAt = [&](int ds) {
        for (int px : c.attentionResolutions)
            if (px * ds == c.imageSize) return true;
        return false;
    };
    auto block = [&](int64_t in, int64_t out) {
        return norm(in) + convolution(in, out, 3) + linear(embDim, c.scaleShiftNorm ? 2 * out : out) + norm(out) +
               convolution(out, out, 3) + (in != out ? convolution(in, out, 1) : 0);
    };
    int64_t ch = c.channelMult[0] * width;
    int64_t total = linear(width, embDim) + linear(embDim, embDim) + int64_t(c.numClasses) * embDim +
                    convolution(c.channels, ch, 3);
    std::vector<int64_t> skips{ch};
    int ds = 1;
    const int levels = int(c.channelMult.size());
    for (int level = 0; level < levels; ++level) {
        for (int r = 0; r < c.resBlocks; ++r) {
            const int64_t out = c.channelMult[level] * width;
            total += block(ch, out) + (attentionAt(ds) ? attention(out) : 0);
            ch = out;
            skips.push_back(ch);
        }
        if (level + 1 < levels) {
            total += c.resblockUpdown ? block(ch, ch) : convolution(ch, ch, 3);
            skips.push_back(ch);
            ds *= 2;
        }
    }
    total += 2 * block(ch, ch) + attention(ch);
    for (int level = levels - 1; level >= 0; --level) {
        for (int i = 0; i <= c.resBlocks; ++i) {
            const int64_t out = c.channelMult[level] * width;
            total += block(ch + skips.back(), out) + (attentionAt(ds) ? attention(out) : 0);
            skips.pop_back();
            ch = out;
            if (level > 0 && i == c.resBlocks) {
                total += c.resblockUpdown ? block(ch, ch) : convolution(ch, ch, 3);
                ds /= 2;
            }
        }
    }
    return total + norm(ch) + convolution(c.channelMult[0] * width, c.channels, 3);
}

// DEADiff's prompt UNet (core/detail/prompt_unet.cpp): CM Studio's UNet without classes, the prompt
// embedding, a joint cross-attention layer after every residual block at a cross-attention resolution (and
// after the middle's first), and for a style model the two Q-Formers and the frozen reference encoder.
int64_t promptUnetParameters(const NetworkConfig& c) {
    NetworkConfig plain = c;
    plain.type = NetworkType::UNet;
    plain.numClasses = 0;
    const int64_t ctx = c.contextWidth, q = c.qformerWidth, w = c.referenceWidth;
    const bool style = c.imageQueries > 0;
    int64_t total = unetParameters(plain) + int64_t(c.promptVocabulary + 1) * ctx + int64_t(c.promptLength) * ctx +
                    norm(ctx);
    auto crossAt = [&](int resolution) {
        return std::find(c.crossAttentionResolutions.begin(), c.crossAttentionResolutions.end(), resolution) !=
               c.crossAttentionResolutions.end();
    };
    auto cross = [&](int64_t ch) { return norm(ch) + 2 * ch * ch + ch + (style ? 4 : 2) * ctx * ch; };
    const int levels = int(c.channelMult.size());
    int resolution = c.imageSize;
    for (int level = 0; level < levels; ++level) {
        const int64_t out = int64_t(c.baseWidth) * c.channelMult[level];
        if (crossAt(resolution)) total += int64_t(2 * c.resBlocks + 1) * cross(out); // encoder and decoder
        if (level + 1 < levels) resolution /= 2;
    }
    if (crossAt(resolution)) total += cross(int64_t(c.baseWidth) * c.channelMult.back()); // the middle
    if (!style) return total;
    const int64_t mapChannels = 4 * w;
    const int64_t attentionWeights = 4 * linear(q, q);
    const int64_t layer = 3 * norm(q) + 2 * attentionWeights + linear(q, 4 * q) + linear(4 * q, q);
    const int64_t qformer = (int64_t(c.imageQueries) + 1) * q + norm(mapChannels) + linear(mapChannels, q) +
                            c.qformerLayers * layer + norm(q) + linear(q, ctx) + norm(ctx) + linear(ctx, 4 * ctx) +
                            linear(4 * ctx, ctx);
    const int64_t encoder = convolution(c.channels, w, 3) + norm(w) + convolution(w, w, 3) + norm(w) +
                            convolution(w, 2 * w, 3) + norm(2 * w) + convolution(2 * w, 2 * w, 3) + norm(2 * w) +
                            convolution(2 * w, 4 * w, 3) + norm(4 * w);
    return total + c.imageExtractors * qformer + encoder;
}

int64_t mlpParameters(const NetworkConfig& c) {
    const int64_t width = c.hiddenWidth;
    return linear(64, width) + linear(width, width) + (c.numClasses > 0 ? int64_t(c.numClasses + 1) * width : 0) +
           linear(c.dataDim, width) + c.hiddenLayers * linear(width, width) + linear(width, c.dataDim);
}

} // namespace

int NetworkConfig::defaultBatchSize() const {
    constexpr int kMost = 64;
    if (!producesImages()) return kMost;
    constexpr int64_t kWorkingCopies = 6; // norm output in float32, activation, conv output, concatenation...
    int64_t skips = 0, widest = 0;
    for (std::size_t level = 0; level < channelMult.size(); ++level) {
        const int64_t side = std::max(1, imageSize >> level);
        const int64_t bytes = int64_t(baseWidth) * channelMult[level] * side * side * int64_t(sizeof(float));
        skips += bytes * (resBlocks + 1);
        widest = std::max(widest, bytes);
    }
    const int64_t perImage = std::max<int64_t>(1, skips + kWorkingCopies * widest);
    return int(std::clamp<int64_t>(kActivationBudgetBytes / perImage, 1, kMost));
}

int64_t NetworkConfig::parameterCount() const {
    switch (type) {
    case NetworkType::Mlp:
        return mlpParameters(*this);
    case NetworkType::AdmUNet:
        return admParameters(*this);
    case NetworkType::PromptUNet:
        return promptUnetParameters(*this);
    case NetworkType::UNet:
        break;
    }
    return unetParameters(*this);
}

} // namespace cm
