#include "tokenizer_card.h"

#include "core/error.h"
#include "core/metadata_fields.h"
#include "core/untrusted_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <sstream>

namespace cm {

namespace {

using nlohmann::json;
using namespace metadata;

constexpr const char* kFormatVersion = "1";
constexpr const char* kFamily = "flowmo";
constexpr int kTimeEmbeddingDim = 256; // sinusoidal features of timeScale * t (FlowMo's size)

[[noreturn]] void invalid(const std::string& message) {
    throw Error(ErrorKind::InvalidArgument, message);
}

void checkRange(const char* field, long value, long lo, long hi) {
    if (value < lo || value > hi)
        invalid(std::string("tokenizer ") + field + " must be in " + std::to_string(lo) + ".." + std::to_string(hi) +
                ", got " + std::to_string(value));
}

// A JSON integer in [lo, hi]; anything else is a format error naming the key.
int boundedInt(const json& object, const char* key, long lo, long hi, const std::string& origin) {
    const auto it = object.find(key);
    if (it == object.end()) fail(origin, std::string("missing key \"") + key + "\"");
    const json& value = *it;
    if (!value.is_number_integer() || (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(hi)) ||
        value.get<int64_t>() < lo || value.get<int64_t>() > hi)
        fail(origin, std::string("\"") + key + "\" must be an integer in " + std::to_string(lo) + ".." +
                         std::to_string(hi) + ", found " + describeJsonValue(value));
    return int(value.get<int64_t>());
}

double boundedNumber(const json& object, const char* key, double lo, double hi, const std::string& origin) {
    const auto it = object.find(key);
    if (it == object.end()) fail(origin, std::string("missing key \"") + key + "\"");
    if (!it->is_number() || !(it->get<double>() >= lo && it->get<double>() <= hi))
        fail(origin, std::string("\"") + key + "\" must be a number in [" + formatShort(lo) + ", " + formatShort(hi) +
                         "], found " + describeJsonValue(*it));
    return it->get<double>();
}

int64_t streamWeights(int64_t h, int64_t heads, int64_t condDim) {
    const int64_t modulation = condDim > 0 ? condDim * 6 * h + 6 * h : 0;
    const int64_t attention = h * 3 * h + 3 * h + 2 * (h / heads) + h * h + h;
    const int64_t mlp = h * 4 * h + 4 * h + 4 * h * h + h;
    return modulation + attention + mlp;
}

} // namespace

void TokenizerConfig::validate() const {
    checkRange("image_size", imageSize, 8, 128);
    if (channels != 1 && channels != 3)
        invalid("tokenizer channels must be 1 (grey) or 3 (RGB), got " + std::to_string(channels));
    checkRange("patch_size", patchSize, 1, 16);
    if (imageSize % patchSize != 0)
        invalid("tokenizer image_size " + std::to_string(imageSize) + " is not divisible by patch_size " +
                std::to_string(patchSize));
    checkRange("patches", patchCount(), 1, 1024);
    checkRange("tokens", tokens, 1, 256);
    checkRange("bits_per_token", bitsPerToken, 1, 64);
    checkRange("entropy_group_bits", entropyGroupBits, 1, 12);
    if (bitsPerToken % entropyGroupBits != 0)
        invalid("tokenizer entropy_group_bits " + std::to_string(entropyGroupBits) + " does not divide bits_per_token " +
                std::to_string(bitsPerToken));
    checkRange("encoder_width", encoderWidth, 8, 1024);
    checkRange("decoder_width", decoderWidth, 8, 1024);
    checkRange("encoder_depth", encoderDepth, 1, 32);
    checkRange("decoder_depth", decoderDepth, 1, 32);
    checkRange("heads", heads, 1, 32);
    if (encoderWidth % heads != 0 || decoderWidth % heads != 0)
        invalid("tokenizer heads (" + std::to_string(heads) + ") must divide encoder_width and decoder_width");
    if (!(timeScale > 0 && timeScale <= 1e4)) invalid("tokenizer time_scale must be in (0, 10000]");
    if (!(flowSigmaData >= 0 && flowSigmaData <= 10)) invalid("tokenizer flow_sigma_data must be in [0, 10]");
}

int64_t TokenizerConfig::parameterCount() const {
    const int64_t patchValues = int64_t(channels) * patchSize * patchSize, P = patchCount(), T = tokens,
                  B = bitsPerToken;
    const int64_t he = encoderWidth;
    const int64_t encoder = patchValues * he + he + P * he + T * he +
                            encoderDepth * 2 * streamWeights(he, heads, 0) + he * B + B;
    return encoder + decoderParameterCount();
}

int64_t TokenizerConfig::decoderParameterCount() const {
    const int64_t patchValues = int64_t(channels) * patchSize * patchSize, P = patchCount(), T = tokens,
                  B = bitsPerToken, hd = decoderWidth;
    const int64_t time = kTimeEmbeddingDim * hd + hd + hd * hd + hd;
    return (B + 1) * hd + hd + T * hd + patchValues * hd + hd + P * hd + time +
           decoderDepth * 2 * streamWeights(hd, heads, hd) + hd * 2 * hd + 2 * hd + hd * patchValues + patchValues;
}

bool TokenizerCard::hasOneStepDecoder() const {
    return std::find(stages.begin(), stages.end(), "one-step") != stages.end();
}

int64_t TokenizerCard::parameterCount() const {
    return config.parameterCount() + (hasOneStepDecoder() ? config.decoderParameterCount() : 0);
}

std::string TokenizerConfig::describe() const {
    std::ostringstream out;
    out << "Architecture: FlowMo (MMDiT encoder width " << encoderWidth << " depth " << encoderDepth
        << ", decoder width " << decoderWidth << " depth " << decoderDepth << ", " << heads << " heads, patches "
        << patchSize << "x" << patchSize << ")\n";
    out << "Images: " << imageSize << "x" << imageSize << ", " << (channels == 1 ? "greyscale" : "RGB") << "\n";
    out << "Code: " << codeBits() << " bits (" << tokens << " tokens x " << bitsPerToken << " bits, "
        << formatShort(bitsPerPixel()) << " bits per pixel)\n";
    return out.str();
}

TokenizerConfig tokenizerPreset(const std::string& bitRate, int imageSize, int channels) {
    TokenizerConfig config;
    config.imageSize = imageSize;
    config.channels = channels;
    const double pixels = double(imageSize) * imageSize;
    double target = 0;
    if (bitRate == "lo")
        target = 0.07;
    else if (bitRate == "hi")
        target = 0.22;
    else
        invalid("the bit rate is 'lo' (about 0.07 bits per pixel) or 'hi' (about 0.22), not '" +
                describeUntrusted(bitRate) + "'");
    config.tokens = std::max(1, int(target * pixels / config.bitsPerToken + 0.5));
    config.validate();
    return config;
}

std::string tokenizerConfigToJson(const TokenizerConfig& c) {
    json j;
    j["image_size"] = c.imageSize;
    j["channels"] = c.channels;
    j["patch_size"] = c.patchSize;
    j["tokens"] = c.tokens;
    j["bits_per_token"] = c.bitsPerToken;
    j["entropy_group_bits"] = c.entropyGroupBits;
    j["encoder_width"] = c.encoderWidth;
    j["encoder_depth"] = c.encoderDepth;
    j["decoder_width"] = c.decoderWidth;
    j["decoder_depth"] = c.decoderDepth;
    j["heads"] = c.heads;
    j["time_scale"] = c.timeScale;
    j["flow_sigma_data"] = c.flowSigmaData;
    return j.dump();
}

TokenizerConfig tokenizerConfigFromJson(const std::string& text, const std::string& originFile) {
    const std::string origin = originFile + ": tokenizer config";
    const json j = parseUntrustedJson(text, origin);
    if (!j.is_object()) fail(origin, "must be a JSON object");
    TokenizerConfig c;
    c.imageSize = boundedInt(j, "image_size", 8, 128, origin);
    c.channels = boundedInt(j, "channels", 1, 3, origin);
    c.patchSize = boundedInt(j, "patch_size", 1, 16, origin);
    c.tokens = boundedInt(j, "tokens", 1, 256, origin);
    c.bitsPerToken = boundedInt(j, "bits_per_token", 1, 64, origin);
    c.entropyGroupBits = boundedInt(j, "entropy_group_bits", 1, 12, origin);
    c.encoderWidth = boundedInt(j, "encoder_width", 8, 1024, origin);
    c.encoderDepth = boundedInt(j, "encoder_depth", 1, 32, origin);
    c.decoderWidth = boundedInt(j, "decoder_width", 8, 1024, origin);
    c.decoderDepth = boundedInt(j, "decoder_depth", 1, 32, origin);
    c.heads = boundedInt(j, "heads", 1, 32, origin);
    c.timeScale = boundedNumber(j, "time_scale", 1e-3, 1e4, origin);
    c.flowSigmaData = boundedNumber(j, "flow_sigma_data", 0, 10, origin);
    try {
        c.validate();
    } catch (const Error& e) {
        fail(origin, e.what());
    }
    return c;
}

std::map<std::string, std::string> TokenizerCard::toMetadata() const {
    std::map<std::string, std::string> m;
    m["format"] = kTokenizerFormat;
    m["format_version"] = kFormatVersion;
    m["family"] = kFamily;
    m["tokenizer"] = tokenizerConfigToJson(config);
    m["code_bits"] = std::to_string(config.codeBits());
    m["parameterisation"] = parameterisation;
    json s;
    s["steps"] = sampling.steps;
    s["rho"] = sampling.rho;
    s["guidance"] = sampling.guidance.weight;
    s["guidance_interval"] = {sampling.guidance.low, sampling.guidance.high};
    m["sampling"] = s.dump();
    m["stages"] = json(stages).dump();
    m["training"] = trainingJson.empty() ? "{}" : trainingJson;
    m["dataset"] = dataset;
    m["classes"] = json(classNames).dump();
    m["training_steps"] = std::to_string(trainingSteps);
    if (!licence.empty()) m["licence"] = licence;
    m["notes"] = notes;
    return m;
}

TokenizerCard TokenizerCard::fromMetadata(const std::map<std::string, std::string>& metadata,
                                          const std::string& originFile) {
    const std::string origin = originFile + ": tokenizer card";
    const auto format = metadata.find("format");
    if (format != metadata.end() && format->second == "cmstudio-model")
        fail(origin, "this is a CM Studio model (an image generator), not a tokenizer");
    if (format != metadata.end() && format->second == "cmstudio-code-generator")
        fail(origin, "this is a CM Studio code generator (stage 2), not a tokenizer");
    const std::string& formatText = require(metadata, "format", origin);
    if (formatText != kTokenizerFormat)
        fail(origin, "\"format\" is \"" + describeUntrusted(formatText) + "\", expected \"" + kTokenizerFormat +
                         "\" (not a CM Studio tokenizer)");
    if (require(metadata, "format_version", origin) != kFormatVersion)
        fail(origin, "\"format_version\" is \"" + describeUntrusted(metadata.at("format_version")) +
                         "\" but this engine reads version " + kFormatVersion);
    const std::string& family = require(metadata, "family", origin);
    if (family != kFamily)
        fail(origin, "unknown tokenizer family \"" + describeUntrusted(family) + "\" (this engine knows \"" +
                         kFamily + "\")");
    TokenizerCard card;
    card.config = tokenizerConfigFromJson(require(metadata, "tokenizer", origin), originFile);
    const long bits = parseLong(require(metadata, "code_bits", origin), "code_bits", origin);
    if (bits != card.config.codeBits())
        fail(origin, "\"code_bits\" is " + std::to_string(bits) + " but the tokenizer's sizes give " +
                         std::to_string(card.config.codeBits()));
    card.parameterisation = require(metadata, "parameterisation", origin);
    if (card.parameterisation != kRectifiedFlowVelocity && card.parameterisation != kDeterministicDecoder)
        fail(origin, "the decoder's parameterisation \"" + describeUntrusted(card.parameterisation) +
                         "\" is unknown (this engine implements \"" + kRectifiedFlowVelocity + "\" and \"" +
                         kDeterministicDecoder + "\")");
    const json s = parseUntrustedJson(require(metadata, "sampling", origin), origin + ": \"sampling\"");
    if (!s.is_object()) fail(origin, "\"sampling\" must be a JSON object");
    const std::string samplingOrigin = origin + ": \"sampling\"";
    card.sampling.steps = boundedInt(s, "steps", 1, 10000, samplingOrigin);
    card.sampling.rho = boundedNumber(s, "rho", 0.1, 20, samplingOrigin);
    card.sampling.guidance.weight = boundedNumber(s, "guidance", 0, 20, samplingOrigin);
    const auto interval = s.find("guidance_interval");
    if (interval == s.end() || !interval->is_array() || interval->size() != 2 || !(*interval)[0].is_number() ||
        !(*interval)[1].is_number())
        fail(samplingOrigin, "\"guidance_interval\" must be an array of two numbers");
    card.sampling.guidance.low = (*interval)[0].get<double>();
    card.sampling.guidance.high = (*interval)[1].get<double>();
    try {
        card.sampling.guidance.validate();
    } catch (const Error& e) {
        fail(samplingOrigin, e.what());
    }
    card.stages = parseStringList(require(metadata, "stages", origin), "stages", origin);
    for (const auto& stage : card.stages)
        if (stage != "1a" && stage != "1b" && stage != "one-step" && stage != "autoencoder")
            fail(origin, "unknown stage \"" + describeUntrusted(stage) +
                             "\" (expected 1a, 1b, one-step or autoencoder)");
    card.trainingJson = optional(metadata, "training", "{}");
    if (card.trainingJson.empty()) card.trainingJson = "{}";
    if (!parseUntrustedJson(card.trainingJson, origin + ": \"training\"").is_object())
        fail(origin, "\"training\" must be a JSON object");
    card.dataset = optional(metadata, "dataset", "");
    card.classNames = parseStringList(optional(metadata, "classes", "[]"), "classes", origin);
    const auto steps = metadata.find("training_steps");
    card.trainingSteps = steps == metadata.end() ? 0 : parseLong(steps->second, "training_steps", origin);
    card.licence = optional(metadata, "licence", "");
    card.notes = optional(metadata, "notes", "");
    return card;
}

std::string TokenizerCard::describe() const {
    std::ostringstream out;
    out << "Tokenizer (FlowMo: images <-> bit codes; the decoder is a rectified flow)\n" << config.describe();
    out << "Decoder: " << parameterisation << ", time input " << formatShort(config.timeScale) << " t";
    if (config.flowSigmaData > 0) out << ", output preconditioned for sigma_data " << formatShort(config.flowSigmaData);
    out << "\n";
    out << "Sampling: " << sampling.steps << " Euler steps at t_i = (i/n)^" << formatShort(sampling.rho)
        << ", guidance " << formatShort(sampling.guidance.weight) << " for t in [" << formatShort(sampling.guidance.low)
        << ", " << formatShort(sampling.guidance.high) << "]\n";
    std::string stageText;
    for (const auto& stage : stages)
        stageText += (stageText.empty() ? "" : ", ") + stage;
    out << "Stages: " << (stageText.empty() ? "untrained" : stageText) << "\n";
    out << "Training steps: " << trainingSteps << "\n";
    out << "Data set: " << (dataset.empty() ? "unknown" : describeUntrusted(dataset, 2000)) << "\n";
    if (!trainingJson.empty() && trainingJson != "{}") out << "Training: " << describeUntrusted(trainingJson, 2000) << "\n";
    if (!licence.empty()) out << "Licence: " << describeUntrusted(licence, 2000) << "\n";
    if (!notes.empty()) out << "Notes: " << describeUntrusted(notes, 2000) << "\n";
    return out.str();
}

} // namespace cm
