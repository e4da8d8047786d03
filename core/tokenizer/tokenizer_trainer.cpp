#include "tokenizer_trainer.h"

#include "core/atomic_file.h"
#include "core/detail/denoiser.h"
#include "core/detail/enum_names.h"
#include "core/detail/feature_network.h"
#include "core/detail/optimizer.h"
#include "core/detail/runtime_init.h"
#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/metadata_fields.h"
#include "core/safetensors.h"
#include "core/untrusted_json.h"
#include "detail/lfq.h"
#include "detail/perceptual_distance.h"
#include "detail/tokenizer_impl.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cm {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kCheckpointFormat = "cmstudio-tokenizer-checkpoint";

std::string formatNumber(double value) {
    if (!std::isfinite(value)) return "";
    std::ostringstream out;
    out.precision(8);
    out << value;
    return out.str();
}

} // namespace

const char* tokenizerStageName(TokenizerStage stage) {
    switch (stage) {
    case TokenizerStage::ModeMatching:
        return "1a";
    case TokenizerStage::ModeSeeking:
        return "1b";
    case TokenizerStage::OneStep:
        return "one-step";
    }
    return "1a";
}

TokenizerStage tokenizerStageFromName(const std::string& name) {
    return detail::enumFromName(name,
                                std::array{TokenizerStage::ModeMatching, TokenizerStage::ModeSeeking, TokenizerStage::OneStep},
                                tokenizerStageName, "tokenizer stage");
}

const std::vector<std::string>& tokenizerLogColumns() {
    static const std::vector<std::string> columns = {"step",       "samples", "loss",   "flow",
                                                     "perceptual", "commitment", "entropy", "sample",
                                                     "consistency", "grad_norm", "lr",   "seconds"};
    return columns;
}

namespace {

// Loss terms summed over one logging window, in the log's column order after "loss".
struct TermSums {
    double loss = 0, flow = 0, perceptual = 0, commitment = 0, entropy = 0, sample = 0, consistency = 0, grad = 0;
    long steps = 0;
};

class TokenizerRun {
  public:
    TokenizerRun(const TokenizerTrainParams& params, const Dataset& data);
    TokenizerTrainSummary run(const std::function<void(const TokenizerTrainStatus&)>& observe, const CancelFlag* cancel);

