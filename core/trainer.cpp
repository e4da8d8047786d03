#include "trainer.h"

#include "atomic_file.h"
#include "detail/denoiser.h"
#include "detail/enum_names.h"
#include "detail/optimizer.h"
#include "detail/runtime_init.h"
#include "detail/tensor_io.h"
#include "detail/training_losses.h"
#include "error.h"
#include "metadata_fields.h"
#include "model.h"

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

using nlohmann::json;
namespace fs = std::filesystem;
using detail::enumFromName;

} // namespace

const char* trainModeName(TrainMode mode) {
    switch (mode) {
    case TrainMode::Edm:
        return "edm";
    case TrainMode::Cd:
        return "cd";
    case TrainMode::Ct:
        return "ct";
    case TrainMode::Ict:
        return "ict";
    case TrainMode::Ect:
        return "ect";
    }
    return "ict";
}

TrainMode trainModeFromName(const std::string& name) {
    if (name == "lpips") throw Error(ErrorKind::InvalidArgument, "'lpips' is a metric, not a training mode");
    return enumFromName(
        name, std::array{TrainMode::Edm, TrainMode::Cd, TrainMode::Ct, TrainMode::Ict, TrainMode::Ect},
        trainModeName, "training mode");
}

const char* distanceMetricName(DistanceMetric metric) {
    switch (metric) {
    case DistanceMetric::L2:
        return "l2";
    case DistanceMetric::L1:
        return "l1";
    case DistanceMetric::PseudoHuber:
        return "huber";
    }
    return "huber";
}

DistanceMetric distanceMetricFromName(const std::string& name) {
    if (name == "lpips")
        throw Error(
            ErrorKind::InvalidArgument,
            "the LPIPS metric needs ImageNet-trained VGG/AlexNet weights, which cannot be obtained on this "
            "machine; use huber, l2 or l1");
    return enumFromName(name, std::array{DistanceMetric::L2, DistanceMetric::L1, DistanceMetric::PseudoHuber},
                        distanceMetricName, "distance metric");
}

const std::vector<std::string>& trainLogColumns() {
    static const std::vector<std::string> columns = {
        "step",      "samples",    "loss", "loss_q0", "loss_q1", "loss_q2", "loss_q3",
        "grad_norm", "param_norm", "lr",   "N",       "mu",      "seconds"};
    return columns;
}

namespace {

std::string paramsJson(const TrainParams& p, const NetworkConfig& network) {
    json j;
    j["mode"] = trainModeName(p.mode);
    j["network"] = json::parse(networkConfigToJson(network));
    j["total_steps"] = p.totalSteps;
    j["batch_size"] = p.batchSize;
    j["learning_rate"] = p.learningRate;
    j["warmup_steps"] = p.warmupSteps;
    j["optimizer"] = p.optimizer == OptimizerKind::Adam ? "adam" : "radam";
    j["betas"] = {p.beta1, p.beta2};
    j["grad_clip"] = p.gradClip;
    j["ema_rates"] = p.emaRates;
    j["label_dropout"] = p.labelDropout;
    j["seed"] = p.seed;
    switch (p.mode) {
    case TrainMode::Edm:
        j["p_mean"] = p.edmPMean;
        j["p_std"] = p.edmPStd;
        break;
    case TrainMode::Cd:
        j["teacher"] = fs::path(p.teacherPath).filename().string();
        j["N"] = p.cdSteps;
        j["target_ema"] = p.cdTargetEma;
        break;
    case TrainMode::Ct:
        j["s0"] = p.ctS0;
        j["s1"] = p.ctS1;
        j["mu0"] = p.ctMu0;
        break;
    case TrainMode::Ict:
        j["s0"] = p.ictS0;
        j["s1"] = p.ictS1;
        j["p_mean"] = p.ictPMean;
        j["p_std"] = p.ictPStd;
        break;
    case TrainMode::Ect:
        j["init_from"] = fs::path(p.teacherPath).filename().string();
        j["q"] = p.ectQ;
        j["k"] = p.ectK;
        j["b"] = p.ectB;
        j["stage_steps"] = p.ectStageSteps;
        j["p_mean"] = p.ictPMean;
        j["p_std"] = p.ictPStd;
        break;
    }
    if (p.mode != TrainMode::Edm) {
        j["metric"] = distanceMetricName(p.metric);
        j["huber_c"] = p.huberC;
    }
    return j.dump();
}

std::vector<torch::Tensor> cloneAll(const std::vector<torch::Tensor>& tensors) {
    std::vector<torch::Tensor> out;
    for (const auto& t : tensors)
        out.push_back(t.detach().clone());
    return out;
}

void copyInto(const std::vector<torch::Tensor>& destination, const std::vector<torch::Tensor>& source) {
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < destination.size(); ++i)
        destination[i].copy_(source[i]);
}

