#include "style_trainer.h"

#include "core/detail/denoiser.h"
#include "core/detail/optimizer.h"
#include "core/detail/prompt_unet.h"
#include "core/error.h"
#include "core/metadata_fields.h"
#include "core/training/checkpoint.h"
#include "core/training/objective.h"
#include "core/training/data_parallel_run.h"
#include "core/training/log_writer.h"
#include "core/training/run_files.h"
#include "style_consistency.h"
#include "style_consistency_objective.h"
#include "style_objective.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <algorithm>
#include <optional>

namespace cm {

const char* styleStageName(StyleStage stage) {
    switch (stage) {
    case StyleStage::Base:
        return "base";
    case StyleStage::Extractors:
        return "extractors";
    case StyleStage::Consistency:
        return "consistency";
    }
    return "base";
}

StyleStage styleStageFromName(const std::string& name) {
    if (name == "base") return StyleStage::Base;
    if (name == "extractors") return StyleStage::Extractors;
    if (name == "consistency") return StyleStage::Consistency;
    throw Error(ErrorKind::InvalidArgument,
                "style stage must be \"base\", \"extractors\" or \"consistency\", got \"" + name + "\"");
}

const char* styleTasksName(StyleTasks tasks) {
    return tasks == StyleTasks::Paired ? "paired" : "reconstruction";
}

StyleTasks styleTasksFromName(const std::string& name) {
    if (name == "paired") return StyleTasks::Paired;
    if (name == "reconstruction") return StyleTasks::Reconstruction;
    throw Error(ErrorKind::InvalidArgument, "style tasks must be \"paired\" (DEADiff's 1:1:1) or \"reconstruction\", "
                                            "got \"" + name + "\"");
}

NoiseLevels defaultNoiseLevels(StyleStage stage) {
    switch (stage) {
    case StyleStage::Base:
        return {-1.2, 1.2};
    case StyleStage::Extractors:
        return {2.0, 1.0};
    case StyleStage::Consistency:
        return {1.0, TrainParams{}.ictPStd}; // ECT's spread, its centre moved up to where the style decides
    }
    return {-1.2, 1.2};
}

namespace {

namespace fs = std::filesystem;

void checkParams(StyleTrainParams& p, bool writes) {
    auto require = [](bool ok, const std::string& message) {
        if (!ok) throw Error(ErrorKind::InvalidArgument, message);
    };
    require(!p.outputPath.empty(), "the style trainer needs an output path");
    require(p.totalSteps >= 1, "total steps must be at least 1");
    require(p.batchSize >= 1 && p.batchSize <= 4096, "batch size must be in 1..4096");
    require(p.batchSize >= p.distributed.worldSize, "a batch of " + std::to_string(p.batchSize) +
                                                        " cannot be shared by " +
                                                        std::to_string(p.distributed.worldSize) + " processes");
    require(p.learningRate > 0 && std::isfinite(p.learningRate), "the learning rate must be positive");
    require(p.emaRate >= 0 && p.emaRate < 1, "the EMA rate must be in [0, 1)");
    require(p.promptDropout >= 0 && p.promptDropout < 1, "prompt dropout must be in [0, 1)");
    require(p.imageDropout >= 0 && p.imageDropout < 1, "image dropout must be in [0, 1)");
    require(p.logEvery >= 1 && p.checkpointEvery >= 1, "log and checkpoint intervals must be at least 1");
    if (p.stage == StyleStage::Extractors)
        require(!p.basePath.empty() && !p.featureNetPath.empty(),
                "the extractors stage needs the trained base (--base) and the feature network (--features)");
    if (p.stage == StyleStage::Consistency) {
        require(!p.stylePath.empty(), "the consistency stage needs the trained style model (--style)");
        require(p.ectQ > 1 && std::isfinite(p.ectQ), "ECT's q must be above 1");
        require(p.ectStageSteps >= 0, "ECT's steps per stage must not be negative");
    }
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    const bool extractors = p.stage == StyleStage::Extractors;
    const bool consistency = p.stage == StyleStage::Consistency;
    if (writes) // rank 0 alone writes
        training::checkRunFiles({{"the base", extractors ? p.basePath : std::string()},
                             {"the feature network", extractors ? p.featureNetPath : std::string()},
                             {"the style model", consistency ? p.stylePath : std::string()},
                             {"the output model", p.outputPath},
                             {"the checkpoint", p.checkpointPath},
                             {"the training log", p.logPath}},
                            "model", p.outputPath, p.resume, p.overwrite);
}

class StyleRun {
  public:
    StyleRun(StyleTrainParams params, const StyleWorld& world)
        : m_params(std::move(params)), m_world(world), m_parallel(m_params.distributed) {
        m_parallel.start([&] { prepare(); }, [&] { return settingsFingerprint(); }, [&] { return replicatedState(); },
                         [&] { return m_trainable; }, m_params.seed);
    }