  private:
    double step();
    torch::Tensor consistencyLoss(const torch::Tensor& x, const torch::Tensor& code);
    // Backward, the optimiser and the EMA; the window's sums (flow, perceptual, commitment, entropy, sample,
    // consistency).
    double finishStep(const torch::Tensor& loss, double lossValue, const std::array<double, 6>& terms);
    torch::Tensor perceptual(const torch::Tensor& estimate, const torch::Tensor& target);
    torch::Tensor sampleTimes(int64_t batch);
    void saveTokenizer();
    void saveCheckpoint();
    void loadCheckpoint();
    void prepareLog();
    std::string paramsJson() const;
    double elapsed() const {
        return m_secondsBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

    TokenizerTrainParams m_params;
    TokenizerCard m_card;
    Tokenizer m_tokenizer; // the online networks
    std::shared_ptr<detail::FeatureNetwork> m_perceptual;
    torch::Tensor m_data;
    std::vector<torch::Tensor> m_trained, m_ema;
    std::unique_ptr<detail::Optimizer> m_optimizer;
    at::Generator m_generator;
    long m_step = 0;
    double m_secondsBefore = 0;
    std::chrono::steady_clock::time_point m_start;
    TermSums m_window;
    std::ofstream m_log;
};

TokenizerRun::TokenizerRun(const TokenizerTrainParams& params, const Dataset& data) : m_params(params) {
    auto& p = m_params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output tokenizer path given");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    const std::pair<const char*, const std::string*> files[] = {{"the starting tokenizer", &p.initFrom},
                                                                {"the perceptual network", &p.perceptualNet},
                                                                {"the output tokenizer", &p.outputPath},
                                                                {"the checkpoint", &p.checkpointPath},
                                                                {"the training log", &p.logPath}};
    for (std::size_t i = 0; i < std::size(files); ++i)
        for (std::size_t j = i + 1; j < std::size(files); ++j)
            if (!files[i].second->empty() && sameFile(*files[i].second, *files[j].second))
                throw Error(ErrorKind::InvalidArgument, std::string(files[i].first) + " and " + files[j].first +
                                                            " are the same file (" + *files[j].second + ")");
    if (!p.resume && !p.overwrite && fs::exists(p.outputPath))
        throw Error(ErrorKind::InvalidArgument, "the tokenizer file " + p.outputPath +
                                                    " already exists; resume its run, allow overwriting it, or choose "
                                                    "another output path");
    if (p.totalSteps < 1) throw Error(ErrorKind::InvalidArgument, "total steps must be positive");
    if (p.batchSize < 2 || p.batchSize > 4096)
        throw Error(ErrorKind::InvalidArgument, "batch size must be in 2..4096 (the entropy term needs a batch)");
    if (!(p.learningRate > 0 && std::isfinite(p.learningRate)))
        throw Error(ErrorKind::InvalidArgument, "learning rate must be a positive number");
    if (!(p.emaRate >= 0 && p.emaRate < 1)) throw Error(ErrorKind::InvalidArgument, "the EMA rate must be in [0, 1)");
    if (!(p.codeDropout >= 0 && p.codeDropout < 1) || !(p.uniformTimeShare >= 0 && p.uniformTimeShare <= 1))
        throw Error(ErrorKind::InvalidArgument, "code dropout and the uniform-time share must be in [0, 1)");
    for (double w : {p.perceptualWeight, p.commitmentWeight, p.entropyWeight, p.sampleWeight})
        if (!(w >= 0 && w <= 100)) throw Error(ErrorKind::InvalidArgument, "loss weights must be in [0, 100]");
    if (p.chainSteps < 1 || p.chainSteps > 64) throw Error(ErrorKind::InvalidArgument, "chain steps must be in 1..64");
    if (p.logEvery < 1 || p.checkpointEvery < 1)
        throw Error(ErrorKind::InvalidArgument, "logging and checkpoint intervals must be positive");
    if (data.count() < 2) throw Error(ErrorKind::Data, "the training data set needs at least 2 images");
    detail::ensureRuntimeInitialised();
    if (p.threads > 0) torch::set_num_threads(p.threads);

    if (p.stage != TokenizerStage::ModeMatching) {
        if (p.initFrom.empty())
            throw Error(ErrorKind::InvalidArgument, std::string("stage ") + tokenizerStageName(p.stage) +
                                                        " starts from a stage-1a tokenizer (--init)");
        m_tokenizer = Tokenizer::load(p.initFrom);
        m_card = m_tokenizer.card();
        if (m_card.stages.empty() || m_card.stages.front() != "1a")
            throw Error(ErrorKind::InvalidArgument, p.initFrom + " has not been trained in stage 1a");
        if (m_card.hasOneStepDecoder())
            throw Error(ErrorKind::InvalidArgument, p.initFrom + " already has a one-step decoder; start from the "
                                                                 "tokenizer it was distilled from");
        if (p.stage == TokenizerStage::OneStep) {
            // The same networks plus the student, which starts as a copy of the decoder.
            TokenizerCard withStudent = m_card;
            withStudent.stages.push_back("one-step");
            Tokenizer student = Tokenizer::create(withStudent, p.seed);
            torch::NoGradGuard noGrad;
            const auto from = m_tokenizer.impl().networks->parameters();
            auto to = student.impl().networks->parameters();
            for (std::size_t i = 0; i < from.size(); ++i)
                to[i].copy_(from[i]);
            const auto decoder = student.impl().networks->decoder->parameters();
            auto oneStep = student.impl().networks->oneStep->parameters();
            for (std::size_t i = 0; i < decoder.size(); ++i)
                oneStep[i].copy_(decoder[i]);
            m_tokenizer = student;
        }
    } else {
        if (!p.initFrom.empty()) throw Error(ErrorKind::InvalidArgument, "stage 1a trains from scratch; --init is for 1b");
        p.config.validate();
        m_card.config = p.config;
        torch::manual_seed(p.seed);
        m_tokenizer = Tokenizer::create(m_card, p.seed);
    }
    const auto shape = m_card.config.itemShape();
    if (data.itemShape != shape)
        throw Error(ErrorKind::Shape, "the data set's items have shape " + detail::shapeString(data.itemShape) +
                                          " but the tokenizer takes " + detail::shapeString(shape));
    std::vector<int64_t> dataShape{data.count()};
    dataShape.insert(dataShape.end(), shape.begin(), shape.end());
    m_data = torch::from_blob(const_cast<float*>(data.values.data()), dataShape, torch::kFloat32).clone();
    if (!torch::isfinite(m_data).all().item<bool>())
        throw Error(ErrorKind::Numeric, "the training data contains NaN or infinite values");
    m_card.dataset = data.description;
    m_card.classNames = data.classNames;

