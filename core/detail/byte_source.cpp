#include "byte_source.h"

#include "core/error.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cm::detail {

namespace {

[[noreturn]] void throwIo(const std::string& path, const std::string& action, int error) {
    throw Error(ErrorKind::Io, path + ": cannot " + action + ": " + std::strerror(error));
}

} // namespace

void ByteSource::checkRange(uint64_t offset, uint64_t count) const {
    if (!contains(offset, count))
        throw Error(ErrorKind::Format, m_origin + ": bytes [" + std::to_string(offset) + ", +" +
                                           std::to_string(count) + ") lie beyond the end of the " +
                                           std::to_string(m_size) + "-byte file");
}

void ByteSource::read(uint64_t offset, void* out, std::size_t count) const {
    checkRange(offset, count);
    if (count > 0) readInside(offset, out, count);
}

std::vector<uint8_t> ByteSource::readVector(uint64_t offset, std::size_t count) const {
    checkRange(offset, count);
    std::vector<uint8_t> bytes(count);
    read(offset, bytes.data(), count);
    return bytes;
}

MemoryByteSource::MemoryByteSource(const std::vector<uint8_t>& bytes, std::string origin)
    : ByteSource(std::move(origin), bytes.size()), m_bytes(bytes) {}

void MemoryByteSource::readInside(uint64_t offset, void* out, std::size_t count) const {
    std::memcpy(out, m_bytes.data() + offset, count);
}

FileByteSource::OpenFile FileByteSource::open(const std::string& path) {
    // Non-blocking, so that opening a FIFO by mistake returns at once; it is then refused below.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throwIo(path, "open", errno);
    struct stat info {};
    int error = 0;
    if (::fstat(fd, &info) != 0)
        error = errno;
    else if (S_ISDIR(info.st_mode))
        error = EISDIR;
    if (error != 0 || !S_ISREG(info.st_mode)) {
        (void)::close(fd); // read-only: nothing can be lost on close
        if (error != 0) throwIo(path, "read", error);
        throw Error(ErrorKind::Io, path + ": cannot read: not a regular file");
    }
    return {fd, info.st_size > 0 ? uint64_t(info.st_size) : 0};
}

FileByteSource::FileByteSource(const std::string& path) : FileByteSource(path, open(path)) {}

FileByteSource::FileByteSource(const std::string& path, OpenFile file)
    : ByteSource(path, file.size), m_fd(file.fd) {}

FileByteSource::~FileByteSource() {
    (void)::close(m_fd);
}

void FileByteSource::readInside(uint64_t offset, void* out, std::size_t count) const {
    auto* cursor = static_cast<uint8_t*>(out);
    while (count > 0) {
        const ssize_t n = ::pread(m_fd, cursor, count, off_t(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throwIo(origin(), "read", errno);
        }
        if (n == 0)
            throw Error(ErrorKind::Io, origin() + ": the file ended at byte " + std::to_string(offset) +
                                           ", before its size when opened (" + std::to_string(size()) +
                                           " bytes): was it changed while being read?");
        cursor += n;
        offset += uint64_t(n);
        count -= std::size_t(n);
    }
}

} // namespace cm::detail
