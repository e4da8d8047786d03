#include "distributed.h"

#include "error.h"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace cm {

namespace {

const char* variable(const char* name) {
    const char* value = std::getenv(name);
    return value && *value ? value : nullptr;
}

long integerVariable(const char* name, long low, long high) {
    const char* text = variable(name);
    if (!text)
        throw Error(ErrorKind::InvalidArgument,
                    std::string("the environment variable ") + name + " is needed for a data-parallel run");
    const std::string_view view(text);
    long value = 0;
    const auto parsed = std::from_chars(view.data(), view.data() + view.size(), value);
    if (parsed.ec != std::errc() || parsed.ptr != view.data() + view.size() || value < low || value > high)
        throw Error(ErrorKind::InvalidArgument, std::string("the environment variable ") + name + "='" +
                                                    describeUntrusted(view) + "' is not an integer in " +
                                                    std::to_string(low) + ".." + std::to_string(high));
    return value;
}

} // namespace

DistributedParams distributedFromEnvironment() {
    DistributedParams d;
    if (!variable("RANK") && !variable("WORLD_SIZE")) return d;
    d.worldSize = int(integerVariable("WORLD_SIZE", 1, 65536));
    d.rank = int(integerVariable("RANK", 0, d.worldSize - 1));
    d.localRank = variable("LOCAL_RANK") ? int(integerVariable("LOCAL_RANK", 0, 65535)) : 0;
    if (d.worldSize == 1) return d;
    const char* address = variable("MASTER_ADDR");
    if (!address)
        throw Error(ErrorKind::InvalidArgument, "the environment variable MASTER_ADDR is needed for a "
                                                "data-parallel run (the rendezvous host)");
    d.masterAddress = address;
    d.masterPort = int(integerVariable("MASTER_PORT", 1, 65535));
    if (const char* agent = variable("TORCHELASTIC_USE_AGENT_STORE"))
        d.agentHostsStore = std::string_view(agent) == "True";
    if (variable("TORCHELASTIC_RESTART_COUNT"))
        d.restartCount = int(integerVariable("TORCHELASTIC_RESTART_COUNT", 0, 1000000));
    return d;
}

} // namespace cm
