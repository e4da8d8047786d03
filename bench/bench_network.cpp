// Times one network evaluation (cm::evaluateModel) of the default-size UNet at 28x28x1 and 32x32x3,
// batch 1 and batch 64, and writes the weights, inputs and outputs that bench/pytorch_reference.py
// needs to rebuild the same network in plain PyTorch, check agreement and time it the same way.
//
// Usage: bench_network [OUT_DIR] [--threads N] [--config NAME]... [--precision auto|fp32|bf16]
//   OUT_DIR     where to write <config>.safetensors (the model) and <config>-io.safetensors
//               (inputs, sigma, label, C++ outputs); default ./bench-out
//   --threads   network threads (default: the engine's default, one per hardware core)
//   --config    run only the named configuration(s): 28x28x1, 32x32x3
//   --precision the engine's compute precision for the timings (default auto); the reference outputs
//               for the PyTorch check are always computed in float32
//
// One line per measurement on stdout, e.g.
//   cpp 28x28x1 batch=1 median_ms=3.210 min_ms=3.101 runs=20 threads=2 params=1234567 precision=bf16
//
// Only the engine's public headers: the project keeps torch inside core/.

#include "bench_stats.h"
#include "core/error.h"
#include "core/model.h"
#include "core/model_card.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "core/safetensors.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

struct BenchConfig {
    std::string name;
    int imageSize;
    int channels;
    int numClasses; // 0 = unconditional
    std::vector<int> attention;
};

constexpr uint64_t kModelSeed = 1234;
constexpr uint64_t kPerturbSeed = 4321;
constexpr uint64_t kInputSeed = 20240601;
constexpr double kSigma = 2.5;
constexpr int kConditionalLabel = 3;
constexpr int kWarmup = 3;
constexpr int kRunsBatch1 = 20;
constexpr int kRunsBatch64 = 5;
constexpr int kLargeBatch = 64;

std::vector<BenchConfig> allConfigs() {
    return {
        {"28x28x1", 28, 1, 10, {7}},
        {"32x32x3", 32, 3, 0, {8}},
    };
}

// Float32 record view helpers (the files are little-endian; so is every platform we build on).
std::vector<float> floatsOf(const cm::TensorRecord& record) {
    std::vector<float> values(std::size_t(record.elementCount()));
    std::memcpy(values.data(), record.bytes.data(), values.size() * sizeof(float));
    return values;
}

void setFloats(cm::TensorRecord& record, const std::vector<float>& values) {
    std::memcpy(record.bytes.data(), values.data(), values.size() * sizeof(float));
}

cm::TensorRecord makeRecord(cm::DType dtype, std::vector<int64_t> shape, const void* data) {
    cm::TensorRecord record;
    record.dtype = dtype;
    record.shape = std::move(shape);
    record.bytes.resize(std::size_t(record.elementCount()) * cm::dtypeSize(dtype));
    std::memcpy(record.bytes.data(), data, record.bytes.size());
    return record;
}

// A fresh model zero-initialises its output conv and the last conv of every residual branch and
// attention block, and GroupNorm starts at weight 1, bias 0: a comparison on such weights would not
// exercise most of the network. Every tensor that is still constant gets random values:
//   conv_out.weight: normal * 0.05 (as the issue asks);
//   other conv/linear weights: normal * min(0.05, 0.5 / sqrt(fan_in)) (keeps activations bounded);
//   biases and GroupNorm affine parameters: their constant plus normal * 0.05.
// Returns how many tensors were changed.
int perturbConstantTensors(cm::SafetensorsFile& file, uint64_t seed) {
    cv::RNG rng(seed);
    int changed = 0;
    for (auto& [name, record] : file.tensors) { // std::map: a fixed order, so deterministic
        if (record.dtype != cm::DType::F32 || record.elementCount() == 0) continue;
        auto values = floatsOf(record);
        const bool constant =
            std::all_of(values.begin(), values.end(), [&](float v) { return v == values[0]; });
        if (!constant) continue;
        double scale = 0.05;
        double offset = values[0];
        if (name == "conv_out.weight") {
            offset = 0.0;
        } else if (record.shape.size() >= 2) {
            int64_t fanIn = 1;
            for (std::size_t d = 1; d < record.shape.size(); ++d)
                fanIn *= record.shape[d];
            scale = std::min(0.05, 0.5 / std::sqrt(double(fanIn)));
            offset = 0.0;
        }
        for (auto& v : values)
            v = float(offset + scale * rng.gaussian(1.0));
        setFloats(record, values);
        ++changed;
    }
    return changed;
}

