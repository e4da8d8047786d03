#include "model_import.h"

#include "error.h"
#include "imagenet_class_names.h"
#include "torch_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

namespace cm {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

[[noreturn]] void formatError(const std::string& origin, const std::string& message) {
    throw Error(ErrorKind::Format, origin + ": " + message);
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + "]";
}

const TensorRecord& tensorAt(const std::map<std::string, TensorRecord>& tensors, const std::string& name,
                             const std::string& origin, std::size_t rank) {
    const auto it = tensors.find(name);
    if (it == tensors.end())
        formatError(origin, "not an ADM UNet (cm/unet.py) state_dict: tensor \"" + name +
                                "\" is missing (found " + std::to_string(tensors.size()) + " tensors" +
                                (tensors.empty() ? "" : ", e.g. \"" + tensors.begin()->first + "\"") + ")");
    if (it->second.shape.size() != rank)
        formatError(origin, "tensor \"" + name + "\" has shape " + shapeText(it->second.shape) + ", expected " +
                                std::to_string(rank) + " dimensions");
    return it->second;
}

bool has(const std::map<std::string, TensorRecord>& tensors, const std::string& name) {
    return tensors.count(name) > 0;
}

// The sub-layers of input_blocks.N / output_blocks.N: how many, and what each is.
struct BlockLayout {
    int resBlocks = 0;
    bool attention = false;
    bool convResample = false; // "op" (down) or "conv" (up) instead of a resampling ResBlock
};

BlockLayout layoutOf(const std::map<std::string, TensorRecord>& tensors, const std::string& prefix) {
    BlockLayout layout;
    for (int m = 0; m < 4; ++m) {
        const std::string layer = prefix + "." + std::to_string(m) + ".";
        if (has(tensors, layer + "in_layers.0.weight")) ++layout.resBlocks;
        if (has(tensors, layer + "qkv.weight")) layout.attention = true;
        if (has(tensors, layer + "op.weight") || has(tensors, layer + "conv.weight")) layout.convResample = true;
    }
    return layout;
}

int countBlocks(const std::map<std::string, TensorRecord>& tensors, const std::string& stem) {
    int count = 0;
    while (true) {
        const std::string prefix = stem + "." + std::to_string(count) + ".";
        const auto it = tensors.lower_bound(prefix);
        if (it == tensors.end() || it->first.compare(0, prefix.size(), prefix) != 0) return count;
        ++count;
    }
}

json readJsonFile(const fs::path& path) {
    std::error_code error;
    const auto size = fs::file_size(path, error);
    if (error) throw Error(ErrorKind::Io, path.string() + ": cannot read (" + error.message() + ")");
    if (size > (1u << 20)) formatError(path.string(), "a config file over 1 MiB is not a diffusers config");
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Nesting is bounded before parsing: deep JSON would exhaust the stack of the recursive parser.
    int depth = 0, deepest = 0;
    bool inString = false, escaped = false;
    for (char c : text) {
        if (inString) {
            escaped = !escaped && c == '\\';
            if (c == '"' && !escaped) inString = false;
            continue;
        }
        if (c == '"') inString = true;
        if (c == '{' || c == '[') deepest = std::max(deepest, ++depth);
        if (c == '}' || c == ']') --depth;
    }
    if (deepest > 64) formatError(path.string(), "JSON nested deeper than 64 levels");
    json parsed = json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) formatError(path.string(), "not a JSON object");
    return parsed;
}

template <typename T> T field(const json& object, const char* key, const std::string& origin) {
    const auto it = object.find(key);
    if (it == object.end()) formatError(origin, std::string("missing \"") + key + "\"");
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        formatError(origin, std::string("\"") + key + "\" has the wrong type");
    }
}

std::map<std::string, TensorRecord> readWeights(const fs::path& path) {
    if (detectModelFormat(path.string()) == ModelFormat::TorchStateDict) {
        auto dict = readTorchStateDict(path.string());
        return std::move(dict.tensors);
    }
    return readSafetensors(path.string()).tensors;
}

// The (cm/unet.py prefix, diffusers prefix) pairs of an ADM UNet's ResBlocks and attention blocks, walked
// in the order of the diffusers conversion script.
struct RenamePlan {
    std::vector<std::pair<std::string, std::string>> resBlocks, attentions, convs;
};

