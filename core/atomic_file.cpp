#include "atomic_file.h"

#include "error.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <limits>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace cm {

namespace {

std::string errnoText(int err) {
    return std::strerror(err);
}

[[noreturn]] void throwIo(const std::string& what, const std::string& path, int err) {
    throw Error(ErrorKind::Io, "cannot " + what + " " + path + ": " + errnoText(err));
}

std::string directoryOf(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// Makes the rename itself durable. Best effort: the data is already on disk, and some file systems
// refuse fsync on a directory, so a failure here must not turn a successful write into an error.
void syncDirectoryBestEffort(const std::string& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)::fsync(fd);
    (void)::close(fd);
}

void writeAll(int fd, const uint8_t* data, std::size_t size, const std::string& tempPath) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, data + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throwIo("write", tempPath, errno);
        }
        if (n == 0) throw Error(ErrorKind::Io, "cannot write " + tempPath + ": the write made no progress");
        done += std::size_t(n);
    }
}

void writeAtomically(const std::string& path, const uint8_t* data, std::size_t size) {
    static std::atomic<unsigned long> counter{0};
    if (path.empty()) throw Error(ErrorKind::Io, "cannot write a file with an empty path");
    const std::string tempPath =
        path + ".tmp-" + std::to_string(long(::getpid())) + "-" + std::to_string(counter.fetch_add(1));

    const int fd = ::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throwIo("create the temporary file for", path + " (" + tempPath + ")", errno);

    try {
        // Errors name the file the caller asked for; the temporary is an implementation detail.
        const std::string described = path + " (via " + tempPath + ")";
        writeAll(fd, data, size, described);
        if (::fsync(fd) != 0) throwIo("flush", described, errno);
    } catch (...) {
        (void)::close(fd);
        (void)::unlink(tempPath.c_str());
        throw;
    }
    // close() can report a deferred write error (e.g. on NFS), so it is checked like a write.
    if (::close(fd) != 0) {
        const int err = errno;
        (void)::unlink(tempPath.c_str());
        throwIo("close", tempPath, err);
    }
    if (::rename(tempPath.c_str(), path.c_str()) != 0) {
        const int err = errno;
        (void)::unlink(tempPath.c_str());
        throwIo("rename " + tempPath + " to", path, err);
    }
    syncDirectoryBestEffort(directoryOf(path));
}

} // namespace

void writeFileAtomically(const std::string& path, const std::vector<uint8_t>& bytes) {
    writeAtomically(path, bytes.data(), bytes.size());
}

void writeFileAtomically(const std::string& path, const std::string& text) {
    writeAtomically(path, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

std::vector<uint8_t> readWholeFile(const std::string& path) {
    return readWholeFile(path, std::numeric_limits<uint64_t>::max());
}

std::vector<uint8_t> readWholeFile(const std::string& path, uint64_t maxBytes) {
    const auto tooLarge = [&](uint64_t size) {
        return Error(ErrorKind::Format, path + ": the file is " + std::to_string(size) +
                                            " bytes or more, larger than the " + std::to_string(maxBytes) +
                                            " bytes this reader accepts");
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throwIo("open", path, errno);

    std::vector<uint8_t> bytes;
    try {
        struct stat info {};
        if (::fstat(fd, &info) != 0) throwIo("inspect", path, errno);
        if (S_ISDIR(info.st_mode)) throwIo("read", path, EISDIR);
        if (S_ISREG(info.st_mode) && uint64_t(info.st_size) > maxBytes)
            throw tooLarge(uint64_t(info.st_size));
        if (S_ISREG(info.st_mode) && info.st_size > 0) bytes.reserve(std::size_t(info.st_size));
        // Read until end of file rather than trusting st_size: the file may change or be a pipe.
        uint8_t buffer[1 << 16];
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0) {
                if (errno == EINTR) continue;
                throwIo("read", path, errno);
            }
            if (n == 0) break;
            if (bytes.size() + std::size_t(n) > maxBytes) throw tooLarge(bytes.size() + std::size_t(n));
            bytes.insert(bytes.end(), buffer, buffer + n);
        }
    } catch (...) {
        (void)::close(fd);
        throw;
    }
    (void)::close(fd); // read-only: nothing can be lost on close
    return bytes;
}

int removeStaleTemporaries(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path target(path);
    const fs::path directory = target.has_parent_path() ? target.parent_path() : fs::path(".");
    const std::string prefix = target.filename().string() + ".tmp-";
    int removed = 0;
    for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        char* rest = nullptr;
        const long pid = std::strtol(name.c_str() + prefix.size(), &rest, 10);
        if (pid <= 0 || !rest || *rest != '-' || pid == long(::getpid())) continue;
        if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue; // still running (or not ours to judge)
        std::error_code ignored;
        if (fs::remove(it->path(), ignored)) ++removed;
    }
    return removed;
}

bool sameFile(const std::string& a, const std::string& b) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    // weakly_canonical leaves a relative path relative when nothing of it exists yet: make it absolute first.
    const auto normal = [](const std::string& path) {
        std::error_code error;
        const fs::path result = fs::weakly_canonical(fs::absolute(path, error), error);
        return error ? fs::path(path) : result;
    };
    return normal(a) == normal(b);
}

} // namespace cm
