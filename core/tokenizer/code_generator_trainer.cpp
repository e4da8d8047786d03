#include "code_generator_trainer.h"

#include "core/detail/optimizer.h"
#include "core/detail/runtime_init.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "core/training/batch_draws.h"
#include "core/training/checkpoint.h"
#include "core/training/data_parallel_run.h"
#include "core/training/log_writer.h"
#include "core/training/parameter_lists.h"
#include "core/training/run_description.h"
#include "core/training/run_files.h"
#include "core/training/step_loop.h"
#include "detail/code_generator_network.h"
#include "detail/optimisation_step.h"
#include "tokenizer_evaluation.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>

namespace cm {

const std::vector<std::string>& codeGeneratorLogColumns() {
    static const std::vector<std::string> columns = {"step", "samples", "loss", "bits_per_code", "grad_norm", "lr", "seconds"};
    return columns;
}

CodeSet encodeDataset(const Tokenizer& tokenizer, const Dataset& data, int batch, const ProgressFn& progress,
                      const CancelFlag* cancel) {
    if (data.itemShape != tokenizer.card().config.itemShape())
        throw Error(ErrorKind::Shape, "the data set's images are not the tokenizer's size");
    if (batch < 1) throw Error(ErrorKind::InvalidArgument, "the batch must hold at least one image");
    CodeSet set;
    set.classNames = data.classNames;
    set.description = data.description;
    for (int64_t start = 0; start < data.count(); start += batch) {
        if (cancel && cancel->load()) throw Error(ErrorKind::Cancelled, "cancelled by the user");
        const int64_t n = std::min<int64_t>(batch, data.count() - start);
        for (auto& code : tokenizer.encode(datasetImages(data, start, n)))
            set.codes.push_back(std::move(code));
        if (progress) progress(start + n, data.count());
    }
    for (int64_t i = 0; i < data.count(); ++i)
        set.labels.push_back(data.hasLabels() ? data.labels[std::size_t(i)] : 0);
    return set;
}

namespace {

using training::BatchDraws;
using training::formatNumber;

// One training run, alone or as one rank of a data-parallel group (training::DataParallelRun, as the
// consistency-model and tokenizer trainers): each rank trains on its slice of every global batch, rank 0
// alone reads the checkpoint and writes the files.
class CodeGeneratorRun {
  public:
    CodeGeneratorRun(const CodeGeneratorTrainParams& params, const CodeSet& codes)
        : m_params(params), m_codes(codes), m_parallel(params.distributed) {
        m_parallel.start([&] { prepare(); }, [&] { return settingsFingerprint(); }, [&] { return replicatedState(); },
                         [&] { return m_parameters; }, m_params.seed);
    }

    CodeGeneratorTrainSummary run(const std::function<void(long, long, double)>& observe, const CancelFlag* cancel) {
        return m_parallel.guard([&] { return runSteps(observe, cancel); });
    }

