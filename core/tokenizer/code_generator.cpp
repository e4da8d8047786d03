#include "code_generator.h"

#include "core/detail/runtime_init.h"
#include "core/detail/seeded_construction.h"
#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/metadata_fields.h"
#include "core/safetensors.h"
#include "core/untrusted_json.h"
#include "detail/code_generator_network.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace cm {

namespace {
constexpr const char* kFormatVersion = "1";
constexpr const char* kArchitecture = "made";
} // namespace

void CodeGeneratorConfig::validate() const {
    if (codeBits < 2 || codeBits > 4096) throw Error(ErrorKind::InvalidArgument, "code generator: code bits must be in 2..4096");
    if (classes < 1 || classes > 10000) throw Error(ErrorKind::InvalidArgument, "code generator: classes must be in 1..10000");
    if (width < codeBits - 1 || width > 8192)
        throw Error(ErrorKind::InvalidArgument, "code generator: the width must be in [code bits - 1, 8192] (every "
                                                "bit position needs a hidden unit)");
    if (depth < 1 || depth > 8) throw Error(ErrorKind::InvalidArgument, "code generator: depth must be in 1..8");
}

int64_t CodeGeneratorConfig::parameterCount() const {
    const int64_t b = codeBits, w = width;
    return (b * w + w) + int64_t(depth - 1) * (w * w + w) + (w * b + b) + int64_t(classes) * depth * w +
           int64_t(classes) * b;
}

std::map<std::string, std::string> CodeGeneratorCard::toMetadata() const {
    std::map<std::string, std::string> m;
    m["format"] = kCodeGeneratorFormat;
    m["format_version"] = kFormatVersion;
    m["architecture"] = kArchitecture;
    m["code_generator"] = nlohmann::json{{"code_bits", config.codeBits},
                                         {"classes", config.classes},
                                         {"width", config.width},
                                         {"depth", config.depth}}
                              .dump();
    m["classes"] = nlohmann::json(classNames).dump();
    m["tokenizer"] = tokenizer;
    m["dataset"] = dataset;
    m["training"] = trainingJson;
    m["training_steps"] = std::to_string(trainingSteps);
    m["notes"] = notes;
    return m;
}

CodeGeneratorCard CodeGeneratorCard::fromMetadata(const std::map<std::string, std::string>& metadata,
                                                  const std::string& originFile) {
    const std::string origin = originFile + ": code generator card";
    auto fail = [&](const std::string& what) { throw Error(ErrorKind::Format, origin + ": " + what); };
    const auto format = metadata.find("format");
    if (format != metadata.end() && format->second == "cmstudio-tokenizer")
        fail("this is a CM Studio tokenizer, not a code generator (give it as -m TOKENIZER)");
    if (format != metadata.end() && format->second == "cmstudio-model")
        fail("this is a CM Studio model (an image generator), not a code generator");
    if (metadata::require(metadata, "format", origin) != kCodeGeneratorFormat)
        fail("\"format\" is \"" + describeUntrusted(metadata.at("format")) + "\", expected \"" + kCodeGeneratorFormat + "\"");
    if (metadata::require(metadata, "format_version", origin) != kFormatVersion)
        fail("\"format_version\" is \"" + describeUntrusted(metadata.at("format_version")) + "\" but this engine reads " +
             kFormatVersion);
    if (metadata::require(metadata, "architecture", origin) != kArchitecture)
        fail("unknown architecture \"" + describeUntrusted(metadata.at("architecture")) + "\"");
    CodeGeneratorCard card;
    const auto j = parseUntrustedJson(metadata::require(metadata, "code_generator", origin), origin);
    auto integer = [&](const char* key, int lo, int hi) {
        const auto it = j.is_object() ? j.find(key) : j.end();
        if (it == j.end() || !it->is_number_integer() || it->get<long>() < lo || it->get<long>() > hi)
            fail(std::string("\"code_generator\": \"") + key + "\" must be an integer in [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "]");
        return int(it->get<long>());
    };
    card.config.codeBits = integer("code_bits", 2, 4096);
    card.config.classes = integer("classes", 1, 10000);
    card.config.width = integer("width", 1, 8192);
    card.config.depth = integer("depth", 1, 8);
    try {
        card.config.validate();
    } catch (const Error& e) {
        fail(e.what());
    }
    card.classNames = metadata::parseStringList(metadata::optional(metadata, "classes", "[]"), "classes", origin);
    if (!card.classNames.empty() && int(card.classNames.size()) != card.config.classes)
        fail("the class names do not match the class count");
    card.tokenizer = metadata::optional(metadata, "tokenizer", "");
    card.dataset = metadata::optional(metadata, "dataset", "");
    card.trainingJson = metadata::optional(metadata, "training", "{}");
    if (card.trainingJson.empty()) card.trainingJson = "{}";
    card.trainingSteps = metadata::parseLong(metadata::optional(metadata, "training_steps", "0"), "training_steps", origin);
    card.notes = metadata::optional(metadata, "notes", "");
    return card;
}

