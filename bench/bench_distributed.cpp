// Data-parallel training on this machine: samples/s of the engine's trainer (iCT, global batch 64, the
// CLI's default class-conditional network, Fashion-MNIST) for 1 process x 2 threads and for 2 processes x
// 1 thread (this executable started again as the ranks, rendezvous on 127.0.0.1), the time per step that
// rank 0 waited for the other rank, and the median time of one all-reduce of the network's whole gradient
// (float32) between 2 processes.
//
// With --trainer tokenizer: the FlowMo tokenizer trainer instead (stage 1a, its default sizes and batch 32,
// Fashion-MNIST at 55 bits, the bundled Fashion-MNIST classifier as its perceptual network, as
// `cmstudio-cli train-tokenizer --data fashion-mnist` trains), and the all-reduce of its gradient.
// With --trainer style: DEADiff's style trainer, stage base (the CLI's default: the small prompt UNet,
// batch 32) on the style world. With --trainer code-generator: FlowMo's stage-2 trainer (the CLI's defaults:
// width 512, depth 2, batch 128) on the 55-bit codes of the first 2048 Fashion-MNIST training images under
// a fresh 'lo' tokenizer (the codes' values do not change the work of a step). These two print the step
// times only.
//
// Usage: bench_distributed [--trainer ict|tokenizer|style|code-generator] [--steps N] [--warmup N]
//                          [--data DIR] [--emoji DIR]
//   --steps   timed steps per configuration (default 12), after --warmup untimed ones (default 3)
//   --data    Fashion-MNIST folder (default: cm::defaultFashionMnistDirectory())
//   --emoji   the style world's emoji folder (scripts/make-emoji-folder.sh; default runs/noto-emoji)
//
// Output (stdout), one line per measurement, e.g.
//   train trainer=ict processes=1 threads=2 samples_per_s=71.2 step_ms=898.8 comm_ms_per_step=0.000 steps=12
//   train trainer=ict processes=2 threads=1 samples_per_s=66.0 step_ms=969.7 comm_ms_per_step=35.1 steps=12
//   allreduce processes=2 floats=2211681 bytes=8846724 median_ms=7.9
//
// Only the engine's public headers.

#include "core/dataset.h"
#include "core/distributed.h"
#include "core/local_ranks.h"
#include "core/model.h"
#include "core/model_card.h"
#include "core/model_locator.h"
#include "core/style/style_model.h"
#include "core/style/style_trainer.h"
#include "core/style_world.h"
#include "core/tokenizer/code_generator_trainer.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_trainer.h"
#include "core/trainer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace fs = std::filesystem;

constexpr int kBatch = 64, kTokenizerBatch = 32;

// The network `cmstudio-cli train` builds by default for 28x28 grey images, class-conditional.
cm::NetworkConfig cliDefaultNetwork(const cm::Dataset& data) {
    const cm::TrainParams defaults;
    cm::NetworkConfig net;
    net.type = cm::NetworkType::UNet;
    net.imageSize = int(data.itemShape.at(1));
    net.channels = int(data.itemShape.at(0));
    net.baseWidth = defaults.network.baseWidth;
    net.channelMult = {1, 2, 2};
    net.resBlocks = defaults.network.resBlocks;
    net.attentionResolutions = {net.imageSize >> (net.channelMult.size() - 1)};
    net.dropout = 0.0;
    net.numClasses = int(data.classNames.size());
    return net;
}

struct Options {
    int steps = 12, warmup = 3;
    std::string data, emoji = "runs/noto-emoji";
    std::string trainer = "ict"; // or tokenizer, style, code-generator
    bool tokenizer() const { return trainer == "tokenizer"; }
    int batch() const {
        if (trainer == "style") return cm::StyleTrainParams().batchSize;
        if (trainer == "code-generator") return cm::CodeGeneratorTrainParams().batchSize;
        return tokenizer() ? kTokenizerBatch : kBatch;
    }
};

cm::TokenizerConfig tokenizerConfig(const cm::Dataset& data) {
    return cm::tokenizerPreset("lo", int(data.itemShape.at(1)), int(data.itemShape.at(0)));
}

std::string selfDirectory() {
    return fs::canonical("/proc/self/exe").parent_path().string();
}

// Writes "median step seconds, communication seconds per step, timed steps" from the seconds after each step.
void writeStepTimes(const Options& o, const std::vector<double>& at, double communicationSeconds,
                    const std::string& result) {
    std::vector<double> steps;
    for (std::size_t i = std::size_t(o.warmup); i < at.size(); ++i)
        steps.push_back(at[i] - at[i - 1]);
    std::sort(steps.begin(), steps.end());
    const double median = steps.empty() ? 0 : steps[steps.size() / 2];
    std::ofstream(result) << median << ' ' << communicationSeconds / double(at.size()) << ' ' << steps.size() << '\n';
}

