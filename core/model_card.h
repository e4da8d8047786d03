// What a model file says about itself (the safetensors "__metadata__"). A plain value.
#pragma once

#include "network_config.h"
#include "schedule.h"

#include <map>
#include <string>
#include <vector>

namespace cm {

enum class ModelKind { EdmDenoiser, Consistency };
const char* modelKindName(ModelKind kind); // "edm-denoiser" / "consistency"

struct ModelCard {
    ModelKind kind = ModelKind::Consistency;
    NetworkConfig network;
    NoiseConstants noise;
    std::string cNoise = kCNoiseConvention;
    std::string recipe;              // e.g. "ict", "cd", "edm"; with hyper-parameters in `training`
    std::string trainingJson = "{}"; // the hyper-parameters as a JSON object
    std::string dataset;
    long trainingSteps = 0;
    std::vector<std::string> classNames;
    std::string notes; // free text: licence, source, measured quality

    std::map<std::string, std::string> toMetadata() const;
    // Throws cm::Error(Format) naming `origin` and the missing or malformed field.
    static ModelCard fromMetadata(const std::map<std::string, std::string>& metadata,
                                  const std::string& origin);
    std::string describe() const; // human-readable, several lines
};

} // namespace cm
