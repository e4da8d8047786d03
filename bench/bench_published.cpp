// Seconds per one-step image and peak memory of a published-size ADM UNet (ImageNet 64 or LSUN 256,
// random weights in the published .pt layout, made by tests/published/adm_twin.py), as the engine
// opens and samples it. bench/run-published-bench.sh runs it beside the same network in plain PyTorch.
//
// Usage: bench_published MODEL.pt [--batches 1,8] [--runs N] [--threads N] [--precision auto|fp32|bf16]
// One line per batch size on stdout:
//   cpp cd_imagenet64_l2 batch=1 median_s_per_image=9.71 min_s_per_image=9.50 runs=3 load_s=4.2 peak_rss_mib=2500 ...
#include "bench_stats.h"
#include "core/error.h"
#include "core/model.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "core/sampler.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

double peakRssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

double currentRssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

// Resets the peak resident set to the current one (Linux: "5" to clear_refs), so the next peak is that of
// sampling alone and not of reading the file.
void resetPeakRss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_published MODEL.pt [--batches 1,8] [--runs N] [--threads N] [--auto-batch] [--precision P]\n"
                             "  --auto-batch: each batch of images is computed with the engine's own images per\n"
                             "  evaluation (NetworkConfig::defaultBatchSize), not all in one evaluation\n");
        return 2;
    }
    const std::string path = argv[1];
    std::vector<int> batches{1, 8};
    int runs = 3, threads = 2;
    bool autoBatch = false;
    for (int i = 2; i < argc; ++i)
        if (!std::strcmp(argv[i], "--auto-batch")) autoBatch = true;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--precision")) {
            try {
                cm::setPrecision(cm::parsePrecision(argv[i + 1]));
            } catch (const cm::Error& e) {
                std::fprintf(stderr, "bench_published: %s\n", e.what());
                return 2;
            }
        }
        if (!std::strcmp(argv[i], "--batches")) {
            batches.clear();
            std::stringstream list(argv[i + 1]);
            for (std::string item; std::getline(list, item, ',');)
                batches.push_back(std::stoi(item));
        }
    }
    try {
        cm::setThreadCount(threads);
        const auto loadStart = std::chrono::steady_clock::now();
        const cm::Model model = cm::Model::load(path, cm::ImportOptions{});
        const double loadSeconds = secondsSince(loadStart);
        const std::string name = std::filesystem::path(path).stem().string();
        const double loadedRss = currentRssMiB(), loadPeak = peakRssMiB();
        for (int batch : batches) {
            cm::SampleParams params;
            params.count = batch;
            params.batchSize = autoBatch ? 0 : batch;
            resetPeakRss();
            std::vector<double> perImage;
            for (int run = 0; run < runs; ++run) {
                params.seed = uint64_t(run) * 1000;
                const auto start = std::chrono::steady_clock::now();
                cm::sample(model, params);
                perImage.push_back(secondsSince(start) / batch);
            }
            // peak_rss_mib: the whole process (reading the file included); sampling_peak_rss_mib: the peak
            // while these images were made, beside loaded_rss_mib, the model alone.
            std::printf("cpp %s batch=%d median_s_per_image=%.3f min_s_per_image=%.3f runs=%d load_s=%.1f "
                        "peak_rss_mib=%.0f loaded_rss_mib=%.0f sampling_peak_rss_mib=%.0f images_per_evaluation=%d "
                        "threads=%d params=%lld precision=%s\n",
                        name.c_str(), batch, median(perImage), *std::min_element(perImage.begin(), perImage.end()),
                        runs, loadSeconds, std::max(loadPeak, peakRssMiB()), loadedRss, peakRssMiB(), autoBatch ?
                        std::min(batch, model.card().network.defaultBatchSize()) : batch, cm::threadCount(),
                        (long long)model.parameterCount(), cm::precisionName(cm::activePrecision()));
            std::fflush(stdout);
        }
    } catch (const cm::Error& e) {
        std::fprintf(stderr, "bench_published: %s\n", e.what());
        return 1;
    }
    return 0;
}
