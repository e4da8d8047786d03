#include "model_card.h"

#include "error.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <sstream>

namespace cm {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "cmstudio-model";
constexpr const char* kFormatVersion = "1";

// Same text as printf("%.17g"), which round-trips every double, but independent of the C locale:
// a Qt application runs under the user's locale, where "%g" may print a decimal comma.
std::string formatExact(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 17);
    return std::string(buffer, result.ptr);
}

// The shortest text that reads back as the same double, for human-readable summaries.
std::string formatShort(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

[[noreturn]] void fail(const std::string& origin, const std::string& message) {
    throw Error(ErrorKind::Format, origin + ": model card: " + message);
}

const std::string& require(const std::map<std::string, std::string>& metadata, const char* key,
                           const std::string& origin) {
    const auto it = metadata.find(key);
    if (it == metadata.end()) fail(origin, std::string("missing key \"") + key + "\"");
    return it->second;
}

std::string optional(const std::map<std::string, std::string>& metadata, const char* key,
                     const std::string& fallback) {
    const auto it = metadata.find(key);
    return it == metadata.end() ? fallback : it->second;
}

// The whole text must be a finite number: "80x" or " 80" are malformed, not 80.
double parseDouble(const std::string& text, const char* key, const std::string& origin) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc() || result.ptr != end || !std::isfinite(value))
        fail(origin, std::string("\"") + key + "\" must be a finite number, found \"" + text + "\"");
    return value;
}

long parseLong(const std::string& text, const char* key, const std::string& origin) {
    long value = 0;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc() || result.ptr != end || value < 0)
        fail(origin, std::string("\"") + key + "\" must be a non-negative integer, found \"" + text + "\"");
    return value;
}

std::string joinInts(const std::vector<int>& values, const char* separator) {
    std::string text;
    for (int v : values)
        text += (text.empty() ? "" : separator) + std::to_string(v);
    return text;
}

} // namespace

const char* modelKindName(ModelKind kind) {
    switch (kind) {
    case ModelKind::EdmDenoiser:
        return "edm-denoiser";
    case ModelKind::Consistency:
        return "consistency";
    }
    return "?";
}

std::map<std::string, std::string> ModelCard::toMetadata() const {
    std::map<std::string, std::string> m;
    m["format"] = kFormat;
    m["format_version"] = kFormatVersion;
    m["kind"] = modelKindName(kind);
    m["network"] = networkConfigToJson(network);
    m["sigma_min"] = formatExact(noise.sigmaMin);
    m["sigma_max"] = formatExact(noise.sigmaMax);
    m["sigma_data"] = formatExact(noise.sigmaData);
    m["rho"] = formatExact(noise.rho);
    m["c_noise"] = cNoise;
    m["recipe"] = recipe;
    m["training"] = trainingJson.empty() ? "{}" : trainingJson;
    m["dataset"] = dataset;
    m["training_steps"] = std::to_string(trainingSteps);
    m["classes"] = json(classNames).dump();
    m["notes"] = notes;
    return m;
}