    StyleTrainSummary run(const std::function<void(const StyleTrainStatus&)>& observe, const CancelFlag* cancel) {
        return m_parallel.guard([&] { return runSteps(observe, cancel); });
    }

  private:
    void prepare() {
        checkParams(m_params, m_parallel.writes());
        if (m_params.threads > 0) torch::set_num_threads(m_params.threads);
        const auto& p = m_params;
        if (p.stage == StyleStage::Base) {
            m_model = Model::create(styleBaseCard(p.base), p.seed);
        } else if (p.stage == StyleStage::Extractors) {
            const Model base = Model::load(p.basePath);
            m_model = createStyleModel(base, FeatureNet::load(p.featureNetPath), p.extractors, p.seed);
        } else {
            m_model = createStyleConsistencyModel(Model::load(p.stylePath));
        }
        m_network = dynamic_cast<detail::PromptUNet*>(m_model.impl().network.get());
        switch (p.stage) {
        case StyleStage::Base:
            m_trainable = m_network->baseParameters();
            break;
        case StyleStage::Extractors:
            m_trainable = m_network->extractorParameters();
            break;
        case StyleStage::Consistency:
            m_trainable = style::consistencyParameters(*m_network);
            break;
        }
        // Only the stage's parameters learn: the base is frozen while the extractors train; the reference
        // encoder and the Q-Formers while the one-step stage trains.
        for (auto& parameter : m_network->parameters())
            parameter.set_requires_grad(false);
        for (auto& parameter : m_trainable)
            parameter.set_requires_grad(true);
        for (const auto& item : m_network->named_parameters())
            for (std::size_t i = 0; i < m_trainable.size(); ++i)
                if (item.value().is_same(m_trainable[i])) m_trainableNames.push_back({item.key(), i});
        m_ema.emplace_back();
        for (const auto& parameter : m_trainable)
            m_ema[0].push_back(parameter.detach().clone());
        m_optimizer = std::make_unique<detail::Optimizer>(m_trainable, detail::Optimizer::Kind::Adam, 0.9, 0.999);
        m_generator = at::detail::createCPUGenerator(p.seed);
        m_startingWeights = training::DataParallelRun::weightsFingerprint(m_network->parameters());
        if (!m_parallel.writes()) return; // the other ranks take rank 0's state
        if (training::prepareRunFiles(p.checkpointPath, p.outputPath, p.logPath, p.resume, p.overwrite))
            loadCheckpoint();
    }

    // Everything the ranks must agree on: the settings, the world's garments and palettes, the networks.
    std::string settingsFingerprint() const {
        auto j = nlohmann::json::parse(runJson());
        j["network"] = networkConfigToJson(m_model.card().network);
        j["resume"] = m_params.resume;
        j["world"] = m_world.description() + ", " + training::DataParallelRun::dataFingerprint(m_world.garments()) +
                     ", " + std::to_string(m_world.palettes().size()) + " palettes";
        j["starting_weights"] = m_startingWeights; // stages extractors, consistency: the same starting files
        return j.dump();
    }

