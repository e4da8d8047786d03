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

// The schedule a model's authors recommend: ts indices on a `steps`-point grid (the published
// consistency models' convention), explicit sigmas, or Heun on `heunPoints` Karras levels (denoisers).
struct RecommendedSchedule {
    std::vector<int> ts;
    int steps = 0;
    std::vector<double> sigmas;
    int heunPoints = 0;

    bool empty() const { return ts.empty() && sigmas.empty() && heunPoints == 0; }
    std::string toJson() const;
    static RecommendedSchedule fromJson(const std::string& json, const std::string& origin);
    std::string describe() const; // "ts 0,22,39 on 40 steps"
};

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
    std::string source;  // where the weights came from (e.g. the converted file's name)
    std::string licence;
    std::string preset;  // the published configuration it was recognised as, e.g. "cd_imagenet64_l2"
    RecommendedSchedule recommended;
    bool clampEachStep = false; // the published samplers clamp every step's estimate to [-1, 1]

    std::map<std::string, std::string> toMetadata() const;
    // Throws cm::Error(Format) naming `origin` and the missing or malformed field.
    static ModelCard fromMetadata(const std::map<std::string, std::string>& metadata,
                                  const std::string& origin);
    std::string describe() const; // human-readable, several lines
};

} // namespace cm
