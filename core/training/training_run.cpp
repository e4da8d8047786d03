#include "training_run.h"
#include "core/training/ema_rate.h"

#include "batch_draws.h"
#include "checkpoint.h"
#include "core/atomic_file.h"
#include "core/detail/denoiser.h"
#include "core/detail/optimizer.h"
#include "core/detail/runtime_init.h"
#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/model.h"
#include "data_parallel_run.h"
#include "log_writer.h"
#include "objective.h"
#include "parameter_lists.h"
#include "preview.h"
#include "run_description.h"
#include "run_files.h"
#include "step_loop.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>

namespace cm::training {

namespace {

namespace fs = std::filesystem;

class TrainingRun {
  public:
    TrainingRun(const TrainParams& params, const Dataset& data)
        : m_params(params), m_objective(objectiveFor(params.mode)), m_parallel(params.distributed) {
        m_parallel.start([&] { validateAndPrepare(data); }, [&] { return settingsFingerprint(data); },
                         [&] { return replicatedState(); }, [&] { return m_onlineParams; }, m_params.seed);
    }

    TrainSummary run(const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel);

  private:
    TrainSummary runSteps(const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel);
    bool writes() const { return m_parallel.writes(); }
    void validateAndPrepare(const Dataset& data);
    // What the ranks compare at the start (a JSON object).
    std::string settingsFingerprint(const Dataset& data) const;
    ReplicatedState replicatedState();
    void loadTeacher();
    TrainingState state();
    CheckpointInfo checkpointInfo() const;
    void saveCheckpoint();
    Model currentModel() const; // the saved model: the first EMA of the online weights
    void saveModel();
    void writePreview();
    double elapsed() const;
    double learningRate(long step) const;
    // One optimisation step; returns the loss and fills the window.
    double trainStep(long step, TrainStatus& status);

    TrainParams m_params;
    const Objective& m_objective;
    NetworkConfig m_network;
    NoiseConstants m_noise;
    torch::Tensor m_data, m_labels;
    int64_t m_nullLabel = -1;
    std::vector<std::string> m_classNames;
    std::string m_datasetDescription;

