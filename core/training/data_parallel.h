// The processes of one data-parallel training run: c10d over Gloo, the rendezvous through a TCP store.
// Private to core/. Every method that communicates is a collective: all ranks call it in the same order.
// Not thread-safe.
#pragma once

#include "core/distributed.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace cm::training {

class DataParallelGroup {
  public:
    // Connects to the rendezvous store and waits for every rank (within params.timeoutSeconds); ranks that
    // do not come are named in an Error(Communication).
    explicit DataParallelGroup(const DistributedParams& params);
    ~DataParallelGroup();
    DataParallelGroup(const DataParallelGroup&) = delete;
    DataParallelGroup& operator=(const DataParallelGroup&) = delete;

    int rank() const { return m_params.rank; }
    int worldSize() const { return m_params.worldSize; }

    // Every rank's `text` under `topic`, in rank order.
    std::vector<std::string> exchange(const std::string& topic, const std::string& text);
    // Rank 0's values of `tensors` (any dtypes, any shapes: the same on every rank) into every rank's.
    void broadcastFromRank0(const std::vector<torch::Tensor>& tensors);
    void allReduceSum(torch::Tensor& tensor);
    // Whether `value` is bit for bit the same on every rank.
    bool agree(double value);

    // Marks this rank as leaving with `reason` (best effort), so the others' error names it.
    void announceExit(const std::string& reason) noexcept;

    struct Connection;
    Connection& connection() { return *m_connection; }
    // Turns a failed collective into an Error(Communication) naming the ranks that stopped answering.
    [[noreturn]] void fail(const std::string& during, const std::exception& cause);

  private:
    void waitForEveryone(const std::string& topic);

    DistributedParams m_params;
    std::unique_ptr<Connection> m_connection;
    bool m_broken = false;
};

// Sums every rank's gradients bucket by bucket while the backward pass runs: a hook on each parameter
// copies its gradient into its bucket, and a full bucket starts its all-reduce at once, so communication
// overlaps the rest of the backward pass (as LibTorch's DDP Reducer does).
class GradientReducer {
  public:
    GradientReducer(DataParallelGroup& group, const std::vector<torch::Tensor>& parameters,
                    int64_t bucketBytes = int64_t(4) << 20);
    ~GradientReducer();
    GradientReducer(const GradientReducer&) = delete;
    GradientReducer& operator=(const GradientReducer&) = delete;

    void beginBackward();
    // After backward(): every parameter that received a gradient holds the sum over the ranks.
    void finishBackward();
    int bucketCount() const { return int(m_buckets.size()); }

  private:
    struct Bucket;
    void gradientReady(std::size_t parameter, const torch::Tensor& gradient);
    void launch(Bucket& bucket);

    DataParallelGroup& m_group;
    std::vector<torch::Tensor> m_parameters;
    std::vector<unsigned> m_hooks;
    std::vector<std::size_t> m_bucketOf;
    std::vector<int64_t> m_offset;
    std::vector<bool> m_received;
    std::vector<std::unique_ptr<Bucket>> m_buckets;
    bool m_armed = false;
};

} // namespace cm::training