namespace detail {

CodeGeneratorNetwork::CodeGeneratorNetwork(const CodeGeneratorConfig& config) : m_config(config) {
    config.validate();
    const int b = config.codeBits, w = config.width;
    // MADE's degrees: input bit i has degree i + 1; hidden unit k degree (k mod (B - 1)) + 1; a hidden unit sees
    // units of degree <= its own, output i sees hidden units of degree < i + 1.
    auto inputDegree = torch::arange(1, b + 1, torch::kInt64);
    auto hiddenDegree = torch::remainder(torch::arange(0, w, torch::kInt64), b - 1) + 1;
    int in = b;
    for (int l = 0; l < config.depth; ++l) {
        m_layers.push_back(register_module("hidden" + std::to_string(l), torch::nn::Linear(in, w)));
        const auto& from = l == 0 ? inputDegree : hiddenDegree;
        m_masks.push_back((hiddenDegree.unsqueeze(1) >= from.unsqueeze(0)).to(torch::kFloat32));
        in = w;
    }
    m_layers.push_back(register_module("out", torch::nn::Linear(w, b)));
    m_masks.push_back((inputDegree.unsqueeze(1) > hiddenDegree.unsqueeze(0)).to(torch::kFloat32));
    m_classHidden = register_module("class_hidden", torch::nn::Embedding(config.classes, config.depth * w));
    m_classLogits = register_module("class_logits", torch::nn::Embedding(config.classes, b));
    torch::NoGradGuard noGrad;
    m_classHidden->weight.normal_(0, 0.02);
    m_classLogits->weight.zero_();
}

torch::Tensor CodeGeneratorNetwork::forward(const torch::Tensor& signs, const torch::Tensor& labels) {
    const auto classHidden = m_classHidden->forward(labels).chunk(m_config.depth, 1);
    auto h = signs;
    for (int l = 0; l < m_config.depth; ++l) {
        auto& layer = m_layers[std::size_t(l)];
        h = torch::relu(torch::nn::functional::linear(h, layer->weight * m_masks[std::size_t(l)], layer->bias) +
                        classHidden[std::size_t(l)]);
    }
    auto& out = m_layers.back();
    return torch::nn::functional::linear(h, out->weight * m_masks.back(), out->bias) + m_classLogits->forward(labels);
}

torch::Tensor codeSigns(const std::vector<TokenCode>& codes, int bits) {
    auto signs = torch::empty({int64_t(codes.size()), bits});
    auto a = signs.accessor<float, 2>();
    for (std::size_t j = 0; j < codes.size(); ++j) {
        if (codes[j].bitCount() != bits)
            throw Error(ErrorKind::InvalidArgument, "a code of " + std::to_string(codes[j].bitCount()) +
                                                        " bits given to a code generator of " + std::to_string(bits));
        for (int i = 0; i < bits; ++i)
            a[int64_t(j)][i] = codes[j].bits[std::size_t(i)] ? 1.0f : -1.0f;
    }
    return signs;
}

} // namespace detail

CodeGenerator CodeGenerator::load(const std::string& path) {
    detail::ensureRuntimeInitialised();
    const SafetensorsFile file = readSafetensors(path);
    CodeGenerator g;
    g.m_impl = std::make_shared<Impl>();
    g.m_impl->card = CodeGeneratorCard::fromMetadata(file.metadata, path);
    detail::requireWeightsForCard(file, g.m_impl->card.config.parameterCount(), "code generator", path);
    g.m_impl->network = std::make_shared<detail::CodeGeneratorNetwork>(g.m_impl->card.config);
    detail::loadStateDict(*g.m_impl->network, file, "", path);
    for (const auto& p : g.m_impl->network->parameters())
        if (!torch::isfinite(p).all().item<bool>())
            throw Error(ErrorKind::Numeric, path + ": the code generator's weights are not all finite");
    g.m_impl->network->eval();
    return g;
}

