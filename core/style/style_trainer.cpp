#include "style_trainer.h"

#include "core/detail/denoiser.h"
#include "core/detail/optimizer.h"
#include "core/detail/prompt_unet.h"
#include "core/error.h"
#include "core/metadata_fields.h"
#include "core/training/checkpoint.h"
#include "core/training/log_writer.h"
#include "core/training/run_files.h"
#include "style_objective.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <algorithm>

namespace cm {

const char* styleStageName(StyleStage stage) {
    return stage == StyleStage::Base ? "base" : "extractors";
}

StyleStage styleStageFromName(const std::string& name) {
    if (name == "base") return StyleStage::Base;
    if (name == "extractors") return StyleStage::Extractors;
    throw Error(ErrorKind::InvalidArgument, "style stage must be \"base\" or \"extractors\", got \"" + name + "\"");
}

NoiseLevels defaultNoiseLevels(StyleStage stage) {
    return stage == StyleStage::Base ? NoiseLevels{-1.2, 1.2} : NoiseLevels{2.0, 1.0};
}

namespace {

namespace fs = std::filesystem;

void checkParams(StyleTrainParams& p) {
    auto require = [](bool ok, const std::string& message) {
        if (!ok) throw Error(ErrorKind::InvalidArgument, message);
    };
    require(!p.outputPath.empty(), "the style trainer needs an output path");
    require(p.totalSteps >= 1, "total steps must be at least 1");
    require(p.batchSize >= 1 && p.batchSize <= 4096, "batch size must be in 1..4096");
    require(p.learningRate > 0 && std::isfinite(p.learningRate), "the learning rate must be positive");
    require(p.emaRate >= 0 && p.emaRate < 1, "the EMA rate must be in [0, 1)");
    require(p.promptDropout >= 0 && p.promptDropout < 1, "prompt dropout must be in [0, 1)");
    require(p.imageDropout >= 0 && p.imageDropout < 1, "image dropout must be in [0, 1)");
    require(p.logEvery >= 1 && p.checkpointEvery >= 1, "log and checkpoint intervals must be at least 1");
    if (p.stage == StyleStage::Extractors)
        require(!p.basePath.empty() && !p.featureNetPath.empty(),
                "the extractors stage needs the trained base (--base) and the feature network (--features)");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    const bool extractors = p.stage == StyleStage::Extractors;
    training::checkRunFiles({{"the base", extractors ? p.basePath : std::string()},
                             {"the feature network", extractors ? p.featureNetPath : std::string()},
                             {"the output model", p.outputPath},
                             {"the checkpoint", p.checkpointPath},
                             {"the training log", p.logPath}},
                            "model", p.outputPath, p.resume, p.overwrite);
}

class StyleRun {
  public:
    StyleRun(StyleTrainParams params, const StyleWorld& world) : m_params(std::move(params)), m_world(world) {
        checkParams(m_params);
        if (m_params.threads > 0) torch::set_num_threads(m_params.threads);
        const auto& p = m_params;
        if (p.stage == StyleStage::Base) {
            m_model = Model::create(styleBaseCard(p.base), p.seed);
        } else {
            const Model base = Model::load(p.basePath);
            m_model = createStyleModel(base, FeatureNet::load(p.featureNetPath), p.extractors, p.seed);
        }
        m_network = dynamic_cast<detail::PromptUNet*>(m_model.impl().network.get());
        m_trainable = p.stage == StyleStage::Base ? m_network->baseParameters() : m_network->extractorParameters();
        // Only the stage's parameters learn: the base is frozen while the extractors train.
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
        if (training::prepareRunFiles(p.checkpointPath, p.outputPath, p.logPath, p.resume, p.overwrite))
            loadCheckpoint();
    }

    StyleTrainSummary run(const std::function<void(const StyleTrainStatus&)>& observe, const CancelFlag* cancel) {
        const auto& p = m_params;
        training::LogWriter log(p.logPath, trainLogColumns(), p.resume, m_step);
        m_start = std::chrono::steady_clock::now();
        StyleTrainSummary summary;
        StyleTrainStatus status;
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
                training::LogRowValues values;
                values.step = m_step;
                values.samples = m_step * long(p.batchSize);
                values.paramNorm = parameterNorm();
                values.learningRate = p.learningRate;
                values.targetEma = p.emaRate;
                values.seconds = status.seconds;
                log.append(training::trainLogRow(m_window, values));
                summary.lastLoggedLoss = m_window.lossSum / double(std::max(1L, m_window.steps));
                m_window = training::LogWindow{};
            }
            if (m_step % p.checkpointEvery == 0 || m_step == p.totalSteps) {
                saveCheckpoint();
                saveModel();
                saved = true;
            }
            if (observe) observe(status);
        }
        if (summary.cancelled) {
            saveCheckpoint();
            saveModel();
        } else if (!saved) {
            saveModel(); // a finished run resumed: the model it reports must exist
        }
        summary.steps = m_step;
        summary.seconds = elapsed();
        return summary;
    }

  private:
    double step() {
        const auto& p = m_params;
        m_network->train();
        const auto batch = style::drawStyleBatch(m_world, m_model.card().network, p, p.batchSize,
                                                 style::stepSeed(p.seed, m_step));
        training::BatchDraws draws(m_generator, p.batchSize, 0, p.batchSize);
        torch::Tensor position;
        const auto perSample =
            style::styleLoss(*m_network, detail::Parameterisation::of(m_model.card()), batch, draws, p, position);
        const auto loss = perSample.mean();
        const double value = loss.item<double>();
        if (!std::isfinite(value))
            throw Error(ErrorKind::Numeric, "the style training loss became " + std::to_string(value) + " at step " +
                                                std::to_string(m_step + 1) + "; the last checkpoint (" +
                                                p.checkpointPath + ") is kept");
        for (auto& parameter : m_trainable)
            if (parameter.grad().defined()) parameter.mutable_grad().zero_();
        loss.backward();
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
        const auto quartile = (position * 4).floor().clamp(0, 3).to(torch::kInt64);
        for (int64_t j = 0; j < perSample.size(0); ++j) {
            const auto q = quartile[j].item<int64_t>();
            m_window.quartileSum[q] += perSample[j].item<double>();
            ++m_window.quartileCount[q];
        }
        return value;
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
        } else {
            j["image_dropout"] = p.imageDropout;
            j["tasks"] = "same style : same content : reconstruction = 1:1:1";
            j["base"] = fs::path(p.basePath).filename().string();
            j["feature_network"] = fs::path(p.featureNetPath).filename().string();
        }
        return j.dump();
    }

    training::CheckpointInfo checkpointInfo() const {
        return {std::string("style-") + styleStageName(m_params.stage), networkConfigToJson(m_model.card().network),
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
        card.notes = m_params.stage == StyleStage::Base
                         ? "DEADiff's base: a prompt-conditioned EDM denoiser of the style world, trained by CM Studio."
                         : "DEADiff's style model: the frozen base with two Q-Former extractors (style, content) "
                           "over the frozen feature network's map of a reference, trained by CM Studio on pairs "
                           "1:1:1.";
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
};

} // namespace

StyleTrainSummary trainStyleModel(const StyleTrainParams& params, const StyleWorld& world,
                                  const std::function<void(const StyleTrainStatus&)>& observe,
                                  const CancelFlag* cancel) {
    StyleRun run(params, world);
    return run.run(observe, cancel);
}

} // namespace cm
