// cmstudio-cli train-evaluator and eval: the measuring side of the command line.
#include "cli_commands.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "core/error.h"
#include "core/evaluation.h"
#include "core/feature_net.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/runtime.h"

#include <QFileInfo>

#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>

using Option = QCommandLineOption;

namespace {

// Real images the evaluator compares against. "fashion-mnist[:DIR]": the test split;
// "fashion-mnist-validation[:DIR]": every 6th training image (10,000, for tuning); else a folder.
cm::Dataset loadReference(const QString& spec, const cm::FeatureNetCard& card) {
    if (isFashionMnistSpec(spec)) return cm::loadFashionMnist(fashionMnistDirectory(spec), cm::Split::Test);
    if (isFashionMnistSpec(spec, "fashion-mnist-validation")) {
        auto validation =
            cm::splitEveryKth(cm::loadFashionMnist(fashionMnistDirectory(spec), cm::Split::Train), 6).second;
        validation.description = "Fashion-MNIST validation (every 6th training image, " +
                                 std::to_string(validation.count()) + ")";
        return validation;
    }
    return loadTrainingData(spec, int(card.itemShape[1]), int(card.itemShape[0]), false, 0);
}

// One machine-readable line for scripts (scripts/make-results-table.sh reads it).
void printJson(const std::string& fields) {
    std::printf("{%s}\n", fields.c_str());
    std::fflush(stdout);
}

} // namespace

int runTrainEvaluator(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Train the evaluator's feature network: a classifier (labelled data such as Fashion-MNIST; its "
        "test accuracy is measured) or an autoencoder (unlabelled folders; every 10th image is held out).");
    cm::FeatureNetTrainParams d;
    p.addOptions({
        Option("kind", "classifier or autoencoder.", "name", "classifier"),
        Option("data", "fashion-mnist, fashion-mnist:DIR, or a folder of images.", "spec", "fashion-mnist"),
        Option("image-size", "Image size for folders.", "px", "32"),
        Option("channels", "1 (grey) or 3 (RGB) for folders.", "N", "3"),
        Option({"o", "out"}, "The evaluator file to write (safetensors).", "path"),
        Option("overwrite", "Replace an existing file."),
        Option("epochs", "Passes over the data.", "N", QString::number(d.epochs)),
        Option("batch", "Batch size.", "N", QString::number(d.batchSize)),
        Option("lr", "Adam learning rate (cosine decay).", "x", QString::number(d.learningRate)),
        Option("width", "Channels of the first convolution (multiple of 8).", "N", QString::number(d.width)),
        Option("features", "Feature dimension (the FD's space).", "N", QString::number(d.featureDim)),
        Option("dropout", "Classifier dropout.", "x", QString::number(d.dropout)),
        Option("no-flips", "No horizontal-flip augmentation."),
        Option("seed", "Random seed.", "N", "0"),
        Option("threads", "Torch threads (0 = default).", "N", "0"),
    });
    if (!parseOrHelp(p, "train-evaluator", arguments)) return 0;
    if (!p.isSet("out")) throw UsageError{"train-evaluator needs --out PATH"};
    const QString out = p.value("out");
    if (QFileInfo::exists(out) && !p.isSet("overwrite"))
        throw UsageError{"'" + out + "' exists; pass --overwrite to replace it"};
    cm::FeatureNetTrainParams params;
    const QString kind = p.value("kind");
    if (kind != "classifier" && kind != "autoencoder")
        throw UsageError{"--kind is classifier or autoencoder, got '" + kind + "'"};
    params.kind = kind == "classifier" ? cm::FeatureNetKind::Classifier : cm::FeatureNetKind::Autoencoder;
    params.epochs = int(toLong(p, "epochs", 1, 10000));
    params.batchSize = int(toLong(p, "batch", 1, 4096));
    params.learningRate = toDouble(p, "lr");
    params.width = int(toLong(p, "width", 8, 512));
    params.featureDim = int(toLong(p, "features", 2, 4096));
    params.dropout = toDouble(p, "dropout");
    params.horizontalFlips = !p.isSet("no-flips");
    params.seed = uint64_t(toLong(p, "seed", 0, 2147483647));
    params.threads = int(toLong(p, "threads", 0, 256));

    const QString spec = p.value("data");
    const bool fashion = isFashionMnistSpec(spec);
    const bool labels = params.kind == cm::FeatureNetKind::Classifier;
    cm::Dataset train = loadTrainingData(spec, int(toLong(p, "image-size", 8, 256)),
                                         int(toLong(p, "channels", 1, 3)), labels, 0);
    cm::Dataset heldOut;
    if (fashion) {
        heldOut = cm::loadFashionMnist(fashionMnistDirectory(spec), cm::Split::Test);
    } else {
        std::tie(train, heldOut) = cm::splitEveryKth(train, 10);
    }
    std::fprintf(stderr, "training the evaluator (%s) on %s, %lld items; held out: %lld\n",
                 qPrintable(kind), train.description.c_str(), (long long)train.count(),
                 (long long)heldOut.count());
    CliProgress bar("train-evaluator", "steps");
    const auto net = cm::trainFeatureNet(
        train, heldOut, params,
        [&](const cm::FeatureNetTrainStatus& s) {
            char extra[64];
            std::snprintf(extra, sizeof extra, "loss %.4g", s.loss);
            bar.update(s.step, s.totalSteps, extra);
        },
        &g_interrupted);
    bar.finish();
    net.save(str(out));
    std::printf("wrote %s\n%s", qPrintable(out), net.card().describe().c_str());
    return 0;
}

