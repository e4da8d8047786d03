#include "model_card.h"

#include "error.h"
#include "metadata_fields.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <sstream>

namespace cm {

namespace {

using nlohmann::json;
using namespace metadata;

constexpr const char* kFormat = "cmstudio-model";
constexpr const char* kFormatVersion = "1";

std::string cardContext(const std::string& origin) {
    return origin + ": model card";
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
                                  const std::string& originFile) {
    const std::string origin = cardContext(originFile);
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

    card.network = networkConfigFromJson(require(metadata, "network", origin), originFile);

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

    card.classNames = parseStringList(require(metadata, "classes", origin), "classes", origin);
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
