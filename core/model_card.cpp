#include "model_card.h"

#include "error.h"
#include "metadata_fields.h"
#include "tokenizer/tokenizer_card.h"
#include "untrusted_json.h"

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

// The noise constants must keep the scalings finite in float32 (sigma^2 + sigma_data^2, a Karras grid raised
// to the power rho); these ranges do, and hold every published model (0.002 .. 80, sigma_data 0.5, rho 7).
constexpr double kSigmaMinLimits[] = {1e-6, 10};
constexpr double kSigmaMaxLimit = 1e4;
constexpr double kSigmaDataLimits[] = {1e-3, 100};
constexpr double kRhoLimits[] = {0.1, 100};

void checkInRange(double value, const char* key, const double (&limits)[2], const std::string& origin) {
    if (!(value >= limits[0] && value <= limits[1]))
        fail(origin, std::string("\"") + key + "\" must be in [" + formatShort(limits[0]) + ", " +
                         formatShort(limits[1]) + "], found " + formatShort(value));
}

// Budgets for card text printed by describe(): enough for any real card, one screen at most.
constexpr std::size_t kShortText = 200, kLongText = 2000, kClassesShown = 100;

} // namespace

std::string RecommendedSchedule::toJson() const {
    json j = json::object();
    if (!ts.empty()) {
        j["ts"] = ts;
        j["steps"] = steps;
    }
    if (!sigmas.empty()) j["sigmas"] = sigmas;
    if (heunPoints > 0) j["heun_points"] = heunPoints;
    return j.dump();
}

RecommendedSchedule RecommendedSchedule::fromJson(const std::string& text, const std::string& origin) {
    const json j = parseUntrustedJson(text, origin + ": \"recommended_schedule\"");
    if (!j.is_object()) fail(origin, "\"recommended_schedule\" must be a JSON object");
    // Typed reads with ranges: a converted float like 3.9e70 must not reach an int.
    const auto integer = [&](const json& value, const char* what, long lo, long hi) {
        if (!value.is_number_integer() ||
            (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t(hi)) ||
            value.get<int64_t>() < lo || value.get<int64_t>() > hi)
            fail(origin, std::string("\"recommended_schedule\" ") + what + " must be an integer in " +
                             std::to_string(lo) + ".." + std::to_string(hi) + ", found " +
                             describeJsonValue(value));
        return int(value.get<int64_t>());
    };
    const auto list = [&](const char* key) -> const json& {
        const json& value = j.at(key);
        if (!value.is_array())
            fail(origin, std::string("\"recommended_schedule\" ") + key + " must be an array");
        return value;
    };
    constexpr long kMaxSteps = 100000; // the CLI's --steps bound: a Karras grid of that many points
    RecommendedSchedule schedule;
    if (j.contains("ts")) {
        if (!j.contains("steps")) fail(origin, "\"recommended_schedule\" gives ts without steps");
        schedule.steps = integer(j.at("steps"), "steps", 2, kMaxSteps);
        for (const json& t : list("ts"))
            schedule.ts.push_back(integer(t, "ts entry", 0, schedule.steps - 1));
        try {
            sigmasFromTs(schedule.ts, schedule.steps, NoiseConstants{}); // validates the order
        } catch (const Error& e) {
            fail(origin, std::string("\"recommended_schedule\": ") + e.what());
        }
    }
    if (j.contains("sigmas"))
        for (const json& sigma : list("sigmas")) {
            if (!sigma.is_number() || !(sigma.get<double>() > 0))
                fail(origin, "\"recommended_schedule\" sigmas must be numbers > 0, found " +
                                 describeJsonValue(sigma));
            schedule.sigmas.push_back(sigma.get<double>());
        }
    if (j.contains("heun_points")) schedule.heunPoints = integer(j.at("heun_points"), "heun_points", 0, 1000);
    return schedule;
}