    std::shared_ptr<detail::NetworkBase> m_online, m_target, m_teacher;
    NoiseConstants m_teacherNoise;
    std::vector<torch::Tensor> m_onlineParams, m_targetParams;
    std::vector<std::vector<torch::Tensor>> m_ema;
    std::unique_ptr<detail::Optimizer> m_optimizer;
    at::Generator m_generator;
    long m_step = 0;
    double m_secondsBefore = 0; // wall time of earlier segments of a resumed run
    std::chrono::steady_clock::time_point m_segmentStart = std::chrono::steady_clock::now();
    LogWindow m_window;
    std::optional<LogWriter> m_log;
    DataParallelRun m_parallel;
    bool m_cancelRequested = false;    // this process's cancel flag, sent with the step's sums
    bool m_stopAgreed = false;         // some rank's cancel flag, seen by all at the same step
};

void TrainingRun::loadTeacher() {
    const auto& p = m_params;
    if (p.teacherPath.empty())
        throw Error(ErrorKind::InvalidArgument, std::string(trainModeName(p.mode)) +
                                                    " needs an EDM denoiser to start from (teacher path)");
    Model teacher = Model::load(p.teacherPath);
    if (teacher.card().kind != ModelKind::EdmDenoiser)
        throw Error(ErrorKind::InvalidArgument, p.teacherPath + " is a " +
                                                    modelKindName(teacher.card().kind) + " model; " +
                                                    trainModeName(p.mode) + " needs an edm-denoiser");
    m_network = teacher.card().network;
    m_network.dropout = p.network.dropout;
    m_noise = teacher.card().noise;
    m_teacherNoise = teacher.card().noise;
    m_teacher = teacher.impl().network;
    m_teacher->eval();
    for (auto& param : m_teacher->parameters())
        param.set_requires_grad(false);
}

void TrainingRun::validateAndPrepare(const Dataset& data) {
    auto& p = m_params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output model path given");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    if (p.previewPath.empty()) p.previewPath = p.outputPath + ".preview.png";
    if (writes()) checkRunFiles(p);
    if (p.totalSteps < 1) throw Error(ErrorKind::InvalidArgument, "total steps must be positive");
    if (p.batchSize < 1 || p.batchSize > 4096)
        throw Error(ErrorKind::InvalidArgument,
                    "batch size must be in 1..4096, got " + std::to_string(p.batchSize));
    if (!(p.learningRate > 0) || !std::isfinite(p.learningRate))
        throw Error(ErrorKind::InvalidArgument, "learning rate must be a positive number");
    if (p.emaRates.empty()) throw Error(ErrorKind::InvalidArgument, "at least one EMA rate is needed");
    for (double rate : p.emaRates)
        if (!(rate >= 0 && rate < 1)) throw Error(ErrorKind::InvalidArgument, "EMA rates must be in [0, 1)");
    if (p.logEvery < 1 || p.checkpointEvery < 1)
        throw Error(ErrorKind::InvalidArgument, "logging and checkpoint intervals must be positive");
    if (p.previewEvery < 0)
        throw Error(ErrorKind::InvalidArgument, "the preview interval must be positive (or 0 for none)");
    if (p.batchSize < p.distributed.worldSize)
        throw Error(ErrorKind::InvalidArgument, "a batch of " + std::to_string(p.batchSize) +
                                                    " cannot be shared by " +
                                                    std::to_string(p.distributed.worldSize) + " processes");
    if (data.count() == 0) throw Error(ErrorKind::Data, "the training data set is empty");
    detail::ensureRuntimeInitialised();
    if (p.threads > 0) torch::set_num_threads(p.threads);

    m_network = p.network;
    m_noise = p.noise;
    // edm given a denoiser goes on from it (more steps, another label dropout) instead of starting afresh.
    if (m_objective.startsFromTeacher || (p.mode == TrainMode::Edm && !p.teacherPath.empty())) loadTeacher();
    m_network.validate();
    if (p.previewEvery > 0 && m_network.type == NetworkType::Mlp)
        throw Error(ErrorKind::InvalidArgument, "a preview grid shows images; this network makes points");

    const auto itemShape = m_network.itemShape();
    if (!std::equal(itemShape.begin(), itemShape.end(), data.itemShape.begin(), data.itemShape.end())) {
        std::vector<int64_t> expected(itemShape.begin(), itemShape.end());
        throw Error(ErrorKind::Shape, "the data set's items have shape " +
                                          detail::shapeString(data.itemShape) + " but the network expects " +
                                          detail::shapeString(expected));
    }
    if (m_network.numClasses > 0) {
        if (!data.hasLabels())
            throw Error(ErrorKind::Data, "a class-conditional network needs a labelled data set");
        if (int(data.classNames.size()) != m_network.numClasses)
            throw Error(ErrorKind::Data, "the network has " + std::to_string(m_network.numClasses) +
                                             " classes but the data set has " +
                                             std::to_string(data.classNames.size()));
        m_nullLabel = m_network.numClasses;
        m_classNames = data.classNames;
    }
    std::vector<int64_t> shape{data.count()};
    shape.insert(shape.end(), data.itemShape.begin(), data.itemShape.end());
    m_data = torch::from_blob(const_cast<float*>(data.values.data()), shape, torch::kFloat32).clone();
    if (!torch::isfinite(m_data).all().item<bool>())
        throw Error(ErrorKind::Numeric, "the training data contains NaN or infinite values");
    if (m_network.numClasses > 0)
        m_labels =
            torch::from_blob(const_cast<int64_t*>(data.labels.data()), {data.count()}, torch::kInt64).clone();
    m_datasetDescription = data.description;

    torch::manual_seed(p.seed);
    m_generator = at::detail::createCPUGenerator(p.seed ^ 0x9E3779B97F4A7C15ULL);
    m_online = detail::makeNetwork(m_network);
    if (m_teacher) copyInto(m_online->parameters(), m_teacher->parameters());
    m_online->train();
    m_onlineParams = m_online->parameters();
    if (m_objective.keepsTargetNetwork) {
        m_target = detail::makeNetwork(m_network);
        m_target->train();
        m_targetParams = m_target->parameters();
        for (auto& t : m_targetParams)
            t.set_requires_grad(false);
        copyInto(m_targetParams, m_onlineParams);
    }
    for (std::size_t i = 0; i < p.emaRates.size(); ++i)
        m_ema.push_back(cloneAll(m_onlineParams));
    m_optimizer = std::make_unique<detail::Optimizer>(
        m_onlineParams,
        p.optimizer == OptimizerKind::Adam ? detail::Optimizer::Kind::Adam : detail::Optimizer::Kind::RAdam,
        p.beta1, p.beta2);

    if (!writes()) return; // the other ranks take rank 0's state
    if (prepareRunFiles(p.checkpointPath, p.outputPath, p.logPath, p.resume, p.overwrite)) {
        auto restored = state();
        const CheckpointInfo info = loadCheckpoint(p.checkpointPath, restored, checkpointInfo());
        m_step = info.step;
        m_secondsBefore = info.seconds;
    }
}

std::string TrainingRun::settingsFingerprint(const Dataset& data) const {
    const auto& p = m_params;
    nlohmann::json j = nlohmann::json::parse(runDescriptionJson(p, m_network));
    j["resume"] = p.resume;
    j["data"] = DataParallelRun::dataFingerprint(data);
    if (m_teacher) j["teacher_weights"] = DataParallelRun::weightsFingerprint(m_teacher->parameters());
    return j.dump();
}

ReplicatedState TrainingRun::replicatedState() {
    std::vector<std::vector<torch::Tensor>> lists{m_onlineParams, m_targetParams};
    lists.insert(lists.end(), m_ema.begin(), m_ema.end());
    return ReplicatedState::of(lists, *m_optimizer, m_generator, m_step, m_secondsBefore);
}

TrainingState TrainingRun::state() {
    return {m_onlineParams, m_target ? &m_targetParams : nullptr, m_ema, *m_optimizer,
            m_generator,    at::detail::getDefaultCPUGenerator()};
}

CheckpointInfo TrainingRun::checkpointInfo() const {
    return {trainModeName(m_params.mode), networkConfigToJson(m_network), runDescriptionJson(m_params, m_network), m_step,
            elapsed()};
}

double TrainingRun::elapsed() const {
    return m_secondsBefore +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - m_segmentStart).count();
}

double TrainingRun::learningRate(long step) const {
    if (m_params.warmupSteps <= 0 || step >= m_params.warmupSteps) return m_params.learningRate;
    return m_params.learningRate * double(step + 1) / double(m_params.warmupSteps);
}

double TrainingRun::trainStep(long step, TrainStatus& status) {
    const auto& p = m_params;
    // This process's slice of the global batch (all of it when alone).
    const int64_t batch = p.batchSize;
    const BatchShard shard = m_parallel.shard(batch);
    BatchDraws draws(m_generator, batch, shard.begin, shard.count);
    auto index = draws.integers(0, m_data.size(0));
    auto x = m_data.index_select(0, index);
    torch::Tensor labels;
    if (m_nullLabel >= 0) {
        labels = m_labels.index_select(0, index);
        auto drop = draws.uniform(torch::kFloat32) < p.labelDropout;
        labels = torch::where(drop, torch::full_like(labels, m_nullLabel), labels);
    }
    const ObjectiveInputs inputs{p,   m_noise, *m_online, m_target.get(), m_teacher.get(), m_teacherNoise,
                                 step};
    const LossTerms terms = m_objective.lossTerms(inputs, x, labels, draws);
    status.gridPoints = terms.gridPoints;
    status.targetEma = terms.targetEma;

    // The window's sums over the global batch: [loss, quartile sums (4), quartile counts (4)].
    auto quartile = (terms.position * 4).floor().clamp(0, 3).to(torch::kInt64);
    auto values = terms.perSample.detach().to(torch::kFloat64);
    auto sums = torch::zeros({9}, torch::kFloat64);
    sums[0] = values.sum();
    for (int q = 0; q < 4; ++q) {
        auto mask = quartile == q;
        sums[1 + q] = values.masked_select(mask).sum();
        sums[5 + q] = mask.sum().to(torch::kFloat64);
    }
    // The mean over the global batch: each rank's sum over its slice divided by the global size, the
    // gradients summed over the ranks (alone: the mean). In a group the cancel flag travels with the sums.
    const torch::Tensor loss = terms.perSample.sum() / double(batch);
    m_stopAgreed = m_parallel.sumStepValues(sums, m_cancelRequested);
    const double lossValue = sums[0].item<double>() / double(batch);
    if (!std::isfinite(lossValue))
        throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                            std::to_string(step) + "; the last good checkpoint is " +
                                            p.checkpointPath);
    for (auto& param : m_onlineParams)
        param.mutable_grad() = torch::Tensor();
    m_parallel.beginBackward();
    loss.backward();
    m_parallel.finishBackward();
    std::vector<torch::Tensor> grads;
    for (auto& param : m_onlineParams)
        grads.push_back(param.grad());
    const double gradNorm = globalNorm(grads);
    if (p.gradClip > 0 && gradNorm > p.gradClip) {
        torch::NoGradGuard noGrad;
        for (auto& g : grads)
            if (g.defined()) g.mul_(p.gradClip / (gradNorm + 1e-6));
    }
    m_optimizer->step(learningRate(step));

