#include "model.h"

#include "detail/denoiser.h"
#include "detail/runtime_init.h"
#include "detail/sampling.h"
#include "detail/seeded_construction.h"
#include "detail/tensor_io.h"
#include "error.h"

namespace cm {

Model Model::load(const std::string& path) {
    detail::ensureRuntimeInitialised();
    const SafetensorsFile file = readSafetensors(path);
    Model model;
    model.m_impl = std::make_shared<Impl>();
    model.m_impl->card = ModelCard::fromMetadata(file.metadata, path);
    detail::requireWeightsForCard(file, model.m_impl->card.network.parameterCount(), "model", path);
    model.m_impl->network = detail::makeNetwork(model.m_impl->card.network);
    detail::loadStateDict(*model.m_impl->network, file, "", path);
    model.m_impl->network->eval();
    model.m_impl->path = path;
    return model;
}

Model Model::load(const std::string& path, const ImportOptions& options) {
    const ModelFormat format = detectModelFormat(path);
    if (format == ModelFormat::CmStudio || format == ModelFormat::Unknown) return load(path);
    return fromImported(importModel(path, options), path);
}

Model Model::fromImported(const ImportedModel& imported, const std::string& origin) {
    detail::ensureRuntimeInitialised();
    detail::requireWeightsForCard(imported.tensors, imported.card.network.parameterCount(), "model", origin);
    Model model;
    model.m_impl = std::make_shared<Impl>();
    model.m_impl->card = imported.card;
    model.m_impl->network = detail::makeNetwork(imported.card.network);
    detail::loadStateDict(*model.m_impl->network, imported.tensors, "", origin);
    model.m_impl->network->eval();
    model.m_impl->path = origin;
    return model;
}

Model Model::create(const ModelCard& card, uint64_t seed) {
    detail::ensureRuntimeInitialised();
    card.network.validate();
    Model model;
    model.m_impl = std::make_shared<Impl>();
    model.m_impl->card = card;
    model.m_impl->network = detail::constructSeeded(seed, [&] { return detail::makeNetwork(card.network); });
    model.m_impl->network->eval();
    return model;
}

void Model::save(const std::string& path, DType weightType) const {
    if (weightType != DType::F32 && weightType != DType::F16)
        throw Error(ErrorKind::InvalidArgument,
                    "model weights are stored as F32 or F16, not " + std::string(dtypeName(weightType)));
    SafetensorsFile file;
    file.metadata = m_impl->card.toMetadata();
    detail::addStateDict(file, *m_impl->network, "", weightType);
    writeSafetensors(path, file);
}

const ModelCard& Model::card() const {
    return m_impl->card;
}
ModelCard& Model::card() {
    return m_impl->card;
}

int64_t Model::parameterCount() const {
    int64_t count = 0;
    for (const auto& p : m_impl->network->parameters())
        count += p.numel();
    return count;
}

int Model::progressUnitsPerEvaluation() const {
    const int blocks = m_impl->network->blockCount();
    return blocks > 0 ? blocks + 1 : 1; // the blocks and then the output layers (detail::EvaluationTicker)
}

const std::string& Model::path() const {
    return m_impl->path;
}

} // namespace cm

namespace cm {

std::vector<cv::Mat> evaluateModel(const Model& model, const std::vector<cv::Mat>& images, double sigma,
                                   const Conditioning& conditioning) {
    const auto& card = model.card();
    if (!card.network.producesImages())
        throw Error(ErrorKind::InvalidArgument, "evaluateModel takes images; this model works on points");
    if (!(sigma >= card.noise.sigmaMin && sigma <= card.noise.sigmaMax))
        throw Error(ErrorKind::InvalidArgument, "sigma " + std::to_string(sigma) +
                                                    " is outside the model's range [" +
                                                    std::to_string(card.noise.sigmaMin) + ", " +
                                                    std::to_string(card.noise.sigmaMax) + "]");
    if (images.empty()) return {};
    std::vector<torch::Tensor> batch;
    for (const auto& image : images) {
        if (image.rows != card.network.imageSize || image.cols != card.network.imageSize ||
            image.channels() != card.network.channels)
            throw Error(ErrorKind::Shape,
                        "the image is " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                            " with " + std::to_string(image.channels()) + " channel(s); the model needs " +
                            std::to_string(card.network.imageSize) + "x" +
                            std::to_string(card.network.imageSize) + " with " +
                            std::to_string(card.network.channels));
        batch.push_back(detail::imageToTensor(image));
    }
    c10::InferenceMode inference; // sampling never needs autograd
    const auto x = torch::stack(batch);
    const auto tensors = detail::conditioningTensors(card, conditioning, int(images.size()));
    const auto out = detail::evaluate(model.impl(), x, detail::sigmaVector(sigma, x.size(0)), tensors);
    std::vector<cv::Mat> result;
    for (int64_t j = 0; j < out.size(0); ++j)
        result.push_back(detail::tensorToImage(out[j]));
    return result;
}

} // namespace cm