// The settings every benchmarked run shares: `threads`, no logging or checkpoints worth the name, one rank
// of torchrun's group (or alone), output in `scratch`.
template <typename Params>
void benchRunSettings(Params& p, int threads, const std::string& scratch, const std::string& name) {
    p.threads = threads;
    p.totalSteps = 100000; // stopped after warmup + steps
    p.logEvery = p.checkpointEvery = 1000000;
    p.distributed = cm::distributedFromEnvironment();
    p.distributed.timeoutSeconds = 600;
    p.distributed.verifyEvery = 1000000;
    p.outputPath = scratch + "/" + name;
    p.overwrite = true;
}

int trainTokenizerChild(const Options& o, int threads, const std::string& result, const std::string& scratch) {
    const cm::Dataset data = cm::loadFashionMnist(o.data, cm::Split::Train);
    cm::TokenizerTrainParams p;
    p.config = tokenizerConfig(data);
    p.perceptualNet = cm::resolveModelPath("fashion-mnist-classifier", selfDirectory());
    p.batchSize = kTokenizerBatch;
    benchRunSettings(p, threads, scratch, "bench-tokenizer.safetensors");
    cm::CancelFlag cancel{false};
    std::vector<double> at;
    const auto summary = cm::trainTokenizer(
        p, data,
        [&](const cm::TokenizerTrainStatus& s) {
            at.push_back(s.seconds);
            if (s.step >= o.warmup + o.steps) cancel = true;
        },
        &cancel);
    if (p.distributed.rank == 0) writeStepTimes(o, at, summary.communicationSeconds, result);
    return 0;
}

int trainStyleChild(const Options& o, int threads, const std::string& result, const std::string& scratch) {
    const cm::StyleWorld world = cm::StyleWorld::load(o.data, cm::Split::Train, o.emoji);
    cm::StyleTrainParams p; // stage base, the small network, batch 32: the CLI's defaults
    benchRunSettings(p, threads, scratch, "bench-style.safetensors");
    cm::CancelFlag cancel{false};
    std::vector<double> at;
    const auto summary = cm::trainStyleModel(
        p, world,
        [&](const cm::StyleTrainStatus& s) {
            at.push_back(s.seconds);
            if (s.step >= o.warmup + o.steps) cancel = true;
        },
        &cancel);
    if (p.distributed.rank == 0) writeStepTimes(o, at, summary.communicationSeconds, result);
    return 0;
}

int trainCodeGeneratorChild(const Options& o, int threads, const std::string& result, const std::string& scratch) {
    cm::Dataset data = cm::loadFashionMnist(o.data, cm::Split::Train);
    data.values.resize(std::size_t(2048 * data.itemSize())); // the first 2048 images
    data.labels.resize(2048);
    cm::TokenizerCard card;
    card.config = tokenizerConfig(data);
    card.stages = {"1a"};
    const cm::CodeSet codes = cm::encodeDataset(cm::Tokenizer::create(card, 0), data);
    cm::CodeGeneratorTrainParams p; // the CLI's defaults
    benchRunSettings(p, threads, scratch, "bench-code-generator.safetensors");
    cm::CancelFlag cancel{false};
    std::vector<double> at;
    const auto began = std::chrono::steady_clock::now();
    const auto summary = cm::trainCodeGenerator(
        p, codes,
        [&](long step, long, double) {
            at.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
            if (step >= o.warmup + o.steps) cancel = true;
        },
        &cancel);
    if (p.distributed.rank == 0) writeStepTimes(o, at, summary.communicationSeconds, result);
    return 0;
}

// One rank (or the single process): trains warmup + steps, writes "step_ms comm_ms_per_step" to `result`.
int trainChild(const Options& o, int threads, const std::string& result, const std::string& scratch) {
    const cm::Dataset data = cm::loadFashionMnist(o.data, cm::Split::Train);
    cm::TrainParams p;
    p.mode = cm::TrainMode::Ict;
    p.network = cliDefaultNetwork(data);
    p.batchSize = kBatch;
    benchRunSettings(p, threads, scratch, "bench.safetensors");
    cm::CancelFlag cancel{false};
    std::vector<double> at; // seconds after each step
    const auto summary = cm::train(
        p, data,
        [&](const cm::TrainStatus& s) {
            at.push_back(s.seconds);
            if (s.step >= o.warmup + o.steps) cancel = true;
        },
        &cancel);
    if (p.distributed.rank == 0) writeStepTimes(o, at, summary.communicationSeconds, result);
    return 0;
}

long gradientFloats(const Options& o) {
    const cm::Dataset data = cm::loadFashionMnist(o.data, cm::Split::Train);
    if (o.tokenizer()) { // stage 1a trains every weight
        cm::TokenizerCard card;
        card.config = tokenizerConfig(data);
        return long(cm::Tokenizer::create(card, 0).parameterCount());
    }
    cm::ModelCard card;
    card.kind = cm::ModelKind::Consistency;
    card.network = cliDefaultNetwork(data);
    for (int c = 0; c < card.network.numClasses; ++c)
        card.classNames.push_back(data.classNames.at(std::size_t(c)));
    return long(cm::Model::create(card, 0).parameterCount());
}

