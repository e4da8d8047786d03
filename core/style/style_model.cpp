#include "style_model.h"

#include "core/detail/denoiser.h"
#include "core/detail/feature_network.h"
#include "core/detail/prompt_unet.h"
#include "core/detail/qformer.h"
#include "core/detail/sampling.h"
#include "core/error.h"
#include "core/style_world.h"

#include <cstring>

namespace cm {

namespace {

detail::PromptUNet& promptNetwork(const Model& model, bool needStyle, const char* what) {
    auto* network = dynamic_cast<detail::PromptUNet*>(model.impl().network.get());
    if (!network || (needStyle && !model.card().network.needsReference()))
        throw Error(ErrorKind::InvalidArgument, std::string(what) + " needs a style model (a prompt_unet with image "
                                                                    "queries), got a " +
                                                    networkTypeName(model.card().network.type) +
                                                    (network ? " without extractors" : ""));
    return *network;
}

} // namespace

std::vector<int> promptTokens(const std::string& prompt) {
    return {parseGarmentPrompt(prompt)};
}

int styleWordToken(int styleWord) {
    return int(garmentPrompts().size()) + styleWord;
}

std::vector<std::string> promptVocabulary() {
    std::vector<std::string> words = garmentPrompts();
    words.insert(words.end(), styleWords().begin(), styleWords().end());
    return words;
}

const char* extractorsName(StyleExtractorConfig::Extractors extractors) {
    return extractors == StyleExtractorConfig::Extractors::Dual ? "dual" : "single";
}

StyleExtractorConfig::Extractors extractorsFromName(const std::string& name) {
    if (name == "dual") return StyleExtractorConfig::Extractors::Dual;
    if (name == "single") return StyleExtractorConfig::Extractors::Single;
    throw Error(ErrorKind::InvalidArgument, "extractors must be \"dual\" (DEADiff's style and content Q-Formers) or "
                                            "\"single\" (one encoder in every layer), got \"" + name + "\"");
}

bool disentangledFromPlacementName(const std::string& name) {
    if (name == "disentangled") return true;
    if (name == "everywhere") return false;
    throw Error(ErrorKind::InvalidArgument, "placement must be \"disentangled\" (content tokens at the lowest "
                                            "resolution, style above) or \"everywhere\", got \"" + name + "\"");
}

NetworkConfig styleBaseConfig(const std::string& size) {
    NetworkConfig c;
    c.type = NetworkType::PromptUNet;
    c.imageSize = kStyledImageSize;
    c.channels = 3;
    c.promptVocabulary = int(promptVocabulary().size());
    c.promptLength = 4; // garment, colour, texture, background
    if (size == "tiny") {
        c.baseWidth = 16;
        c.channelMult = {1, 2};
        c.resBlocks = 1;
        c.attentionResolutions = {};
        c.crossAttentionResolutions = {32, 16};
        c.headChannels = 16;
        c.contextWidth = 32;
    } else if (size == "small") {
        c.baseWidth = 32;
        c.channelMult = {1, 2, 2};
        c.resBlocks = 2;
        c.attentionResolutions = {8};
        c.crossAttentionResolutions = {32, 16, 8};
        c.headChannels = 32;
        c.contextWidth = 64;
    } else {
        throw Error(ErrorKind::InvalidArgument, "style base size must be \"tiny\" or \"small\", got \"" + size + "\"");
    }
    c.validate();
    return c;
}

ModelCard styleBaseCard(const NetworkConfig& network) {
    ModelCard card;
    card.kind = ModelKind::EdmDenoiser;
    card.network = network;
    card.recipe = "edm";
    card.classNames = garmentPrompts();
    return card;
}

Model createStyleModel(const Model& base, const FeatureNet& features, const StyleExtractorConfig& config, uint64_t seed) {
    const NetworkConfig& baseNet = base.card().network;
    if (!baseNet.takesPrompt() || baseNet.needsReference())
        throw Error(ErrorKind::InvalidArgument, "a style model is built on a prompt base (network prompt_unet without "
                                                "image queries), got " +
                                                    std::string(networkTypeName(baseNet.type)) +
                                                    (baseNet.needsReference() ? " that is already a style model" : ""));
    const FeatureNetCard& fc = features.card();
    if (fc.itemShape != std::vector<int64_t>{baseNet.channels, baseNet.imageSize, baseNet.imageSize})
        throw Error(ErrorKind::InvalidArgument, "the feature network reads " + std::to_string(fc.itemShape.at(0)) +
                                                    "-channel " + std::to_string(fc.itemShape.at(1)) +
                                                    " px images; the base makes " + std::to_string(baseNet.channels) +
                                                    "-channel " + std::to_string(baseNet.imageSize) + " px ones");
    ModelCard card = base.card();
    card.network.imageQueries = config.queries;
    card.network.qformerWidth = config.width;
    card.network.qformerLayers = config.layers;
    card.network.referenceWidth = fc.width;
    card.network.imageExtractors = config.extractors == StyleExtractorConfig::Extractors::Dual ? 2 : 1;
    card.network.disentangledPlacement = config.disentangled;
    card.network.validate(); // a single encoder asked to be disentangled is refused here, naming the fields
    card.recipe = "deadiff";
    Model model = Model::create(card, seed);
    auto& network = promptNetwork(model, true, "createStyleModel");
    torch::NoGradGuard noGrad;
    auto destination = network.named_parameters();
    for (const auto& item : base.impl().network->named_parameters())
        destination[item.key()].copy_(item.value());
    const auto trunk = features.impl().network->named_parameters();
    for (const auto& item : network.referenceEncoder()->named_parameters()) {
        const auto* source = trunk.find("encoder." + item.key());
        if (!source) throw Error(ErrorKind::Format, "the feature network has no tensor encoder." + item.key());
        item.value().copy_(*source);
    }
    network.copyImageProjectionsFromPrompt();
    return model;
}

std::vector<ImageTokens> extractImageTokens(const Model& styleModel, const std::vector<cv::Mat>& references) {
    auto& network = promptNetwork(styleModel, true, "extractImageTokens");
    Conditioning conditioning;
    conditioning.referenceImages = references;
    const auto tensors = detail::conditioningTensors(styleModel.card(), conditioning, int(references.size()));
    torch::NoGradGuard noGrad;
    const auto [style, content] = network.imageTokens(tensors.references);
    std::vector<ImageTokens> result;
    for (int64_t j = 0; j < style.size(0); ++j) {
        ImageTokens tokens;
        tokens.queries = int(style.size(1));
        tokens.width = int(style.size(2));
        auto copy = [](const torch::Tensor& t) {
            const auto flat = t.to(torch::kFloat32).contiguous();
            return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
        };
        tokens.style = copy(style[j]);
        if (content.defined()) tokens.content = copy(content[j]);
        result.push_back(std::move(tokens));
    }
    return result;
}

std::vector<float> instructionToken(const Model& styleModel, StyleExtractor extractor) {
    const auto token = promptNetwork(styleModel, true, "instructionToken")
                           .extractor(extractor == StyleExtractor::Style)
                           .instruction()
                           .contiguous();
    return std::vector<float>(token.data_ptr<float>(), token.data_ptr<float>() + token.numel());
}

void setInstructionToken(Model& styleModel, StyleExtractor extractor, const std::vector<float>& token) {
    auto& instruction =
        promptNetwork(styleModel, true, "setInstructionToken").extractor(extractor == StyleExtractor::Style).instruction();
    if (int64_t(token.size()) != instruction.numel())
        throw Error(ErrorKind::Shape, "an instruction token has " + std::to_string(instruction.numel()) +
                                          " values, got " + std::to_string(token.size()));
    torch::NoGradGuard noGrad;
    instruction.copy_(torch::from_blob(const_cast<float*>(token.data()), instruction.sizes(), torch::kFloat32));
}

std::vector<CrossAttentionResponse> crossAttentionResponses(const Model& model, const cv::Mat& noisy, double sigma,
                                                            const Conditioning& a, const Conditioning& b) {
    auto& network = promptNetwork(model, false, "crossAttentionResponses");
    const NetworkConfig& net = model.card().network;
    if (noisy.rows != net.imageSize || noisy.cols != net.imageSize || noisy.channels() != net.channels ||
        noisy.depth() != CV_32F)
        throw Error(ErrorKind::Shape, "crossAttentionResponses needs one " + std::to_string(net.imageSize) + "x" +
                                          std::to_string(net.imageSize) + " float image of " +
                                          std::to_string(net.channels) + " channels");
    const auto x = detail::imageToTensor(noisy).unsqueeze(0);
    const auto sigmas = detail::sigmaVector(sigma, 1);
    const auto parameterisation = detail::Parameterisation::of(model.card());
    torch::NoGradGuard noGrad;
    detail::CrossAttentionProbe probe;
    network.setProbe(&probe);
    try {
        detail::precondition(network, parameterisation, x, sigmas, detail::conditioningTensors(model.card(), a, 1));
        const auto first = probe.outputs;
        probe.replay = true;
        detail::precondition(network, parameterisation, x, sigmas, detail::conditioningTensors(model.card(), b, 1));
        network.setProbe(nullptr);
        std::vector<CrossAttentionResponse> responses;
        for (std::size_t i = 0; i < first.size(); ++i) {
            CrossAttentionResponse r;
            r.layer = int(i);
            r.resolution = probe.resolutions[i];
            r.contentLayer = model.card().network.isContentLayer(r.resolution);
            r.change = (probe.outputs[i] - first[i]).abs().max().item<double>();
            responses.push_back(r);
        }
        return responses;
    } catch (...) {
        network.setProbe(nullptr);
        throw;
    }
}

} // namespace cm