RenamePlan renamePlan(const NetworkConfig& config) {
    RenamePlan plan;
    const int levels = int(config.channelMult.size()), r = config.resBlocks;
    const auto attentionAtLevel = [&](int level) {
        const int px = config.imageSize >> level;
        return std::find(config.attentionResolutions.begin(), config.attentionResolutions.end(), px) !=
               config.attentionResolutions.end();
    };
    int k = 1;
    for (int level = 0; level < levels; ++level) {
        const std::string down = "down_blocks." + std::to_string(level);
        for (int j = 0; j < r; ++j, ++k) {
            plan.resBlocks.push_back({"input_blocks." + std::to_string(k) + ".0", down + ".resnets." + std::to_string(j)});
            if (attentionAtLevel(level))
                plan.attentions.push_back(
                    {"input_blocks." + std::to_string(k) + ".1", down + ".attentions." + std::to_string(j)});
        }
        if (level + 1 < levels) {
            const std::string original = "input_blocks." + std::to_string(k++) + ".0";
            if (config.resblockUpdown)
                plan.resBlocks.push_back({original, down + ".downsamplers.0"});
            else
                plan.convs.push_back({original + ".op", down + ".downsamplers.0.conv"});
        }
    }
    plan.resBlocks.push_back({"middle_block.0", "mid_block.resnets.0"});
    plan.attentions.push_back({"middle_block.1", "mid_block.attentions.0"});
    plan.resBlocks.push_back({"middle_block.2", "mid_block.resnets.1"});
    k = 0;
    for (int i = 0; i < levels; ++i) {
        const int level = levels - 1 - i;
        const std::string up = "up_blocks." + std::to_string(i);
        for (int j = 0; j <= r; ++j, ++k) {
            plan.resBlocks.push_back({"output_blocks." + std::to_string(k) + ".0", up + ".resnets." + std::to_string(j)});
            if (attentionAtLevel(level))
                plan.attentions.push_back(
                    {"output_blocks." + std::to_string(k) + ".1", up + ".attentions." + std::to_string(j)});
        }
        if (level > 0) {
            const std::string original =
                "output_blocks." + std::to_string(k - 1) + "." + (attentionAtLevel(level) ? "2" : "1");
            if (config.resblockUpdown)
                plan.resBlocks.push_back({original, up + ".upsamplers.0"});
            else
                plan.convs.push_back({original + ".conv", up + ".upsamplers.0.conv"});
        }
    }
    return plan;
}

TensorRecord take(std::map<std::string, TensorRecord>& tensors, const std::string& name, const std::string& origin) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) formatError(origin, "diffusers tensor \"" + name + "\" is missing");
    TensorRecord record = std::move(it->second);
    tensors.erase(it);
    return record;
}

// The first existing name among the spellings diffusers versions used.
std::string firstPresent(const std::map<std::string, TensorRecord>& tensors, const std::string& prefix,
                         std::initializer_list<const char*> spellings) {
    for (const char* spelling : spellings)
        if (tensors.count(prefix + "." + spelling + ".weight")) return prefix + "." + spelling;
    return prefix + "." + *spellings.begin();
}

// A [C, C] linear weight as a [C, C, 1, 1] convolution weight (same bytes).
TensorRecord asConv1x1(TensorRecord record) {
    if (record.shape.size() == 2) record.shape.insert(record.shape.end(), {1, 1});
    return record;
}

TensorRecord concatRows(const std::vector<TensorRecord>& parts, const std::string& what, const std::string& origin) {
    TensorRecord joined = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto& part = parts[i];
        if (part.dtype != joined.dtype ||
            !std::equal(part.shape.begin() + 1, part.shape.end(), parts.front().shape.begin() + 1,
                        parts.front().shape.end()) ||
            part.shape.size() != parts.front().shape.size())
            formatError(origin, "the q, k and v tensors of " + what + " differ in shape or type");
        joined.shape[0] += part.shape[0];
        joined.bytes.insert(joined.bytes.end(), part.bytes.begin(), part.bytes.end());
    }
    return joined;
}