CodeGenerator CodeGenerator::create(const CodeGeneratorCard& card, uint64_t seed) {
    detail::ensureRuntimeInitialised();
    card.config.validate();
    CodeGenerator g;
    g.m_impl = std::make_shared<Impl>();
    g.m_impl->card = card;
    g.m_impl->network = detail::constructSeeded(seed, [&] { return std::make_shared<detail::CodeGeneratorNetwork>(card.config); });
    g.m_impl->network->eval();
    return g;
}

void CodeGenerator::save(const std::string& path) const {
    SafetensorsFile file;
    file.metadata = m_impl->card.toMetadata();
    detail::addStateDict(file, *m_impl->network, "", DType::F32);
    writeSafetensors(path, file);
}

const CodeGeneratorCard& CodeGenerator::card() const {
    return m_impl->card;
}
CodeGeneratorCard& CodeGenerator::card() {
    return m_impl->card;
}

std::vector<TokenCode> CodeGenerator::sample(int classIndex, int count, uint64_t seed, double temperature) const {
    const auto& config = m_impl->card.config;
    if (classIndex < 0 || classIndex >= config.classes)
        throw Error(ErrorKind::InvalidArgument, "class " + std::to_string(classIndex) + " is outside 0.." +
                                                    std::to_string(config.classes - 1));
    if (count < 1 || count > 100000) throw Error(ErrorKind::InvalidArgument, "the code count must be in 1..100000");
    if (!(temperature > 0.01 && temperature <= 10)) throw Error(ErrorKind::InvalidArgument, "the temperature must be in (0.01, 10]");
    c10::InferenceMode inference;
    std::vector<at::Generator> generators;
    for (int j = 0; j < count; ++j)
        generators.push_back(at::detail::createCPUGenerator(seed + uint64_t(j)));
    // Uniforms drawn up front per code, so code j depends on its own seed only (not on the batch).
    std::vector<torch::Tensor> uniforms;
    for (auto& generator : generators)
        uniforms.push_back(at::rand({config.codeBits}, generator, torch::kFloat32));
    const auto u = torch::stack(uniforms);
    auto signs = torch::zeros({count, config.codeBits});
    const auto labels = torch::full({count}, int64_t(classIndex), torch::kInt64);
    for (int i = 0; i < config.codeBits; ++i) {
        const auto logits = m_impl->network->forward(signs, labels).select(1, i);
        const auto one = u.select(1, i) < torch::sigmoid(logits / temperature);
        signs.select(1, i).copy_(one.to(torch::kFloat32) * 2 - 1);
    }
    std::vector<TokenCode> codes(static_cast<std::size_t>(count));
    const auto a = signs.accessor<float, 2>();
    for (int j = 0; j < count; ++j)
        for (int i = 0; i < config.codeBits; ++i)
            codes[std::size_t(j)].bits.push_back(a[j][i] > 0 ? 1 : 0);
    return codes;
}

double CodeGenerator::bitsPerCode(const std::vector<TokenCode>& codes, const std::vector<int64_t>& labels) const {
    const auto& config = m_impl->card.config;
    if (codes.empty() || labels.size() != codes.size())
        throw Error(ErrorKind::InvalidArgument, "bits per code needs one label per code");
    for (auto label : labels)
        if (label < 0 || label >= config.classes) throw Error(ErrorKind::InvalidArgument, "a label outside the generator's classes");
    c10::InferenceMode inference;
    const auto signs = detail::codeSigns(codes, config.codeBits);
    const auto logits = m_impl->network->forward(signs, torch::tensor(labels, torch::kInt64));
    const auto nats = torch::binary_cross_entropy_with_logits(logits, (signs + 1) / 2, {}, {}, at::Reduction::Sum);
    return nats.item<double>() / std::log(2.0) / double(codes.size());
}

} // namespace cm