    training::ReplicatedState replicatedState() {
        return training::ReplicatedState::of({m_network->parameters(), m_ema[0]}, *m_optimizer, m_generator, m_step,
                                             m_secondsBefore);
    }

    StyleTrainSummary runSteps(const std::function<void(const StyleTrainStatus&)>& observe, const CancelFlag* cancel) {
        const auto& p = m_params;
        const bool writes = m_parallel.writes(); // rank 0 alone writes the log, the checkpoint and the model
        std::optional<training::LogWriter> log;
        if (writes) log.emplace(p.logPath, trainLogColumns(), p.resume, m_step);
        m_start = std::chrono::steady_clock::now();
        StyleTrainSummary summary;
        StyleTrainStatus status;
        status.totalSteps = p.totalSteps;
        bool saved = false;
        while (m_step < p.totalSteps) {
            const bool cancelled = cancel && cancel->load();
            if (!m_parallel.active() && cancelled) {
                summary.cancelled = true;
                break;
            }
            // In a group the flag travels with the step's sums, and every rank stops after the same step.
            m_cancelRequested = cancelled;
            status.loss = step();
            ++m_step;
            status.step = m_step;
            status.seconds = elapsed();
            m_parallel.verify(m_step, p.totalSteps, replicatedState(), p.checkpointPath);
            if (m_step % p.logEvery == 0 || m_step == p.totalSteps) {
                training::LogRowValues values;
                values.step = m_step;
                values.samples = m_step * long(p.batchSize);
                values.paramNorm = parameterNorm();
                values.learningRate = p.learningRate;
                values.targetEma = p.emaRate;
                values.seconds = status.seconds;
                if (writes) log->append(training::trainLogRow(m_window, values));
                summary.lastLoggedLoss = m_window.lossSum / double(std::max(1L, m_window.steps));
                m_window = training::LogWindow{};
            }
            if (m_step % p.checkpointEvery == 0 || m_step == p.totalSteps) {
                if (writes) {
                    saveCheckpoint();
                    saveModel();
                }
                saved = true;
            }
            if (observe) observe(status);
            if (m_stopAgreed && m_step < p.totalSteps) {
                summary.cancelled = true;
                break;
            }
        }
        if (summary.cancelled && writes) {
            saveCheckpoint();
            saveModel();
        } else if (!saved && writes) {
            saveModel(); // a finished run resumed: the model it reports must exist
        }
        summary.steps = m_step;
        summary.seconds = elapsed();
        summary.communicationSeconds = m_parallel.communicationSeconds();
        return summary;
    }