// N images H x W (CV_32FC1 / CV_32FC3, RGB order) with values uniform in [-1, 1].
std::vector<cv::Mat> randomImages(int count, int size, int channels, uint64_t seed) {
    cv::RNG rng(seed);
    std::vector<cv::Mat> images;
    for (int i = 0; i < count; ++i) {
        cv::Mat image(size, size, CV_32FC(channels));
        rng.fill(image, cv::RNG::UNIFORM, -1.0, 1.0);
        images.push_back(image);
    }
    return images;
}

// H x W x C images -> one contiguous N x C x H x W float32 buffer.
std::vector<float> toNchw(const std::vector<cv::Mat>& images) {
    std::vector<float> out;
    for (const auto& image : images) {
        const int h = image.rows, w = image.cols, c = image.channels();
        const std::size_t base = out.size();
        out.resize(base + std::size_t(c) * h * w);
        for (int y = 0; y < h; ++y) {
            const float* row = image.ptr<float>(y);
            for (int x = 0; x < w; ++x)
                for (int k = 0; k < c; ++k)
                    out[base + (std::size_t(k) * h + y) * w + x] = row[x * c + k];
        }
    }
    return out;
}

struct Timing {
    double medianMs, minMs;
    int runs;
};

Timing timeEvaluation(const cm::Model& model, const std::vector<cv::Mat>& images, int label, int runs) {
    for (int i = 0; i < kWarmup; ++i)
        cm::evaluateModel(model, images, kSigma, cm::Conditioning::ofClass(label));
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto out = cm::evaluateModel(model, images, kSigma, cm::Conditioning::ofClass(label));
        const auto stop = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
        if (out.size() != images.size())
            throw std::runtime_error("evaluateModel returned the wrong number of images");
    }
    return {median(ms), *std::min_element(ms.begin(), ms.end()), runs};
}

