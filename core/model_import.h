// Opening models saved by other tools: OpenAI's consistency_models checkpoints (a PyTorch `.pt`
// state_dict) and diffusers folders (UNet2DModel + CMStochasticIterativeScheduler). Torch-free: the
// result is a model card plus tensors named as the engine's network names them. Reentrant.
#pragma once

#include "model_card.h"
#include "safetensors.h"

#include <optional>
#include <string>
#include <vector>

namespace cm {

enum class ModelFormat {
    CmStudio,        // a safetensors file with a CM Studio model card
    TorchStateDict,  // a `.pt` / `.bin` zip archive holding a pickled state_dict
    DiffusersFolder, // a folder with unet/config.json (or that folder's unet/ itself)
    Unknown,
};
const char* modelFormatName(ModelFormat format);
// Looks at the path (folder or magic bytes) without reading the whole file.
ModelFormat detectModelFormat(const std::string& path);

// What a user can say that the file cannot. Zero / empty = take it from the preset or the config.
struct ImportOptions {
    int imageSize = 0;
    int headChannels = 0;
    std::optional<ModelKind> kind;
    RecommendedSchedule schedule;
};

// A published configuration recognised from a file or folder name (e.g. "cd_imagenet64_l2").
struct PublishedPreset {
    std::string name;
    ModelKind kind = ModelKind::Consistency;
    int imageSize = 0;
    int headChannels = 64;
    std::string dataset;
    RecommendedSchedule schedule;
};
// The preset whose name the file name contains, if any.
std::optional<PublishedPreset> findPublishedPreset(const std::string& path);

struct ImportedModel {
    ModelFormat format = ModelFormat::Unknown;
    ModelCard card;
    SafetensorsFile tensors;           // the network's own names (cm/unet.py's); metadata = the card
    std::vector<std::string> inferred; // what the tensors or configs said, one line each
    std::vector<std::string> assumed;  // what came from a preset or a default rather than the file
};

// Reads a `.pt` file or a diffusers folder, infers the architecture from the tensors (and configs),
// fills what they cannot say from `options`, the preset or the published defaults, and checks that
// every tensor fits. Throws cm::Error (Io, Format, Shape, InvalidArgument) naming the file and listing
// what was expected and what was found.
ImportedModel importModel(const std::string& path, const ImportOptions& options = {});

// The architecture an original-layout (cm/unet.py) state_dict describes; `imageSize` and
// `headChannels` must be given (the tensors do not hold them). Exposed for tests.
NetworkConfig inferAdmConfig(const std::map<std::string, TensorRecord>& tensors, int imageSize, int headChannels,
                             const std::string& origin, std::vector<std::string>* notes = nullptr);

// diffusers UNet2DModel names -> cm/unet.py names for `config` (q, k, v joined into qkv). Exposed for tests.
std::map<std::string, TensorRecord> diffusersToAdmTensors(std::map<std::string, TensorRecord> tensors,
                                                         const NetworkConfig& config, const std::string& origin);

} // namespace cm
