// The architecture of a network, as recorded in a model card. A plain value.
#pragma once

#include <string>
#include <vector>

namespace cm {

enum class NetworkType { UNet, Mlp };

struct NetworkConfig {
    NetworkType type = NetworkType::UNet;
    // UNet
    int imageSize = 28; // 28..256; divisible by 2^(levels-1)
    int channels = 1;   // 1 or 3
    int baseWidth = 32;
    std::vector<int> channelMult = {1, 2, 2}; // one entry per resolution level
    int resBlocks = 2;                        // residual blocks per level
    std::vector<int> attentionResolutions = {7};
    // MLP (points of dimension `dataDim`)
    int dataDim = 2;
    int hiddenWidth = 128;
    int hiddenLayers = 3;
    // Both
    double dropout = 0.0;
    int numClasses = 0; // 0 = unconditional; otherwise label numClasses is the null (unconditional) label

    // Throws cm::Error(InvalidArgument) naming the field and the allowed values.
    void validate() const;
    std::vector<long> itemShape() const; // {C, H, W} or {dataDim}
};

std::string networkConfigToJson(const NetworkConfig& config);
NetworkConfig networkConfigFromJson(const std::string& json, const std::string& origin);

} // namespace cm
