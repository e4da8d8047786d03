// cmstudio-cli train-code-generator and tokenize generate: FlowMo's stage 2 (a class-conditional model of a
// tokenizer's code bits), and new images as code -> decoder.
#include "cli_commands.h"
#include "cli_distributed.h"
#include "cli_images.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "cli_tokenizer.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/frechet.h"
#include "core/image_util.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/code_generator_trainer.h"
#include "core/tokenizer/generate_images.h"
#include "core/tokenizer/tokenizer.h"

#include <QFileInfo>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>

using Option = QCommandLineOption;

int runTrainCodeGenerator(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Train FlowMo's stage 2: a class-conditional autoregressive model (MADE) of a "
                                "tokenizer's code bits, on the codes of the training images.");
    cm::CodeGeneratorTrainParams d;
    p.addOptions({
        Option({"m", "model"}, "The tokenizer whose codes are modelled.", "path"),
        Option("data", "fashion-mnist, fashion-mnist:DIR, or a folder of images (one class).", "spec", "fashion-mnist"),
        Option("limit", "Use only the first N training items.", "N", "0"),
        Option("hold-out", "Leave out every K-th item (as the tokenizer's training did).", "K", "0"),
    });
    p.addOptions(runFileOptions("code generator", d.totalSteps));
    p.addOptions({
        Option("batch", "Batch size.", "N", QString::number(d.batchSize)),
        Option("lr", "Adam learning rate.", "x", QString::number(d.learningRate)),
        Option("ema", "EMA rate of the saved weights.", "x", QString::number(d.emaRate)),
        Option("width", "Hidden units per layer (at least the code's bits - 1).", "N", QString::number(d.width)),
        Option("depth", "Hidden layers.", "N", QString::number(d.depth)),
    });
    p.addOptions(runCadenceOptions(d.logEvery, d.checkpointEvery));
    addDistributedOptions(p);
    if (!parseOrHelp(p, "train-code-generator", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"train-code-generator needs --model TOKENIZER"};
    if (!p.isSet("out")) throw UsageError{"train-code-generator needs --out PATH for the code generator"};
    if (const int code = launchLocalRanksIfAsked(p, "train-code-generator", arguments); code >= 0) return code;
    cm::CodeGeneratorTrainParams params;
    readRunOptions(p, params);
    params.batchSize = int(toLong(p, "batch", 1, 65536));
    params.learningRate = toDouble(p, "lr");
    params.emaRate = toDouble(p, "ema");
    params.width = int(toLong(p, "width", 1, 8192));
    params.depth = int(toLong(p, "depth", 1, 8));
    // One rank of a data-parallel run when torchrun's environment says so; every rank encodes the images (the
    // ranks check that their codes agree).
    params.distributed = readDistributedOptions(p);
    const bool reports = params.distributed.rank == 0; // the other ranks keep quiet
    const cm::Tokenizer tokenizer = cm::Tokenizer::load(modelPath(p.value("model")));
    params.tokenizerName = QFileInfo(p.value("model")).fileName().toStdString();
    const auto& config = tokenizer.card().config;
    const cm::Dataset data = withoutHeldOut(
        p, loadTrainingData(p.value("data"), config.imageSize, config.channels, true, toLong(p, "limit", 0, 1L << 40)));
    CliProgress encoding("encode training images", "images");
    const cm::CodeSet codes = cm::encodeDataset(
        tokenizer, data, 256, [&](long done, long total) { if (reports) encoding.update(done, total); }, &g_interrupted);
    if (reports) {
        encoding.finish();
        std::fprintf(stderr, "training a code generator (%d bits, %d classes) on %zu codes of %s for %ld steps -> %s\n",
                     config.codeBits(), codes.classes(), codes.codes.size(), data.description.c_str(),
                     params.totalSteps, params.outputPath.c_str());
        reportDataParallel(params.distributed, params.batchSize);
    }
    CliProgress bar("train-code-generator", "steps");
    const auto summary = cm::trainCodeGenerator(
        params, codes,
        [&](long step, long total, double bits) {
            if (!reports) return;
            char extra[96];
            std::snprintf(extra, sizeof extra, "%.2f bits per code", bits);
            bar.update(step, total, extra);
        },
        &g_interrupted);
    if (!reports) return summary.cancelled ? 130 : 0;
    bar.finish();
    if (summary.cancelled) {
        std::fprintf(stderr, "interrupted at step %ld; checkpoint saved, continue with --resume\n", summary.steps);
        return 130;
    }
    std::fprintf(stderr, "done: %ld steps in %s, %.2f bits per code (of %d); code generator written to %s\n",
                 summary.steps, formatDuration(summary.seconds).c_str(), summary.lastLoggedBitsPerCode, config.codeBits(),
                 params.outputPath.c_str());
    return 0;
}