void emaUpdate(std::vector<torch::Tensor>& average, const std::vector<torch::Tensor>& current, double rate) {
    torch::NoGradGuard noGrad;
    for (std::size_t i = 0; i < average.size(); ++i)
        average[i].mul_(rate).add_(current[i].detach(), 1.0 - rate);
}

double globalNorm(const std::vector<torch::Tensor>& tensors) {
    double sum = 0;
    for (const auto& t : tensors)
        if (t.defined()) sum += t.detach().pow(2).sum().item<double>();
    return std::sqrt(sum);
}

std::string formatNumber(double value) {
    if (!std::isfinite(value)) return "";
    std::ostringstream out;
    out.precision(8);
    out << value;
    return out.str();
}

// Whether two paths name one file (existing or not): a hard link, "./x" and "x", or the same path.
bool sameFile(const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    // weakly_canonical leaves a relative path relative when nothing of it exists yet: make it absolute first.
    const auto normal = [](const std::string& path) {
        std::error_code error;
        const fs::path result = fs::weakly_canonical(fs::absolute(path, error), error);
        return error ? fs::path(path) : result;
    };
    return normal(a) == normal(b);
}

// The files a run writes must be distinct from each other and from the teacher it reads, and an existing
// model is replaced only when asked: a typo in --out must not destroy a model.
void checkRunFiles(const TrainParams& p) {
    const std::pair<const char*, const std::string*> files[] = {{"the teacher", &p.teacherPath},
                                                                {"the output model", &p.outputPath},
                                                                {"the checkpoint", &p.checkpointPath},
                                                                {"the training log", &p.logPath}};
    for (std::size_t i = 0; i < std::size(files); ++i)
        for (std::size_t j = i + 1; j < std::size(files); ++j)
            if (!files[i].second->empty() && sameFile(*files[i].second, *files[j].second))
                throw Error(ErrorKind::InvalidArgument, std::string(files[i].first) + " and " +
                                                            files[j].first + " are the same file (" +
                                                            *files[j].second + "); give each its own path");
    if (!p.resume && !p.overwrite && fs::exists(p.outputPath))
        throw Error(ErrorKind::InvalidArgument, "the model file " + p.outputPath +
                                                    " already exists; resume its run, allow overwriting it, "
                                                    "or choose another output path");
}

// A log row as this trainer writes it: every column, and a whole step number. A row cut short by a crash
// (e.g. "1" of "1000,...") is neither.
bool completeLogRow(const std::string& line, long& step) {
    if (std::size_t(std::count(line.begin(), line.end(), ',')) + 1 != trainLogColumns().size()) return false;
    const char* end = line.data() + line.find(',');
    const auto parsed = std::from_chars(line.data(), end, step);
    return parsed.ec == std::errc() && parsed.ptr == end && step > 0;
}

// Sums over one logging window.
struct LogWindow {
    double lossSum = 0, gradSum = 0;
    double quartileSum[4] = {0, 0, 0, 0};
    long quartileCount[4] = {0, 0, 0, 0};
    long steps = 0;
};

class TrainingRun {
  public:
    TrainingRun(const TrainParams& params, const Dataset& data) : m_params(params) {
        validateAndPrepare(data);
    }

    TrainSummary run(const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel);