    // Every rank draws the global batch and noise and trains on its slice, its mean weighted by its share,
    // so that the gradients summed over the ranks are those of the global batch's mean.
    double step() {
        const auto& p = m_params;
        m_network->train();
        const auto shard = m_parallel.shard(p.batchSize);
        const auto batch = sliceOf(style::drawStyleBatch(m_world, m_model.card().network, p, p.batchSize,
                                                         style::stepSeed(p.seed, m_step)),
                                   shard);
        training::BatchDraws draws(m_generator, shard.global, shard.begin, shard.count);
        torch::Tensor position;
        const auto perSample =
            p.stage == StyleStage::Consistency
                ? style::styleConsistencyLoss(*m_network, m_model.card().noise, batch, draws, p, m_step, position)
                : style::styleLoss(*m_network, detail::Parameterisation::of(m_model.card()), batch, draws, p,
                                   position);
        const auto loss = shard.share() * perSample.mean();
        // The logged sums of the global batch: the loss, then each noise quartile's loss sum and count.
        const auto quartile = (position * 4).floor().clamp(0, 3).to(torch::kInt64);
        auto sums = torch::zeros({9}, torch::kFloat64);
        sums[0] = loss.item<double>();
        sums.narrow(0, 1, 4).index_add_(0, quartile, perSample.detach().to(torch::kFloat64));
        sums.narrow(0, 5, 4).index_add_(0, quartile, torch::ones({quartile.size(0)}, torch::kFloat64));
        m_stopAgreed = m_parallel.sumStepValues(sums, m_cancelRequested);
        const double value = sums[0].item<double>();
        if (!std::isfinite(value))
            throw Error(ErrorKind::Numeric, "the style training loss became " + std::to_string(value) + " at step " +
                                                std::to_string(m_step + 1) + "; the last checkpoint (" +
                                                p.checkpointPath + ") is kept");
        for (auto& parameter : m_trainable)
            if (parameter.grad().defined()) parameter.mutable_grad().zero_();
        m_parallel.beginBackward();
        loss.backward();
        m_parallel.finishBackward();
        double gradSquares = 0;
        for (const auto& parameter : m_trainable)
            if (parameter.grad().defined()) gradSquares += parameter.grad().pow(2).sum().item<double>();
        m_optimizer->step(p.learningRate);
        {
            torch::NoGradGuard noGrad;
            for (std::size_t i = 0; i < m_trainable.size(); ++i)
                m_ema[0][i].mul_(p.emaRate).add_(m_trainable[i].detach(), 1.0 - p.emaRate);
        }
        m_network->eval();
        m_window.lossSum += value;
        m_window.gradSum += std::sqrt(gradSquares);
        ++m_window.steps;
        for (int q = 0; q < 4; ++q) {
            m_window.quartileSum[q] += sums[1 + q].item<double>();
            m_window.quartileCount[q] += long(sums[5 + q].item<double>());
        }
        return value;
    }

    static style::StyleBatch sliceOf(style::StyleBatch batch, const training::BatchShard& shard) {
        auto slice = [&](torch::Tensor& t) {
            if (t.defined()) t = t.narrow(0, shard.begin, shard.count);
        };
        for (auto* t : {&batch.targets, &batch.prompts, &batch.references, &batch.styleKeep, &batch.contentKeep})
            slice(*t);
        if (!batch.relations.empty())
            batch.relations = std::vector<PairRelation>(batch.relations.begin() + shard.begin,
                                                        batch.relations.begin() + shard.begin + shard.count);
        return batch;
    }

    double parameterNorm() const {
        double squares = 0;
        for (const auto& parameter : m_trainable)
            squares += parameter.detach().pow(2).sum().item<double>();
        return std::sqrt(squares);
    }

    double elapsed() const {
        return m_secondsBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    }

    std::string runJson() const {
        const auto& p = m_params;
        nlohmann::json j;
        j["stage"] = styleStageName(p.stage);
        j["batch_size"] = p.batchSize;
        j["learning_rate"] = p.learningRate;
        j["ema_rate"] = p.emaRate;
        j["p_mean"] = p.pMean;
        j["p_std"] = p.pStd;
        j["seed"] = p.seed;
        if (p.stage == StyleStage::Base) {
            j["prompt_dropout"] = p.promptDropout;
        } else if (p.stage == StyleStage::Consistency) {
            j["image_dropout"] = p.imageDropout;
            j["tasks"] = "same style : same content : reconstruction = 1:1:1";
            j["objective"] = "ect";
            j["trains"] = "the denoising network and W^I; the reference encoder and the Q-Formers frozen";
            training::kEctObjective.describe(style::ectSettings(p), j); // init_from, q, k, b, stages, p_mean, p_std
        } else {
            j["image_dropout"] = p.imageDropout;
            j["tasks"] = p.tasks == StyleTasks::Paired ? "same style : same content : reconstruction = 1:1:1"
                                                       : "reconstruction only (the target's prompt)";
            j["base"] = fs::path(p.basePath).filename().string();
            j["feature_network"] = fs::path(p.featureNetPath).filename().string();
        }
        return j.dump();
    }

