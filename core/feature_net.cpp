#include "feature_net.h"

#include "detail/feature_network.h"
#include "detail/runtime_init.h"
#include "detail/sampling.h"
#include "detail/seeded_construction.h"
#include "detail/tensor_io.h"
#include "error.h"
#include "metadata_fields.h"
#include "safetensors.h"
#include "untrusted_json.h"

#include <nlohmann/json.hpp>

#include <sstream>

namespace cm {

namespace {

constexpr const char* kFormat = "cmstudio-feature-net";
constexpr const char* kFormatVersion = "1";
constexpr int kGroups = 8;

torch::nn::Conv2d conv3x3(int in, int out) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
}

} // namespace

const char* featureNetKindName(FeatureNetKind kind) {
    return kind == FeatureNetKind::Classifier ? "classifier" : "autoencoder";
}

std::map<std::string, std::string> FeatureNetCard::toMetadata() const {
    std::map<std::string, std::string> m;
    m["format"] = kFormat;
    m["format_version"] = kFormatVersion;
    m["kind"] = featureNetKindName(kind);
    m["item_shape"] = nlohmann::json(itemShape).dump();
    m["width"] = std::to_string(width);
    m["feature_dim"] = std::to_string(featureDim);
    m["classes"] = nlohmann::json(classNames).dump();
    m["dataset"] = dataset;
    m["training"] = trainingJson.empty() ? "{}" : trainingJson;
    m["held_out_score"] = metadata::formatExact(heldOutScore);
    m["notes"] = notes;
    return m;
}

FeatureNetCard FeatureNetCard::fromMetadata(const std::map<std::string, std::string>& fields,
                                            const std::string& origin) {
    using namespace metadata;
    const std::string where = origin + ": feature-network card";
    const std::string& format = require(fields, "format", where);
    if (format != kFormat)
        fail(where, "\"format\" is \"" + describeUntrusted(format) + "\", expected \"" + kFormat +
                        "\" (an evaluator network; generative models are \"cmstudio-model\")");
    if (require(fields, "format_version", where) != kFormatVersion)
        fail(where, "this engine reads \"format_version\" " + std::string(kFormatVersion));
    FeatureNetCard card;
    const std::string& kind = require(fields, "kind", where);
    if (kind == "classifier")
        card.kind = FeatureNetKind::Classifier;
    else if (kind == "autoencoder")
        card.kind = FeatureNetKind::Autoencoder;
    else
        fail(where, "unknown \"kind\" \"" + describeUntrusted(kind) +
                        "\" (expected \"classifier\" or \"autoencoder\")");
    const std::string shapeText = describeUntrusted(require(fields, "item_shape", where));
    const auto shape = parseUntrustedJson(require(fields, "item_shape", where), where + ": \"item_shape\"");
    if (!shape.is_array() || shape.size() != 3)
        fail(where, "\"item_shape\" must be [C, H, W], found " + shapeText);
    card.itemShape.clear();
    for (const auto& v : shape) {
        if (!v.is_number_integer()) fail(where, "\"item_shape\" must hold integers, found " + shapeText);
        card.itemShape.push_back(v.get<int64_t>());
    }
    const auto channels = card.itemShape[0], height = card.itemShape[1], widthPx = card.itemShape[2];
    if ((channels != 1 && channels != 3) || height != widthPx || height < 8 || height > 256 || height % 4)
        fail(where, "\"item_shape\" " + shapeText + " is not 1 or 3 channels of a square 8..256 px, " +
                        "divisible by 4");
    card.width = int(parseLong(require(fields, "width", where), "width", where));
    card.featureDim = int(parseLong(require(fields, "feature_dim", where), "feature_dim", where));
    if (card.width < kGroups || card.width % kGroups || card.width > 512)
        fail(where, "\"width\" must be a multiple of 8 in 8..512");
    if (card.featureDim < 2 || card.featureDim > 4096) fail(where, "\"feature_dim\" must be in 2..4096");
    card.classNames = parseStringList(require(fields, "classes", where), "classes", where);
    if (card.kind == FeatureNetKind::Classifier && card.classNames.size() < 2)
        fail(where, "a classifier needs at least 2 class names");
    card.dataset = optional(fields, "dataset", "");
    card.trainingJson = optional(fields, "training", "{}");
    card.heldOutScore = parseDouble(optional(fields, "held_out_score", "0"), "held_out_score", where);
    card.notes = optional(fields, "notes", "");
    return card;
}