int runGenerateCodes(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("New images from FlowMo's stage 2: codes drawn from the code generator, decoded by the "
                                "tokenizer; a grid, and optionally their FD against held-out images.");
    p.addOptions({
        Option({"m", "model"}, "The tokenizer (decoder).", "path"),
        Option("generator", "The code generator (train-code-generator).", "path"),
        Option("class", "The class: an index, a class name, or 'all' (image j of class j mod classes).", "C", "all"),
        Option("n", "Images.", "N", "16"),
        Option("seed", "Seed: code j from seed + j, its decoding noise too.", "N", "0"),
        Option("temperature", "Bit sampling temperature (1 = the model's).", "x", "1"),
        Option({"o", "out"}, "The grid image to write (.png, .jpg, .webp).", "path", "generated.png"),
        Option("columns", "Grid columns (0 = about square).", "N", "0"),
        Option("steps", "Decoder steps (0 = the card's; 1 or 2 with a one-step decoder: that).", "N", "0"),
        Option("zoom", "Nearest-neighbour enlargement.", "N", "1"),
        Option("fd", "Also measure the FD of the images against this many held-out images (prints one JSON line).",
               "N", "0"),
        Option("data", "--fd: fashion-mnist (its test split) or a folder (with --hold-out).", "spec", "fashion-mnist"),
        Option("hold-out", "--fd on folders: the K of training's --hold-out.", "K", "0"),
        Option("overwrite", "Replace an existing image."),
    });
    if (!parseOrHelp(p, "tokenize generate", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"tokenize generate needs --model TOKENIZER"};
    if (!p.isSet("generator")) throw UsageError{"tokenize generate needs --generator CODE_GENERATOR"};
    requireImageExtension(p.value("out"));
    refuseToOverwrite(p.value("out"), p.isSet("overwrite"));
    const cm::Tokenizer tokenizer = cm::Tokenizer::load(modelPath(p.value("model")));
    const cm::CodeGenerator generator = cm::CodeGenerator::load(modelPath(p.value("generator")));
    const auto& config = tokenizer.card().config;
    if (generator.card().config.codeBits != config.codeBits())
        throw UsageError{QString("the code generator makes %1-bit codes but the tokenizer's codes have %2 bits")
                             .arg(generator.card().config.codeBits)
                             .arg(config.codeBits())};
    const int classes = generator.card().config.classes;
    int classIndex = -1; // all
    const QString classText = p.value("class");
    if (classText != "all") {
        bool number = false;
        classIndex = classText.toInt(&number);
        if (!number) {
            classIndex = -1;
            const auto& names = generator.card().classNames;
            for (std::size_t i = 0; i < names.size(); ++i)
                if (QString::fromStdString(names[i]).compare(classText, Qt::CaseInsensitive) == 0) classIndex = int(i);
        }
        if (classIndex < 0 || classIndex >= classes)
            throw UsageError{QString("--class is 'all', 0..%1 or a class name of the generator, got '%2'")
                                 .arg(classes - 1)
                                 .arg(classText)};
    }
    const int n = int(toLong(p, "n", 1, 100000));
    const uint64_t seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    const double temperature = toDouble(p, "temperature");
    cm::DecodeParams params;
    params.steps = int(toLong(p, "steps", 0, 10000));
    CliProgress bar("decode", "evaluations");
    const cm::GeneratedImages generated = cm::generateImages(
        tokenizer, generator, classIndex, n, seed, temperature, params,
        [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    const std::vector<cv::Mat>& images = generated.images;
    std::vector<cv::Mat> tiles;
    const int zoom = int(toLong(p, "zoom", 1, 64));
    for (const auto& image : images) {
        cv::Mat tile = cm::toDisplay8U(image);
        if (zoom > 1) cv::resize(tile, tile, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
        tiles.push_back(tile);
    }
    int columns = int(toLong(p, "columns", 0, 1000));
    if (columns == 0) columns = int(std::ceil(std::sqrt(double(n))));
    cm::writeImageAtomically(str(p.value("out")), cm::makeGrid(tiles, columns));
    std::fprintf(stderr, "%d images (class %s) -> %s\n", n, qPrintable(classText), qPrintable(p.value("out")));
    if (const long fdImages = toLong(p, "fd", 0, 1L << 30); fdImages > 0) {
        const cm::Dataset heldOut = heldOutImages(p.value("data"), config, toLong(p, "hold-out", 0, 1000000), fdImages, 0);
        const cm::FeatureNet evaluator = cm::FeatureNet::load(featureNetwork("auto", p.value("data"), config, "--evaluator"));
        const auto a = evaluator.run(images, {}, &g_interrupted);
        const auto b = evaluator.run(heldOut, {}, &g_interrupted);
        const double fd = cm::frechetDistance(cm::featureStatistics(a.features, a.count, evaluator.card().featureDim),
                                              cm::featureStatistics(b.features, b.count, evaluator.card().featureDim));
        std::printf("{\"images\":%d,\"reference\":%lld,\"fd\":%.6g,\"nfe\":%d}\n", n, (long long)b.count, fd,
                    generated.evaluations);
    }
    return 0;
}