    if (!p.perceptualNet.empty()) m_perceptual = detail::loadPerceptualNetwork(p.perceptualNet, shape);

    auto& networks = *m_tokenizer.impl().networks;
    networks.train();
    if (p.stage != TokenizerStage::ModeMatching)
        for (auto& parameter : networks.encoder->parameters())
            parameter.set_requires_grad(false); // FlowMo 1B: the encoder (and so every code) is fixed
    if (p.stage == TokenizerStage::OneStep)
        for (auto& parameter : networks.decoder->parameters())
            parameter.set_requires_grad(false); // the teacher
    for (auto& parameter : networks.parameters()) {
        m_ema.push_back(parameter.detach().clone());
        if (parameter.requires_grad()) m_trained.push_back(parameter);
    }
    m_optimizer = std::make_unique<detail::Optimizer>(m_trained, detail::Optimizer::Kind::Adam, p.beta1, p.beta2);
    m_generator = at::detail::createCPUGenerator(p.seed ^ 0x5DEECE66DULL);

    removeStaleTemporaries(p.checkpointPath);
    removeStaleTemporaries(p.outputPath);
    removeStaleTemporaries(p.logPath);
    const bool checkpointExists = fs::exists(p.checkpointPath);
    if (p.resume) {
        if (!checkpointExists) throw Error(ErrorKind::Io, "cannot resume: there is no checkpoint at " + p.checkpointPath);
        loadCheckpoint();
    } else if (!p.overwrite && (checkpointExists || fs::exists(p.logPath))) {
        throw Error(ErrorKind::InvalidArgument, "a training run already exists (" +
                                                    (checkpointExists ? p.checkpointPath : p.logPath) +
                                                    "); resume it, or allow overwriting it");
    }
}

// A learned perceptual distance: squared distance of unit-normalised features of the project's own feature
// network (no ImageNet weights exist here), per sample.
torch::Tensor TokenizerRun::perceptual(const torch::Tensor& estimate, const torch::Tensor& target) {
    return detail::perceptualDistance(m_perceptual.get(), estimate, target);
}

// FlowMo's thick-tailed logit-normal: sigmoid(N(0, 1)), replaced by U(0, 1) for a share of samples.
torch::Tensor TokenizerRun::sampleTimes(int64_t batch) {
    auto logitNormal = torch::sigmoid(at::randn({batch}, m_generator, torch::kFloat32));
    auto uniform = at::rand({batch}, m_generator, torch::kFloat32);
    auto pickUniform = at::rand({batch}, m_generator, torch::kFloat32) < m_params.uniformTimeShare;
    return torch::where(pickUniform, uniform, logitNormal);
}

double TokenizerRun::step() {
    const auto& p = m_params;
    auto& networks = *m_tokenizer.impl().networks;
    const int64_t batch = p.batchSize;
    auto index = at::randint(0, m_data.size(0), {batch}, m_generator, torch::TensorOptions().dtype(torch::kInt64));
    const auto x = m_data.index_select(0, index);
    const bool seeking = p.stage == TokenizerStage::ModeSeeking;

    torch::Tensor latents, code;
    if (p.stage == TokenizerStage::OneStep) {
        {
            torch::NoGradGuard noGrad;
            code = detail::lfqQuantize(networks.encoder->forward(x));
        }
        auto loss = consistencyLoss(x, code);
        const double lossValue = loss.item<double>();
        if (!std::isfinite(lossValue))
            throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                                std::to_string(m_step) + "; the last good checkpoint is " + p.checkpointPath);
        return finishStep(loss, lossValue, {0, 0, 0, 0, 0, lossValue});
    }
    if (seeking) {
        torch::NoGradGuard noGrad;
        latents = networks.encoder->forward(x);
        code = detail::lfqQuantize(latents);
    } else {
        latents = networks.encoder->forward(x);
        code = detail::lfqQuantize(latents);
    }
    auto keep = (at::rand({batch}, m_generator, torch::kFloat32) >= p.codeDropout).to(torch::kFloat32);
    auto t = sampleTimes(batch);
    auto z = at::randn(x.sizes(), m_generator, torch::kFloat32);
    auto tb = t.reshape({batch, 1, 1, 1});
    auto xt = tb * z + (1 - tb) * x;
    const auto& config = m_card.config;
    auto v = detail::flowVelocity(*networks.decoder, config, xt, t, detail::codeConditioning(code, keep));
    auto flow = (v - (z - x)).pow(2).mean();
    torch::Tensor loss = flow;
    torch::Tensor perceptualTerm = torch::zeros({}), commitment = torch::zeros({}), entropy = torch::zeros({}),
                  sample = torch::zeros({});
    if (!seeking) {
        // The one-step estimate of the data, x_hat = x_t - t v.
        perceptualTerm = perceptual(xt - tb * v, x).mean();
        commitment = detail::lfqCommitment(latents);
        entropy = detail::lfqEntropy(latents, m_card.config.entropyGroupBits);
        loss = loss + p.perceptualWeight * perceptualTerm + p.commitmentWeight * commitment + p.entropyWeight * entropy;
    } else {
        // An Euler chain from noise with random per-sample step sizes (cumulative sums of uniforms, normalised),
        // differentiated end to end; the code is always given (no dropout in the chain).
        auto steps = at::rand({batch, p.chainSteps}, m_generator, torch::kFloat32) + 1e-3;
        steps = steps / steps.sum(1, true);
        auto chain = at::randn(x.sizes(), m_generator, torch::kFloat32);
        auto time = torch::ones({batch});
        auto always = torch::ones({batch});
        for (int k = 0; k < p.chainSteps; ++k) {
            auto dt = steps.select(1, k);
            auto velocity = detail::flowVelocity(*networks.decoder, config, chain, time, detail::codeConditioning(code, always));
            chain = flowEulerStep(chain, velocity, -dt.reshape({batch, 1, 1, 1}));
            time = (time - dt).clamp_min(0);
        }
        sample = perceptual(chain, x).mean();
        loss = loss + p.sampleWeight * sample;
    }
    const double lossValue = loss.item<double>();
    if (!std::isfinite(lossValue))
        throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                            std::to_string(m_step) + "; the last good checkpoint is " + p.checkpointPath);
    return finishStep(loss, lossValue,
                      {flow.item<double>(), perceptualTerm.item<double>(), commitment.item<double>(),
                       entropy.item<double>(), sample.item<double>(), 0});
}