std::vector<PublishedPreset> publishedPresets() {
    auto cm = [](const char* name, int size, std::vector<int> ts, int steps, const char* data) {
        PublishedPreset p;
        p.name = name;
        p.kind = ModelKind::Consistency;
        p.imageSize = size;
        p.dataset = data;
        if (!ts.empty()) {
            p.schedule.ts = std::move(ts);
            p.schedule.steps = steps;
        }
        return p;
    };
    auto edm = [](const char* name, int size, const char* data) {
        PublishedPreset p;
        p.name = name;
        p.kind = ModelKind::EdmDenoiser;
        p.imageSize = size;
        p.dataset = data;
        p.schedule.heunPoints = 40;
        return p;
    };
    const char* imagenet = "ImageNet 64x64, 1000 classes";
    const char* bedroom = "LSUN bedroom 256x256";
    const char* cat = "LSUN cat 256x256";
    // Longer names first: "cd_bedroom256_lpips" must not match as a shorter preset.
    return {cm("cd_imagenet64_lpips", 64, {0, 22, 39}, 40, imagenet),
            cm("cd_imagenet64_l2", 64, {0, 22, 39}, 40, imagenet),
            cm("ct_imagenet64", 64, {0, 106, 200}, 201, imagenet),
            edm("edm_imagenet64_ema", 64, imagenet),
            cm("cd_bedroom256_lpips", 256, {0, 17, 39}, 40, bedroom),
            cm("cd_bedroom256_l2", 256, {0, 18, 39}, 40, bedroom),
            cm("ct_bedroom256", 256, {0, 67, 150}, 151, bedroom),
            edm("edm_bedroom256_ema", 256, bedroom),
            // OpenAI published no multistep ts for the cat CD models: one step is their recommendation.
            cm("cd_cat256_lpips", 256, {}, 0, cat),
            cm("cd_cat256_l2", 256, {}, 0, cat),
            cm("ct_cat256", 256, {0, 62, 150}, 151, cat),
            edm("edm_cat256_ema", 256, cat)};
}

void noteSchedule(ImportedModel& model, const RecommendedSchedule& schedule, const std::string& from) {
    if (!schedule.empty()) model.assumed.push_back("recommended schedule " + schedule.describe() + " (" + from + ")");
}

} // namespace

const char* modelFormatName(ModelFormat format) {
    switch (format) {
    case ModelFormat::CmStudio:
        return "CM Studio safetensors";
    case ModelFormat::TorchStateDict:
        return "PyTorch state_dict (.pt)";
    case ModelFormat::DiffusersFolder:
        return "diffusers folder";
    case ModelFormat::Unknown:
        break;
    }
    return "unknown";
}

ModelFormat detectModelFormat(const std::string& path) {
    std::error_code error;
    if (fs::is_directory(path, error)) {
        const fs::path folder(path);
        if (fs::exists(folder / "unet" / "config.json", error) || fs::exists(folder / "config.json", error))
            return ModelFormat::DiffusersFolder;
        return ModelFormat::Unknown;
    }
    std::ifstream in(path, std::ios::binary);
    unsigned char head[9] = {};
    in.read(reinterpret_cast<char*>(head), sizeof head);
    const auto got = in.gcount();
    if (got >= 4 && std::memcmp(head, "PK\3\4", 4) == 0) return ModelFormat::TorchStateDict;
    if (got >= 2 && head[0] == 0x80 && head[1] <= 5) return ModelFormat::TorchStateDict; // a legacy pickle
    if (got == 9 && head[8] == '{') return ModelFormat::CmStudio;
    return ModelFormat::Unknown;
}

std::optional<PublishedPreset> findPublishedPreset(const std::string& path) {
    std::string name = fs::path(path).filename().string();
    if (name.empty()) name = fs::path(path).parent_path().filename().string();
    for (const auto& preset : publishedPresets())
        if (name.find(preset.name) != std::string::npos) return preset;
    return std::nullopt;
}

