// Byte ranges of a file or of a buffer in memory behind one interface, so that the readers of large
// archives seek instead of loading whole files, and tests and fuzzers can feed them bytes directly.
// A source is read-only; distinct threads may read one source at the same time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cm::detail {

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    ByteSource(const ByteSource&) = delete;
    ByteSource& operator=(const ByteSource&) = delete;

    uint64_t size() const { return m_size; }
    const std::string& origin() const { return m_origin; } // names the source in error messages

    bool contains(uint64_t offset, uint64_t count) const {
        return offset <= m_size && count <= m_size - offset;
    }

    // Copies bytes [offset, offset + count) to `out`. Throws cm::Error(Format) if the range is not
    // inside the source, cm::Error(Io) if reading fails.
    void read(uint64_t offset, void* out, std::size_t count) const;
    // The same into a new vector; the range is checked before anything is allocated.
    std::vector<uint8_t> readVector(uint64_t offset, std::size_t count) const;

  protected:
    ByteSource(std::string origin, uint64_t size) : m_origin(std::move(origin)), m_size(size) {}

  private:
    void checkRange(uint64_t offset, uint64_t count) const;
    virtual void readInside(uint64_t offset, void* out, std::size_t count) const = 0;

    std::string m_origin;
    uint64_t m_size;
};

// Borrows `bytes`, which must outlive the source.
class MemoryByteSource final : public ByteSource {
  public:
    MemoryByteSource(const std::vector<uint8_t>& bytes, std::string origin);

  private:
    void readInside(uint64_t offset, void* out, std::size_t count) const override;

    const std::vector<uint8_t>& m_bytes;
};

// Reads a regular file with pread, so memory stays proportional to what is read. The size is taken when
// the file is opened; a file that shrinks afterwards gives cm::Error(Io).
class FileByteSource final : public ByteSource {
  public:
    explicit FileByteSource(const std::string& path); // throws cm::Error(Io) naming the path
    ~FileByteSource() override;

  private:
    struct OpenFile {
        int fd;
        uint64_t size;
    };
    static OpenFile open(const std::string& path);
    FileByteSource(const std::string& path, OpenFile file);
    void readInside(uint64_t offset, void* out, std::size_t count) const override;

    int m_fd;
};

} // namespace cm::detail