std::string FeatureNetCard::describe() const {
    std::ostringstream out;
    out << (kind == FeatureNetKind::Classifier ? "Evaluator classifier" : "Evaluator autoencoder") << " for "
        << itemShape[2] << "x" << itemShape[1] << (itemShape[0] == 1 ? " greyscale" : " RGB") << " images\n";
    out << "Features: " << featureDim
        << (kind == FeatureNetKind::Classifier ? " (penultimate layer)" : " (the bottleneck)") << ", CNN width "
        << width << "\n";
    if (kind == FeatureNetKind::Classifier) {
        out << "Classes: " << classNames.size() << "\n";
        out << "Held-out accuracy: " << metadata::formatShort(heldOutScore * 100.0) << "%\n";
    } else {
        out << "Held-out reconstruction MSE: " << metadata::formatShort(heldOutScore) << "\n";
    }
    // Text from the file: escaped and bounded, so a card cannot drive the terminal.
    out << "Data set: " << (dataset.empty() ? "unknown" : describeUntrusted(dataset, 2000)) << "\n";
    if (trainingJson != "{}") out << "Training: " << describeUntrusted(trainingJson, 2000) << "\n";
    if (!notes.empty()) out << "Notes: " << describeUntrusted(notes, 2000) << "\n";
    return out.str();
}

namespace detail {

// Convolution, GroupNorm, SiLU.
static void convBlock(torch::nn::Sequential& seq, int in, int out) {
    seq->push_back(conv3x3(in, out));
    seq->push_back(torch::nn::GroupNorm(kGroups, out));
    seq->push_back(torch::nn::SiLU());
}

torch::nn::Sequential featureEncoder(int channels, int width) {
    const int w = width;
    torch::nn::Sequential encoder;
    convBlock(encoder, channels, w);
    convBlock(encoder, w, w);
    encoder->push_back(torch::nn::AvgPool2d(2));
    convBlock(encoder, w, 2 * w);
    convBlock(encoder, 2 * w, 2 * w);
    encoder->push_back(torch::nn::AvgPool2d(2));
    convBlock(encoder, 2 * w, 4 * w);
    return encoder;
}

FeatureNetwork::FeatureNetwork(const FeatureNetCard& card) : m_card(card) {
    const int c = int(card.itemShape[0]), size = int(card.itemShape[1]), w = card.width;
    m_encoder = register_module("encoder", featureEncoder(c, w));
    const int flat = 4 * w * (size / 4) * (size / 4);
    m_toFeatures = register_module("to_features", torch::nn::Linear(flat, card.featureDim));
    if (card.kind == FeatureNetKind::Classifier) {
        m_dropout = register_module("dropout", torch::nn::Dropout(0.3));
        m_classifier =
            register_module("classifier", torch::nn::Linear(card.featureDim, int(card.classNames.size())));
    } else {
        m_fromFeatures = register_module("from_features", torch::nn::Linear(card.featureDim, flat));
        torch::nn::Sequential decoder;
        decoder->push_back(torch::nn::Unflatten(torch::nn::UnflattenOptions(1, {4 * w, size / 4, size / 4})));
        decoder->push_back(torch::nn::SiLU());
        decoder->push_back(
            torch::nn::Upsample(torch::nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2})));
        convBlock(decoder, 4 * w, 2 * w);
        decoder->push_back(
            torch::nn::Upsample(torch::nn::UpsampleOptions().scale_factor(std::vector<double>{2, 2})));
        convBlock(decoder, 2 * w, w);
        decoder->push_back(conv3x3(w, c));
        m_decoder = register_module("decoder", decoder);
    }
}

torch::Tensor FeatureNetwork::features(const torch::Tensor& images) {
    return m_toFeatures(m_encoder->forward(images).flatten(1));
}

torch::Tensor FeatureNetwork::logits(const torch::Tensor& features) {
    return m_classifier(m_dropout(torch::silu(features)));
}

void FeatureNetwork::setDropout(double rate) {
    if (m_dropout) m_dropout->options.p(rate);
}

torch::Tensor FeatureNetwork::decode(const torch::Tensor& features) {
    return m_decoder->forward(m_fromFeatures(features));
}