void runConfig(const BenchConfig& config, const std::filesystem::path& outDir, int threads, cm::Precision precision) {
    cm::ModelCard card;
    card.kind = cm::ModelKind::Consistency;
    card.network.type = cm::NetworkType::UNet;
    card.network.imageSize = config.imageSize;
    card.network.channels = config.channels;
    card.network.numClasses = config.numClasses;
    card.network.attentionResolutions = config.attention;
    for (int c = 0; c < config.numClasses; ++c)
        card.classNames.push_back("class " + std::to_string(c));
    card.recipe = "bench";
    card.notes = "bench/bench_network: random weights for timing and the PyTorch agreement check";

    const std::string modelPath = (outDir / (config.name + ".safetensors")).string();
    cm::Model::create(card, kModelSeed).save(modelPath);
    // After the first Model call: cm::setThreadCount before it would consume the engine's one-time
    // runtime initialisation, which also turns on flush-to-zero for denormals (see core/runtime.cpp).
    if (threads > 0) cm::setThreadCount(threads);
    auto weights = cm::readSafetensors(modelPath);
    const int perturbed = perturbConstantTensors(weights, kPerturbSeed);
    cm::writeSafetensors(modelPath, weights);
    const cm::Model model = cm::Model::load(modelPath);

    const int label = config.numClasses > 0 ? kConditionalLabel : -1;
    const auto images = randomImages(kLargeBatch, config.imageSize, config.channels, kInputSeed);
    const std::vector<cv::Mat> single(images.begin(), images.begin() + 1);

    // Reference outputs for Python: the batch-64 input, and the batch-1 input (image 0) on its own.
    cm::setPrecision(cm::Precision::Fp32);
    const auto out64 = cm::evaluateModel(model, images, kSigma, cm::Conditioning::ofClass(label));
    const auto out1 = cm::evaluateModel(model, single, kSigma, cm::Conditioning::ofClass(label));
    const std::vector<int64_t> shape64{kLargeBatch, config.channels, config.imageSize, config.imageSize};
    const std::vector<int64_t> shape1{1, config.channels, config.imageSize, config.imageSize};
    cm::SafetensorsFile io;
    io.tensors["x"] = makeRecord(cm::DType::F32, shape64, toNchw(images).data());
    io.tensors["out"] = makeRecord(cm::DType::F32, shape64, toNchw(out64).data());
    io.tensors["out_batch1"] = makeRecord(cm::DType::F32, shape1, toNchw(out1).data());
    const double sigma = kSigma;
    const int64_t label64 = label;
    io.tensors["sigma"] = makeRecord(cm::DType::F64, {1}, &sigma);
    io.tensors["label"] = makeRecord(cm::DType::I64, {1}, &label64);
    io.metadata["config"] = config.name;
    io.metadata["model"] = config.name + ".safetensors";
    io.metadata["threads"] = std::to_string(cm::threadCount());
    io.metadata["warmup"] = std::to_string(kWarmup);
    io.metadata["runs_batch1"] = std::to_string(kRunsBatch1);
    io.metadata["runs_batch64"] = std::to_string(kRunsBatch64);
    cm::writeSafetensors((outDir / (config.name + "-io.safetensors")).string(), io);

    double maxAbs = 0.0;
    for (const auto& m : out64) {
        double lo, hi;
        cv::minMaxLoc(m.reshape(1), &lo, &hi);
        maxAbs = std::max({maxAbs, std::abs(lo), std::abs(hi)});
    }
    std::cerr << "bench_network: " << config.name << ": " << perturbed << " constant tensors randomised, "
              << "max |output| at batch 64 = " << maxAbs << "\n";

    cm::setPrecision(precision);
    const char* active = cm::precisionName(cm::activePrecision());
    for (const auto& [batch, runs] : {std::pair{1, kRunsBatch1}, std::pair{kLargeBatch, kRunsBatch64}}) {
        const auto& input = batch == 1 ? single : images;
        const Timing t = timeEvaluation(model, input, label, runs);
        std::printf("cpp %s batch=%d median_ms=%.3f min_ms=%.3f runs=%d threads=%d params=%lld precision=%s\n",
                    config.name.c_str(), batch, t.medianMs, t.minMs, t.runs, cm::threadCount(),
                    static_cast<long long>(model.parameterCount()), active);
        std::fflush(stdout);
    }
}

[[noreturn]] void usage(const char* message) {
    std::cerr << "bench_network: " << message << "\n"
              << "usage: bench_network [OUT_DIR] [--threads N] [--config 28x28x1|32x32x3]... [--precision P]\n";
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    std::filesystem::path outDir = "bench-out";
    int threads = 0;
    cm::Precision precision = cm::Precision::Auto;
    std::vector<std::string> only;
    bool outDirSet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--threads") {
            if (++i >= argc) usage("--threads needs a number");
            threads = std::atoi(argv[i]);
            if (threads < 1) usage("--threads must be >= 1");
        } else if (arg == "--precision") {
            if (++i >= argc) usage("--precision needs auto, fp32 or bf16");
            try {
                precision = cm::parsePrecision(argv[i]);
            } catch (const cm::Error& e) {
                usage(e.what());
            }
        } else if (arg == "--config") {
            if (++i >= argc) usage("--config needs a name");
            only.push_back(argv[i]);
        } else if (arg == "-h" || arg == "--help") {
            usage("times cm::evaluateModel on the default-size UNet");
        } else if (!arg.empty() && arg[0] == '-') {
            usage(("unknown option " + arg).c_str());
        } else if (!outDirSet) {
            outDir = arg;
            outDirSet = true;
        } else {
            usage("more than one OUT_DIR");
        }
    }
    try {
        std::filesystem::create_directories(outDir);
        bool ranAny = false;
        for (const auto& config : allConfigs()) {
            if (!only.empty() && std::find(only.begin(), only.end(), config.name) == only.end()) continue;
            runConfig(config, outDir, threads, precision);
            ranAny = true;
        }
        if (!ranAny) usage("no configuration matched --config");
    } catch (const std::exception& e) {
        std::cerr << "bench_network: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