NetworkConfig inferAdmConfig(const std::map<std::string, TensorRecord>& tensors, int imageSize, int headChannels,
                             const std::string& origin, std::vector<std::string>* notes) {
    auto note = [&](const std::string& line) {
        if (notes) notes->push_back(line);
    };
    NetworkConfig config;
    config.type = NetworkType::AdmUNet;
    config.imageSize = imageSize;
    config.headChannels = headChannels;
    const auto& time = tensorAt(tensors, "time_embed.0.weight", origin, 2);
    config.baseWidth = int(time.shape[1]);
    if (time.shape[0] != 4 * time.shape[1])
        formatError(origin, "time_embed.0.weight is " + shapeText(time.shape) + ", expected [4C, C]");
    note("model_channels " + std::to_string(config.baseWidth) + " (time_embed.0.weight " + shapeText(time.shape) + ")");
    const auto& first = tensorAt(tensors, "input_blocks.0.0.weight", origin, 4);
    config.channels = int(first.shape[1]);
    note("input channels " + std::to_string(config.channels) + " (input_blocks.0.0.weight)");
    const auto& last = tensorAt(tensors, "out.2.weight", origin, 4);
    if (last.shape[0] != first.shape[1])
        formatError(origin, "out.2.weight has " + std::to_string(last.shape[0]) + " output channels for " +
                                std::to_string(first.shape[1]) +
                                " input channels (a model that also predicts its variance, learn_sigma, is not "
                                "a consistency model or EDM denoiser)");
    if (has(tensors, "label_emb.weight")) {
        config.numClasses = int(tensorAt(tensors, "label_emb.weight", origin, 2).shape[0]);
        note(std::to_string(config.numClasses) + " classes (label_emb.weight)");
    } else {
        note("unconditional (no label_emb)");
    }

    const int inputs = countBlocks(tensors, "input_blocks");
    const int outputs = countBlocks(tensors, "output_blocks");
    if (outputs < 1 || inputs < 2) formatError(origin, "no input_blocks / output_blocks found");
    // The last output block of every level but the first resamples: that fixes the blocks per level.
    int perLevel = outputs;
    for (int k = 0; k < outputs; ++k) {
        const auto layout = layoutOf(tensors, "output_blocks." + std::to_string(k));
        if (layout.resBlocks == 2 || layout.convResample) {
            perLevel = k + 1;
            config.resblockUpdown = layout.resBlocks == 2;
            break;
        }
    }
    config.resBlocks = perLevel - 1;
    const int levels = outputs / perLevel;
    if (config.resBlocks < 1 || outputs % perLevel != 0 || inputs != 1 + levels * config.resBlocks + levels - 1)
        formatError(origin, std::to_string(inputs) + " input blocks and " + std::to_string(outputs) +
                                " output blocks do not form an ADM UNet (expected L(R+1) output blocks and "
                                "L(R+1) input blocks for L levels of R residual blocks)");
    note(std::to_string(levels) + " levels of " + std::to_string(config.resBlocks) + " residual blocks (" +
         std::to_string(outputs) + " output blocks)" +
         (config.resblockUpdown ? ", resampling ResBlocks" : ", resampling convolutions"));

    config.channelMult.clear();
    config.attentionResolutions.clear();
    for (int level = 0; level < levels; ++level) {
        const std::string block = "input_blocks." + std::to_string(1 + level * (config.resBlocks + 1));
        const auto& conv = tensorAt(tensors, block + ".0.in_layers.2.weight", origin, 4);
        if (conv.shape[0] % config.baseWidth != 0)
            formatError(origin, block + " has " + std::to_string(conv.shape[0]) +
                                    " channels, not a multiple of model_channels " + std::to_string(config.baseWidth));
        config.channelMult.push_back(int(conv.shape[0] / config.baseWidth));
        if (layoutOf(tensors, block).attention) {
            if (imageSize % (1 << level) != 0)
                formatError(origin, "image size " + std::to_string(imageSize) + " is not divisible by 2^" +
                                        std::to_string(level));
            config.attentionResolutions.push_back(imageSize >> level);
        }
    }
    std::string mult;
    for (int m : config.channelMult)
        mult += (mult.empty() ? "" : ",") + std::to_string(m);
    note("channel_mult " + mult + " (input blocks' widths)");
    if (config.attentionResolutions.empty()) {
        note("no attention outside the middle block");
    } else {
        std::string px;
        for (int r : config.attentionResolutions)
            px += (px.empty() ? "" : ",") + std::to_string(r);
        note("attention at " + px + " px (input blocks with qkv)");
    }
    const auto& emb = tensorAt(tensors, "input_blocks.1.0.emb_layers.1.weight", origin, 2);
    config.scaleShiftNorm = emb.shape[0] == 2 * int64_t(config.channelMult[0]) * config.baseWidth;
    note(std::string(config.scaleShiftNorm ? "scale-shift norm" : "no scale-shift norm") +
         " (input_blocks.1.0.emb_layers.1.weight " + shapeText(emb.shape) + ")");
    try {
        config.validate();
    } catch (const Error& e) {
        formatError(origin, std::string("the inferred architecture is not valid: ") + e.what() +
                                " (the image size and channels per head are not in the tensors: give them with "
                                "--image-size and --head-channels)");
    }
    return config;
}

