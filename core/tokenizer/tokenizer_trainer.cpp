#include "tokenizer_trainer.h"
#include "core/training/ema_rate.h"

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
#include "core/training/batch_draws.h"
#include "core/training/checkpoint.h"
#include "core/training/data_parallel_run.h"
#include "core/training/log_writer.h"
#include "core/training/parameter_lists.h"
#include "core/training/run_description.h"
#include "core/training/run_files.h"
#include "core/training/step_loop.h"
#include "core/untrusted_json.h"
#include "detail/lfq.h"
#include "detail/perceptual_distance.h"
#include "detail/tokenizer_impl.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

namespace cm {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

using training::BatchDraws;
using training::formatNumber;

// The layout of tokenizer checkpoints before the trainers shared core/training's.
constexpr const char* kEarlierCheckpointFormat = "cmstudio-tokenizer-checkpoint";

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
    void prepare(const Dataset& data);
    std::string settingsFingerprint(const Dataset& data) const;
    training::ReplicatedState replicatedState();
    TokenizerTrainSummary runSteps(const std::function<void(const TokenizerTrainStatus&)>& observe,
                                   const CancelFlag* cancel);
    double step();
    torch::Tensor consistencyLoss(const torch::Tensor& x, const torch::Tensor& code, BatchDraws& draws);
    // Backward (the gradients summed over the ranks), the optimiser and the EMA; `sums` are this rank's
    // share of the loss and its terms (loss, flow, perceptual, commitment, per-code entropy, sample,
    // consistency), `batchEntropy` the entropy of the whole batch's code distribution (the same on every
    // rank). Returns the global batch's loss.
    double finishStep(const torch::Tensor& loss, torch::Tensor sums, double batchEntropy);
    torch::Tensor perceptual(const torch::Tensor& estimate, const torch::Tensor& target);
    torch::Tensor sampleTimes(BatchDraws& draws);
    void saveTokenizer();
    training::TrainingState state();
    training::CheckpointInfo checkpointInfo() const;
    void saveCheckpoint();
    void loadCheckpoint();
    std::string paramsJson() const;
    double elapsed() const {
        return m_secondsBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

    TokenizerTrainParams m_params;
    TokenizerCard m_card;
    Tokenizer m_tokenizer; // the online networks
    std::shared_ptr<detail::FeatureNetwork> m_perceptual;
    torch::Tensor m_data;
    std::vector<torch::Tensor> m_online, m_trained; // every weight; the ones this stage trains
    std::vector<std::vector<torch::Tensor>> m_ema;  // one EMA copy of every weight
    std::string m_startingWeights;                  // a hash of the weights before any checkpoint was read
    std::unique_ptr<detail::Optimizer> m_optimizer;
    at::Generator m_generator;
    long m_step = 0;
    double m_secondsBefore = 0;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    TermSums m_window;
    std::optional<training::LogWriter> m_log;
    training::DataParallelRun m_parallel;
    bool m_cancelRequested = false; // this process's cancel flag, sent with the step's sums
    bool m_stopAgreed = false;      // some rank's cancel flag, seen by all at the same step
};

TokenizerRun::TokenizerRun(const TokenizerTrainParams& params, const Dataset& data)
    : m_params(params), m_parallel(params.distributed) {
    m_parallel.start([&] { prepare(data); }, [&] { return settingsFingerprint(data); },
                     [&] { return replicatedState(); }, [&] { return m_trained; }, m_params.seed);
}

void TokenizerRun::prepare(const Dataset& data) {
    auto& p = m_params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output tokenizer path given");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    if (m_parallel.writes())
        training::checkRunFiles({{"the starting tokenizer", p.initFrom},
                                 {"the perceptual network", p.perceptualNet},
                                 {"the output tokenizer", p.outputPath},
                                 {"the checkpoint", p.checkpointPath},
                                 {"the training log", p.logPath}},
                                "tokenizer", p.outputPath, p.resume, p.overwrite);
    if (p.totalSteps < 1) throw Error(ErrorKind::InvalidArgument, "total steps must be positive");
    if (p.batchSize < 2 || p.batchSize > 4096)
        throw Error(ErrorKind::InvalidArgument, "batch size must be in 2..4096 (the entropy term needs a batch)");
    if (p.batchSize < p.distributed.worldSize)
        throw Error(ErrorKind::InvalidArgument, "a batch of " + std::to_string(p.batchSize) + " cannot be shared by " +
                                                    std::to_string(p.distributed.worldSize) + " processes");
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
    m_online = networks.parameters();
    m_ema.push_back({});
    for (auto& parameter : m_online) {
        m_ema[0].push_back(parameter.detach().clone());
        if (parameter.requires_grad()) m_trained.push_back(parameter);
    }
    m_startingWeights = training::DataParallelRun::weightsFingerprint(m_online);
    m_optimizer = std::make_unique<detail::Optimizer>(m_trained, detail::Optimizer::Kind::Adam, p.beta1, p.beta2);
    m_generator = at::detail::createCPUGenerator(p.seed ^ 0x5DEECE66DULL);

    if (!m_parallel.writes()) return; // the other ranks take rank 0's state
    if (training::prepareRunFiles(p.checkpointPath, p.outputPath, p.logPath, p.resume, p.overwrite)) loadCheckpoint();
}

std::string TokenizerRun::settingsFingerprint(const Dataset& data) const {
    const auto& p = m_params;
    json j = json::parse(paramsJson());
    j["tokenizer"] = tokenizerConfigToJson(m_card.config);
    j["resume"] = p.resume;
    j["data"] = training::DataParallelRun::dataFingerprint(data);
    j["starting_weights"] = m_startingWeights; // stages 1b and one-step: the same starting tokenizer
    j["perceptual_weights"] =
        m_perceptual ? training::DataParallelRun::weightsFingerprint(m_perceptual->parameters()) : "none";
    return j.dump();
}

training::ReplicatedState TokenizerRun::replicatedState() {
    return training::ReplicatedState::of({m_online, m_ema[0]}, *m_optimizer, m_generator, m_step, m_secondsBefore);
}

// A learned perceptual distance: squared distance of unit-normalised features of the project's own feature
// network (no ImageNet weights exist here), per sample.
torch::Tensor TokenizerRun::perceptual(const torch::Tensor& estimate, const torch::Tensor& target) {
    return detail::perceptualDistance(m_perceptual.get(), estimate, target);
}

// FlowMo's thick-tailed logit-normal: sigmoid(N(0, 1)), replaced by U(0, 1) for a share of samples.
torch::Tensor TokenizerRun::sampleTimes(BatchDraws& draws) {
    auto logitNormal = torch::sigmoid(draws.normal(torch::kFloat32));
    auto uniform = draws.uniform(torch::kFloat32);
    auto pickUniform = draws.uniform(torch::kFloat32) < m_params.uniformTimeShare;
    return torch::where(pickUniform, uniform, logitNormal);
}

// Every draw covers the global batch (BatchDraws) and this rank trains on its slice; each loss term is this
// slice's mean weighted by its share of the batch, so that the gradients summed over the ranks are those of
// the global batch's mean. LFQ's batch entropy is a statistic of the whole batch: its average distribution
// is summed over the ranks.
double TokenizerRun::step() {
    const auto& p = m_params;
    auto& networks = *m_tokenizer.impl().networks;
    const auto shard = m_parallel.shard(p.batchSize);
    const double share = shard.share();
    BatchDraws draws(m_generator, shard.global, shard.begin, shard.count);
    const auto x = m_data.index_select(0, draws.integers(0, m_data.size(0)));
    const int64_t batch = x.size(0);
    const auto itemShape = x.sizes().slice(1);
    const bool seeking = p.stage == TokenizerStage::ModeSeeking;
    auto sums = torch::zeros({7}, torch::kFloat64); // loss, flow, perceptual, commitment, entropy, sample, consistency

    torch::Tensor latents, code;
    if (p.stage == TokenizerStage::OneStep) {
        {
            torch::NoGradGuard noGrad;
            code = detail::lfqQuantize(networks.encoder->forward(x));
        }
        auto loss = share * consistencyLoss(x, code, draws);
        sums[0] = sums[6] = loss.item<double>();
        return finishStep(loss, sums, 0);
    }
    if (seeking) {
        torch::NoGradGuard noGrad;
        latents = networks.encoder->forward(x);
        code = detail::lfqQuantize(latents);
    } else {
        latents = networks.encoder->forward(x);
        code = detail::lfqQuantize(latents);
    }
    auto keep = (draws.uniform(torch::kFloat32) >= p.codeDropout).to(torch::kFloat32);
    auto t = sampleTimes(draws);
    auto z = draws.normalItems(itemShape);
    auto tb = t.reshape({batch, 1, 1, 1});
    auto xt = tb * z + (1 - tb) * x;
    const auto& config = m_card.config;
    auto v = detail::flowVelocity(*networks.decoder, config, xt, t, detail::codeConditioning(code, keep));
    auto flow = (v - (z - x)).pow(2).mean();
    torch::Tensor shared = flow; // this slice's means, weighted by its share below
    double batchEntropy = 0;
    torch::Tensor batchTerm = torch::zeros({});
    sums[1] = share * flow.item<double>();
    if (!seeking) {
        // The one-step estimate of the data, x_hat = x_t - t v.
        auto perceptualTerm = perceptual(xt - tb * v, x).mean();
        auto commitment = detail::lfqCommitment(latents);
        const auto entropy = detail::lfqEntropyTerms(latents, m_card.config.entropyGroupBits, 0.1,
                                                     [&](const torch::Tensor& t) { return m_parallel.sumOverRanks(t); });
        shared = shared + p.perceptualWeight * perceptualTerm + p.commitmentWeight * commitment +
                 p.entropyWeight * entropy.perCode;
        // Every rank's loss holds the whole batch term: its gradient reaches this rank's latents only, and the
        // ranks' gradients are summed.
        batchTerm = -p.entropyWeight * entropy.batch;
        batchEntropy = entropy.batch.item<double>();
        sums[2] = share * perceptualTerm.item<double>();
        sums[3] = share * commitment.item<double>();
        sums[4] = share * entropy.perCode.item<double>();
    } else {
        // An Euler chain from noise with random per-sample step sizes (cumulative sums of uniforms, normalised),
        // differentiated end to end; the code is always given (no dropout in the chain).
        auto steps = draws.uniformItems({p.chainSteps}) + 1e-3;
        steps = steps / steps.sum(1, true);
        auto chain = draws.normalItems(itemShape);
        auto time = torch::ones({batch});
        auto always = torch::ones({batch});
        for (int k = 0; k < p.chainSteps; ++k) {
            auto dt = steps.select(1, k);
            auto velocity = detail::flowVelocity(*networks.decoder, config, chain, time, detail::codeConditioning(code, always));
            chain = flowEulerStep(chain, velocity, -dt.reshape({batch, 1, 1, 1}));
            time = (time - dt).clamp_min(0);
        }
        auto sample = perceptual(chain, x).mean();
        shared = shared + p.sampleWeight * sample;
        sums[5] = share * sample.item<double>();
    }
    auto loss = share * shared + batchTerm;
    sums[0] = share * shared.item<double>();
    return finishStep(loss, sums, batchEntropy);
}

// On the card's sampler grid t_0 = 1 > ... > t_n = 0: x_t on the straight line, one Euler step of the frozen
// decoder's guided velocity to t_{i+1}, and the student's estimate there (stop-gradient; at t = 0 it is x
// itself) as the target of its estimate at t_i.
torch::Tensor TokenizerRun::consistencyLoss(const torch::Tensor& x, const torch::Tensor& code, BatchDraws& draws) {
    auto& networks = *m_tokenizer.impl().networks;
    const auto& config = m_card.config;
    const int64_t batch = x.size(0);
    const auto grid = shiftedFlowTimes(m_card.sampling.steps, m_card.sampling.rho);
    const auto times = torch::tensor(grid, torch::kFloat32);
    auto index = draws.integers(0, int64_t(grid.size()) - 1);
    auto t = times.index_select(0, index), r = times.index_select(0, index + 1);
    auto z = draws.normalItems(x.sizes().slice(1));
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

double TokenizerRun::finishStep(const torch::Tensor& loss, torch::Tensor sums, double batchEntropy) {
    const auto& p = m_params;
    // The global batch's sums (and, in a group, whether any rank asked to stop: all stop after this step).
    m_stopAgreed = m_parallel.sumStepValues(sums, m_cancelRequested);
    const double lossValue = sums[0].item<double>() - p.entropyWeight * batchEntropy;
    if (!std::isfinite(lossValue))
        throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                            std::to_string(m_step) + "; the last good checkpoint is " + p.checkpointPath);
    for (auto& parameter : m_trained)
        parameter.mutable_grad() = torch::Tensor();
    m_parallel.beginBackward();
    loss.backward();
    m_parallel.finishBackward();
    double gradSquared = 0;
    for (auto& parameter : m_trained)
        if (parameter.grad().defined()) gradSquared += parameter.grad().pow(2).sum().item<double>();
    m_optimizer->step(p.learningRate);
    {
        torch::NoGradGuard noGrad;
        // Warm-up of the averaging rate, so a short run is not dominated by the initial weights.
        const double rate = training::warmedUpEmaRate(p.emaRate, m_step);
        for (std::size_t i = 0; i < m_ema[0].size(); ++i)
            if (m_online[i].requires_grad()) // a frozen weight stays bit-exact (rate x + (1 - rate) x need not be x)
                m_ema[0][i].mul_(rate).add_(m_online[i].detach(), 1 - rate);
    }
    m_window.loss += lossValue;
    m_window.flow += sums[1].item<double>();
    m_window.perceptual += sums[2].item<double>();
    m_window.commitment += sums[3].item<double>();
    m_window.entropy += sums[4].item<double>() - batchEntropy;
    m_window.sample += sums[5].item<double>();
    m_window.consistency += sums[6].item<double>();
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
    training::copyInto(saved.impl().networks->parameters(), m_ema[0]);
    saved.save(m_params.outputPath);
}

training::TrainingState TokenizerRun::state() {
    return {m_online, nullptr, m_ema, *m_optimizer, m_generator, at::detail::getDefaultCPUGenerator()};
}

training::CheckpointInfo TokenizerRun::checkpointInfo() const {
    return {std::string("tokenizer-") + tokenizerStageName(m_params.stage), tokenizerConfigToJson(m_card.config),
            paramsJson(), m_step, elapsed()};
}

void TokenizerRun::saveCheckpoint() {
    training::saveCheckpoint(m_params.checkpointPath, state(), checkpointInfo());
}

void TokenizerRun::loadCheckpoint() {
    const auto& path = m_params.checkpointPath;
    const auto format = readSafetensors(path).metadata;
    if (const auto it = format.find("format"); it != format.end() && it->second == kEarlierCheckpointFormat)
        throw Error(ErrorKind::Format,
                    path + " is a tokenizer checkpoint of an earlier CM Studio (before the tokenizer trainer shared "
                           "the consistency-model trainer's checkpoints) and cannot be resumed; the tokenizer it saved "
                           "is whole: start the next stage from it with --init, or train this stage again");
    auto restored = state();
    const auto info = training::loadCheckpoint(path, restored, checkpointInfo());
    m_step = info.step;
    m_secondsBefore = info.seconds;
}

TokenizerTrainSummary TokenizerRun::run(const std::function<void(const TokenizerTrainStatus&)>& observe,
                                        const CancelFlag* cancel) {
    return m_parallel.guard([&] { return runSteps(observe, cancel); });
}

TokenizerTrainSummary TokenizerRun::runSteps(const std::function<void(const TokenizerTrainStatus&)>& observe,
                                             const CancelFlag* cancel) {
    const auto& p = m_params;
    const bool writes = m_parallel.writes(); // rank 0 alone writes the log, the checkpoint and the tokenizer
    if (writes) m_log.emplace(p.logPath, tokenizerLogColumns(), p.resume, m_step);
    m_start = std::chrono::steady_clock::now();
    TokenizerTrainSummary summary;
    TokenizerTrainStatus status;
    status.totalSteps = p.totalSteps;
    training::StepLoopHooks hooks;
    hooks.step = [&] {
        status.loss = step();
        status.step = m_step + 1;
        status.seconds = elapsed();
    };
    hooks.verify = [&] { m_parallel.verify(m_step, p.totalSteps, replicatedState(), p.checkpointPath); };
    hooks.log = [&] {
        const double n = double(std::max(1L, m_window.steps));
        const auto& w = m_window;
        if (writes) {
            std::vector<std::string> row{std::to_string(m_step), std::to_string(m_step * long(p.batchSize))};
            for (double sum : {w.loss, w.flow, w.perceptual, w.commitment, w.entropy, w.sample, w.consistency, w.grad})
                row.push_back(formatNumber(sum / n));
            row.push_back(formatNumber(p.learningRate));
            row.push_back(formatNumber(status.seconds));
            m_log->append(row);
        }
        summary.lastLoggedLoss = w.loss / n;
        m_window = TermSums{};
    };
    hooks.save = [&] {
        if (!writes) return;
        saveCheckpoint();
        saveTokenizer();
        if (p.afterSave) p.afterSave(m_step, p.outputPath);
    };
    if (observe) hooks.observe = [&] { observe(status); };
    hooks.saveStopped = [&] {
        if (!writes) return;
        saveCheckpoint();
        saveTokenizer();
    };
    hooks.saveFinished = [&] {
        if (writes) saveTokenizer(); // a finished run resumed: the tokenizer it reports must exist
    };
    summary.cancelled =
        training::runStepLoop(m_step, {p.totalSteps, p.logEvery, p.checkpointEvery}, m_parallel.active(),
                              cancel, m_cancelRequested, m_stopAgreed, hooks);
    summary.steps = m_step;
    summary.seconds = elapsed();
    summary.communicationSeconds = m_parallel.communicationSeconds();
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