  private:
    void validateAndPrepare(const Dataset& data);
    void prepareLog();
    void saveCheckpoint();
    void loadCheckpoint();
    void saveModel();
    double learningRate(long step) const;
    // One optimisation step; returns the loss and fills the window.
    double trainStep(long step, TrainStatus& status);
    torch::Tensor lossTerms(long step, const torch::Tensor& x, const torch::Tensor& labels,
                            torch::Tensor& position, TrainStatus& status);

    TrainParams m_params;
    NetworkConfig m_network;
    NoiseConstants m_noise;
    torch::Tensor m_data, m_labels;
    int64_t m_nullLabel = -1;
    std::vector<std::string> m_classNames;
    std::string m_datasetDescription;
    std::string m_origin; // "cd from teacher.safetensors" etc., for the model card

    std::shared_ptr<detail::NetworkBase> m_online, m_target, m_teacher;
    NoiseConstants m_teacherNoise;
    std::vector<torch::Tensor> m_onlineParams, m_targetParams;
    std::vector<std::vector<torch::Tensor>> m_ema;
    std::unique_ptr<detail::Optimizer> m_optimizer;
    at::Generator m_generator;
    long m_step = 0;
    double m_secondsBefore = 0; // wall time of earlier segments of a resumed run
    std::chrono::steady_clock::time_point m_segmentStart;
    LogWindow m_window;
    std::ofstream m_log;
};