    if (m_target) emaUpdate(m_targetParams, m_onlineParams, status.targetEma);
    for (std::size_t i = 0; i < m_ema.size(); ++i) {
        // Warm-up of the averaging rate, so short runs are not dominated by the initial weights.
        const double rate = warmedUpEmaRate(p.emaRates[i], step);
        emaUpdate(m_ema[i], m_onlineParams, rate);
    }

    for (int q = 0; q < 4; ++q) {
        m_window.quartileCount[q] += long(sums[5 + q].item<double>());
        m_window.quartileSum[q] += sums[1 + q].item<double>();
    }
    m_window.lossSum += lossValue;
    m_window.gradSum += gradNorm;
    m_window.steps += 1;
    return lossValue;
}

Model TrainingRun::currentModel() const {
    ModelCard card;
    card.kind = m_objective.produces;
    card.network = m_network;
    card.noise = m_noise;
    card.recipe = trainModeName(m_params.mode);
    card.trainingJson = runDescriptionJson(m_params, m_network);
    card.dataset = m_datasetDescription;
    card.trainingSteps = m_step;
    card.classNames = m_classNames;
    card.notes = "Weights: EMA " + formatNumber(m_params.emaRates[0]) +
                 " of the online network. Trained by CM Studio.";
    Model model = Model::create(card, 0);
    copyInto(model.impl().network->parameters(), m_ema[0]);
    return model;
}

