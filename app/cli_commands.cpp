#include "cli_commands.h"

#include "cli_distributed.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "core/dataset.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/safetensors.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/precision.h"
#include "core/sampler.h"
#include "core/style/style_model.h"
#include "core/style_world.h"
#include "core/trainer.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgproc.hpp>

cm::CancelFlag g_interrupted{false};

using Option = QCommandLineOption;


int runTrain(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Train an EDM denoiser (edm), distil it into a consistency model (cd), train a "
        "consistency model without a teacher (ct, ict) or tune one from a denoiser (ect).");
    cm::TrainParams d; // defaults, shown in the help
    p.addOptions({
        Option("mode", "edm, cd, ct, ict or ect.", "mode", "ict"),
        Option("data", "fashion-mnist, fashion-mnist:DIR, or a folder of PNG/JPEG/WebP images.", "spec",
               "fashion-mnist"),
        Option("conditional", "Class-conditional (labels from Fashion-MNIST or from sub-folder names)."),
        Option("limit", "Use only the first N training items.", "N", "0"),
        Option("hold-out", "Leave out every K-th item (the split the evaluators and tests hold out; 0 = none).",
               "K", "0"),
    });
    p.addOptions(runFileOptions("model", d.totalSteps));
    p.addOptions({
        Option("batch", "Batch size.", "N", QString::number(d.batchSize)),
        Option("lr", "Learning rate.", "x", QString::number(d.learningRate)),
        Option("warmup", "Learning-rate warm-up steps.", "N", "0"),
        Option("optimizer", "adam or radam.", "name", "radam"),
        Option("grad-clip", "Maximum gradient norm (0 = off).", "x", QString::number(d.gradClip)),
        Option("ema", "EMA rates, comma-separated; the first is saved.", "list", "0.9999"),
        Option("label-dropout", "Share of labels replaced by the null label.", "x",
               QString::number(d.labelDropout)),
        Option("image-size", "Image size for folders (and the network).", "px", "28"),
        Option("channels", "1 (grey) or 3 (RGB) for folders.", "N", "1"),
        Option("base-width", "UNet base channel count.", "N", QString::number(d.network.baseWidth)),
        Option("channel-mult", "UNet channel multipliers per level.", "list", "1,2,2"),
        Option("res-blocks", "Residual blocks per level.", "N", QString::number(d.network.resBlocks)),
        Option("attention",
               "Resolutions with self-attention (comma-separated, or 'none'; default: the lowest).", "list"),
        Option("dropout", "Dropout rate.", "x", "0"),
        Option("teacher", "cd: the EDM teacher; ect: the EDM denoiser to tune; edm: a denoiser to go on from.", "path"),
        Option("cd-steps", "cd: grid points N.", "N", QString::number(d.cdSteps)),
        Option("target-ema", "cd: target EMA mu.", "x", QString::number(d.cdTargetEma)),
        Option("metric", "huber, l2 or l1 (lpips cannot be offered: no ImageNet weights here).", "name",
               "huber"),
        Option("huber-c", "Pseudo-Huber c (negative: 0.00054 sqrt(dim)).", "x", "-1"),
        Option("ct-s0", "ct: s0.", "x", "2"),
        Option("ct-s1", "ct: s1.", "x", "150"),
        Option("ct-mu0", "ct: mu0.", "x", "0.9"),
        Option("ict-s0", "ict: s0.", "x", "10"),
        Option("ict-s1", "ict: s1.", "x", "1280"),
        Option("p-mean", "ict/ect: lognormal P_mean.", "x", "-1.1"),
        Option("p-std", "ict/ect: lognormal P_std.", "x", "2.0"),
        Option("ect-q", "ect: q.", "x", "2"),
        Option("ect-stage-steps", "ect: steps per stage (0 = steps/8).", "N", "0"),
    });
    p.addOptions(runCadenceOptions(d.logEvery, d.checkpointEvery));
    p.addOptions({
        Option("preview-every",
               "Steps between preview grids (16 fixed-seed samples, OUT.preview.png; 0 = none).", "N", "0"),
        Option("preview", "The preview grid's file (default: OUT.preview.png).", "path"),
    });
    addDistributedOptions(p);
    if (!parseOrHelp(p, "train", arguments)) return 0;
    if (!p.isSet("out")) throw UsageError{"train needs --out PATH for the model file"};
    if (const int code = launchLocalRanksIfAsked(p, "train", arguments); code >= 0) return code;

    cm::TrainParams params;
    params.mode = cm::trainModeFromName(str(p.value("mode")));
    readRunOptions(p, params, 2147483647);
    params.batchSize = int(toLong(p, "batch", 1, 4096));
    params.learningRate = toDouble(p, "lr");
    params.warmupSteps = toLong(p, "warmup", 0, 100000000);
    const QString optimizer = p.value("optimizer");
    if (optimizer != "adam" && optimizer != "radam")
        throw UsageError{"--optimizer is adam or radam, got '" + optimizer + "'"};
    params.optimizer = optimizer == "adam" ? cm::OptimizerKind::Adam : cm::OptimizerKind::RAdam;
    params.gradClip = toDouble(p, "grad-clip");
    params.emaRates = toDoubleList(p.value("ema"), "ema");
    params.labelDropout = toDouble(p, "label-dropout");
    if (p.isSet("teacher")) params.teacherPath = modelPath(p.value("teacher"));
    params.cdSteps = int(toLong(p, "cd-steps", 2, 100000));
    params.cdTargetEma = toDouble(p, "target-ema");
    params.metric = cm::distanceMetricFromName(str(p.value("metric")));
    params.huberC = toDouble(p, "huber-c");
    params.ctS0 = toDouble(p, "ct-s0");
    params.ctS1 = toDouble(p, "ct-s1");
    params.ctMu0 = toDouble(p, "ct-mu0");
    params.ictS0 = toDouble(p, "ict-s0");
    params.ictS1 = toDouble(p, "ict-s1");
    params.ictPMean = toDouble(p, "p-mean");
    params.ictPStd = toDouble(p, "p-std");
    params.ectQ = toDouble(p, "ect-q");
    params.ectStageSteps = toLong(p, "ect-stage-steps", 0, 100000000);
    params.previewEvery = toLong(p, "preview-every", 0, 100000000);
    params.previewPath = str(p.value("preview"));
    // One rank of a data-parallel run when torchrun's environment says so.
    params.distributed = readDistributedOptions(p);
    const bool reports = params.distributed.rank == 0; // the other ranks keep quiet

    const int imageSize = int(toLong(p, "image-size", 28, 256));
    const int channels = int(toLong(p, "channels", 1, 3));
    const bool conditional = p.isSet("conditional");
    const cm::Dataset data = withoutHeldOut(
        p, loadTrainingData(p.value("data"), imageSize, channels, conditional, toLong(p, "limit", 0, 1L << 40)));

    auto& net = params.network;
    net.imageSize = int(data.itemShape.at(1));
    net.channels = int(data.itemShape.at(0));
    net.baseWidth = int(toLong(p, "base-width", 8, 512));
    net.channelMult = toIntList(p.value("channel-mult"), "channel-mult");
    net.resBlocks = int(toLong(p, "res-blocks", 1, 8));
    if (!p.isSet("attention")) // self-attention at the lowest resolution, whatever the image size
        net.attentionResolutions = {net.imageSize >> (net.channelMult.size() - 1)};
    else if (p.value("attention") == "none")
        net.attentionResolutions = {};
    else
        net.attentionResolutions = toIntList(p.value("attention"), "attention");
    net.dropout = toDouble(p, "dropout");
    net.numClasses = conditional ? int(data.classNames.size()) : 0;

    if (reports) {
        std::fprintf(stderr, "training %s on %s, %lld items, for %ld steps -> %s (compute: %s)\n",
                     cm::trainModeName(params.mode), data.description.c_str(), (long long)data.count(),
                     params.totalSteps, params.outputPath.c_str(), cm::precisionSummary().c_str());
        reportDataParallel(params.distributed, params.batchSize);
        if (params.previewEvery > 0) // the app finds the grid by this line (or by the default name)
            std::fprintf(stderr, "preview: %s every %ld steps\n",
                         (params.previewPath.empty() ? params.outputPath + ".preview.png" : params.previewPath)
                             .c_str(),
                         params.previewEvery);
    }
    CliProgress bar("train", "steps");
    long firstStep = -1;
    const auto started = std::chrono::steady_clock::now();
    const auto summary = cm::train(
        params, data,
        [&](const cm::TrainStatus& s) {
            if (firstStep < 0) firstStep = s.step - 1;
            if (!reports) return;
            char extra[96];
            std::snprintf(extra, sizeof extra, "loss %.4g", s.loss);
            bar.update(s.step, s.totalSteps, extra);
        },
        &g_interrupted);
    if (reports) bar.finish();
    if (summary.cancelled) {
        if (reports)
            std::fprintf(stderr, "interrupted at step %ld; checkpoint saved, continue with --resume\n",
                         summary.steps);
        return 130;
    }
    if (reports) {
        // Samples of every process: the batch is global.
        const double segment = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        const double rate = firstStep >= 0 && segment > 0
                                ? double(summary.steps - firstStep) * params.batchSize / segment
                                : 0.0;
        std::fprintf(stderr, "done: %ld steps in %s (%.1f samples/s); model written to %s\n", summary.steps,
                     formatDuration(summary.seconds).c_str(), rate, params.outputPath.c_str());
    }
    return 0;
}

