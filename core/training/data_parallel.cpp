#include "data_parallel.h"

#include "core/error.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace cm::training {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<uint8_t> bytesOf(const std::string& text) {
    return {text.begin(), text.end()};
}
std::string textOf(const std::vector<uint8_t>& bytes) {
    return {bytes.begin(), bytes.end()};
}

std::string rankList(const std::vector<int>& ranks) {
    std::string text = ranks.size() == 1 ? "rank " : "ranks ";
    for (std::size_t i = 0; i < ranks.size(); ++i)
        text += (i ? ", " : "") + std::to_string(ranks[i]);
    return text;
}

// The first line of a c10d / Gloo message (they append stack traces).
std::string firstLine(const std::string& text) {
    const auto end = text.find('\n');
    return describeUntrusted(text.substr(0, end), 300);
}

// After a failure the survivors take a roll call for this long; the communication timeout is shortened
// by it, so that a rank that hangs is named within the timeout the user set.
std::chrono::milliseconds rollCallTime(double timeoutSeconds) {
    return std::chrono::milliseconds(int64_t(std::min(3.0, timeoutSeconds / 4) * 1000));
}

bool isLoopback(const std::string& address) {
    return address == "127.0.0.1" || address == "localhost" || address == "::1";
}

} // namespace

struct DataParallelGroup::Connection {
    c10::intrusive_ptr<c10d::Store> store; // this run's keys (under torchrun's attempt prefix)
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

    // The watchdog: a collective that has not returned long after Gloo's own timeout ends the process
    // with a message, so that no failure can leave a silent hang.
    std::atomic<int64_t> collectiveSince{0}; // steady-clock nanoseconds; 0 = not in a collective
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable wake;
    std::thread watchdog;
};

DataParallelGroup::DataParallelGroup(const DistributedParams& params)
    : m_params(params), m_connection(std::make_unique<Connection>()) {
    const auto& p = m_params;
    if (p.worldSize < 2 || p.rank < 0 || p.rank >= p.worldSize)
        throw Error(ErrorKind::InvalidArgument, "rank " + std::to_string(p.rank) + " of world size " +
                                                    std::to_string(p.worldSize) + " is not a group");
    if (!(p.timeoutSeconds >= 1 && p.timeoutSeconds <= 86400))
        throw Error(ErrorKind::InvalidArgument, "the distributed timeout must be in 1..86400 seconds");
    const auto timeout = std::chrono::milliseconds(int64_t(p.timeoutSeconds * 1000));
    auto& c = *m_connection;
    const std::string where = p.masterAddress + ":" + std::to_string(p.masterPort);
    try {
        c10d::TCPStoreOptions options;
        options.port = uint16_t(p.masterPort);
        options.isServer = p.rank == 0 && !p.agentHostsStore;
        options.numWorkers = p.worldSize;
        options.waitWorkers = false; // the join below names the ranks that do not come
        options.timeout = timeout;
        c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::TCPStore>(p.masterAddress, options);
        if (p.agentHostsStore) // as torch.distributed does with torchrun's agent store
            store = c10::make_intrusive<c10d::PrefixStore>(
                "/worker/attempt_" + std::to_string(p.restartCount), store);
        c.store = c10::make_intrusive<c10d::PrefixStore>("cmstudio", store);
    } catch (const std::exception& e) {
        throw Error(ErrorKind::Communication, "rank " + std::to_string(p.rank) + ": cannot " +
                                                  (p.rank == 0 && !p.agentHostsStore ? "host" : "reach") +
                                                  " the rendezvous store at " + where + " within " +
                                                  std::to_string(int(p.timeoutSeconds)) +
                                                  " s: " + firstLine(e.what()));
    }
    waitForEveryone("joined");
    try {
        auto options = c10d::ProcessGroupGloo::Options::create(timeout - rollCallTime(p.timeoutSeconds));
        if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"))
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
        else if (isLoopback(p.masterAddress))
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        options->threads = 1; // one bucket at a time is enough to overlap the backward pass
        c.group = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>("gloo", c.store), p.rank, p.worldSize, options);
    } catch (const std::exception& e) {
        fail("connecting the process group (set GLOO_SOCKET_IFNAME to the network interface to use?)", e);
    }
    c.watchdog = std::thread([this, timeout] {
        auto& c = *m_connection;
        const auto limit =
            std::chrono::duration_cast<std::chrono::nanoseconds>(timeout) * 2 + std::chrono::seconds(10);
        std::unique_lock<std::mutex> lock(c.mutex);
        while (!c.stop) {
            c.wake.wait_for(lock, std::chrono::seconds(1));
            const int64_t since = c.collectiveSince.load();
            if (since && Clock::now().time_since_epoch().count() - since > limit.count()) {
                std::fprintf(stderr,
                             "error: rank %d: the other ranks have not answered for %.0f s (one died or "
                             "hung, and the communication library did not notice); stopping\n",
                             m_params.rank, std::chrono::duration<double>(limit).count());
                std::fflush(stderr);
                std::_Exit(3);
            }
        }
    });
}