ModelCard ModelCard::fromMetadata(const std::map<std::string, std::string>& metadata,
                                  const std::string& origin) {
    const std::string& format = require(metadata, "format", origin);
    if (format != kFormat)
        fail(origin,
             "\"format\" is \"" + format + "\", expected \"" + kFormat + "\" (not a CM Studio model)");
    const std::string& version = require(metadata, "format_version", origin);
    if (version != kFormatVersion)
        fail(origin,
             "\"format_version\" is \"" + version + "\" but this engine reads version " + kFormatVersion);

    ModelCard card;
    const std::string& kind = require(metadata, "kind", origin);
    if (kind == modelKindName(ModelKind::Consistency)) {
        card.kind = ModelKind::Consistency;
    } else if (kind == modelKindName(ModelKind::EdmDenoiser)) {
        card.kind = ModelKind::EdmDenoiser;
    } else {
        fail(origin, "unknown \"kind\" \"" + kind + "\" (expected \"consistency\" or \"edm-denoiser\")");
    }

    card.cNoise = require(metadata, "c_noise", origin);
    if (card.cNoise != kCNoiseConvention)
        fail(origin, "the model uses the c_noise convention \"" + card.cNoise +
                         "\" but this engine implements \"" + kCNoiseConvention + "\"");

    card.network = networkConfigFromJson(require(metadata, "network", origin), origin);

    card.noise.sigmaMin = parseDouble(require(metadata, "sigma_min", origin), "sigma_min", origin);
    card.noise.sigmaMax = parseDouble(require(metadata, "sigma_max", origin), "sigma_max", origin);
    card.noise.sigmaData = parseDouble(require(metadata, "sigma_data", origin), "sigma_data", origin);
    card.noise.rho = parseDouble(require(metadata, "rho", origin), "rho", origin);
    if (!(card.noise.sigmaMin > 0))
        fail(origin, "\"sigma_min\" must be > 0, found " + formatShort(card.noise.sigmaMin));
    if (!(card.noise.sigmaMax > card.noise.sigmaMin))
        fail(origin, "\"sigma_max\" (" + formatShort(card.noise.sigmaMax) +
                         ") must be greater than \"sigma_min\" (" + formatShort(card.noise.sigmaMin) + ")");
    if (!(card.noise.sigmaData > 0))
        fail(origin, "\"sigma_data\" must be > 0, found " + formatShort(card.noise.sigmaData));
    if (!(card.noise.rho > 0)) fail(origin, "\"rho\" must be > 0, found " + formatShort(card.noise.rho));

    json classes;
    try {
        classes = json::parse(require(metadata, "classes", origin));
    } catch (const json::parse_error& e) {
        fail(origin, std::string("\"classes\" is not valid JSON: ") + e.what());
    }
    if (!classes.is_array()) fail(origin, "\"classes\" must be a JSON array of strings");
    for (const json& name : classes) {
        if (!name.is_string()) fail(origin, "\"classes\" must contain only strings, found " + name.dump());
        card.classNames.push_back(name.get<std::string>());
    }
    if (card.network.numClasses > 0 && int(card.classNames.size()) != card.network.numClasses)
        fail(origin,
             "\"classes\" lists " + std::to_string(card.classNames.size()) +
                 " names but the network has num_classes = " + std::to_string(card.network.numClasses));

    card.recipe = optional(metadata, "recipe", "");
    card.trainingJson = optional(metadata, "training", "{}");
    if (card.trainingJson.empty()) card.trainingJson = "{}";
    if (!json::accept(card.trainingJson) || !json::parse(card.trainingJson).is_object())
        fail(origin, "\"training\" must be a JSON object");
    card.dataset = optional(metadata, "dataset", "");
    const auto steps = metadata.find("training_steps");
    card.trainingSteps = steps == metadata.end() ? 0 : parseLong(steps->second, "training_steps", origin);
    card.notes = optional(metadata, "notes", "");
    return card;
}

std::string ModelCard::describe() const {
    std::ostringstream out;
    if (kind == ModelKind::Consistency)
        out << "Consistency model (samples in one or a few steps)\n";
    else
        out << "EDM denoiser (multi-step ODE/SDE sampling; a teacher for consistency distillation)\n";

    if (network.type == NetworkType::Mlp) {
        out << "Architecture: MLP, " << network.hiddenLayers << " hidden layers of width "
            << network.hiddenWidth << "\n";
        out << "Data: points of dimension " << network.dataDim << "\n";
    } else {
        out << "Architecture: U-Net, base width " << network.baseWidth << ", channel multipliers "
            << joinInts(network.channelMult, "/") << ", " << network.resBlocks
            << " residual blocks per level";
        if (!network.attentionResolutions.empty())
            out << ", attention at " << joinInts(network.attentionResolutions, ", ");
        out << "\n";
        out << "Images: " << network.imageSize << "x" << network.imageSize << ", "
            << (network.channels == 1 ? "greyscale" : "RGB") << "\n";
    }
    if (network.dropout > 0) out << "Dropout: " << formatShort(network.dropout) << "\n";

    if (network.numClasses > 0) {
        out << "Classes: " << network.numClasses;
        if (!classNames.empty()) {
            out << " (";
            for (std::size_t i = 0; i < classNames.size(); ++i)
                out << (i ? ", " : "") << classNames[i];
            out << ")";
        }
        out << "\n";
    } else {
        out << "Classes: unconditional\n";
    }
    out << "Recipe: " << (recipe.empty() ? "unknown" : recipe);
    if (!trainingJson.empty() && trainingJson != "{}") out << " " << trainingJson;
    out << "\n";
    out << "Training steps: " << trainingSteps << "\n";
    out << "Data set: " << (dataset.empty() ? "unknown" : dataset) << "\n";
    out << "Noise levels: sigma " << formatShort(noise.sigmaMin) << " .. " << formatShort(noise.sigmaMax)
        << ", sigma_data " << formatShort(noise.sigmaData) << ", rho " << formatShort(noise.rho)
        << ", c_noise " << cNoise << "\n";
    if (!notes.empty()) out << "Notes: " << notes << "\n";
    return out.str();
}

} // namespace cm
