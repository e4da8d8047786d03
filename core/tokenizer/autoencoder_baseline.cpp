#include "autoencoder_baseline.h"

#include "core/atomic_file.h"
#include "core/detail/optimizer.h"
#include "core/detail/runtime_init.h"
#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/training/parameter_lists.h"
#include "detail/lfq.h"
#include "detail/optimisation_step.h"
#include "detail/perceptual_distance.h"
#include "detail/tokenizer_impl.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cm {

const std::vector<std::string>& autoencoderLogColumns() {
    static const std::vector<std::string> columns = {"step",    "samples",   "loss", "mse",    "perceptual",
                                                     "commitment", "entropy", "grad_norm", "lr", "seconds"};
    return columns;
}

TokenizerTrainSummary trainDeterministicAutoencoder(const TokenizerTrainParams& params, const Dataset& data,
                                                    const std::function<void(const TokenizerTrainStatus&)>& observe,
                                                    const CancelFlag* cancel) {
    namespace fs = std::filesystem;
    TokenizerTrainParams p = params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output tokenizer path given");
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    if (p.stage != TokenizerStage::ModeMatching || !p.initFrom.empty())
        throw Error(ErrorKind::InvalidArgument, "the deterministic autoencoder trains from scratch, end to end");
    if (p.resume) throw Error(ErrorKind::InvalidArgument, "the deterministic autoencoder trains in one go (no resume)");
    if (sameFile(p.outputPath, p.logPath) || (!p.perceptualNet.empty() && (sameFile(p.perceptualNet, p.outputPath) ||
                                                                             sameFile(p.perceptualNet, p.logPath))))
        throw Error(ErrorKind::InvalidArgument, "the perceptual network, the output and the log must be different files");
    if (!p.overwrite && (fs::exists(p.outputPath) || fs::exists(p.logPath)))
        throw Error(ErrorKind::InvalidArgument, "the tokenizer file " + p.outputPath + " or its log already exists; "
                                                "allow overwriting it or choose another output path");
    if (p.totalSteps < 1 || p.batchSize < 2 || p.batchSize > 4096 || !(p.learningRate > 0) ||
        !(p.emaRate >= 0 && p.emaRate < 1) || p.logEvery < 1 || p.checkpointEvery < 1)
        throw Error(ErrorKind::InvalidArgument, "steps, batch (2..4096), learning rate, EMA rate [0, 1) and intervals "
                                                "must be valid");
    for (double w : {p.perceptualWeight, p.commitmentWeight, p.entropyWeight})
        if (!(w >= 0 && w <= 100)) throw Error(ErrorKind::InvalidArgument, "loss weights must be in [0, 100]");
    p.config.validate();
    const auto shape = p.config.itemShape();
    if (data.itemShape != shape)
        throw Error(ErrorKind::Shape, "the data set's items have shape " + detail::shapeString(data.itemShape) +
                                          " but the autoencoder takes " + detail::shapeString(shape));
    if (data.count() < 2) throw Error(ErrorKind::Data, "the training data set needs at least 2 images");
    detail::ensureRuntimeInitialised();
    if (p.threads > 0) torch::set_num_threads(p.threads);

    TokenizerCard card;
    card.config = p.config;
    card.parameterisation = kDeterministicDecoder;
    card.stages = {"autoencoder"};
    card.dataset = data.description;
    card.classNames = data.classNames;
    torch::manual_seed(p.seed);
    Tokenizer tokenizer = Tokenizer::create(card, p.seed);
    auto& networks = *tokenizer.impl().networks;
    networks.train();
    std::shared_ptr<detail::FeatureNetwork> perceptual;
    if (!p.perceptualNet.empty()) perceptual = detail::loadPerceptualNetwork(p.perceptualNet, shape);
    std::vector<int64_t> dataShape{data.count()};
    dataShape.insert(dataShape.end(), shape.begin(), shape.end());
    const auto all = torch::from_blob(const_cast<float*>(data.values.data()), dataShape, torch::kFloat32).clone();
    const auto parameters = networks.parameters();
    std::vector<torch::Tensor> ema;
    for (const auto& parameter : parameters)
        ema.push_back(parameter.detach().clone());
    detail::Optimizer optimizer(parameters, detail::Optimizer::Kind::Adam, p.beta1, p.beta2);
    at::Generator generator = at::detail::createCPUGenerator(p.seed ^ 0x5DEECE66DULL);

    nlohmann::json training;
    training["autoencoder"] = {{"steps", p.totalSteps},        {"batch_size", p.batchSize},
                               {"learning_rate", p.learningRate}, {"ema", p.emaRate},
                               {"loss", "mse + perceptual + commitment + entropy"},
                               {"perceptual_weight", p.perceptualWeight}, {"commitment_weight", p.commitmentWeight},
                               {"entropy_weight", p.entropyWeight}, {"seed", p.seed},
                               {"perceptual_net", fs::path(p.perceptualNet).filename().string()}};
    long step = 0;
    auto save = [&] {
        TokenizerCard saved = card;
        training["autoencoder"]["steps_done"] = step;
        saved.trainingJson = training.dump();
        saved.trainingSteps = step;
        saved.notes = "Baseline: a deterministic autoencoder (FlowMo's encoder and LFQ, the decoder evaluated once "
                      "at x_t = 0, t = 1), EMA weights. Trained by CM Studio.";
        Tokenizer out = Tokenizer::create(saved, 0);
        training::copyInto(out.impl().networks->parameters(), ema);
        out.save(p.outputPath);
    };

    std::string header;
    for (const auto& column : autoencoderLogColumns())
        header += (header.empty() ? "" : ",") + column;
    writeFileAtomically(p.logPath, header + "\n");
    std::ofstream log(p.logPath, std::ios::app);
    const auto start = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    std::array<double, 6> window{}; // loss, mse, perceptual, commitment, entropy, grad
    long windowSteps = 0;
    TokenizerTrainSummary summary;
    TokenizerTrainStatus status;
    status.totalSteps = p.totalSteps;
    while (step < p.totalSteps) {
        if (cancel && cancel->load()) {
            summary.cancelled = true;
            break;
        }
        const int64_t batch = p.batchSize;
        auto index = at::randint(0, all.size(0), {batch}, generator, torch::TensorOptions().dtype(torch::kInt64));
        const auto x = all.index_select(0, index);
        const auto latents = networks.encoder->forward(x);
        const auto code = detail::lfqQuantize(latents);
        const auto estimate = detail::consistencyEstimate(*networks.decoder, p.config, torch::zeros_like(x),
                                                          torch::ones({batch}), code);
        const auto mse = (estimate - x).pow(2).mean();
        const auto perceptualTerm = detail::perceptualDistance(perceptual.get(), estimate, x).mean();
        const auto commitment = detail::lfqCommitment(latents);
        const auto entropy = detail::lfqEntropy(latents, p.config.entropyGroupBits);
        const auto loss = mse + p.perceptualWeight * perceptualTerm + p.commitmentWeight * commitment +
                          p.entropyWeight * entropy;
        const double lossValue = loss.item<double>();
        if (!std::isfinite(lossValue))
            throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                                std::to_string(step) + "; the last tokenizer written is " + p.outputPath);
        const double gradNorm =
            detail::optimisationStep(loss, parameters, optimizer, p.learningRate, ema, p.emaRate, step);
        const double terms[6] = {lossValue, mse.item<double>(), perceptualTerm.item<double>(), commitment.item<double>(),
                                 entropy.item<double>(), gradNorm};
        for (int i = 0; i < 6; ++i)
            window[std::size_t(i)] += terms[i];
        ++windowSteps;
        ++step;
        if (step % p.logEvery == 0 || step == p.totalSteps) {
            std::ostringstream row;
            row.precision(8);
            row << step << ',' << step * long(p.batchSize);
            for (double sum : window)
                row << ',' << sum / double(windowSteps);
            row << ',' << p.learningRate << ',' << seconds() << '\n';
            log << row.str() << std::flush;
            if (!log) throw Error(ErrorKind::Io, "writing the training log " + p.logPath + " failed (disk full?)");
            summary.lastLoggedLoss = window[0] / double(windowSteps);
            window = {};
            windowSteps = 0;
        }
        if (step % p.checkpointEvery == 0 || step == p.totalSteps) save();
        status.step = step;
        status.loss = lossValue;
        status.seconds = seconds();
        if (observe) observe(status);
    }
    if (summary.cancelled) save();
    summary.steps = step;
    summary.seconds = seconds();
    return summary;
}

} // namespace cm