  private:
    void prepare();
    std::string settingsFingerprint() const;
    training::ReplicatedState replicatedState();
    double step();
    CodeGeneratorTrainSummary runSteps(const std::function<void(long, long, double)>& observe, const CancelFlag* cancel);
    std::string runJson() const;
    training::TrainingState state() {
        return {m_parameters, nullptr, m_ema, *m_optimizer, m_random, at::detail::getDefaultCPUGenerator()};
    }
    training::CheckpointInfo checkpointInfo() const {
        return {"code-generator", m_card.toMetadata().at("code_generator"), runJson(), m_step, elapsed()};
    }
    void saveGenerator();
    double elapsed() const {
        return m_secondsBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

    CodeGeneratorTrainParams m_params;
    const CodeSet& m_codes;
    CodeGeneratorCard m_card;
    CodeGenerator m_generator;
    torch::Tensor m_signs, m_labels; // every code's bits as +-1, and its label
    std::vector<torch::Tensor> m_parameters;
    std::vector<std::vector<torch::Tensor>> m_ema; // one EMA copy: the saved weights
    std::unique_ptr<detail::Optimizer> m_optimizer;
    at::Generator m_random;
    long m_step = 0;
    double m_secondsBefore = 0;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    training::DataParallelRun m_parallel;
    double m_lastGradNorm = 0;      // of the global batch's gradient
    bool m_cancelRequested = false; // this process's cancel flag, sent with the step's sums
    bool m_stopAgreed = false;      // some rank's cancel flag, seen by all at the same step
};

void CodeGeneratorRun::prepare() {
    auto& p = m_params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output code generator path given");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    if (m_parallel.writes())
        training::checkRunFiles({{"the code generator", p.outputPath},
                                 {"the checkpoint", p.checkpointPath},
                                 {"the training log", p.logPath}},
                                "code generator", p.outputPath, p.resume, p.overwrite);
    if (m_codes.codes.size() < 2 || m_codes.labels.size() != m_codes.codes.size())
        throw Error(ErrorKind::Data, "the code generator needs at least 2 codes, one label each");
    if (p.totalSteps < 1 || p.batchSize < 1 || p.batchSize > 65536 || !(p.learningRate > 0) ||
        !(p.emaRate >= 0 && p.emaRate < 1) || p.logEvery < 1 || p.checkpointEvery < 1)
        throw Error(ErrorKind::InvalidArgument, "steps, batch, learning rate, EMA rate [0, 1) and intervals must be valid");
    if (p.batchSize < m_parallel.worldSize())
        throw Error(ErrorKind::InvalidArgument, "a batch of " + std::to_string(p.batchSize) + " cannot be shared by " +
                                                    std::to_string(m_parallel.worldSize()) + " processes");
    detail::ensureRuntimeInitialised();
    if (p.threads > 0) torch::set_num_threads(p.threads);

    m_card.config.codeBits = m_codes.codes.front().bitCount();
    m_card.config.classes = m_codes.classes();
    m_card.config.width = p.width;
    m_card.config.depth = p.depth;
    m_card.config.validate();
    m_card.classNames = m_codes.classNames;
    m_card.tokenizer = p.tokenizerName;
    m_card.dataset = m_codes.description;
    for (auto label : m_codes.labels)
        if (label < 0 || label >= m_card.config.classes) throw Error(ErrorKind::Data, "a label outside the class names");
    m_signs = detail::codeSigns(m_codes.codes, m_card.config.codeBits);
    m_labels = torch::tensor(m_codes.labels, torch::kInt64);

    m_generator = CodeGenerator::create(m_card, p.seed);
    m_generator.impl().network->train();
    m_parameters = m_generator.impl().network->parameters();
    m_ema.emplace_back();
    for (const auto& parameter : m_parameters)
        m_ema[0].push_back(parameter.detach().clone());
    m_optimizer = std::make_unique<detail::Optimizer>(m_parameters, detail::Optimizer::Kind::Adam, 0.9, 0.99);
    m_random = at::detail::createCPUGenerator(p.seed ^ 0x2545F4914F6CDD1DULL);
    if (!m_parallel.writes()) return; // the other ranks take rank 0's state
    if (training::prepareRunFiles(p.checkpointPath, p.outputPath, p.logPath, p.resume, p.overwrite)) {
        const SafetensorsFile file = readSafetensors(p.checkpointPath);
        if (const auto it = file.metadata.find("format");
            it != file.metadata.end() && it->second == "cmstudio-code-generator-checkpoint")
            throw Error(ErrorKind::Format, p.checkpointPath + " is a code generator checkpoint of an earlier CM Studio "
                                                              "(before it shared the other trainers' checkpoints) and "
                                                              "cannot be resumed; train the code generator again");
        auto restored = state();
        const auto info = training::loadCheckpoint(p.checkpointPath, restored, checkpointInfo());
        m_step = info.step;
        m_secondsBefore = info.seconds;
    }
}

std::string CodeGeneratorRun::runJson() const {
    const auto& p = m_params;
    return nlohmann::json{{"steps", p.totalSteps},     {"batch_size", p.batchSize}, {"learning_rate", p.learningRate},
                          {"ema", p.emaRate},          {"seed", p.seed},            {"codes", m_codes.codes.size()}}
        .dump();
}

std::string CodeGeneratorRun::settingsFingerprint() const {
    auto j = nlohmann::json::parse(runJson());
    j["code_generator"] = m_card.toMetadata().at("code_generator");
    j["resume"] = m_params.resume;
    j["codes"] = training::DataParallelRun::weightsFingerprint({m_signs, m_labels}); // the same codes and labels
    return j.dump();
}

training::ReplicatedState CodeGeneratorRun::replicatedState() {
    return training::ReplicatedState::of({m_parameters, m_ema[0]}, *m_optimizer, m_random, m_step, m_secondsBefore);
}

// The draw covers the global batch (BatchDraws) and this rank trains on its slice, its mean weighted by its
// share, so that the gradients summed over the ranks are those of the global batch's mean.
double CodeGeneratorRun::step() {
    const auto& p = m_params;
    const auto shard = m_parallel.shard(p.batchSize);
    BatchDraws draws(m_random, shard.global, shard.begin, shard.count);
    const auto index = draws.integers(0, m_signs.size(0));
    const auto signs = m_signs.index_select(0, index);
    const auto labels = m_labels.index_select(0, index);
    auto& network = *m_generator.impl().network;
    const auto loss =
        shard.share() * torch::binary_cross_entropy_with_logits(network.forward(signs, labels), (signs + 1) / 2);
    auto sums = torch::tensor({loss.item<double>()}, torch::kFloat64);
    m_stopAgreed = m_parallel.sumStepValues(sums, m_cancelRequested);
    const double lossValue = sums[0].item<double>();
    if (!std::isfinite(lossValue))
        throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                            std::to_string(m_step) + "; the last good checkpoint is " + p.checkpointPath);
    m_lastGradNorm = detail::optimisationStep(loss, m_parameters, *m_optimizer, p.learningRate, m_ema[0], p.emaRate,
                                              m_step, &m_parallel);
    return lossValue;
}

void CodeGeneratorRun::saveGenerator() {
    const auto& p = m_params;
    CodeGeneratorCard saved = m_card;
    saved.trainingSteps = m_step;
    auto record = nlohmann::json::parse(runJson());
    record["steps_done"] = m_step;
    saved.trainingJson = record.dump();
    saved.notes = "Stage 2 of a FlowMo tokenizer: MADE over the code bits, class-conditional. EMA weights. "
                  "Trained by CM Studio.";
    CodeGenerator out = CodeGenerator::create(saved, 0);
    training::copyInto(out.impl().network->parameters(), m_ema[0]);
    out.save(p.outputPath);
}

CodeGeneratorTrainSummary CodeGeneratorRun::runSteps(const std::function<void(long, long, double)>& observe,
                                                     const CancelFlag* cancel) {
    const auto& p = m_params;
    const bool writes = m_parallel.writes(); // rank 0 alone writes the log, the checkpoint and the generator
    std::optional<training::LogWriter> log;
    if (writes) log.emplace(p.logPath, codeGeneratorLogColumns(), p.resume, m_step);
    m_start = std::chrono::steady_clock::now();
    CodeGeneratorTrainSummary summary;
    double windowLoss = 0, windowGrad = 0;
    long windowSteps = 0;
    const double bitsPerNat = double(m_card.config.codeBits) / std::log(2.0);
    double lossValue = 0;
    training::StepLoopHooks hooks;
    hooks.step = [&] {
        lossValue = step();
        windowLoss += lossValue;
        windowGrad += m_lastGradNorm;
        ++windowSteps;
    };
    hooks.verify = [&] { m_parallel.verify(m_step, p.totalSteps, replicatedState(), p.checkpointPath); };
    hooks.log = [&] {
        const double mean = windowLoss / double(windowSteps);
        if (writes)
            log->append({std::to_string(m_step), std::to_string(m_step * long(p.batchSize)), formatNumber(mean),
                         formatNumber(mean * bitsPerNat), formatNumber(windowGrad / double(windowSteps)),
                         formatNumber(p.learningRate), formatNumber(elapsed())});
        summary.lastLoggedBitsPerCode = mean * bitsPerNat;
        windowLoss = windowGrad = 0;
        windowSteps = 0;
    };
    hooks.save = hooks.saveStopped = [&] {
        if (!writes) return;
        training::saveCheckpoint(p.checkpointPath, state(), checkpointInfo());
        saveGenerator();
    };
    if (observe) hooks.observe = [&] { observe(m_step, p.totalSteps, lossValue * bitsPerNat); };
    hooks.saveFinished = [&] {
        if (writes) saveGenerator(); // a finished run resumed: the generator it reports must exist
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

CodeGeneratorTrainSummary trainCodeGenerator(const CodeGeneratorTrainParams& params, const CodeSet& codes,
                                             const std::function<void(long, long, double)>& observe,
                                             const CancelFlag* cancel) {
    CodeGeneratorRun run(params, codes);
    return run.run(observe, cancel);
}

} // namespace cm