int allReduceChild(long floats, const std::string& result) {
    const auto params = cm::distributedFromEnvironment();
    const double seconds = cm::measureAllReduceSeconds(params, floats, 20);
    if (params.rank == 0) std::ofstream(result) << seconds << '\n';
    return 0;
}

std::vector<double> readNumbers(const std::string& path) {
    std::ifstream in(path);
    std::vector<double> values;
    double v;
    while (in >> v)
        values.push_back(v);
    return values;
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string child, result, scratch;
    int threads = 1;
    long floats = 0;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto next = [&] { return i + 1 < args.size() ? args[++i] : std::string(); };
        if (args[i] == "--steps")
            o.steps = std::max(2, std::atoi(next().c_str()));
        else if (args[i] == "--warmup")
            o.warmup = std::max(1, std::atoi(next().c_str()));
        else if (args[i] == "--data")
            o.data = next();
        else if (args[i] == "--emoji")
            o.emoji = next();
        else if (args[i] == "--trainer") {
            o.trainer = next();
            if (o.trainer != "ict" && o.trainer != "tokenizer" && o.trainer != "style" && o.trainer != "code-generator") {
                std::fprintf(stderr, "bench_distributed: --trainer is ict, tokenizer, style or code-generator\n");
                return 2;
            }
        }
        else if (args[i] == "--child")
            child = next();
        else if (args[i] == "--result")
            result = next();
        else if (args[i] == "--scratch")
            scratch = next();
        else if (args[i] == "--child-threads")
            threads = std::atoi(next().c_str());
        else if (args[i] == "--floats")
            floats = std::atol(next().c_str());
        else {
            std::fprintf(stderr, "bench_distributed: unknown argument %s\n", args[i].c_str());
            return 2;
        }
    }
    if (o.data.empty()) o.data = cm::defaultFashionMnistDirectory();
    try {
        if (child == "train") {
            if (o.trainer == "style") return trainStyleChild(o, threads, result, scratch);
            if (o.trainer == "code-generator") return trainCodeGeneratorChild(o, threads, result, scratch);
            return o.tokenizer() ? trainTokenizerChild(o, threads, result, scratch) : trainChild(o, threads, result, scratch);
        }
        if (child == "allreduce") return allReduceChild(floats, result);

        // As cmstudio-cli does: libgomp's busy-waiting makes every step many times slower when another
        // process holds a core (the ranks are such processes). The ranks inherit it.
        ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        const fs::path dir = fs::temp_directory_path() / ("bench_distributed." + std::to_string(::getpid()));
        fs::create_directories(dir);
        const std::string self = fs::canonical("/proc/self/exe").string();
        const std::vector<std::string> common{
            "--steps", std::to_string(o.steps), "--warmup", std::to_string(o.warmup), "--data", o.data,
            "--emoji", fs::absolute(o.emoji).string(), "--trainer", o.trainer};
        for (const auto& [processes, perProcessThreads] : {std::pair{1, 2}, std::pair{2, 1}}) {
            const std::string out = (dir / ("train-" + std::to_string(processes))).string();
            const std::string work = (dir / ("work-" + std::to_string(processes))).string();
            fs::create_directories(work);
            std::vector<std::string> a = common;
            a.insert(a.end(), {"--child", "train", "--child-threads", std::to_string(perProcessThreads),
                               "--result", out, "--scratch", work});
            const auto ran = cm::runLocalRanks(self, a, processes, 30);
            const auto v = readNumbers(out);
            if (ran.exitCode != 0 || v.size() < 3) {
                std::fprintf(stderr, "bench_distributed: the %d-process run failed: %s\n", processes,
                             ran.message.c_str());
                return 1;
            }
            std::printf("train trainer=%s processes=%d threads=%d samples_per_s=%.1f step_ms=%.1f "
                        "comm_ms_per_step=%.3f steps=%d\n",
                        o.trainer.c_str(), processes, perProcessThreads, o.batch() / v[0], v[0] * 1000, v[1] * 1000,
                        int(v[2]));
            std::fflush(stdout);
        }
        if (o.trainer == "style" || o.trainer == "code-generator") {
            fs::remove_all(dir);
            return 0;
        }
        const long count = gradientFloats(o);
        const std::string out = (dir / "allreduce").string();
        const auto ran = cm::runLocalRanks(
            self, {"--child", "allreduce", "--floats", std::to_string(count), "--result", out}, 2, 30);
        const auto v = readNumbers(out);
        if (ran.exitCode != 0 || v.empty()) {
            std::fprintf(stderr, "bench_distributed: the all-reduce run failed: %s\n", ran.message.c_str());
            return 1;
        }
        std::printf("allreduce processes=2 floats=%ld bytes=%ld median_ms=%.2f\n", count, count * 4,
                    v[0] * 1000);
        fs::remove_all(dir);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_distributed: %s\n", e.what());
        return 1;
    }
}