void TrainingRun::validateAndPrepare(const Dataset& data) {
    auto& p = m_params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output model path given");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    checkRunFiles(p);
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
    if (data.count() == 0) throw Error(ErrorKind::Data, "the training data set is empty");
    detail::ensureRuntimeInitialised();
    if (p.threads > 0) torch::set_num_threads(p.threads);

    m_network = p.network;
    m_noise = p.noise;
    if (p.mode == TrainMode::Cd || p.mode == TrainMode::Ect) {
        if (p.teacherPath.empty())
            throw Error(ErrorKind::InvalidArgument,
                        std::string(trainModeName(p.mode)) +
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
    m_network.validate();

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
    if (m_teacher) {
        torch::NoGradGuard noGrad;
        auto source = m_teacher->parameters();
        auto destination = m_online->parameters();
        for (std::size_t i = 0; i < destination.size(); ++i)
            destination[i].copy_(source[i]);
    }
    m_online->train();
    m_onlineParams = m_online->parameters();
    if (p.mode == TrainMode::Cd || p.mode == TrainMode::Ct) {
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

    // A process killed while saving leaves its temporary file; the checkpoint itself is intact.
    removeStaleTemporaries(p.checkpointPath);
    removeStaleTemporaries(p.outputPath);
    removeStaleTemporaries(p.logPath);
    const bool checkpointExists = fs::exists(p.checkpointPath);
    if (p.resume) {
        if (!checkpointExists)
            throw Error(ErrorKind::Io, "cannot resume: there is no checkpoint at " + p.checkpointPath);
        loadCheckpoint();
    } else if (!p.overwrite && (checkpointExists || fs::exists(p.logPath))) {
        throw Error(ErrorKind::InvalidArgument, "a training run already exists (" +
                                                    (checkpointExists ? p.checkpointPath : p.logPath) +
                                                    "); resume it, or allow overwriting it");
    }
}

double TrainingRun::learningRate(long step) const {
    if (m_params.warmupSteps <= 0 || step >= m_params.warmupSteps) return m_params.learningRate;
    return m_params.learningRate * double(step + 1) / double(m_params.warmupSteps);
}

torch::Tensor TrainingRun::lossTerms(long step, const torch::Tensor& x, const torch::Tensor& labels,
                                     torch::Tensor& position, TrainStatus& status) {
    const auto& p = m_params;
    const auto batch = x.size(0);
    auto opts64 = torch::TensorOptions().dtype(torch::kFloat64);
    auto z = at::randn(x.sizes(), m_generator, torch::kFloat32);
    auto online = [&](const torch::Tensor& input, const torch::Tensor& sigma) {
        return detail::precondition(*m_online, {ModelKind::Consistency, m_noise}, input, sigma, labels);
    };
    auto expand = [&](const torch::Tensor& perItem) {
        return detail::perSample(perItem.to(torch::kFloat32), x);
    };

    if (p.mode == TrainMode::Edm) {
        auto logSigma = at::randn({batch}, m_generator, opts64) * p.edmPStd + p.edmPMean;
        auto sigma = torch::exp(logSigma);
        auto denoised = detail::precondition(*m_online, {ModelKind::EdmDenoiser, m_noise},
                                             x + expand(sigma) * z, sigma, labels);
        const double sd = m_noise.sigmaData;
        auto weight = detail::mapPerSample(sigma, [sd](double s) { return edmLossWeight(s, sd); });
        position = detail::normalCdf((logSigma - p.edmPMean) / p.edmPStd);
        return weight.to(torch::kFloat32) * (denoised - x).pow(2).flatten(1).mean(1);
    }

    if (p.mode == TrainMode::Ect) {
        const long stageSteps = p.ectStageSteps > 0 ? p.ectStageSteps : std::max(1L, p.totalSteps / 8);
        const int stage = int(step / stageSteps);
        status.targetEma = 0;
        auto logT = at::randn({batch}, m_generator, opts64) * p.ictPStd + p.ictPMean;
        auto t = torch::exp(logT).clamp(2 * m_noise.sigmaMin, m_noise.sigmaMax);
        auto r = detail::mapPerSample(
            t, [&](double tValue) { return ectR(tValue, stage, p.ectQ, p.ectK, p.ectB, m_noise.sigmaMin); });
        auto [pred, target] = detail::evaluateWithSharedDropout([&] { return online(x + expand(t) * z, t); },
                                                                [&] { return online(x + expand(r) * z, r); });
        position = detail::normalCdf((torch::log(t) - p.ictPMean) / p.ictPStd);
        return detail::distance(pred, target, p.metric, p.huberC) / (t - r).to(torch::kFloat32);
    }

    // Discrete-grid modes: choose n so that the pair is (sigma_n, sigma_{n+1}) on an ascending grid.
    int gridPoints = p.cdSteps;
    double targetEma = 0;
    if (p.mode == TrainMode::Cd) targetEma = p.cdTargetEma;
    if (p.mode == TrainMode::Ct) {
        gridPoints = ctSteps(step, p.totalSteps, p.ctS0, p.ctS1);
        targetEma = ctTargetEma(step, p.totalSteps, p.ctS0, p.ctS1, p.ctMu0);
    }
    if (p.mode == TrainMode::Ict) gridPoints = ictSteps(step, p.totalSteps, p.ictS0, p.ictS1);
    gridPoints = std::max(gridPoints, 2);
    status.gridPoints = gridPoints;
    status.targetEma = targetEma;
    const auto gridVector = karrasGrid(gridPoints, m_noise);
    auto grid = torch::tensor(gridVector, opts64);
    torch::Tensor index;
    if (p.mode == TrainMode::Ict) {
        auto probabilities = torch::tensor(ictIndexProbabilities(gridVector, p.ictPMean, p.ictPStd), opts64);
        index = at::multinomial(probabilities, batch, true, m_generator);
    } else {
        index =
            at::randint(0, gridPoints - 1, {batch}, m_generator, torch::TensorOptions().dtype(torch::kInt64));
    }
    auto sigmaLow = grid.index_select(0, index);
    auto sigmaHigh = grid.index_select(0, index + 1);
    auto xHigh = x + expand(sigmaHigh) * z;
    position = index.to(torch::kFloat64) / double(gridPoints - 1);

    torch::Tensor xLow;
    if (p.mode == TrainMode::Cd) {
        torch::NoGradGuard noGrad;
        auto teacher = [&](const torch::Tensor& input, const torch::Tensor& sigma) {
            return detail::precondition(*m_teacher, {ModelKind::EdmDenoiser, m_teacherNoise}, input, sigma,
                                        labels);
        };
        auto slope = (xHigh - teacher(xHigh, sigmaHigh)) / expand(sigmaHigh);
        auto step = expand(sigmaLow - sigmaHigh);
        auto euler = xHigh + step * slope;
        auto slopeLow = (euler - teacher(euler, sigmaLow)) / expand(sigmaLow);
        xLow = xHigh + step * 0.5 * (slope + slopeLow);
    } else {
        xLow = x + expand(sigmaLow) * z;
    }
    auto targetFn = [&]() {
        if (m_target)
            return detail::precondition(*m_target, {ModelKind::Consistency, m_noise}, xLow, sigmaLow, labels);
        return online(xLow, sigmaLow);
    };
    auto [pred, target] =
        detail::evaluateWithSharedDropout([&] { return online(xHigh, sigmaHigh); }, targetFn);
    auto weight = torch::ones({batch}, torch::kFloat32);
    if (p.mode == TrainMode::Ict) weight = (1.0 / (sigmaHigh - sigmaLow)).to(torch::kFloat32);
    status.targetEma = targetEma;
    return weight * detail::distance(pred, target, p.metric, p.huberC);
}

double TrainingRun::trainStep(long step, TrainStatus& status) {
    const auto& p = m_params;
    auto index = at::randint(0, m_data.size(0), {p.batchSize}, m_generator,
                             torch::TensorOptions().dtype(torch::kInt64));
    auto x = m_data.index_select(0, index);
    torch::Tensor labels;
    if (m_nullLabel >= 0) {
        labels = m_labels.index_select(0, index);
        auto drop = at::rand({p.batchSize}, m_generator, torch::kFloat32) < p.labelDropout;
        labels = torch::where(drop, torch::full_like(labels, m_nullLabel), labels);
    }
    torch::Tensor position;
    auto perSample = lossTerms(step, x, labels, position, status);
    auto loss = perSample.mean();
    const double lossValue = loss.item<double>();
    if (!std::isfinite(lossValue))
        throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " +
                                            std::to_string(step) + "; the last good checkpoint is " +
                                            p.checkpointPath);
    for (auto& param : m_onlineParams)
        param.mutable_grad() = torch::Tensor();
    loss.backward();
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
        const double rate = std::min(p.emaRates[i], double(step + 1) / double(step + 10));
        emaUpdate(m_ema[i], m_onlineParams, rate);
    }

    auto quartile = (position * 4).floor().clamp(0, 3).to(torch::kInt64);
    auto values = perSample.detach().to(torch::kFloat64);
    for (int q = 0; q < 4; ++q) {
        auto mask = quartile == q;
        m_window.quartileCount[q] += mask.sum().item<int64_t>();
        m_window.quartileSum[q] += values.masked_select(mask).sum().item<double>();
    }
    m_window.lossSum += lossValue;
    m_window.gradSum += gradNorm;
    m_window.steps += 1;
    return lossValue;
}

void TrainingRun::prepareLog() {
    const auto& p = m_params;
    std::vector<std::string> kept;
    if (p.resume && fs::exists(p.logPath)) {
        // Rows written after the checkpoint belong to work that is being redone.
        std::ifstream in(p.logPath);
        std::string line;
        bool header = true;
        while (std::getline(in, line)) {
            if (header) {
                header = false;
                continue;
            }
            long rowStep = 0;
            if (completeLogRow(line, rowStep) && rowStep <= m_step) kept.push_back(line);
        }
    }
    std::string text;
    for (std::size_t i = 0; i < trainLogColumns().size(); ++i)
        text += (i ? "," : "") + trainLogColumns()[i];
    text += "\n";
    for (const auto& line : kept)
        text += line + "\n";
    writeFileAtomically(p.logPath, text);
    m_log.open(p.logPath, std::ios::app);
    if (!m_log) throw Error(ErrorKind::Io, "cannot append to the training log " + p.logPath);
}

void TrainingRun::saveModel() {
    ModelCard card;
    card.kind = m_params.mode == TrainMode::Edm ? ModelKind::EdmDenoiser : ModelKind::Consistency;
    card.network = m_network;
    card.noise = m_noise;
    card.recipe = trainModeName(m_params.mode);
    card.trainingJson = paramsJson(m_params, m_network);
    card.dataset = m_datasetDescription;
    card.trainingSteps = m_step;
    card.classNames = m_classNames;
    card.notes = "Weights: EMA " + formatNumber(m_params.emaRates[0]) +
                 " of the online network. Trained by CM Studio.";
    Model model = Model::create(card, 0);
    copyInto(model.impl().network->parameters(), m_ema[0]);
    model.save(m_params.outputPath);
}

void TrainingRun::saveCheckpoint() {
    SafetensorsFile file;
    auto addList = [&](const std::string& prefix, const std::vector<torch::Tensor>& list) {
        for (std::size_t i = 0; i < list.size(); ++i)
            file.tensors[prefix + std::to_string(i)] = detail::toRecord(list[i], DType::F32);
    };
    addList("online.", m_onlineParams);
    if (m_target) addList("target.", m_targetParams);
    for (std::size_t i = 0; i < m_ema.size(); ++i)
        addList("ema" + std::to_string(i) + ".", m_ema[i]);
    addList("adam_m.", m_optimizer->firstMoments());
    addList("adam_v.", m_optimizer->secondMoments());
    file.tensors["rng.sampling"] = detail::toRecord(m_generator.get_state(), DType::U8);
    file.tensors["rng.dropout"] =
        detail::toRecord(at::detail::getDefaultCPUGenerator().get_state(), DType::U8);
    file.metadata["format"] = "cmstudio-checkpoint";
    file.metadata["mode"] = trainModeName(m_params.mode);
    file.metadata["network"] = networkConfigToJson(m_network);
    file.metadata["step"] = std::to_string(m_step);
    file.metadata["optimizer_step"] = std::to_string(m_optimizer->stepCount());
    const double seconds =
        m_secondsBefore +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_segmentStart).count();
    file.metadata["seconds"] = formatNumber(seconds);
    file.metadata["ema_count"] = std::to_string(m_ema.size());
    file.metadata["params"] = paramsJson(m_params, m_network);
    writeSafetensors(m_params.checkpointPath, file);
}