    training::CheckpointInfo checkpointInfo() const {
        // The run's name carries the tasks (the network JSON carries the extractors and placement), so a
        // checkpoint of one variant is refused when resumed as another.
        std::string run = std::string("style-") + styleStageName(m_params.stage);
        if (m_params.stage == StyleStage::Extractors && m_params.tasks != StyleTasks::Paired)
            run += std::string(" (") + styleTasksName(m_params.tasks) + " tasks)";
        return {run, networkConfigToJson(m_model.card().network),
                runJson(), m_step, elapsed()};
    }

    training::TrainingState state() {
        return {m_trainable, nullptr, m_ema, *m_optimizer, m_generator, at::detail::getDefaultCPUGenerator()};
    }

    void saveCheckpoint() {
        const auto info = checkpointInfo();
        training::saveCheckpoint(m_params.checkpointPath, state(), info);
    }

    void loadCheckpoint() {
        auto s = state();
        const auto info = training::loadCheckpoint(m_params.checkpointPath, s, checkpointInfo());
        m_step = info.step;
        m_secondsBefore = info.seconds;
    }

    void saveModel() {
        ModelCard card = m_model.card();
        card.trainingSteps = m_step;
        card.dataset = m_world.description();
        card.trainingJson = runJson();
        switch (m_params.stage) {
        case StyleStage::Base:
            card.notes = "DEADiff's base: a prompt-conditioned EDM denoiser of the style world, trained by CM Studio.";
            break;
        case StyleStage::Extractors:
            card.notes = std::string(m_params.tasks == StyleTasks::Paired ? "DEADiff's style model"
                                                                          : "A comparison variant of DEADiff") +
                         ": the frozen base with " +
                         (m_params.extractors.extractors == StyleExtractorConfig::Extractors::Dual
                              ? "two Q-Former extractors (style, content)"
                              : "one Q-Former image encoder") +
                         " over the frozen feature network's map of a reference, image tokens placed " +
                         m_model.card().network.imagePlacementName() + ", trained by CM Studio on " +
                         (m_params.tasks == StyleTasks::Paired ? "pairs 1:1:1." : "reconstruction only.");
            break;
        case StyleStage::Consistency:
            card.notes = "DEADiff's style model made one-step: a consistency model tuned by ECT from the style "
                         "model " +
                         fs::path(m_params.stylePath).filename().string() +
                         " on the same pairs 1:1:1 with the same conditioning (the reference encoder and the "
                         "image encoders frozen), trained by CM Studio.";
            break;
        }
        Model saved = Model::create(card, 0);
        {
            torch::NoGradGuard noGrad;
            auto destination = saved.impl().network->named_parameters();
            for (const auto& item : m_network->named_parameters())
                destination[item.key()].copy_(item.value());
            for (const auto& [name, index] : m_trainableNames)
                destination[name].copy_(m_ema[0][index]);
        }
        saved.save(m_params.outputPath);
    }

    StyleTrainParams m_params;
    const StyleWorld& m_world;
    Model m_model;
    detail::PromptUNet* m_network = nullptr;
    std::vector<torch::Tensor> m_trainable;
    std::vector<std::pair<std::string, std::size_t>> m_trainableNames;
    std::vector<std::vector<torch::Tensor>> m_ema;
    std::unique_ptr<detail::Optimizer> m_optimizer;
    at::Generator m_generator;
    training::LogWindow m_window;
    long m_step = 0;
    double m_secondsBefore = 0;
    std::chrono::steady_clock::time_point m_start;
    std::string m_startingWeights; // a hash of the weights before any checkpoint was read
    training::DataParallelRun m_parallel;
    bool m_cancelRequested = false; // this process's cancel flag, sent with the step's sums
    bool m_stopAgreed = false;      // some rank's cancel flag, seen by all at the same step
};

} // namespace

StyleTrainSummary trainStyleModel(const StyleTrainParams& params, const StyleWorld& world,
                                  const std::function<void(const StyleTrainStatus&)>& observe,
                                  const CancelFlag* cancel) {
    StyleRun run(params, world);
    return run.run(observe, cancel);
}

} // namespace cm
