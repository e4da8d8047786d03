#include "data_parallel_run.h"

#include "core/detail/tensor_io.h"
#include "core/error.h"
#include "data_parallel.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace cm::training {

namespace {

using Clock = std::chrono::steady_clock;

uint64_t mixBits(uint64_t x) { // splitmix64's finaliser
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

uint64_t hashBytes(const void* data, std::size_t size, uint64_t hash = 0) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word;
        std::memcpy(&word, bytes + i, 8);
        hash = mixBits(hash ^ word);
    }
    for (; i < size; ++i)
        hash = mixBits(hash ^ bytes[i]);
    return mixBits(hash ^ size);
}

std::string hexOf(uint64_t value) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
    return text;
}

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

DataParallelRun::DataParallelRun(const DistributedParams& params) : m_params(params) {
    if (m_params.verifyEvery < 1)
        throw Error(ErrorKind::InvalidArgument, "the cross-rank check interval must be positive");
    if (m_params.worldSize > 1) m_group = std::make_unique<DataParallelGroup>(m_params);
}

DataParallelRun::~DataParallelRun() = default;

BatchShard DataParallelRun::shard(int64_t globalBatch) const {
    const int64_t ranks = worldSize(), r = rank();
    const int64_t begin = globalBatch * r / ranks, end = globalBatch * (r + 1) / ranks;
    return {begin, end - begin, globalBatch};
}

void DataParallelRun::start(const std::function<void()>& prepare, const std::function<std::string()>& fingerprint,
                            const std::function<ReplicatedState()>& state,
                            const std::function<std::vector<torch::Tensor>()>& trained, uint64_t seed) {
    if (!m_group) {
        prepare();
        return;
    }
    std::exception_ptr failure;
    std::string message;
    try {
        prepare();
    } catch (const std::exception& e) {
        failure = std::current_exception();
        message = e.what();
    }
    // Every rank learns whether every other could start, so none waits for a rank that gave up.
    const auto verdicts = m_group->exchange("prepared", failure ? "!" + message : "");
    if (failure) std::rethrow_exception(failure);
    for (std::size_t q = 0; q < verdicts.size(); ++q)
        if (!verdicts[q].empty())
            throw Error(ErrorKind::Communication,
                        "rank " + std::to_string(q) + " could not start: " + verdicts[q].substr(1));
    checkSameSettings(fingerprint());
    shareRankZeroState(state(), seed);
    m_reducer = std::make_unique<GradientReducer>(*m_group, trained());
}

void DataParallelRun::checkSameSettings(const std::string& fingerprint) {
    nlohmann::json mine = nlohmann::json::parse(fingerprint);
    mine["world_size"] = worldSize();
    mine["verify_every"] = m_params.verifyEvery;
    const auto all = m_group->exchange("settings", mine.dump());
    const auto reference = nlohmann::json::parse(all[0]);
    for (std::size_t q = 1; q < all.size(); ++q) {
        if (all[q] == all[0]) continue;
        const auto other = nlohmann::json::parse(all[q]);
        std::string differences;
        for (const auto& [key, value] : reference.items())
            if (!other.contains(key) || other[key] != value)
                differences += (differences.empty() ? "" : "; ") + key + " " +
                               describeUntrusted(value.dump(), 120) + " vs " +
                               describeUntrusted(other.contains(key) ? other[key].dump() : "none", 120);
        throw Error(ErrorKind::InvalidArgument,
                    "rank " + std::to_string(q) + "'s settings differ from rank 0's: " + differences);
    }
}

double DataParallelRun::checksum(const ReplicatedState& s) const {
    // Position-weighted sums: cheap, and a swap of two tensors changes them.
    double sum = 0, position = 1;
    auto add = [&](const std::vector<torch::Tensor>& list) {
        for (const auto& t : list)
            sum += (position++) * t.detach().sum(torch::kFloat64).item<double>();
    };
    add(s.tensors);
    add(s.optimizer->firstMoments());
    add(s.optimizer->secondMoments());
    return sum + double(*s.step) * 1e-3 + double(s.optimizer->stepCount());
}