void TrainingRun::loadCheckpoint() {
    const auto& path = m_params.checkpointPath;
    const SafetensorsFile file = readSafetensors(path);
    auto meta = [&](const std::string& key) {
        auto it = file.metadata.find(key);
        if (it == file.metadata.end())
            throw Error(ErrorKind::Format, path + ": checkpoint metadata '" + key + "' is missing");
        return it->second;
    };
    if (meta("format") != "cmstudio-checkpoint")
        throw Error(ErrorKind::Format, path + " is not a CM Studio checkpoint");
    if (meta("mode") != trainModeName(m_params.mode))
        throw Error(ErrorKind::InvalidArgument, path + " was written by a '" +
                                                    describeUntrusted(meta("mode")) + "' run, not '" +
                                                    trainModeName(m_params.mode) + "'");
    // Numbers are parsed strictly: a damaged checkpoint is a format error naming the field.
    const std::string where = path + ": checkpoint metadata";
    const long emaCount = metadata::parseLong(meta("ema_count"), "ema_count", where);
    const long step = metadata::parseLong(meta("step"), "step", where);
    const long optimizerStep = metadata::parseLong(meta("optimizer_step"), "optimizer_step", where);
    const double seconds = metadata::parseDouble(meta("seconds"), "seconds", where);
    if (networkConfigFromJson(meta("network"), path).itemShape() != m_network.itemShape() ||
        meta("network") != networkConfigToJson(m_network))
        throw Error(ErrorKind::InvalidArgument,
                    path + ": the checkpoint's network differs from the requested one");
    if (std::size_t(emaCount) != m_ema.size())
        throw Error(ErrorKind::InvalidArgument, path + ": the checkpoint has " + std::to_string(emaCount) +
                                                    " EMA copies; the run asks for " +
                                                    std::to_string(m_ema.size()));
    auto loadList = [&](const std::string& prefix, std::vector<torch::Tensor>& list) {
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto it = file.tensors.find(prefix + std::to_string(i));
            if (it == file.tensors.end())
                throw Error(ErrorKind::Format,
                            path + ": checkpoint tensor '" + prefix + std::to_string(i) + "' is missing");
            auto value = detail::fromRecord(it->second);
            if (value.sizes() != list[i].sizes())
                throw Error(ErrorKind::Shape, path + ": checkpoint tensor '" + prefix + std::to_string(i) +
                                                  "' has shape " + detail::shapeString(value.sizes()) +
                                                  ", expected " + detail::shapeString(list[i].sizes()));
            list[i].copy_(value);
        }
    };
    loadList("online.", m_onlineParams);
    if (m_target) loadList("target.", m_targetParams);
    for (std::size_t i = 0; i < m_ema.size(); ++i)
        loadList("ema" + std::to_string(i) + ".", m_ema[i]);
    loadList("adam_m.", m_optimizer->firstMoments());
    loadList("adam_v.", m_optimizer->secondMoments());
    auto rngState = [&](const std::string& key) {
        auto it = file.tensors.find(key);
        if (it == file.tensors.end() || it->second.dtype != DType::U8)
            throw Error(ErrorKind::Format,
                        path + ": checkpoint tensor '" + key + "' (U8 generator state) is missing");
        return detail::fromRecord(it->second);
    };
    m_generator.set_state(rngState("rng.sampling"));
    at::Generator dropoutGenerator = at::detail::getDefaultCPUGenerator();
    dropoutGenerator.set_state(rngState("rng.dropout"));
    m_step = step;
    m_optimizer->setStepCount(optimizerStep);
    m_secondsBefore = seconds;
}

