// Times one training step of the engine's trainer (cm::train) in iCT mode on Fashion-MNIST, batch 64,
// with the CLI's default network (class-conditional like the bundled models), and writes the initial
// weights and the run's settings so that bench/pytorch_training_reference.py can run the same step,
// from the same weights and with the same random draws, in plain PyTorch.
//
// Usage: bench_training [OUT_DIR] [--threads N] [--steps N] [--warmup N] [--data DIR] [--verbose]
//   OUT_DIR     where to write train-28x28x1.safetensors (initial weights; the bench settings are in its
//               "training" metadata); default ./bench-out. The trainer's own output, checkpoint and log
//               go to a temporary folder that is removed afterwards.
//   --threads   network threads (default 2)
//   --steps     timed steps (default 15), after --warmup untimed ones (default 3)
//   --data      Fashion-MNIST folder (default: cm::defaultFashionMnistDirectory())
//   --verbose   also print every step's time and loss on stderr
//
// A step's time is the difference between the `seconds` of consecutive observe() calls: the trainer sets
// it right after the optimisation step (sampling, both forwards, backward, gradient norm, RAdam, EMA,
// loss statistics) and before any log row or checkpoint, neither of which falls in the timed steps
// (log and checkpoint intervals are set beyond the run; the run is cancelled after the last timed step,
// which makes the trainer save a checkpoint and the model after the timing).
//
// One line on stdout, e.g.
//   engine ict batch=64 28x28x1 median_ms=812.3 min_ms=790.1 steps=15 threads=2 params=... warmup=3 ...
//
// Only the engine's public headers: the project keeps torch inside core/.

#include "bench_stats.h"
#include "core/dataset.h"
#include "core/model.h"
#include "core/metadata_fields.h"
#include "core/model_card.h"
#include "core/network_config.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "core/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kSeed = 0;        // TrainParams' default seed; Model::create(card, kSeed) = the trainer's init
constexpr long kTotalSteps = 10000;  // TrainParams' default: N(k) = 11 over the first 1250 steps, as in a real run
constexpr int kBatch = 64;
constexpr const char* kConfig = "28x28x1";

// The network `cm train` builds by default (app/cli_commands.cpp runTrain) for 28x28 grey images,
// class-conditional like the bundled Fashion-MNIST models.
cm::NetworkConfig cliDefaultNetwork(const cm::Dataset& data) {
    const cm::TrainParams defaults;
    cm::NetworkConfig net;
    net.type = cm::NetworkType::UNet;
    net.imageSize = int(data.itemShape.at(1));
    net.channels = int(data.itemShape.at(0));
    net.baseWidth = defaults.network.baseWidth;
    net.channelMult = {1, 2, 2}; // --channel-mult default
    net.resBlocks = defaults.network.resBlocks;
    net.attentionResolutions = {net.imageSize >> (net.channelMult.size() - 1)}; // the lowest: 7
    net.dropout = 0.0;                                                          // --dropout default
    net.numClasses = int(data.classNames.size());
    return net;
}

std::string formatDouble(double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.17g", v);
    return buffer;
}

std::string jsonString(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

[[noreturn]] void usage(const char* message) {
    std::cerr << "bench_training: " << message << "\n"
              << "usage: bench_training [OUT_DIR] [--threads N] [--steps N] [--warmup N] [--data DIR] "
                 "[--verbose]\n";
    std::exit(2);
}

int positive(int argc, char** argv, int& i, const char* name, int minimum) {
    if (++i >= argc) usage((std::string(name) + " needs a number").c_str());
    const int value = std::atoi(argv[i]);
    if (value < minimum) usage((std::string(name) + " must be >= " + std::to_string(minimum)).c_str());
    return value;
}

} // namespace

