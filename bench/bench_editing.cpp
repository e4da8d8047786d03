// Time of each zero-shot edit at its default schedule, for one image and for a batch of 16, with the
// bundled consistency models: Fashion-MNIST (28x28 grey) and, for colorization, Noto emoji (32x32 RGB).
// Usage: bench_editing [--threads N] [--rounds N]
#include "bench_stats.h"
#include "core/editing.h"
#include "core/model.h"
#include "core/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

namespace {

double medianMs(int rounds, const std::function<void()>& work) {
    work(); // warm-up
    std::vector<double> ms;
    for (int r = 0; r < rounds; ++r) {
        const auto start = std::chrono::steady_clock::now();
        work();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    return median(ms);
}

cv::Mat image(int size, int channels, int seed) {
    cv::Mat m(size, size, CV_32FC(channels));
    cv::RNG rng(seed);
    rng.fill(m, cv::RNG::UNIFORM, -1.0, 1.0);
    return m;
}

} // namespace

int main(int argc, char** argv) {
    int threads = 2, rounds = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    }
    cm::setThreadCount(threads);
    const cm::Model grey = cm::Model::load(std::string(CMSTUDIO_SOURCE_MODELS_DIR) + "/fashion-mnist-ect.safetensors");
    const cm::Model colour = cm::Model::load(std::string(CMSTUDIO_SOURCE_MODELS_DIR) + "/noto-emoji-ect.safetensors");
    cv::Mat mask(28, 28, CV_8U, cv::Scalar(0));
    mask(cv::Rect(8, 8, 12, 12)).setTo(255);

    std::printf("edit        default NFE   1 image (ms)   16 images (ms)   threads=%d, median of %d\n", threads, rounds);
    for (const cm::EditTask task : {cm::EditTask::Inpaint, cm::EditTask::Colorize, cm::EditTask::SuperResolution,
                                    cm::EditTask::Stroke}) {
        const cm::Model& model = task == cm::EditTask::Colorize ? colour : grey;
        double times[2] = {0, 0};
        int nfe = 0;
        for (int k = 0; k < 2; ++k) {
            const int count = k == 0 ? 1 : 16;
            cm::EditParams params;
            params.task = task;
            for (int j = 0; j < count; ++j) {
                if (task == cm::EditTask::Colorize) params.images.push_back(image(32, 1, j));
                else if (task == cm::EditTask::SuperResolution) params.images.push_back(image(7, 1, j));
                else params.images.push_back(image(28, 1, j));
            }
            if (task == cm::EditTask::Inpaint) params.masks = {mask};
            times[k] = medianMs(rounds, [&] { nfe = cm::edit(model, params).nfe; });
        }
        std::printf("%-11s %11d   %12.1f   %14.1f\n", cm::editTaskName(task), nfe, times[0], times[1]);
    }
    double denoiseMs[2];
    for (int k = 0; k < 2; ++k) {
        std::vector<cv::Mat> noisy;
        for (int j = 0; j < (k == 0 ? 1 : 16); ++j)
            noisy.push_back(image(28, 1, j));
        denoiseMs[k] = medianMs(rounds, [&] { cm::denoise(grey, noisy, 0.5); });
    }
    std::printf("%-11s %11d   %12.1f   %14.1f\n", "denoise", 1, denoiseMs[0], denoiseMs[1]);
    cm::InterpolationParams interpolation;
    interpolation.frames = 16;
    const double ms = medianMs(rounds, [&] { cm::interpolate(grey, interpolation); });
    std::printf("interpolate 16 frames, 1 evaluation each: %.1f ms\n", ms);
    return 0;
}