std::map<std::string, TensorRecord> diffusersToAdmTensors(std::map<std::string, TensorRecord> tensors,
                                                         const NetworkConfig& config, const std::string& origin) {
    std::map<std::string, TensorRecord> out;
    const auto moveLayer = [&](const std::string& from, const std::string& to) {
        out[to + ".weight"] = take(tensors, from + ".weight", origin);
        out[to + ".bias"] = take(tensors, from + ".bias", origin);
    };
    moveLayer("time_embedding.linear_1", "time_embed.0");
    moveLayer("time_embedding.linear_2", "time_embed.2");
    if (config.numClasses > 0) out["label_emb.weight"] = take(tensors, "class_embedding.weight", origin);
    moveLayer("conv_in", "input_blocks.0.0");
    moveLayer("conv_norm_out", "out.0");
    moveLayer("conv_out", "out.2");
    const RenamePlan plan = renamePlan(config);
    for (const auto& [original, diffusers] : plan.resBlocks) {
        moveLayer(diffusers + ".norm1", original + ".in_layers.0");
        moveLayer(diffusers + ".conv1", original + ".in_layers.2");
        moveLayer(diffusers + ".time_emb_proj", original + ".emb_layers.1");
        moveLayer(diffusers + ".norm2", original + ".out_layers.0");
        moveLayer(diffusers + ".conv2", original + ".out_layers.3");
        if (tensors.count(diffusers + ".conv_shortcut.weight"))
            moveLayer(diffusers + ".conv_shortcut", original + ".skip_connection");
    }
    for (const auto& [original, diffusers] : plan.attentions) {
        moveLayer(firstPresent(tensors, diffusers, {"group_norm", "norm"}), original + ".norm");
        for (const char* part : {"weight", "bias"}) {
            std::vector<TensorRecord> qkv;
            for (const auto& spelling : {std::pair{"to_q", "query"}, {"to_k", "key"}, {"to_v", "value"}})
                qkv.push_back(take(tensors, firstPresent(tensors, diffusers, {spelling.first, spelling.second}) + "." + part,
                                   origin));
            auto joined = concatRows(qkv, diffusers, origin);
            out[original + ".qkv." + part] = std::string(part) == "weight" ? asConv1x1(std::move(joined)) : joined;
        }
        const std::string proj = firstPresent(tensors, diffusers, {"to_out.0", "proj_attn"});
        out[original + ".proj_out.weight"] = asConv1x1(take(tensors, proj + ".weight", origin));
        out[original + ".proj_out.bias"] = take(tensors, proj + ".bias", origin);
    }
    for (const auto& [original, diffusers] : plan.convs)
        moveLayer(diffusers, original);
    if (!tensors.empty())
        formatError(origin, std::to_string(tensors.size()) + " diffusers tensor(s) do not belong to the configured "
                                                             "UNet, e.g. \"" + tensors.begin()->first + "\"");
    return out;
}