DataParallelGroup::~DataParallelGroup() {
    auto& c = *m_connection;
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        c.stop = true;
    }
    c.wake.notify_all();
    if (c.watchdog.joinable()) c.watchdog.join();
    if (m_broken) {
        // After a failure the group's threads may be blocked on a dead peer, and destroying it would wait
        // for them: leave it to the process's exit.
        c.group.release();
        c.store.release();
    }
}

void DataParallelGroup::waitForEveryone(const std::string& topic) {
    auto& c = *m_connection;
    const auto deadline = Clock::now() + std::chrono::milliseconds(int64_t(m_params.timeoutSeconds * 1000));
    std::vector<int> missing;
    try {
        c.store->set(topic + "/" + std::to_string(rank()), bytesOf("1"));
        do {
            missing.clear();
            for (int q = 0; q < worldSize(); ++q)
                if (!c.store->check({topic + "/" + std::to_string(q)})) missing.push_back(q);
            if (!missing.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } while (!missing.empty() && Clock::now() < deadline);
    } catch (const std::exception& e) {
        m_broken = true;
        throw Error(ErrorKind::Communication, "rank " + std::to_string(rank()) +
                                                  ": the rendezvous store failed while waiting for the "
                                                  "other ranks (rank 0 is gone?): " +
                                                  firstLine(e.what()));
    }
    if (!missing.empty()) {
        m_broken = true;
        throw Error(ErrorKind::Communication,
                    "rank " + std::to_string(rank()) + ": " + rankList(missing) + " did not join within " +
                        std::to_string(int(m_params.timeoutSeconds)) +
                        " s (not started, stopped, or given another MASTER_ADDR / MASTER_PORT / WORLD_SIZE)");
    }
}

void DataParallelGroup::fail(const std::string& during, const std::exception& cause) {
    m_broken = true;
    auto& c = *m_connection;
    // Roll call: every survivor checks in; whoever does not within a short grace has died or hangs.
    std::string culprits;
    try {
        c.store->set("alive_after_failure/" + std::to_string(rank()), bytesOf("1"));
        const auto deadline = Clock::now() + rollCallTime(m_params.timeoutSeconds);
        std::vector<int> missing;
        std::vector<std::string> reasons;
        do {
            missing.clear();
            for (int q = 0; q < worldSize(); ++q)
                if (!c.store->check({"alive_after_failure/" + std::to_string(q)})) missing.push_back(q);
            if (!missing.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } while (!missing.empty() && Clock::now() < deadline);
        for (int q : missing) {
            const std::string key = "exit/" + std::to_string(q);
            if (c.store->check({key}))
                reasons.push_back("rank " + std::to_string(q) + " stopped: " + textOf(c.store->get(key)));
        }
        if (!reasons.empty())
            for (const auto& reason : reasons)
                culprits += (culprits.empty() ? "" : "; ") + reason;
        else if (!missing.empty())
            culprits = rankList(missing) + " stopped answering (died or hung)";
    } catch (const std::exception&) {
        culprits = m_params.agentHostsStore ? "the rendezvous store (torchrun's agent) is gone"
                                            : "rank 0 (which hosts the rendezvous store) is gone";
    }
    throw Error(ErrorKind::Communication, "rank " + std::to_string(rank()) + ": " + during + " failed" +
                                              (culprits.empty() ? "" : ": " + culprits) + " (" +
                                              firstLine(cause.what()) + ")");
}

void DataParallelGroup::announceExit(const std::string& reason) noexcept {
    try {
        m_connection->store->set("exit/" + std::to_string(rank()), bytesOf(describeUntrusted(reason, 300)));
    } catch (...) {
    }
}

namespace {

// Runs a collective with the watchdog armed.
template <typename Operation>
void guarded(DataParallelGroup& group, const char* during, Operation operation) {
    auto& since = group.connection().collectiveSince;
    since = Clock::now().time_since_epoch().count();
    try {
        operation();
    } catch (const Error&) {
        since = 0;
        throw;
    } catch (const std::exception& e) {
        since = 0;
        group.fail(during, e);
    }
    since = 0;
}

} // namespace

std::vector<std::string> DataParallelGroup::exchange(const std::string& topic, const std::string& text) {
    std::vector<std::string> all(static_cast<std::size_t>(worldSize()));
    guarded(*this, ("exchanging " + topic).c_str(), [&] {
        auto& store = *m_connection->store;
        store.set(topic + "/" + std::to_string(rank()), bytesOf(text));
        for (int q = 0; q < worldSize(); ++q)
            all[std::size_t(q)] = q == rank() ? text : textOf(store.get(topic + "/" + std::to_string(q)));
    });
    return all;
}

void DataParallelGroup::broadcastFromRank0(const std::vector<torch::Tensor>& tensors) {
    // One flat buffer per dtype: one message instead of one per tensor.
    std::map<torch::ScalarType, std::vector<torch::Tensor>> byType;
    for (const auto& t : tensors)
        byType[t.scalar_type()].push_back(t);
    guarded(*this, "sharing rank 0's state", [&] {
        for (auto& [type, list] : byType) {
            std::vector<torch::Tensor> flat;
            for (const auto& t : list)
                flat.push_back(t.detach().reshape(-1));
            std::vector<torch::Tensor> buffer{torch::cat(flat)};
            c10d::BroadcastOptions options;
            options.rootRank = 0;
            m_connection->group->broadcast(buffer, options)->wait();
            torch::NoGradGuard noGrad;
            int64_t offset = 0;
            for (auto& t : list) {
                t.copy_(buffer[0].narrow(0, offset, t.numel()).view(t.sizes()));
                offset += t.numel();
            }
        }
    });
}

void DataParallelGroup::allReduceSum(torch::Tensor& tensor) {
    guarded(*this, "summing over the ranks", [&] {
        std::vector<torch::Tensor> list{tensor};
        m_connection->group->allreduce(list)->wait();
    });
}

bool DataParallelGroup::agree(double value) {
    auto extremes = torch::tensor({value, -value}, torch::kFloat64);
    guarded(*this, "comparing the ranks' state", [&] {
        std::vector<torch::Tensor> list{extremes};
        c10d::AllreduceOptions options;
        options.reduceOp = c10d::ReduceOp::MAX;
        m_connection->group->allreduce(list, options)->wait();
    });
    const double highest = extremes[0].item<double>(), lowest = -extremes[1].item<double>();
    return highest == lowest;
}

} // namespace cm::training

namespace cm {

double measureAllReduceSeconds(const DistributedParams& params, long floatCount, int repeats) {
    if (floatCount < 1 || repeats < 1)
        throw Error(ErrorKind::InvalidArgument, "measureAllReduceSeconds needs a size and a count");
    training::DataParallelGroup group(params);
    auto values = torch::ones({floatCount}, torch::kFloat32);
    std::vector<double> seconds;
    for (int i = 0; i <= repeats; ++i) {
        const auto start = std::chrono::steady_clock::now();
        group.allReduceSum(values);
        if (i > 0)
            seconds.push_back(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    return seconds[seconds.size() / 2];
}

} // namespace cm

namespace cm::training {

struct GradientReducer::Bucket {
    std::vector<std::size_t> parameters;
    torch::Tensor flat;
    std::size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
};

GradientReducer::GradientReducer(DataParallelGroup& group, const std::vector<torch::Tensor>& parameters,
                                 int64_t bucketBytes)
    : m_group(group), m_parameters(parameters), m_bucketOf(parameters.size()), m_offset(parameters.size()),
      m_received(parameters.size()) {
    // Backward produces the last layers' gradients first: fill buckets from the end.
    int64_t bytes = 0;
    for (std::size_t k = parameters.size(); k-- > 0;) {
        const auto& p = parameters[k];
        const int64_t size = p.numel() * int64_t(p.element_size());
        if (m_buckets.empty() || (bytes + size > bucketBytes && bytes > 0)) {
            m_buckets.push_back(std::make_unique<Bucket>());
            bytes = 0;
        }
        auto& bucket = *m_buckets.back();
        m_bucketOf[k] = m_buckets.size() - 1;
        m_offset[k] = bytes / int64_t(p.element_size());
        bucket.parameters.push_back(k);
        bytes += size;
    }
    for (auto& bucket : m_buckets) {
        int64_t count = 0;
        for (std::size_t k : bucket->parameters)
            count += m_parameters[k].numel();
        bucket->flat = torch::zeros({count}, m_parameters.front().options().requires_grad(false));
    }
    for (std::size_t k = 0; k < parameters.size(); ++k)
        m_hooks.push_back(m_parameters[k].register_hook(
            [this, k](const torch::Tensor& gradient) { gradientReady(k, gradient); }));
}

GradientReducer::~GradientReducer() {
    for (std::size_t k = 0; k < m_hooks.size(); ++k)
        m_parameters[k].remove_hook(m_hooks[k]);
}

void GradientReducer::beginBackward() {
    std::fill(m_received.begin(), m_received.end(), false);
    for (auto& bucket : m_buckets) {
        bucket->pending = bucket->parameters.size();
        bucket->work.reset();
    }
    m_armed = true;
}

void GradientReducer::gradientReady(std::size_t k, const torch::Tensor& gradient) {
    if (!m_armed || m_received[k]) return;
    m_received[k] = true;
    auto& bucket = *m_buckets[m_bucketOf[k]];
    bucket.flat.narrow(0, m_offset[k], gradient.numel()).copy_(gradient.reshape(-1));
    if (--bucket.pending == 0) launch(bucket);
}

void GradientReducer::launch(Bucket& bucket) {
    try {
        std::vector<torch::Tensor> list{bucket.flat};
        bucket.work = m_group.connection().group->allreduce(list);
    } catch (const std::exception& e) {
        m_group.fail("summing the gradients", e);
    }
}

void GradientReducer::finishBackward() {
    m_armed = false;
    // A parameter without a gradient (unused this step, on every rank alike: the graphs are the same)
    // contributes zeros; its buckets start now, in a fixed order.
    for (auto& bucket : m_buckets)
        if (!bucket->work) {
            for (std::size_t k : bucket->parameters)
                if (!m_received[k]) bucket->flat.narrow(0, m_offset[k], m_parameters[k].numel()).zero_();
            launch(*bucket);
        }
    guarded(m_group, "summing the gradients", [&] {
        for (auto& bucket : m_buckets)
            bucket->work->wait();
    });
    torch::NoGradGuard noGrad;
    for (std::size_t k = 0; k < m_parameters.size(); ++k) {
        if (!m_received[k]) continue;
        const auto& b = *m_buckets[m_bucketOf[k]];
        m_parameters[k].mutable_grad().copy_(
            b.flat.narrow(0, m_offset[k], m_parameters[k].numel()).view(m_parameters[k].sizes()));
    }
}

} // namespace cm::training