// On the card's sampler grid t_0 = 1 > ... > t_n = 0: x_t on the straight line, one Euler step of the frozen
// decoder's guided velocity to t_{i+1}, and the student's estimate there (stop-gradient; at t = 0 it is x
// itself) as the target of its estimate at t_i.
torch::Tensor TokenizerRun::consistencyLoss(const torch::Tensor& x, const torch::Tensor& code) {
    auto& networks = *m_tokenizer.impl().networks;
    const auto& config = m_card.config;
    const int64_t batch = x.size(0);
    const auto grid = shiftedFlowTimes(m_card.sampling.steps, m_card.sampling.rho);
    const auto times = torch::tensor(grid, torch::kFloat32);
    auto index = at::randint(0, int64_t(grid.size()) - 1, {batch}, m_generator, torch::TensorOptions().dtype(torch::kInt64));
    auto t = times.index_select(0, index), r = times.index_select(0, index + 1);
    auto z = at::randn(x.sizes(), m_generator, torch::kFloat32);
    auto xt = detail::perSample(t, x) * z + (1 - detail::perSample(t, x)) * x;
    torch::Tensor target;
    {
        torch::NoGradGuard noGrad;
        const auto& guidance = m_card.sampling.guidance;
        auto v = detail::flowVelocity(*networks.decoder, config, xt, t, detail::codeConditioning(code, torch::ones({batch})));
        if (guidance.weight != 1.0) {
            auto unconditional =
                detail::flowVelocity(*networks.decoder, config, xt, t, detail::codeConditioning(code, torch::zeros({batch})));
            auto active = detail::perSample(((t >= guidance.low) & (t <= guidance.high)).to(torch::kFloat32), x);
            v = v + active * (guidance.weight - 1) * (v - unconditional);
        }
        auto xr = flowEulerStep(xt, v, detail::perSample(r - t, x));
        target = detail::consistencyEstimate(*networks.oneStep, config, xr, r, code);
    }
    auto estimate = detail::consistencyEstimate(*networks.oneStep, config, xt, t, code);
    return (estimate - target).pow(2).mean();
}