int runSample(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Sample images from a model and write a PNG grid.");
    p.addOptions({
        Option({"m", "model"}, "The model file (safetensors), or a bundled model's name.", "path"),
        Option({"o", "out"}, "The grid image to write (.png, .jpg, .webp).", "path", "samples.png"),
        Option("n", "Number of images.", "N", "16"),
        Option("seed", "Seed; image j uses seed + j.", "N", "0"),
        Option("class", "Class index for class-conditional models (-1 = none).", "N", "-1"),
        Option("per-class", "Class-conditional models: N images of every class, one row per class.", "N"),
        Option("columns", "Grid columns (default: square).", "N", "0"),
        Option("zoom", "Nearest-neighbour enlargement of the grid.", "N", "1"),
        Option("save-each", "Also write every image into this folder.", "dir"),
        Option("npy", "Also write all samples as a float32 .npy (N, C, H, W) in [-1, 1].", "path"),
        Option("overwrite", "Replace existing output files (the grid, --npy and --save-each images)."),
        Option("recommended", "Use the schedule the model card recommends (e.g. ts 0,22,39 on 40 steps)."),
    });
    addSamplerOptions(p);
    addImportOptions(p);
    if (!parseOrHelp(p, "sample", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"sample needs --model PATH"};
    requireImageExtension(p.value("out"));
    const bool overwrite = p.isSet("overwrite");
    refuseToOverwrite(p.value("out"), overwrite);
    if (p.isSet("npy")) refuseToOverwrite(p.value("npy"), overwrite);

    const cm::Model model = cm::Model::load(modelPath(p.value("model")), readImportOptions(p));
    cm::SampleParams params = readSamplerOptions(p);
    if (p.isSet("recommended")) {
        const auto& schedule = model.card().recommended;
        if (schedule.empty()) throw UsageError{"this model's card recommends no schedule (one step is the default)"};
        params.ts = schedule.ts;
        if (!schedule.ts.empty()) params.steps = schedule.steps;
        params.sigmas = schedule.sigmas;
        if (schedule.heunPoints > 0) {
            params.sampler = cm::SamplerKind::Heun;
            params.edmPoints = schedule.heunPoints;
        }
    }
    params.count = int(toLong(p, "n", 1, 100000));
    params.seed = uint64_t(toLong(p, "seed", 0, 2147483647));
    params.conditioning = cm::Conditioning::ofClass(int(toLong(p, "class", -1, 100000)));
    const int zoom = int(toLong(p, "zoom", 1, 64));
    int columns = int(toLong(p, "columns", 0, 10000));
    if (p.isSet("per-class")) {
        const int classes = model.card().network.numClasses;
        if (classes == 0)
            throw UsageError{"--per-class needs a class-conditional model; this one is unconditional"};
        const int perClass = int(toLong(p, "per-class", 1, 1000));
        params.count = perClass * classes;
        std::vector<int> labels;
        for (int c = 0; c < classes; ++c)
            labels.insert(labels.end(), perClass, c);
        params.conditioning = cm::Conditioning::perImage(std::move(labels));
        columns = perClass;
    }
    if (!model.card().network.producesImages())
        throw UsageError{"this model generates points, not images; the sample command writes images"};
    const auto eachPath = [&](int j) {
        return QDir(p.value("save-each"))
            .filePath(QString("sample_seed%1.png").arg(params.seed + uint64_t(j)));
    };
    if (p.isSet("save-each"))
        for (int j = 0; j < params.count; ++j)
            refuseToOverwrite(eachPath(j), overwrite);

    CliProgress bar("sample", model.progressUnitsPerEvaluation() > 1 ? "blocks" : "evals");
    const auto result = cm::sample(
        model, params, [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();

    std::vector<cv::Mat> images;
    for (const auto& image : result.images)
        images.push_back(cm::toDisplay8U(image));
    if (columns == 0) columns = int(std::ceil(std::sqrt(double(images.size()))));
    cv::Mat grid = cm::makeGrid(images, columns);
    if (zoom > 1) cv::resize(grid, grid, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
    cm::writeImageAtomically(str(p.value("out")), grid);
    if (p.isSet("save-each")) {
        std::filesystem::create_directories(str(p.value("save-each")));
        for (std::size_t j = 0; j < images.size(); ++j)
            cm::writeImageAtomically(str(eachPath(int(j))), images[j]);
    }
    if (p.isSet("npy")) {
        const auto& first = result.images.front();
        std::vector<float> values;
        for (const auto& image : result.images) {
            std::vector<cv::Mat> planes;
            cv::split(image, planes);
            for (const auto& plane : planes)
                values.insert(values.end(), plane.begin<float>(), plane.end<float>());
        }
        cm::writeNpy(str(p.value("npy")), values,
                     {int64_t(result.images.size()), first.channels(), first.rows, first.cols});
    }
    const std::string sigmaList = sigmaText(result.sigmas);
    std::printf("wrote %s: %d images, %d network evaluations each (sigmas %s), seed %llu\n",
                qPrintable(p.value("out")), params.count, result.nfe, sigmaList.c_str(),
                (unsigned long long)params.seed);
    return 0;
}

namespace {

// A prompt model's words in token order, the way a prompt names them (the style world's vocabulary).
void printPromptWords(const cm::NetworkConfig& network) {
    const std::vector<std::string> words = cm::promptVocabulary();
    if (int(words.size()) != network.promptVocabulary) {
        std::printf("prompt words: the network has %d, the style world's vocabulary %zu; this build cannot name "
                    "them\n",
                    network.promptVocabulary, words.size());
        return;
    }
    const std::size_t garments = cm::garmentPrompts().size();
    std::string garmentText, styleText;
    for (std::size_t i = 0; i < words.size(); ++i) {
        std::string& text = i < garments ? garmentText : styleText;
        text += (text.empty() ? "" : ", ") + words[i];
    }
    std::printf("prompt words (%zu, in token order): garments %s; style words %s\n", words.size(),
                garmentText.c_str(), styleText.c_str());
}

} // namespace

int runInfo(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Print the card of a model or evaluator file.");
    p.addPositionalArgument("model", "The model file (safetensors, .pt or diffusers folder), or a bundled model's name.");
    addImportOptions(p);
    if (!parseOrHelp(p, "info", arguments)) return 0;
    if (p.positionalArguments().size() != 1) throw UsageError{"info takes exactly one model file"};
    const std::string path = modelPath(p.positionalArguments().front());
    const cm::ModelFormat modelFormat = cm::detectModelFormat(path);
    if (modelFormat == cm::ModelFormat::TorchStateDict || modelFormat == cm::ModelFormat::DiffusersFolder) {
        const cm::ImportedModel imported = cm::importModel(path, readImportOptions(p));
        std::printf("%s\n", path.c_str());
        printImportReport(imported);
        const cm::Model model = cm::Model::fromImported(imported, path);
        std::printf("\n%s\nparameters: %lld\ncompute: %s\n", model.card().describe().c_str(),
                    (long long)model.parameterCount(), cm::precisionSummary().c_str());
        return 0;
    }
    const long long size = QFileInfo(QString::fromStdString(path)).size();
    const auto metadata = cm::readSafetensors(path).metadata;
    const auto format = metadata.find("format");
    if (format != metadata.end() && format->second == "cmstudio-feature-net") {
        const cm::FeatureNet evaluator = cm::FeatureNet::load(path);
        std::printf("%s\n%s\nparameters: %lld\nfile size: %lld bytes\n", path.c_str(),
                    evaluator.card().describe().c_str(), (long long)evaluator.parameterCount(), size);
        return 0;
    }
    const cm::Model model = cm::Model::load(path);
    std::printf("%s\n%s\nparameters: %lld\nfile size: %lld bytes\ncompute: %s\n", path.c_str(),
                model.card().describe().c_str(), (long long)model.parameterCount(), size,
                cm::precisionSummary().c_str());
    if (model.card().network.takesPrompt()) printPromptWords(model.card().network);
    return 0;
}