TrainSummary TrainingRun::run(const std::function<void(const TrainStatus&)>& observe,
                              const CancelFlag* cancel) {
    const auto& p = m_params;
    prepareLog();
    m_segmentStart = std::chrono::steady_clock::now();
    TrainSummary summary;
    TrainStatus status;
    status.totalSteps = p.totalSteps;
    auto elapsed = [&] {
        return m_secondsBefore +
               std::chrono::duration<double>(std::chrono::steady_clock::now() - m_segmentStart).count();
    };
    bool savedThisSegment = false;
    while (m_step < p.totalSteps) {
        if (cancel && cancel->load()) {
            summary.cancelled = true;
            break;
        }
        status.loss = trainStep(m_step, status);
        ++m_step;
        status.step = m_step;
        status.seconds = elapsed();
        if (m_step % p.logEvery == 0 || m_step == p.totalSteps) {
            const double n = double(std::max(1L, m_window.steps));
            std::ostringstream row;
            row << m_step << ',' << m_step * long(p.batchSize) << ',' << formatNumber(m_window.lossSum / n);
            for (int q = 0; q < 4; ++q)
                row << ','
                    << (m_window.quartileCount[q]
                            ? formatNumber(m_window.quartileSum[q] / m_window.quartileCount[q])
                            : "");
            row << ',' << formatNumber(m_window.gradSum / n) << ','
                << formatNumber(globalNorm(m_onlineParams)) << ',' << formatNumber(learningRate(m_step - 1))
                << ',' << (status.gridPoints ? std::to_string(status.gridPoints) : "") << ','
                << formatNumber(status.targetEma) << ',' << formatNumber(status.seconds) << '\n';
            m_log << row.str() << std::flush;
            if (!m_log)
                throw Error(ErrorKind::Io, "writing the training log " + p.logPath + " failed (disk full?)");
            summary.lastLoggedLoss = m_window.lossSum / n;
            m_window = LogWindow{};
        }
        if (m_step % p.checkpointEvery == 0 || m_step == p.totalSteps) {
            saveCheckpoint();
            saveModel();
            savedThisSegment = true;
        }
        if (observe) observe(status);
    }
    if (summary.cancelled) {
        saveCheckpoint();
        saveModel();
    } else if (!savedThisSegment) {
        // A finished run resumed: nothing was trained, but the model it reports must exist (it may have been
        // deleted), and the checkpoint holds exactly its weights.
        saveModel();
    }
    summary.steps = m_step;
    summary.seconds = elapsed();
    return summary;
}

} // namespace

TrainSummary train(const TrainParams& params, const Dataset& data,
                   const std::function<void(const TrainStatus&)>& observe, const CancelFlag* cancel) {
    TrainingRun run(params, data);
    return run.run(observe, cancel);
}

} // namespace cm