namespace {

std::string shapeText(const FeatureNetCard& card) {
    return std::to_string(card.itemShape[2]) + "x" + std::to_string(card.itemShape[1]) + " with " +
           std::to_string(card.itemShape[0]) + " channel(s)";
}

torch::Tensor quantise(const torch::Tensor& x) {
    return ((x.clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1;
}

} // namespace

torch::Tensor featureInput(const FeatureNetCard& card, const Dataset& data) {
    if (data.itemShape != card.itemShape) {
        std::string got;
        for (auto v : data.itemShape)
            got += (got.empty() ? "" : "x") + std::to_string(v);
        throw Error(ErrorKind::Shape, "the data set's items are " + got + " (CxHxW); the evaluator needs " +
                                          shapeText(card));
    }
    std::vector<int64_t> shape = {data.count()};
    shape.insert(shape.end(), card.itemShape.begin(), card.itemShape.end());
    auto tensor = torch::from_blob(const_cast<float*>(data.values.data()), shape, torch::kFloat32);
    return quantise(tensor);
}

torch::Tensor featureInput(const FeatureNetCard& card, const std::vector<cv::Mat>& images) {
    std::vector<torch::Tensor> items;
    items.reserve(images.size());
    for (const auto& image : images) {
        if (image.rows != card.itemShape[1] || image.cols != card.itemShape[2] ||
            image.channels() != card.itemShape[0])
            throw Error(ErrorKind::Shape, "an image is " + std::to_string(image.cols) + "x" +
                                              std::to_string(image.rows) + " with " +
                                              std::to_string(image.channels()) +
                                              " channel(s); the evaluator needs " + shapeText(card));
        items.push_back(imageToTensor(image));
    }
    if (items.empty())
        return torch::zeros({0, card.itemShape[0], card.itemShape[1], card.itemShape[2]});
    return quantise(torch::stack(items));
}

} // namespace detail

FeatureNet FeatureNet::create(const FeatureNetCard& card, uint64_t seed) {
    detail::ensureRuntimeInitialised();
    FeatureNet net;
    net.m_impl = std::make_shared<Impl>();
    net.m_impl->card = card;
    net.m_impl->network =
        detail::constructSeeded(seed, [&] { return std::make_shared<detail::FeatureNetwork>(card); });
    net.m_impl->network->eval();
    return net;
}

FeatureNet FeatureNet::load(const std::string& path) {
    detail::ensureRuntimeInitialised();
    const SafetensorsFile file = readSafetensors(path);
    FeatureNet net = create(FeatureNetCard::fromMetadata(file.metadata, path), 0);
    detail::loadStateDict(*net.m_impl->network, file, "", path);
    net.m_impl->network->eval();
    return net;
}

void FeatureNet::save(const std::string& path) const {
    SafetensorsFile file;
    file.metadata = m_impl->card.toMetadata();
    detail::addStateDict(file, *m_impl->network, "", DType::F32);
    writeSafetensors(path, file);
}

const FeatureNetCard& FeatureNet::card() const {
    return m_impl->card;
}
FeatureNetCard& FeatureNet::card() {
    return m_impl->card;
}

int64_t FeatureNet::parameterCount() const {
    int64_t count = 0;
    for (const auto& p : m_impl->network->parameters())
        count += p.numel();
    return count;
}

namespace {

FeatureOutput runOnTensor(const FeatureNet::Impl& impl, const torch::Tensor& input, const ProgressFn& progress,
                          const CancelFlag* cancel) {
    c10::InferenceMode inference;
    constexpr int64_t kBatch = 500;
    const int64_t count = input.size(0);
    FeatureOutput out;
    out.count = count;
    out.features.reserve(std::size_t(count) * impl.card.featureDim);
    const bool classifier = impl.card.kind == FeatureNetKind::Classifier;
    for (int64_t start = 0; start < count; start += kBatch) {
        if (cancel && cancel->load()) throw Error(ErrorKind::Cancelled, "feature extraction cancelled");
        const auto batch = input.slice(0, start, std::min(count, start + kBatch)).contiguous();
        const auto features = impl.network->features(batch).contiguous();
        out.features.insert(out.features.end(), features.data_ptr<float>(),
                            features.data_ptr<float>() + features.numel());
        if (classifier) {
            const auto predicted = impl.network->logits(features).argmax(1).contiguous();
            out.prediction.insert(out.prediction.end(), predicted.data_ptr<int64_t>(),
                                  predicted.data_ptr<int64_t>() + predicted.numel());
        }
        if (progress) progress(std::min(count, start + kBatch), count);
    }
    return out;
}

} // namespace

FeatureOutput FeatureNet::run(const Dataset& data, const ProgressFn& progress, const CancelFlag* cancel) const {
    return runOnTensor(*m_impl, detail::featureInput(m_impl->card, data), progress, cancel);
}

FeatureOutput FeatureNet::run(const std::vector<cv::Mat>& images, const ProgressFn& progress,
                              const CancelFlag* cancel) const {
    return runOnTensor(*m_impl, detail::featureInput(m_impl->card, images), progress, cancel);
}

double featureNetScore(const FeatureNet& net, const Dataset& data) {
    if (data.count() == 0) return 0;
    if (net.card().kind == FeatureNetKind::Classifier) {
        if (!data.hasLabels()) throw Error(ErrorKind::Data, "measuring a classifier needs labelled data");
        const auto out = net.run(data);
        long correct = 0;
        for (long i = 0; i < out.count; ++i)
            correct += out.prediction[i] == data.labels[i];
        return double(correct) / double(out.count);
    }
    c10::InferenceMode inference;
    const auto input = detail::featureInput(net.card(), data);
    double squared = 0;
    for (int64_t start = 0; start < input.size(0); start += 500) {
        const auto batch = input.slice(0, start, std::min(input.size(0), start + 500));
        auto& network = *net.impl().network;
        squared += (network.decode(network.features(batch)) - batch).pow(2).sum().item<double>();
    }
    return squared / double(input.numel());
}

} // namespace cm
