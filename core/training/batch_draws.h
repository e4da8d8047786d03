// The random draws of one training step. Private to core/.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/torch.h>

namespace cm::training {

// Every draw covers the whole global batch from the run's sampling generator, and a process keeps the
// slice [begin, begin + count) it trains on. A sample's noise, noise level and data index therefore depend
// on its global index only, never on how many processes share the batch: W processes reproduce the run of
// one. Drawing the other processes' values too costs far less than one network evaluation.
class BatchDraws {
  public:
    BatchDraws(at::Generator& generator, int64_t globalBatch, int64_t begin, int64_t count)
        : m_generator(generator), m_global(globalBatch), m_begin(begin), m_count(count) {}

    int64_t localCount() const { return m_count; }
    int64_t globalCount() const { return m_global; }

    // Standard normal, [count, itemShape...], float32.
    torch::Tensor normalItems(at::IntArrayRef itemShape);
    // U(0, 1), [count, itemShape...], float32.
    torch::Tensor uniformItems(at::IntArrayRef itemShape);
    // One value per sample, [count].
    torch::Tensor normal(torch::ScalarType type);
    torch::Tensor uniform(torch::ScalarType type);
    torch::Tensor integers(int64_t low, int64_t high);             // int64 in [low, high)
    torch::Tensor categorical(const torch::Tensor& probabilities); // int64 indices, with replacement

  private:
    torch::Tensor local(const torch::Tensor& global) const { return global.narrow(0, m_begin, m_count); }

    at::Generator& m_generator;
    int64_t m_global, m_begin, m_count;
};

} // namespace cm::training