void DataParallelRun::shareRankZeroState(const ReplicatedState& s, uint64_t seed) {
    std::vector<torch::Tensor> tensors = s.tensors;
    for (auto* moments : {&s.optimizer->firstMoments(), &s.optimizer->secondMoments()})
        tensors.insert(tensors.end(), moments->begin(), moments->end());
    auto generatorState = s.sampling->get_state();
    auto counters = torch::tensor({int64_t(*s.step), int64_t(s.optimizer->stepCount())}, torch::kInt64);
    auto seconds = torch::tensor({*s.secondsBefore}, torch::kFloat64);
    tensors.push_back(generatorState);
    tensors.push_back(counters);
    tensors.push_back(seconds);
    m_group->broadcastFromRank0(tensors);
    s.sampling->set_state(generatorState);
    *s.step = long(counters[0].item<int64_t>());
    s.optimizer->setStepCount(long(counters[1].item<int64_t>()));
    *s.secondsBefore = seconds[0].item<double>();
    if (!m_group->agree(checksum(s)))
        throw Error(ErrorKind::Communication,
                    "rank " + std::to_string(rank()) + ": the ranks' weights differ after taking rank 0's");
    // Rank 0 keeps the dropout stream of a run of its own (restored from the checkpoint on resume); every
    // other rank draws its own masks, from the seed, its rank and the step it starts at.
    if (rank() == 0) return;
    const uint64_t dropoutSeed = mixBits(seed ^ mixBits(uint64_t(rank()) ^ mixBits(uint64_t(*s.step))));
    at::Generator dropout = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(dropout.mutex());
    dropout.set_current_seed(dropoutSeed);
}

void DataParallelRun::beginBackward() {
    if (m_reducer) m_reducer->beginBackward();
}

void DataParallelRun::finishBackward() {
    if (!m_reducer) return;
    const auto start = Clock::now();
    m_reducer->finishBackward();
    m_communicationSeconds += secondsSince(start);
}

bool DataParallelRun::sumStepValues(torch::Tensor& sums, bool cancelRequested) {
    if (!m_group) return cancelRequested;
    auto withFlag = torch::cat({sums.to(torch::kFloat64).reshape(-1),
                                torch::tensor({cancelRequested ? 1.0 : 0.0}, torch::kFloat64)});
    const auto start = Clock::now();
    m_group->allReduceSum(withFlag);
    m_communicationSeconds += secondsSince(start);
    sums = withFlag.narrow(0, 0, sums.numel()).view(sums.sizes()).clone();
    return withFlag[sums.numel()].item<double>() > 0;
}

torch::Tensor DataParallelRun::sumOverRanks(const torch::Tensor& local) {
    if (!m_group) return local;
    auto total = local.detach().clone();
    const auto start = Clock::now();
    m_group->allReduceSum(total);
    m_communicationSeconds += secondsSince(start);
    // The value is the total; the gradient flows into this rank's share only (the others' are constants).
    return local + (total - local.detach());
}

void DataParallelRun::verify(long step, long totalSteps, const ReplicatedState& state,
                             const std::string& checkpointPath) {
    if (!m_group || (step % m_params.verifyEvery != 0 && step != totalSteps)) return;
    if (!m_group->agree(checksum(state)))
        throw Error(ErrorKind::Communication, "rank " + std::to_string(rank()) +
                                                  ": the ranks' weights, EMA or optimizer state differ at step " +
                                                  std::to_string(step) +
                                                  " (a rank computes differently); the last good checkpoint is " +
                                                  checkpointPath);
}

void DataParallelRun::announceExit(const std::string& reason) noexcept {
    if (m_group) m_group->announceExit(reason);
}

std::string DataParallelRun::dataFingerprint(const Dataset& data) {
    return data.description + ", " + std::to_string(data.count()) + " items of " +
           detail::shapeString(data.itemShape) + ", values " +
           hexOf(hashBytes(data.values.data(), data.values.size() * sizeof(float))) + ", labels " +
           hexOf(hashBytes(data.labels.data(), data.labels.size() * sizeof(int64_t)));
}

std::string DataParallelRun::weightsFingerprint(const std::vector<torch::Tensor>& weights) {
    uint64_t hash = 0;
    for (const auto& t : weights) {
        const auto values = t.detach().contiguous();
        hash = hashBytes(values.data_ptr(), std::size_t(values.nbytes()), hash);
    }
    return hexOf(hash);
}

} // namespace cm::training