ImportedModel importModel(const std::string& path, const ImportOptions& options) {
    ImportedModel model;
    model.format = detectModelFormat(path);
    const auto preset = findPublishedPreset(path);
    ModelCard& card = model.card;
    card.cNoise = kAdmCNoiseConvention;
    card.clampEachStep = true;
    card.source = fs::path(path).filename().string();
    if (card.source.empty()) card.source = path;
    card.recipe = "imported";
    NetworkConfig& net = card.network;
    std::map<std::string, TensorRecord> tensors;

    if (model.format == ModelFormat::TorchStateDict) {
        auto dict = readTorchStateDict(path);
        tensors = std::move(dict.tensors);
        const int size = options.imageSize > 0 ? options.imageSize : preset ? preset->imageSize : 0;
        if (size == 0)
            throw Error(ErrorKind::InvalidArgument,
                        path + ": the image size is not in a .pt file and the name matches no published model "
                               "(cd_imagenet64_l2, ct_bedroom256, ...): give it (--image-size 64)");
        const int heads = options.headChannels > 0 ? options.headChannels : preset ? preset->headChannels : 64;
        net = inferAdmConfig(tensors, size, heads, path, &model.inferred);
        (options.imageSize > 0 ? model.inferred : model.assumed)
            .push_back("image size " + std::to_string(size) + (options.imageSize > 0 ? " (given)" : " (preset " + preset->name + ")"));
        if (options.headChannels > 0)
            model.inferred.push_back(std::to_string(heads) + " channels per head (given)");
        else
            model.assumed.push_back(std::to_string(heads) + " channels per head (" +
                                    (preset ? "preset " + preset->name : std::string("the published models' value")) + ")");
    } else if (model.format == ModelFormat::DiffusersFolder) {
        fs::path root(path);
        if (!fs::exists(root / "unet" / "config.json") && fs::exists(root / "config.json")) root = root.parent_path();
        const fs::path unet = fs::exists(root / "unet" / "config.json") ? root / "unet" : fs::path(path);
        const json config = readJsonFile(unet / "config.json");
        const std::string origin = (unet / "config.json").string();
        const auto className = config.value("_class_name", std::string("UNet2DModel"));
        if (className != "UNet2DModel")
            formatError(origin, "\"_class_name\" is \"" + className.substr(0, 60) +
                                    "\"; CM Studio opens the UNet2DModel of diffusers' consistency models");
        net.type = NetworkType::AdmUNet;
        net.imageSize = options.imageSize > 0 ? options.imageSize : field<int>(config, "sample_size", origin);
        net.channels = field<int>(config, "in_channels", origin);
        if (config.value("out_channels", net.channels) != net.channels)
            formatError(origin, "out_channels differs from in_channels (a variance-predicting UNet)");
        const auto widths = field<std::vector<int>>(config, "block_out_channels", origin);
        const auto downTypes = field<std::vector<std::string>>(config, "down_block_types", origin);
        const auto upTypes = field<std::vector<std::string>>(config, "up_block_types", origin);
        if (widths.empty() || downTypes.size() != widths.size() || upTypes.size() != widths.size())
            formatError(origin, "block_out_channels, down_block_types and up_block_types must have one entry per level");
        net.baseWidth = widths[0];
        net.channelMult.clear();
        net.attentionResolutions.clear();
        for (std::size_t level = 0; level < widths.size(); ++level) {
            if (widths[level] % net.baseWidth != 0)
                formatError(origin, "block_out_channels must be multiples of the first entry");
            net.channelMult.push_back(widths[level] / net.baseWidth);
            const std::string& down = downTypes[level];
            const std::string& up = upTypes[widths.size() - 1 - level];
            const bool attention = down == "AttnDownBlock2D";
            if (!attention && down != "ResnetDownsampleBlock2D" && down != "DownBlock2D")
                formatError(origin, "down block type \"" + down.substr(0, 60) +
                                        "\" (expected ResnetDownsampleBlock2D or AttnDownBlock2D)");
            if ((up == "AttnUpBlock2D") != attention)
                formatError(origin, "up_block_types do not mirror down_block_types (attention at level " +
                                        std::to_string(level) + ")");
            if (attention) net.attentionResolutions.push_back(net.imageSize >> level);
        }
        net.resBlocks = field<int>(config, "layers_per_block", origin);
        net.headChannels = options.headChannels > 0 ? options.headChannels
                                                    : config.value("attention_head_dim", 64);
        net.scaleShiftNorm = config.value("resnet_time_scale_shift", std::string("default")) == "scale_shift";
        net.resblockUpdown = config.value("downsample_type", std::string("conv")) == "resnet";
        if (config.contains("num_class_embeds") && !config["num_class_embeds"].is_null())
            net.numClasses = field<int>(config, "num_class_embeds", origin);
        if (config.value("norm_num_groups", 32) != 32 || config.value("attn_norm_num_groups", 32) != 32)
            formatError(origin, "norm_num_groups must be 32 (the ADM UNet's GroupNorm)");
        try {
            net.validate();
        } catch (const Error& e) {
            formatError(origin, e.what());
        }
        model.inferred.push_back("architecture from " + origin);
        fs::path weights = unet / "diffusion_pytorch_model.safetensors";
        if (!fs::exists(weights)) weights = unet / "diffusion_pytorch_model.bin";
        if (!fs::exists(weights))
            throw Error(ErrorKind::Io, unet.string() +
                                           ": neither diffusion_pytorch_model.safetensors nor "
                                           "diffusion_pytorch_model.bin is there");
        tensors = diffusersToAdmTensors(readWeights(weights), net, weights.string());
        // The tensors must say what the config says.
        std::vector<std::string> ignored;
        const NetworkConfig fromTensors =
            inferAdmConfig(tensors, net.imageSize, net.headChannels, weights.string(), &ignored);
        if (fromTensors.channelMult != net.channelMult || fromTensors.resBlocks != net.resBlocks ||
            fromTensors.scaleShiftNorm != net.scaleShiftNorm || fromTensors.numClasses != net.numClasses ||
            fromTensors.attentionResolutions != net.attentionResolutions)
            formatError(weights.string(), "the weights do not match unet/config.json");
        const fs::path scheduler = root / "scheduler" / "scheduler_config.json";
        if (fs::exists(scheduler)) {
            const json schedule = readJsonFile(scheduler);
            const std::string sOrigin = scheduler.string();
            card.noise.sigmaMin = schedule.value("sigma_min", card.noise.sigmaMin);
            card.noise.sigmaMax = schedule.value("sigma_max", card.noise.sigmaMax);
            card.noise.sigmaData = schedule.value("sigma_data", card.noise.sigmaData);
            card.noise.rho = schedule.value("rho", card.noise.rho);
            const int steps = schedule.value("num_train_timesteps", 0);
            if (steps >= 2 && steps <= 100000)
                model.inferred.push_back("ts grid of " + std::to_string(steps) + " steps (num_train_timesteps)");
            if (preset && preset->schedule.steps > 0 && preset->schedule.steps != steps)
                model.assumed.push_back("the scheduler's " + std::to_string(steps) + " steps differ from preset " +
                                        preset->name + "'s " + std::to_string(preset->schedule.steps));
            const auto schedulerClass = schedule.value("_class_name", std::string());
            if (schedulerClass == "CMStochasticIterativeScheduler" && !options.kind)
                model.inferred.push_back("a consistency model (CMStochasticIterativeScheduler)");
        }
    } else if (model.format == ModelFormat::CmStudio) {
        throw Error(ErrorKind::InvalidArgument, path + " is already a CM Studio model");
    } else {
        throw Error(ErrorKind::Format, path + ": not a model file CM Studio knows (a CM Studio .safetensors, a "
                                              "PyTorch .pt state_dict or a diffusers folder)");
    }

    card.kind = options.kind ? *options.kind : preset ? preset->kind : ModelKind::Consistency;
    if (options.kind)
        model.inferred.push_back(std::string("kind ") + modelKindName(card.kind) + " (given)");
    else if (preset)
        model.assumed.push_back(std::string("kind ") + modelKindName(card.kind) + " (preset " + preset->name + ")");
    else if (model.format == ModelFormat::DiffusersFolder)
        model.inferred.push_back("kind consistency (diffusers consistency-model pipeline)");
    else
        throw Error(ErrorKind::InvalidArgument,
                    path + ": cannot tell a consistency model from an EDM denoiser by the tensors, and the name "
                           "matches no published model: give the kind (--kind consistency or --kind edm)");

    if (!options.schedule.empty()) {
        card.recommended = options.schedule;
        model.inferred.push_back("recommended schedule " + card.recommended.describe() + " (given)");
    } else if (preset && !preset->schedule.empty()) {
        card.recommended = preset->schedule;
        noteSchedule(model, card.recommended, "preset " + preset->name);
    } else if (card.kind == ModelKind::EdmDenoiser) {
        card.recommended.heunPoints = 40;
        noteSchedule(model, card.recommended, "the published EDM sampler");
    }
    if (preset) {
        card.preset = preset->name;
        card.dataset = preset->dataset;
        card.licence = "MIT (openai/consistency_models), if these are OpenAI's published weights";
    }
    if (net.numClasses == int(imagenetClassNames().size())) {
        // ADM's 1000-class embeddings are ImageNet's labels in the usual synset order.
        card.classNames = imagenetClassNames();
        model.assumed.push_back("class names: ImageNet's 1,000 (a 1000-class embedding)");
    } else if (net.numClasses > 0) {
        card.classNames.clear();
        for (int c = 0; c < net.numClasses; ++c)
            card.classNames.push_back("class " + std::to_string(c));
    }
    card.notes = std::string("Imported from a ") + modelFormatName(model.format) + "; estimates clamped to [-1, 1] at "
                 "every step as the published samplers do";

    // Every tensor must be a float tensor; the engine's loader checks names and shapes against the network.
    for (const auto& [name, record] : tensors)
        if (!isFloatDType(record.dtype))
            formatError(path, "tensor \"" + name + "\" has dtype " + dtypeName(record.dtype) + "; weights must be floats");
    model.tensors.tensors = std::move(tensors);
    model.tensors.metadata = card.toMetadata();
    return model;
}

} // namespace cm
