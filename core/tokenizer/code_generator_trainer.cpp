#include "code_generator_trainer.h"

#include "core/atomic_file.h"
#include "core/detail/optimizer.h"
#include "core/detail/runtime_init.h"
#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "core/metadata_fields.h"
#include "core/safetensors.h"
#include "detail/code_generator_network.h"
#include "detail/optimisation_step.h"
#include "tokenizer_evaluation.h"

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
constexpr const char* kCheckpointFormat = "cmstudio-code-generator-checkpoint";
}

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

CodeGeneratorTrainSummary trainCodeGenerator(const CodeGeneratorTrainParams& params, const CodeSet& codes,
                                             const std::function<void(long, long, double)>& observe,
                                             const CancelFlag* cancel) {
    namespace fs = std::filesystem;
    CodeGeneratorTrainParams p = params;
    if (p.outputPath.empty()) throw Error(ErrorKind::InvalidArgument, "no output code generator path given");
    if (p.checkpointPath.empty()) p.checkpointPath = p.outputPath + ".ckpt";
    if (p.logPath.empty()) p.logPath = p.outputPath + ".csv";
    if (sameFile(p.outputPath, p.checkpointPath) || sameFile(p.outputPath, p.logPath) ||
        sameFile(p.checkpointPath, p.logPath))
        throw Error(ErrorKind::InvalidArgument, "the code generator, its checkpoint and its log must be different files");
    if (codes.codes.size() < 2 || codes.labels.size() != codes.codes.size())
        throw Error(ErrorKind::Data, "the code generator needs at least 2 codes, one label each");
    if (p.totalSteps < 1 || p.batchSize < 1 || p.batchSize > 65536 || !(p.learningRate > 0) ||
        !(p.emaRate >= 0 && p.emaRate < 1) || p.logEvery < 1 || p.checkpointEvery < 1)
        throw Error(ErrorKind::InvalidArgument, "steps, batch, learning rate, EMA rate [0, 1) and intervals must be valid");
    if (!p.resume && !p.overwrite && (fs::exists(p.outputPath) || fs::exists(p.checkpointPath) || fs::exists(p.logPath)))
        throw Error(ErrorKind::InvalidArgument, "the code generator " + p.outputPath +
                                                    " or its run files already exist; resume the run, allow overwriting, "
                                                    "or choose another output path");
    if (p.resume && !fs::exists(p.checkpointPath))
        throw Error(ErrorKind::Io, "cannot resume: there is no checkpoint at " + p.checkpointPath);
    detail::ensureRuntimeInitialised();
    if (p.threads > 0) torch::set_num_threads(p.threads);

    CodeGeneratorCard card;
    card.config.codeBits = codes.codes.front().bitCount();
    card.config.classes = codes.classes();
    card.config.width = p.width;
    card.config.depth = p.depth;
    card.config.validate();
    card.classNames = codes.classNames;
    card.tokenizer = p.tokenizerName;
    card.dataset = codes.description;
    for (auto label : codes.labels)
        if (label < 0 || label >= card.config.classes) throw Error(ErrorKind::Data, "a label outside the class names");
    const auto allSigns = detail::codeSigns(codes.codes, card.config.codeBits);
    const auto allLabels = torch::tensor(codes.labels, torch::kInt64);

    CodeGenerator generator = CodeGenerator::create(card, p.seed);
    auto& network = *generator.impl().network;
    network.train();
    const auto parameters = network.parameters();
    std::vector<torch::Tensor> ema;
    for (const auto& parameter : parameters)
        ema.push_back(parameter.detach().clone());
    detail::Optimizer optimizer(parameters, detail::Optimizer::Kind::Adam, 0.9, 0.99);
    at::Generator random = at::detail::createCPUGenerator(p.seed ^ 0x2545F4914F6CDD1DULL);
    const std::string configJson = card.toMetadata().at("code_generator");
    long step = 0;
    double secondsBefore = 0;

    auto tensorList = [](SafetensorsFile& file, const std::string& prefix, const std::vector<torch::Tensor>& list) {
        for (std::size_t i = 0; i < list.size(); ++i)
            file.tensors[prefix + std::to_string(i)] = detail::toRecord(list[i], DType::F32);
    };
    const auto began = std::chrono::steady_clock::now();
    auto seconds = [&] {
        return secondsBefore + std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    };
    auto saveCheckpoint = [&] {
        SafetensorsFile file;
        tensorList(file, "online.", parameters);
        tensorList(file, "ema.", ema);
        tensorList(file, "adam_m.", optimizer.firstMoments());
        tensorList(file, "adam_v.", optimizer.secondMoments());
        file.tensors["rng.sampling"] = detail::toRecord(random.get_state(), DType::U8);
        file.metadata["format"] = kCheckpointFormat;
        file.metadata["code_generator"] = configJson;
        file.metadata["step"] = std::to_string(step);
        file.metadata["optimizer_step"] = std::to_string(optimizer.stepCount());
        file.metadata["seconds"] = metadata::formatExact(seconds());
        writeSafetensors(p.checkpointPath, file);
    };
    auto saveGenerator = [&] {
        CodeGeneratorCard saved = card;
        saved.trainingSteps = step;
        saved.trainingJson = nlohmann::json{{"steps", p.totalSteps},     {"steps_done", step},
                                            {"batch_size", p.batchSize}, {"learning_rate", p.learningRate},
                                            {"ema", p.emaRate},          {"seed", p.seed},
                                            {"codes", codes.codes.size()}}
                                 .dump();
        saved.notes = "Stage 2 of a FlowMo tokenizer: MADE over the code bits, class-conditional. EMA weights. "
                      "Trained by CM Studio.";
        CodeGenerator out = CodeGenerator::create(saved, 0);
        torch::NoGradGuard noGrad;
        const auto destination = out.impl().network->parameters();
        for (std::size_t i = 0; i < destination.size(); ++i)
            destination[i].copy_(ema[i]);
        out.save(p.outputPath);
    };
    if (p.resume) {
        const SafetensorsFile file = readSafetensors(p.checkpointPath);
        const std::string where = p.checkpointPath + ": checkpoint metadata";
        if (metadata::require(file.metadata, "format", where) != kCheckpointFormat)
            throw Error(ErrorKind::Format, p.checkpointPath + " is not a CM Studio code generator checkpoint");
        if (metadata::require(file.metadata, "code_generator", where) != configJson)
            throw Error(ErrorKind::InvalidArgument, p.checkpointPath + ": the checkpoint's sizes differ from the requested ones");
        auto load = [&](const std::string& prefix, const std::vector<torch::Tensor>& list) {
            torch::NoGradGuard noGrad;
            for (std::size_t i = 0; i < list.size(); ++i) {
                const auto it = file.tensors.find(prefix + std::to_string(i));
                if (it == file.tensors.end())
                    throw Error(ErrorKind::Format, p.checkpointPath + ": tensor '" + prefix + std::to_string(i) + "' is missing");
                const auto value = detail::fromRecord(it->second);
                if (value.sizes() != list[i].sizes())
                    throw Error(ErrorKind::Shape, p.checkpointPath + ": tensor '" + prefix + std::to_string(i) + "' has the wrong shape");
                list[i].copy_(value);
            }
        };
        load("online.", parameters);
        load("ema.", ema);
        load("adam_m.", optimizer.firstMoments());
        load("adam_v.", optimizer.secondMoments());
        const auto rng = file.tensors.find("rng.sampling");
        if (rng == file.tensors.end() || rng->second.dtype != DType::U8)
            throw Error(ErrorKind::Format, p.checkpointPath + ": the generator state is missing");
        random.set_state(detail::fromRecord(rng->second));
        step = metadata::parseLong(metadata::require(file.metadata, "step", where), "step", where);
        optimizer.setStepCount(metadata::parseLong(metadata::require(file.metadata, "optimizer_step", where), "optimizer_step", where));
        secondsBefore = metadata::parseDouble(metadata::require(file.metadata, "seconds", where), "seconds", where);
    }

    // The log: the header and, on resume, the complete rows up to the checkpoint's step.
    const auto& columns = codeGeneratorLogColumns();
    std::string text;
    for (const auto& column : columns)
        text += (text.empty() ? "" : ",") + column;
    text += "\n";
    if (p.resume && fs::exists(p.logPath)) {
        std::ifstream in(p.logPath);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            long rowStep = 0;
            const auto comma = line.find(',');
            if (comma == std::string::npos || std::size_t(std::count(line.begin(), line.end(), ',')) + 1 != columns.size())
                continue;
            const auto parsed = std::from_chars(line.data(), line.data() + comma, rowStep);
            if (parsed.ec == std::errc() && parsed.ptr == line.data() + comma && rowStep > 0 && rowStep <= step)
                text += line + "\n";
        }
    }
    writeFileAtomically(p.logPath, text);
    std::ofstream log(p.logPath, std::ios::app);

    CodeGeneratorTrainSummary summary;
    double windowLoss = 0, windowGrad = 0;
    long windowSteps = 0;
    bool saved = false;
    const double bitsPerNat = double(card.config.codeBits) / std::log(2.0);
    while (step < p.totalSteps) {
        if (cancel && cancel->load()) {
            summary.cancelled = true;
            break;
        }
        auto index = at::randint(0, allSigns.size(0), {p.batchSize}, random, torch::TensorOptions().dtype(torch::kInt64));
        const auto signs = allSigns.index_select(0, index);
        const auto labels = allLabels.index_select(0, index);
        const auto loss = torch::binary_cross_entropy_with_logits(network.forward(signs, labels), (signs + 1) / 2);
        const double lossValue = loss.item<double>();
        if (!std::isfinite(lossValue))
            throw Error(ErrorKind::Numeric, "the loss became " + std::to_string(lossValue) + " at step " + std::to_string(step));
        const double gradNorm =
            detail::optimisationStep(loss, parameters, optimizer, p.learningRate, ema, p.emaRate, step);
        windowLoss += lossValue;
        windowGrad += gradNorm;
        ++windowSteps;
        ++step;
        if (step % p.logEvery == 0 || step == p.totalSteps) {
            std::ostringstream row;
            row.precision(8);
            const double mean = windowLoss / double(windowSteps);
            row << step << ',' << step * long(p.batchSize) << ',' << mean << ',' << mean * bitsPerNat << ','
                << windowGrad / double(windowSteps) << ',' << p.learningRate << ',' << seconds() << '\n';
            log << row.str() << std::flush;
            if (!log) throw Error(ErrorKind::Io, "writing the training log " + p.logPath + " failed (disk full?)");
            summary.lastLoggedBitsPerCode = mean * bitsPerNat;
            windowLoss = windowGrad = 0;
            windowSteps = 0;
        }
        if (step % p.checkpointEvery == 0 || step == p.totalSteps) {
            saveCheckpoint();
            saveGenerator();
            saved = true;
        }
        if (observe) observe(step, p.totalSteps, lossValue * bitsPerNat);
    }
    if (summary.cancelled) {
        saveCheckpoint();
        saveGenerator();
    } else if (!saved) {
        saveGenerator();
    }
    summary.steps = step;
    summary.seconds = seconds();
    return summary;
}

} // namespace cm
