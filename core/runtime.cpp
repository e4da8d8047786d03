#include "runtime.h"

#include "detail/runtime_init.h"

#include <torch/torch.h>

#include <mutex>
#include <thread>

namespace cm {

namespace {
std::once_flag g_defaultThreads;
}

void setThreadCount(int threads) {
    detail::ensureRuntimeInitialised();
    const int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(n);
}

int threadCount() {
    return torch::get_num_threads();
}

void detail::ensureRuntimeInitialised() {
    std::call_once(g_defaultThreads, [] {
        torch::set_num_threads(int(std::max(1u, std::thread::hardware_concurrency())));
        // Gradients scaled by c_out near sigma_min underflow into denormals, which are ~100x slower on x86.
        at::globalContext().setFlushDenormal(true);
    });
}

} // namespace cm
