// Constructing networks from a seed without disturbing torch's global generator (a training run draws
// dropout masks from it and creates models at every checkpoint). Private to core/.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>
#include <mutex>

namespace cm::detail {

// Runs `construct` with the global generator seeded `seed`, then restores the generator's state.
template <typename Construct> auto constructSeeded(uint64_t seed, Construct&& construct) {
    at::Generator global = at::detail::getDefaultCPUGenerator();
    torch::Tensor savedState;
    {
        std::lock_guard<std::mutex> lock(global.mutex());
        savedState = global.get_state();
        global.set_current_seed(seed);
    }
    auto result = construct();
    {
        std::lock_guard<std::mutex> lock(global.mutex());
        global.set_state(savedState);
    }
    return result;
}

} // namespace cm::detail