double TokenizerRun::finishStep(const torch::Tensor& loss, double lossValue, const std::array<double, 6>& terms) {
    const auto& p = m_params;
    auto& networks = *m_tokenizer.impl().networks;
    for (auto& parameter : m_trained)
        parameter.mutable_grad() = torch::Tensor();
    loss.backward();
    double gradSquared = 0;
    for (auto& parameter : m_trained)
        if (parameter.grad().defined()) gradSquared += parameter.grad().pow(2).sum().item<double>();
    m_optimizer->step(p.learningRate);
    {
        torch::NoGradGuard noGrad;
        // Warm-up of the averaging rate, so a short run is not dominated by the initial weights.
        const double rate = std::min(p.emaRate, double(m_step + 1) / double(m_step + 10));
        const auto parameters = networks.parameters();
        for (std::size_t i = 0; i < m_ema.size(); ++i)
            if (parameters[i].requires_grad()) // a frozen weight stays bit-exact (rate x + (1 - rate) x need not be x)
                m_ema[i].mul_(rate).add_(parameters[i].detach(), 1 - rate);
    }
    m_window.loss += lossValue;
    m_window.flow += terms[0];
    m_window.perceptual += terms[1];
    m_window.commitment += terms[2];
    m_window.entropy += terms[3];
    m_window.sample += terms[4];
    m_window.consistency += terms[5];
    m_window.grad += std::sqrt(gradSquared);
    m_window.steps += 1;
    return lossValue;
}

std::string TokenizerRun::paramsJson() const {
    const auto& p = m_params;
    json j;
    j["stage"] = tokenizerStageName(p.stage);
    j["steps"] = p.totalSteps;
    j["batch_size"] = p.batchSize;
    j["learning_rate"] = p.learningRate;
    j["betas"] = {p.beta1, p.beta2};
    j["ema"] = p.emaRate;
    j["perceptual_net"] = fs::path(p.perceptualNet).filename().string();
    j["seed"] = p.seed;
    j["code_dropout"] = p.codeDropout;
    j["uniform_time_share"] = p.uniformTimeShare;
    if (p.stage == TokenizerStage::ModeMatching) {
        j["perceptual_weight"] = p.perceptualWeight;
        j["commitment_weight"] = p.commitmentWeight;
        j["entropy_weight"] = p.entropyWeight;
    } else if (p.stage == TokenizerStage::OneStep) {
        j["init_from"] = fs::path(p.initFrom).filename().string();
        j["teacher"] = "the flow decoder on its card's grid";
        j["teacher_steps"] = m_card.sampling.steps;
        j["teacher_rho"] = m_card.sampling.rho;
        j["teacher_guidance"] = m_card.sampling.guidance.weight;
    } else {
        j["init_from"] = fs::path(p.initFrom).filename().string();
        j["sample_weight"] = p.sampleWeight;
        j["chain_steps"] = p.chainSteps;
    }
    return j.dump();
}