std::string RecommendedSchedule::describe() const {
    std::ostringstream out;
    if (!ts.empty()) out << "ts " << joinInts(ts, ",") << " on " << steps << " steps";
    if (!sigmas.empty()) {
        out << (out.tellp() > 0 ? "; " : "") << "sigmas ";
        for (std::size_t i = 0; i < sigmas.size(); ++i)
            out << (i ? "," : "") << formatShort(sigmas[i]);
    }
    if (heunPoints > 0)
        out << (out.tellp() > 0 ? "; " : "") << "Heun on " << heunPoints << " levels + 0 (" << heunEvaluations(heunPoints)
            << " evaluations)";
    return out.str();
}

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
    if (!source.empty()) m["source"] = source;
    if (!licence.empty()) m["licence"] = licence;
    if (!preset.empty()) m["preset"] = preset;
    if (!recommended.empty()) m["recommended_schedule"] = recommended.toJson();
    if (clampEachStep) m["clamp_each_step"] = "true";
    return m;
}

ModelCard ModelCard::fromMetadata(const std::map<std::string, std::string>& metadata,
                                  const std::string& originFile) {
    const std::string origin = cardContext(originFile);
    const std::string& format = require(metadata, "format", origin);
    if (format == kTokenizerFormat)
        fail(origin, "this is a tokenizer (images <-> codes), not an image generator; use 'cmstudio-cli tokenize'");
    if (format != kFormat)
        fail(origin, "\"format\" is \"" + describeUntrusted(format) + "\", expected \"" + kFormat +
                         "\" (not a CM Studio model)");
    const std::string& version = require(metadata, "format_version", origin);
    if (version != kFormatVersion)
        fail(origin, "\"format_version\" is \"" + describeUntrusted(version) +
                         "\" but this engine reads version " + kFormatVersion);

    ModelCard card;
    const std::string& kind = require(metadata, "kind", origin);
    if (kind == modelKindName(ModelKind::Consistency)) {
        card.kind = ModelKind::Consistency;
    } else if (kind == modelKindName(ModelKind::EdmDenoiser)) {
        card.kind = ModelKind::EdmDenoiser;
    } else {
        fail(origin, "unknown \"kind\" \"" + describeUntrusted(kind) +
                         "\" (expected \"consistency\" or \"edm-denoiser\")");
    }

    card.cNoise = require(metadata, "c_noise", origin);
    if (!isKnownCNoiseConvention(card.cNoise))
        fail(origin, "the model uses the c_noise convention \"" + describeUntrusted(card.cNoise) +
                         "\" but this engine implements \"" + kCNoiseConvention + "\" and \"" +
                         kAdmCNoiseConvention + "\"");

    card.network = networkConfigFromJson(require(metadata, "network", origin), originFile);

    card.noise.sigmaMin = parseDouble(require(metadata, "sigma_min", origin), "sigma_min", origin);
    card.noise.sigmaMax = parseDouble(require(metadata, "sigma_max", origin), "sigma_max", origin);
    card.noise.sigmaData = parseDouble(require(metadata, "sigma_data", origin), "sigma_data", origin);
    card.noise.rho = parseDouble(require(metadata, "rho", origin), "rho", origin);
    checkInRange(card.noise.sigmaMin, "sigma_min", kSigmaMinLimits, origin);
    if (!(card.noise.sigmaMax > card.noise.sigmaMin))
        fail(origin, "\"sigma_max\" (" + formatShort(card.noise.sigmaMax) +
                         ") must be greater than \"sigma_min\" (" + formatShort(card.noise.sigmaMin) + ")");
    checkInRange(card.noise.sigmaMax, "sigma_max", {card.noise.sigmaMin, kSigmaMaxLimit}, origin);
    checkInRange(card.noise.sigmaData, "sigma_data", kSigmaDataLimits, origin);
    checkInRange(card.noise.rho, "rho", kRhoLimits, origin);

    card.classNames = parseStringList(require(metadata, "classes", origin), "classes", origin);
    if (card.network.numClasses > 0 && int(card.classNames.size()) != card.network.numClasses)
        fail(origin,
             "\"classes\" lists " + std::to_string(card.classNames.size()) +
                 " names but the network has num_classes = " + std::to_string(card.network.numClasses));

    card.recipe = optional(metadata, "recipe", "");
    card.trainingJson = optional(metadata, "training", "{}");
    if (card.trainingJson.empty()) card.trainingJson = "{}";
    if (!parseUntrustedJson(card.trainingJson, origin + ": \"training\"").is_object())
        fail(origin, "\"training\" must be a JSON object");
    card.dataset = optional(metadata, "dataset", "");
    const auto steps = metadata.find("training_steps");
    card.trainingSteps = steps == metadata.end() ? 0 : parseLong(steps->second, "training_steps", origin);
    card.notes = optional(metadata, "notes", "");
    card.source = optional(metadata, "source", "");
    card.licence = optional(metadata, "licence", "");
    card.preset = optional(metadata, "preset", "");
    const std::string recommended = optional(metadata, "recommended_schedule", "");
    if (!recommended.empty()) card.recommended = RecommendedSchedule::fromJson(recommended, origin);
    const std::string clamp = optional(metadata, "clamp_each_step", "false");
    if (clamp != "true" && clamp != "false")
        fail(origin, "\"clamp_each_step\" must be \"true\" or \"false\"");
    card.clampEachStep = clamp == "true";
    return card;
}

