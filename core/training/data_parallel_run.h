// The data-parallel side of a training run, for any trainer (the consistency-model trainer, the tokenizer
// trainer, the next one): one object a trainer owns, alone (worldSize 1: no communication, every call
// cheap or a no-op) or as one rank of a group. Private to core/. Not thread-safe.
//
// How a trainer plugs in (see README, "Data-parallel training"):
//   1. Construct it from DistributedParams before anything else (it joins the group).
//   2. start(): runs the trainer's own preparation on every rank (validation, networks; rank 0 alone reads
//      the checkpoint when resuming), then makes the ranks agree: settings fingerprint, rank 0's state.
//   3. Each step: shard() the global batch, draw through BatchDraws (global draws, local slice), weight each
//      rank's loss by its share (sum / global batch), beginBackward() / backward / finishBackward() (the
//      gradients summed over the ranks), sumStepValues() for the logged sums and the cancel flag.
//   4. After the step: verify() (the periodic cross-rank checksum); only writes() ranks write files.
//   5. Wrap the run in guard(): a failing rank names itself to the others.
#pragma once

#include "core/dataset.h"
#include "core/detail/optimizer.h"
#include "core/distributed.h"

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cm::training {

class DataParallelGroup;
class GradientReducer;

// Everything that must be the same on every rank, by reference: taken from rank 0 at the start and
// compared by the periodic checksum.
struct ReplicatedState {
    std::vector<torch::Tensor> tensors;      // weights (trained and frozen), targets, EMA copies
    detail::Optimizer* optimizer = nullptr;  // its moments and step count
    at::Generator* sampling = nullptr;       // the generator of the global batch draws (BatchDraws)
    long* step = nullptr;
    double* secondsBefore = nullptr;         // wall time of the earlier segments of a resumed run

    // The tensors of `lists` in order (e.g. the weights, then each EMA copy) and the rest.
    static ReplicatedState of(const std::vector<std::vector<torch::Tensor>>& lists, detail::Optimizer& optimizer,
                              at::Generator& sampling, long& step, double& secondsBefore) {
        ReplicatedState s;
        for (const auto& list : lists)
            s.tensors.insert(s.tensors.end(), list.begin(), list.end());
        s.optimizer = &optimizer;
        s.sampling = &sampling;
        s.step = &step;
        s.secondsBefore = &secondsBefore;
        return s;
    }
};

// This rank's contiguous slice [begin, begin + count) of a global batch; slices differ by at most one.
struct BatchShard {
    int64_t begin = 0, count = 0, global = 0;
    double share() const { return double(count) / double(global); } // the weight of this rank's mean
};

class DataParallelRun {
  public:
    explicit DataParallelRun(const DistributedParams& params); // joins the group when worldSize > 1
    ~DataParallelRun();
    DataParallelRun(const DataParallelRun&) = delete;
    DataParallelRun& operator=(const DataParallelRun&) = delete;

    bool active() const { return bool(m_group); } // false: a run of its own
    int rank() const { return m_params.rank; }
    int worldSize() const { return m_params.worldSize; }
    bool writes() const { return m_params.rank == 0; } // rank 0 writes every file
    const DistributedParams& params() const { return m_params; }

    BatchShard shard(int64_t globalBatch) const;

    // Runs `prepare` on this rank. In a group then: every rank learns whether every other could prepare
    // (none waits for a rank that gave up), compares `fingerprint()` (a JSON object of everything that must
    // agree: settings, data, frozen networks; refused key by key, naming the rank), takes rank 0's
    // `state()` and checks it, seeds this rank's default generator (the networks' dropout) from `seed`, the
    // rank and the step, and hooks the gradient reducer onto `trained()` (the parameters that learn).
    void start(const std::function<void()>& prepare, const std::function<std::string()>& fingerprint,
               const std::function<ReplicatedState()>& state,
               const std::function<std::vector<torch::Tensor>()>& trained, uint64_t seed);

    // Around loss.backward(): afterwards every trained parameter holds the sum of the ranks' gradients.
    void beginBackward();
    void finishBackward();

    // Sums `sums` (float64, the step's logged sums) over the ranks, with this rank's cancel request;
    // returns whether any rank asked to stop (the same answer on every rank). Alone: `cancelRequested`.
    bool sumStepValues(torch::Tensor& sums, bool cancelRequested);

    // The sum over the ranks of `local`, differentiable with respect to this rank's share: for a loss term
    // of batch statistics (as LFQ's entropy of the batch-averaged code distribution), so that the global
    // batch's statistic is used. Alone: `local`.
    torch::Tensor sumOverRanks(const torch::Tensor& local);

    // At every verifyEvery-th step and the last: the ranks' checksums of `state` agree, or
    // Error(Communication) naming the step and `checkpointPath` (the last good one).
    void verify(long step, long totalSteps, const ReplicatedState& state, const std::string& checkpointPath);

    // Runs `body`; an exception is announced to the other ranks (their error names this rank's reason).
    template <typename Body> auto guard(Body body) -> decltype(body()) {
        try {
            return body();
        } catch (const std::exception& e) {
            announceExit(e.what());
            throw;
        }
    }
    void announceExit(const std::string& reason) noexcept;

    double communicationSeconds() const { return m_communicationSeconds; } // waiting for the other ranks

    // Fingerprint parts: a data set (description, count, shape, hashes of values and labels) and a list of
    // weights (a hash of their bytes).
    static std::string dataFingerprint(const Dataset& data);
    static std::string weightsFingerprint(const std::vector<torch::Tensor>& weights);

  private:
    void checkSameSettings(const std::string& fingerprint);
    void shareRankZeroState(const ReplicatedState& state, uint64_t seed);
    double checksum(const ReplicatedState& state) const;

    DistributedParams m_params;
    std::unique_ptr<DataParallelGroup> m_group; // null for a run of its own
    std::unique_ptr<GradientReducer> m_reducer;
    double m_communicationSeconds = 0;
};

} // namespace cm::training