void TokenizerRun::saveTokenizer() {
    TokenizerCard card = m_card;
    const std::string stage = tokenizerStageName(m_params.stage);
    if (card.stages.empty() || card.stages.back() != stage) card.stages.push_back(stage);
    // The card keeps each stage's settings: stage 1B's record is added to stage 1A's.
    json training = parseUntrustedJson(m_card.trainingJson, "training");
    if (!training.is_object()) training = json::object();
    training[stage] = json::parse(paramsJson());
    training[stage]["steps_done"] = m_step;
    card.trainingJson = training.dump();
    card.trainingSteps = m_card.trainingSteps + m_step;
    card.notes = "Weights: EMA " + formatNumber(m_params.emaRate) + " of the online networks. Perceptual network: " +
                 (m_params.perceptualNet.empty() ? std::string("none")
                                                 : "CM Studio's own feature network " +
                                                       fs::path(m_params.perceptualNet).filename().string() +
                                                       " (no ImageNet weights)") +
                 ". Trained by CM Studio.";
    Tokenizer saved = Tokenizer::create(card, 0);
    {
        torch::NoGradGuard noGrad;
        const auto destination = saved.impl().networks->parameters();
        for (std::size_t i = 0; i < destination.size(); ++i)
            destination[i].copy_(m_ema[i]);
    }
    saved.save(m_params.outputPath);
}

void TokenizerRun::saveCheckpoint() {
    SafetensorsFile file;
    auto addList = [&](const std::string& prefix, const std::vector<torch::Tensor>& list) {
        for (std::size_t i = 0; i < list.size(); ++i)
            file.tensors[prefix + std::to_string(i)] = detail::toRecord(list[i], DType::F32);
    };
    addList("online.", m_tokenizer.impl().networks->parameters());
    addList("ema.", m_ema);
    addList("adam_m.", m_optimizer->firstMoments());
    addList("adam_v.", m_optimizer->secondMoments());
    file.tensors["rng.sampling"] = detail::toRecord(m_generator.get_state(), DType::U8);
    file.metadata["format"] = kCheckpointFormat;
    file.metadata["stage"] = tokenizerStageName(m_params.stage);
    file.metadata["tokenizer"] = tokenizerConfigToJson(m_card.config);
    file.metadata["step"] = std::to_string(m_step);
    file.metadata["optimizer_step"] = std::to_string(m_optimizer->stepCount());
    file.metadata["seconds"] = formatNumber(elapsed());
    file.metadata["params"] = paramsJson();
    writeSafetensors(m_params.checkpointPath, file);
}

void TokenizerRun::loadCheckpoint() {
    const auto& path = m_params.checkpointPath;
    const SafetensorsFile file = readSafetensors(path);
    const std::string where = path + ": checkpoint metadata";
    const auto& meta = file.metadata;
    if (metadata::require(meta, "format", where) != kCheckpointFormat)
        throw Error(ErrorKind::Format, path + " is not a CM Studio tokenizer checkpoint");
    if (metadata::require(meta, "stage", where) != tokenizerStageName(m_params.stage))
        throw Error(ErrorKind::InvalidArgument, path + " was written by a stage '" +
                                                    describeUntrusted(meta.at("stage")) + "' run, not '" +
                                                    tokenizerStageName(m_params.stage) + "'");
    if (metadata::require(meta, "tokenizer", where) != tokenizerConfigToJson(m_card.config))
        throw Error(ErrorKind::InvalidArgument, path + ": the checkpoint's tokenizer sizes differ from the requested ones");
    const long step = metadata::parseLong(metadata::require(meta, "step", where), "step", where);
    const long optimizerStep =
        metadata::parseLong(metadata::require(meta, "optimizer_step", where), "optimizer_step", where);
    const double seconds = metadata::parseDouble(metadata::require(meta, "seconds", where), "seconds", where);
    auto loadList = [&](const std::string& prefix, const std::vector<torch::Tensor>& list) {
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto it = file.tensors.find(prefix + std::to_string(i));
            if (it == file.tensors.end())
                throw Error(ErrorKind::Format, path + ": checkpoint tensor '" + prefix + std::to_string(i) + "' is missing");
            const auto value = detail::fromRecord(it->second);
            if (value.sizes() != list[i].sizes())
                throw Error(ErrorKind::Shape, path + ": checkpoint tensor '" + prefix + std::to_string(i) + "' has shape " +
                                                  detail::shapeString(value.sizes()) + ", expected " +
                                                  detail::shapeString(list[i].sizes()));
            list[i].copy_(value);
        }
    };
    loadList("online.", m_tokenizer.impl().networks->parameters());
    loadList("ema.", m_ema);
    loadList("adam_m.", m_optimizer->firstMoments());
    loadList("adam_v.", m_optimizer->secondMoments());
    const auto rng = file.tensors.find("rng.sampling");
    if (rng == file.tensors.end() || rng->second.dtype != DType::U8)
        throw Error(ErrorKind::Format, path + ": checkpoint tensor 'rng.sampling' (U8 generator state) is missing");
    m_generator.set_state(detail::fromRecord(rng->second));
    m_step = step;
    m_optimizer->setStepCount(optimizerStep);
    m_secondsBefore = seconds;
}