int runEval(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Measure a model: Frechet distance (FD) of N samples to real images in the evaluator's feature "
        "space, class accuracy of class-conditional samples, seconds per 1,000 images. --floor measures "
        "real against real; --search-sigmas picks multistep noise levels on a validation set.");
    p.addOptions({
        Option({"m", "model"}, "The model file.", "path"),
        Option({"e", "evaluator"}, "The evaluator (from train-evaluator), or a bundled one's name.", "path"),
        Option("reference", "fashion-mnist (test split), fashion-mnist-validation, or a folder.", "spec",
               "fashion-mnist"),
        Option("n", "Number of samples.", "N", "10000"),
        Option("seed", "Seed; sample j uses seed + j.", "N", "0"),
        Option("unconditional", "Sample with the null label instead of balanced classes."),
        Option("grid", "Also write the first --grid-n samples as a PNG grid.", "path"),
        Option("grid-n", "Images in the grid.", "N", "100"),
        Option("zoom", "Nearest-neighbour enlargement of the grid.", "N", "1"),
        Option("floor", "FD between real image sets: for Fashion-MNIST 10,000 training images vs the test "
                        "split; for a folder, its even vs odd images."),
        Option("search-sigmas", "Greedy search of the intermediate sigmas for 2 or 3 steps.", "steps"),
        Option("candidates", "Sigma candidates for the search (default: 8 log-spaced).", "list"),
        Option("json", "Print one JSON line (for scripts) instead of text."),
        Option("threads", "Torch threads (0 = default).", "N", "0"),
    });
    addSamplerOptions(p);
    if (!parseOrHelp(p, "eval", arguments)) return 0;
    if (!p.isSet("evaluator")) throw UsageError{"eval needs --evaluator PATH"};
    if (p.isSet("grid")) requireImageExtension(p.value("grid"));
    if (const int threads = int(toLong(p, "threads", 0, 256)); threads > 0) cm::setThreadCount(threads);
    const bool json = p.isSet("json");
    const cm::FeatureNet evaluator = cm::FeatureNet::load(modelPath(p.value("evaluator")));
    const QString spec = p.value("reference");

    if (p.isSet("floor")) {
        cm::Dataset a, b;
        if (isFashionMnistSpec(spec)) {
            const std::string dir = fashionMnistDirectory(spec);
            a = cm::splitEveryKth(cm::loadFashionMnist(dir, cm::Split::Train), 6).second;
            b = cm::loadFashionMnist(dir, cm::Split::Test);
        } else {
            std::tie(a, b) = cm::splitEveryKth(loadReference(spec, evaluator.card()), 2);
        }
        const double fd = cm::frechetDistance(cm::referenceStatistics(evaluator, a),
                                              cm::referenceStatistics(evaluator, b));
        if (json)
            printJson("\"floor\":true,\"fd\":" + std::to_string(fd) + ",\"count_a\":" +
                      std::to_string(a.count()) + ",\"count_b\":" + std::to_string(b.count()));
        else
            std::printf("FD floor (real vs real): %.4f  (%lld vs %lld images)\n", fd, (long long)a.count(),
                        (long long)b.count());
        return 0;
    }

    if (!p.isSet("model")) throw UsageError{"eval needs --model PATH (or --floor)"};
    const cm::Model model = cm::Model::load(modelPath(p.value("model")));
    const cm::Dataset reference = loadReference(spec, evaluator.card());
    const auto referenceStats = cm::referenceStatistics(evaluator, reference);
    const int count = int(toLong(p, "n", 2, 1000000));
    const uint64_t seed = uint64_t(toLong(p, "seed", 0, 2147483647));
    const bool conditional = !p.isSet("unconditional");

    if (p.isSet("search-sigmas")) {
        cm::SigmaSearchParams search;
        search.steps = int(toLong(p, "search-sigmas", 2, 3));
        search.samples = count;
        search.seed = seed;
        search.classConditional = conditional;
        if (p.isSet("candidates")) search.candidates = toDoubleList(p.value("candidates"), "candidates");
        CliProgress bar("search", "trials");
        const auto found = cm::searchSigmas(
            model, evaluator, referenceStats, search, [&](long done, long total) { bar.update(done, total); },
            &g_interrupted);
        bar.finish();
        if (json) {
            std::string trials;
            for (const auto& t : found.trials)
                trials += std::string(trials.empty() ? "" : ",") + "{\"sigmas\":[" + sigmaText(t.sigmas, 10) +
                          "],\"fd\":" + std::to_string(t.fd) + "}";
            printJson("\"sigmas\":[" + sigmaText(found.sigmas, 10) + "],\"fd\":" + std::to_string(found.fd) +
                      ",\"samples\":" + std::to_string(count) + ",\"trials\":[" + trials + "]");
        } else {
            for (const auto& t : found.trials)
                std::printf("sigmas %-24s FD %.4f\n", sigmaText(t.sigmas).c_str(), t.fd);
            std::printf("best: sigmas %s  FD %.4f on %s (%d samples)\n", sigmaText(found.sigmas).c_str(),
                        found.fd, reference.description.c_str(), count);
        }
        return 0;
    }

    cm::EvalParams params;
    params.sampling = readSamplerOptions(p);
    params.sampling.count = count;
    params.sampling.seed = seed;
    params.classConditional = conditional;
    params.keepImages = p.isSet("grid") ? int(toLong(p, "grid-n", 1, 10000)) : 0;
    CliProgress bar("eval", "images");
    const auto result = cm::evaluateModelSamples(
        model, evaluator, referenceStats, params, [&](long done, long total) { bar.update(done, total); },
        &g_interrupted);
    bar.finish();
    if (p.isSet("grid")) {
        std::vector<cv::Mat> images;
        for (const auto& image : result.images)
            images.push_back(cm::toDisplay8U(image));
        const int columns = int(std::ceil(std::sqrt(double(images.size()))));
        cv::Mat grid = cm::makeGrid(images, columns);
        const int zoom = int(toLong(p, "zoom", 1, 64));
        if (zoom > 1) cv::resize(grid, grid, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
        cm::writeImageAtomically(str(p.value("grid")), grid);
    }
    if (json) {
        printJson("\"fd\":" + std::to_string(result.fd) + ",\"class_accuracy\":" +
                  std::to_string(result.classAccuracy) + ",\"nfe\":" + std::to_string(result.nfe) +
                  ",\"samples\":" + std::to_string(result.count) + ",\"seconds_per_1000\":" +
                  std::to_string(result.secondsPerThousand()) + ",\"sigmas\":[" + sigmaText(result.sigmas, 10) +
                  "]");
    } else {
        std::printf("FD %.4f against %s\n", result.fd, reference.description.c_str());
        if (result.classAccuracy >= 0)
            std::printf("class accuracy %.2f%% (samples classified as the class asked for)\n",
                        100.0 * result.classAccuracy);
        std::printf("%ld samples, %d network evaluations each (sigmas %s), %.1f s per 1,000 images\n",
                    result.count, result.nfe, sigmaText(result.sigmas).c_str(), result.secondsPerThousand());
    }
    return 0;
}