void TrainingRun::saveModel() {
    currentModel().save(m_params.outputPath);
}

void TrainingRun::writePreview() {
    writePreviewGrid(currentModel(), m_params.previewPath, m_params.seed);
}

void TrainingRun::saveCheckpoint() {
    training::saveCheckpoint(m_params.checkpointPath, state(), checkpointInfo());
}

TrainSummary TrainingRun::run(const std::function<void(const TrainStatus&)>& observe,
                              const CancelFlag* cancel) {
    return m_parallel.guard([&] { return runSteps(observe, cancel); });
}

TrainSummary TrainingRun::runSteps(const std::function<void(const TrainStatus&)>& observe,
                                   const CancelFlag* cancel) {
    const auto& p = m_params;
    if (writes()) m_log.emplace(p.logPath, trainLogColumns(), p.resume, m_step);
    m_segmentStart = std::chrono::steady_clock::now();
    TrainSummary summary;
    TrainStatus status;
    status.totalSteps = p.totalSteps;
    StepLoopHooks hooks;
    hooks.step = [&] {
        status.loss = trainStep(m_step, status);
        status.step = m_step + 1;
        status.seconds = elapsed();
    };
    hooks.verify = [&] { m_parallel.verify(m_step, p.totalSteps, replicatedState(), p.checkpointPath); };
    hooks.log = [&] {
        if (!writes()) return;
        LogRowValues row;
        row.step = m_step;
        row.samples = m_step * long(p.batchSize);
        row.paramNorm = globalNorm(m_onlineParams);
        row.learningRate = learningRate(m_step - 1);
        row.gridPoints = status.gridPoints;
        row.targetEma = status.targetEma;
        row.seconds = status.seconds;
        m_log->append(trainLogRow(m_window, row));
        summary.lastLoggedLoss = m_window.lossSum / double(std::max(1L, m_window.steps));
        m_window = LogWindow{};
    };
    hooks.save = hooks.saveStopped = [&] {
        if (!writes()) return;
        saveCheckpoint();
        saveModel();
    };
    hooks.afterSave = [&] {
        if (writes() && p.previewEvery > 0 && (m_step % p.previewEvery == 0 || m_step == p.totalSteps))
            writePreview();
    };
    if (observe) hooks.observe = [&] { observe(status); };
    hooks.saveFinished = [&] {
        // A finished run resumed: nothing was trained, but the model it reports must exist (it may have been
        // deleted), and the checkpoint holds exactly its weights.
        if (writes()) saveModel();
    };
    summary.cancelled = runStepLoop(m_step, {p.totalSteps, p.logEvery, p.checkpointEvery},
                                    m_parallel.active(), cancel, m_cancelRequested, m_stopAgreed, hooks);
    summary.steps = m_step;
    summary.seconds = elapsed();
    summary.communicationSeconds = m_parallel.communicationSeconds();
    return summary;
}

} // namespace

TrainSummary runTraining(const TrainParams& params, const Dataset& data,
                         const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel) {
    TrainingRun run(params, data);
    return run.run(observe, cancel);
}

} // namespace cm::training