int main(int argc, char** argv) {
    fs::path outDir = "bench-out";
    bool outDirSet = false;
    int threads = 2, steps = 15, warmup = 3;
    bool verbose = false;
    std::string dataDir;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads") threads = positive(argc, argv, i, "--threads", 1);
        else if (arg == "--steps") steps = positive(argc, argv, i, "--steps", 1);
        else if (arg == "--warmup") warmup = positive(argc, argv, i, "--warmup", 0);
        else if (arg == "--data") {
            if (++i >= argc) usage("--data needs a folder");
            dataDir = argv[i];
        } else if (arg == "--verbose") verbose = true;
        else if (arg == "-h" || arg == "--help") usage("times one iCT training step of cm::train");
        else if (!arg.empty() && arg[0] == '-') usage(("unknown option " + arg).c_str());
        else if (!outDirSet) {
            outDir = arg;
            outDirSet = true;
        } else usage("more than one OUT_DIR");
    }
    if (dataDir.empty()) dataDir = cm::defaultFashionMnistDirectory();

    fs::path runDir;
    try {
        fs::create_directories(outDir);
        const cm::Dataset data = cm::loadFashionMnist(dataDir, cm::Split::Train);

        cm::TrainParams params; // every default, as `cm train --mode ict --conditional` uses
        params.mode = cm::TrainMode::Ict;
        params.network = cliDefaultNetwork(data);
        params.batchSize = kBatch;
        params.totalSteps = kTotalSteps;
        params.seed = kSeed;
        params.threads = threads;
        params.logEvery = 100000000;        // no log row during the run
        params.checkpointEvery = 100000000; // no checkpoint during the run
        params.overwrite = true;

        // Initial weights for Python: the trainer seeds torch with params.seed and builds the network,
        // exactly what Model::create(card, seed) does, so these are the weights the run starts from.
        cm::ModelCard card;
        card.kind = cm::ModelKind::Consistency;
        card.network = params.network;
        card.noise = params.noise;
        card.classNames = data.classNames;
        card.recipe = "bench";
        card.dataset = data.description;
        std::ostringstream settings;
        settings << "{\"mode\":\"ict\",\"batch_size\":" << params.batchSize
                 << ",\"total_steps\":" << params.totalSteps << ",\"seed\":" << params.seed
                 << ",\"learning_rate\":" << formatDouble(params.learningRate)
                 << ",\"betas\":[" << formatDouble(params.beta1) << "," << formatDouble(params.beta2) << "]"
                 << ",\"optimizer\":\"" << (params.optimizer == cm::OptimizerKind::RAdam ? "radam" : "adam")
                 << "\",\"ema_rates\":[" << formatDouble(params.emaRates.at(0)) << "]"
                 << ",\"label_dropout\":" << formatDouble(params.labelDropout)
                 << ",\"s0\":" << formatDouble(params.ictS0) << ",\"s1\":" << formatDouble(params.ictS1)
                 << ",\"p_mean\":" << formatDouble(params.ictPMean) << ",\"p_std\":" << formatDouble(params.ictPStd)
                 << ",\"metric\":\"huber\",\"huber_c\":" << formatDouble(params.huberC)
                 << ",\"warmup\":" << warmup << ",\"steps\":" << steps << ",\"threads\":" << threads
                 << ",\"data\":" << jsonString(dataDir) << "}";
        card.trainingJson = settings.str();
        card.notes = "bench/bench_training: the initial weights of the timed iCT run";
        const cm::Model initial = cm::Model::create(card, kSeed);
        initial.save((outDir / (std::string("train-") + kConfig + ".safetensors")).string());
        if (params.metric != cm::DistanceMetric::PseudoHuber || params.gradClip != 0 ||
            params.warmupSteps != 0 || params.emaRates.size() != 1)
            throw std::runtime_error("TrainParams defaults changed: update pytorch_training_reference.py");

        std::random_device entropy;
        runDir = fs::temp_directory_path() / ("cmstudio-bench-training-" + std::to_string(entropy()));
        fs::create_directories(runDir);
        params.outputPath = (runDir / "model.safetensors").string();

        const int total = warmup + steps;
        std::vector<double> seconds, losses;
        std::vector<int> gridPoints;
        cm::CancelFlag cancel{false};
        auto observe = [&](const cm::TrainStatus& status) {
            seconds.push_back(status.seconds);
            losses.push_back(status.loss);
            gridPoints.push_back(status.gridPoints);
            if (int(seconds.size()) >= total) cancel = true;
        };
        const auto summary = cm::train(params, data, observe, &cancel);
        if (int(seconds.size()) < total || summary.steps < total)
            throw std::runtime_error("the trainer ran " + std::to_string(seconds.size()) + " steps, not " +
                                     std::to_string(total));

        std::vector<double> ms;
        for (int i = warmup; i < total; ++i)
            ms.push_back(1000.0 * (seconds[i] - (i > 0 ? seconds[i - 1] : 0.0)));
        if (verbose)
            for (int i = 0; i < total; ++i)
                std::fprintf(stderr, "engine step %d N=%d loss=%.8g ms=%.1f%s\n", i, gridPoints[i], losses[i],
                             1000.0 * (seconds[i] - (i > 0 ? seconds[i - 1] : 0.0)), i < warmup ? " (warm-up)" : "");
        std::vector<int> distinctN(gridPoints.begin() + warmup, gridPoints.end());
        distinctN.erase(std::unique(distinctN.begin(), distinctN.end()), distinctN.end());
        std::printf("engine ict batch=%d %s median_ms=%.3f min_ms=%.3f steps=%d threads=%d params=%lld warmup=%d "
                    "N=%s loss_first=%.8g loss_last=%.8g\n",
                    kBatch, kConfig, median(ms), *std::min_element(ms.begin(), ms.end()), steps, cm::threadCount(),
                    static_cast<long long>(initial.parameterCount()), warmup, cm::metadata::joinInts(distinctN, ",").c_str(),
                    losses.front(), losses.back());
        std::fflush(stdout);
    } catch (const std::exception& e) {
        std::cerr << "bench_training: " << e.what() << "\n";
        if (!runDir.empty()) fs::remove_all(runDir);
        return 1;
    }
    std::error_code ec;
    fs::remove_all(runDir, ec);
    return 0;
}