void TokenizerRun::prepareLog() {
    const auto& p = m_params;
    const auto& columns = tokenizerLogColumns();
    std::string text;
    for (std::size_t i = 0; i < columns.size(); ++i)
        text += (i ? "," : "") + columns[i];
    text += "\n";
    if (p.resume && fs::exists(p.logPath)) {
        // Rows after the checkpoint belong to work that is being redone; a row cut short by a crash is dropped.
        std::ifstream in(p.logPath);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            long rowStep = 0;
            const auto comma = line.find(',');
            if (std::size_t(std::count(line.begin(), line.end(), ',')) + 1 != columns.size() || comma == std::string::npos)
                continue;
            const auto parsed = std::from_chars(line.data(), line.data() + comma, rowStep);
            if (parsed.ec == std::errc() && parsed.ptr == line.data() + comma && rowStep > 0 && rowStep <= m_step)
                text += line + "\n";
        }
    }
    writeFileAtomically(p.logPath, text);
    m_log.open(p.logPath, std::ios::app);
    if (!m_log) throw Error(ErrorKind::Io, "cannot append to the training log " + p.logPath);
}

TokenizerTrainSummary TokenizerRun::run(const std::function<void(const TokenizerTrainStatus&)>& observe,
                                        const CancelFlag* cancel) {
    const auto& p = m_params;
    prepareLog();
    m_start = std::chrono::steady_clock::now();
    TokenizerTrainSummary summary;
    TokenizerTrainStatus status;
    status.totalSteps = p.totalSteps;
    bool saved = false;
    while (m_step < p.totalSteps) {
        if (cancel && cancel->load()) {
            summary.cancelled = true;
            break;
        }
        status.loss = step();
        ++m_step;
        status.step = m_step;
        status.seconds = elapsed();
        if (m_step % p.logEvery == 0 || m_step == p.totalSteps) {
            const double n = double(std::max(1L, m_window.steps));
            const auto& w = m_window;
            std::ostringstream row;
            row << m_step << ',' << m_step * long(p.batchSize);
            for (double sum : {w.loss, w.flow, w.perceptual, w.commitment, w.entropy, w.sample, w.consistency, w.grad})
                row << ',' << formatNumber(sum / n);
            row << ',' << formatNumber(p.learningRate) << ',' << formatNumber(status.seconds) << '\n';
            m_log << row.str() << std::flush;
            if (!m_log) throw Error(ErrorKind::Io, "writing the training log " + p.logPath + " failed (disk full?)");
            summary.lastLoggedLoss = w.loss / n;
            m_window = TermSums{};
        }
        if (m_step % p.checkpointEvery == 0 || m_step == p.totalSteps) {
            saveCheckpoint();
            saveTokenizer();
            saved = true;
            if (p.afterSave) p.afterSave(m_step, p.outputPath);
        }
        if (observe) observe(status);
    }
    if (summary.cancelled) {
        saveCheckpoint();
        saveTokenizer();
    } else if (!saved) {
        saveTokenizer(); // a finished run resumed: the tokenizer it reports must exist
    }
    summary.steps = m_step;
    summary.seconds = elapsed();
    return summary;
}

} // namespace

TokenizerTrainSummary trainTokenizer(const TokenizerTrainParams& params, const Dataset& data,
                                     const std::function<void(const TokenizerTrainStatus&)>& observe,
                                     const CancelFlag* cancel) {
    TokenizerRun run(params, data);
    return run.run(observe, cancel);
}

} // namespace cm
