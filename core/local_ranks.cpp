#include "local_ranks.h"

#include "error.h"

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <chrono>
#include <thread>

extern char** environ;

namespace cm {

namespace {

constexpr int kMaxRanks = 256;
pid_t g_ranks[kMaxRanks];
volatile sig_atomic_t g_rankCount = 0;

void passOn(int signal) {
    for (int i = 0; i < g_rankCount; ++i)
        if (g_ranks[i] > 0) ::kill(g_ranks[i], signal);
}

// A port nobody listens on now: the kernel's choice for port 0 on 127.0.0.1.
int freeLoopbackPort() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) throw Error(ErrorKind::Io, std::string("cannot open a socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    const bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size) == 0;
    ::close(s);
    if (!ok) throw Error(ErrorKind::Io, "cannot find a free port on 127.0.0.1");
    return ntohs(address.sin_port);
}

std::string describeStatus(int status) {
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with code " + std::to_string(WEXITSTATUS(status));
}

int exitCodeOf(int status) {
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

} // namespace

LocalRanksResult runLocalRanks(const std::string& program, const std::vector<std::string>& arguments,
                               int count, double graceSeconds) {
    if (count < 1 || count > kMaxRanks)
        throw Error(ErrorKind::InvalidArgument,
                    "the number of processes must be in 1.." + std::to_string(kMaxRanks));
    const int port = freeLoopbackPort();
    // Everything the children need is built before the first fork (no allocation after it).
    std::vector<std::string> args{program};
    args.insert(args.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> inherited;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        if (name != "RANK" && name != "LOCAL_RANK" && name != "WORLD_SIZE" && name != "LOCAL_WORLD_SIZE" &&
            name != "MASTER_ADDR" && name != "MASTER_PORT" && name != "TORCHELASTIC_USE_AGENT_STORE")
            inherited.push_back(entry);
    }
    std::vector<std::vector<std::string>> environments(static_cast<std::size_t>(count), inherited);
    std::vector<std::vector<char*>> envp(static_cast<std::size_t>(count));
    for (int r = 0; r < count; ++r) {
        auto& e = environments[std::size_t(r)];
        e.push_back("RANK=" + std::to_string(r));
        e.push_back("LOCAL_RANK=" + std::to_string(r));
        e.push_back("WORLD_SIZE=" + std::to_string(count));
        e.push_back("LOCAL_WORLD_SIZE=" + std::to_string(count));
        e.push_back("MASTER_ADDR=127.0.0.1");
        e.push_back("MASTER_PORT=" + std::to_string(port));
        for (auto& entry : e)
            envp[std::size_t(r)].push_back(entry.data());
        envp[std::size_t(r)].push_back(nullptr);
    }

    struct sigaction forward {
    }, oldInt{}, oldTerm{};
    forward.sa_handler = passOn;
    sigemptyset(&forward.sa_mask);
    ::sigaction(SIGINT, &forward, &oldInt);
    ::sigaction(SIGTERM, &forward, &oldTerm);
    const pid_t parent = ::getpid();
    g_rankCount = 0;
    for (int r = 0; r < count; ++r) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            passOn(SIGKILL);
            throw Error(ErrorKind::Io, std::string("cannot start a process: ") + std::strerror(errno));
        }
        if (pid == 0) {
            ::signal(SIGINT, SIG_DFL);
            ::signal(SIGTERM, SIG_DFL);
#ifdef __linux__
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // the launcher killed: so is the run
            if (::getppid() != parent) ::_exit(1);
#endif
            ::execve(argv[0], argv.data(), envp[std::size_t(r)].data());
            ::_exit(127);
        }
        g_ranks[r] = pid;
        g_rankCount = r + 1;
    }

    LocalRanksResult result;
    int running = count;
    std::vector<bool> done(static_cast<std::size_t>(count), false);
    auto reap = [&](pid_t pid, int status) {
        for (int r = 0; r < count; ++r)
            if (g_ranks[r] == pid && !done[std::size_t(r)]) {
                done[std::size_t(r)] = true;
                g_ranks[r] = -1;
                --running;
                const bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                if (failed && result.exitCode == 0) {
                    result.exitCode = exitCodeOf(status);
                    result.message = "rank " + std::to_string(r) + " " + describeStatus(status);
                }
            }
    };
    using Clock = std::chrono::steady_clock;
    Clock::time_point deadline{};
    while (running > 0) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, result.exitCode ? WNOHANG : 0);
        if (pid > 0) {
            const bool firstFailure = result.exitCode == 0;
            reap(pid, status);
            if (firstFailure && result.exitCode != 0)
                deadline = Clock::now() + std::chrono::milliseconds(int64_t(graceSeconds * 1000));
            continue;
        }
        if (pid < 0 && errno == EINTR) continue;
        if (pid < 0) break; // no children left
        if (Clock::now() > deadline) {
            passOn(SIGKILL);
            deadline = Clock::now() + std::chrono::hours(1);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    g_rankCount = 0;
    ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGTERM, &oldTerm, nullptr);
    return result;
}

} // namespace cm