std::string ModelCard::describe() const {
    std::ostringstream out;
    if (kind == ModelKind::Consistency)
        out << "Consistency model (samples in one or a few steps)\n";
    else
        out << "EDM denoiser (multi-step ODE/SDE sampling; a teacher for consistency distillation)\n";

    out << network.describe();
    if (network.dropout > 0) out << "Dropout: " << formatShort(network.dropout) << "\n";

    if (network.numClasses > 0) {
        out << "Classes: " << network.numClasses;
        if (!classNames.empty()) {
            out << " (";
            for (std::size_t i = 0; i < classNames.size() && i < kClassesShown; ++i)
                out << (i ? ", " : "") << describeUntrusted(classNames[i]);
            if (classNames.size() > kClassesShown)
                out << ", ... " << classNames.size() - kClassesShown << " more";
            out << ")";
        }
        out << "\n";
    } else {
        out << "Classes: unconditional\n";
    }
    // Text fields come from the file: escaped and bounded, so a card cannot drive the terminal.
    out << "Recipe: " << (recipe.empty() ? "unknown" : describeUntrusted(recipe, kShortText));
    if (!trainingJson.empty() && trainingJson != "{}")
        out << " " << describeUntrusted(trainingJson, kLongText);
    out << "\n";
    out << "Training steps: " << trainingSteps << "\n";
    out << "Data set: " << (dataset.empty() ? "unknown" : describeUntrusted(dataset, kLongText)) << "\n";
    out << "Noise levels: sigma " << formatShort(noise.sigmaMin) << " .. " << formatShort(noise.sigmaMax)
        << ", sigma_data " << formatShort(noise.sigmaData) << ", rho " << formatShort(noise.rho)
        << ", c_noise " << describeUntrusted(cNoise) << "\n";
    if (!preset.empty()) out << "Preset: " << describeUntrusted(preset, kShortText) << "\n";
    if (!recommended.empty()) out << "Recommended schedule: " << recommended.describe() << "\n";
    if (clampEachStep) out << "Sampling: every step's estimate clamped to [-1, 1]\n";
    if (!source.empty()) out << "Source: " << describeUntrusted(source, kLongText) << "\n";
    if (!licence.empty()) out << "Licence: " << describeUntrusted(licence, kLongText) << "\n";
    if (!notes.empty()) out << "Notes: " << describeUntrusted(notes, kLongText) << "\n";
    return out.str();
}

} // namespace cm
