#include "safetensors.h"

#include "atomic_file.h"
#include "error.h"
#include "untrusted_json.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace cm {

namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000; // real headers are kilobytes
constexpr const char* kMetadataKey = "__metadata__";

struct DTypeInfo {
    DType dtype;
    const char* name;
    std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4}, {DType::U8, "U8", 1},
};

std::string supportedDTypeList() {
    std::string list;
    for (const DTypeInfo& info : kDTypes)
        list += std::string(list.empty() ? "" : ", ") + info.name;
    return list;
}

[[noreturn]] void fail(const std::string& origin, const std::string& message) {
    throw Error(ErrorKind::Format, origin + ": " + message);
}

[[noreturn]] void failTensor(const std::string& origin, const std::string& name, const std::string& message) {
    fail(origin, "tensor '" + describeUntrusted(name) + "': " + message);
}

// "[1, 2, 3]", or the first dimensions and the count for a shape too long for one line.
std::string describeShape(const std::vector<int64_t>& dims, std::size_t rank) {
    constexpr std::size_t kShown = 8;
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size() && i < kShown; ++i)
        text += (i ? ", " : "") + std::to_string(dims[i]);
    if (rank > kShown || dims.size() < rank) text += ", ... (" + std::to_string(rank) + " dimensions)";
    return text + "]";
}

// Reads a non-negative integer from JSON that must fit in uint64 (JSON numbers may be negative or
// fractional).
bool jsonToUnsigned(const json& value, uint64_t& out) {
    if (value.is_number_unsigned()) {
        out = value.get<uint64_t>();
        return true;
    }
    if (value.is_number_integer()) {
        const int64_t v = value.get<int64_t>();
        if (v < 0) return false;
        out = uint64_t(v);
        return true;
    }
    return false;
}

// "[0, 16]", "[-1, 4]" or the kind of value: data_offsets as found, one line at most.
std::string describeOffsets(const json& offsets) {
    if (!offsets.is_array() || offsets.size() > 4) return describeJsonValue(offsets);
    std::string text = "[";
    for (std::size_t i = 0; i < offsets.size(); ++i)
        text += (i ? ", " : "") + describeJsonValue(offsets[i]);
    return text + "]";
}

struct Span {
    uint64_t begin, end;
    const std::string* name;
};

struct ParsedEntry {
    DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin, end;
};

ParsedEntry parseEntry(const std::string& origin, const std::string& name, const json& entry,
                       uint64_t dataSize) {
    if (!entry.is_object())
        failTensor(origin, name,
                   "expected an object with dtype, shape and data_offsets, found " +
                       describeJsonValue(entry));
    ParsedEntry parsed{};

    const auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end()) failTensor(origin, name, "missing \"dtype\"");
    if (!dtypeIt->is_string())
        failTensor(origin, name, "\"dtype\" must be a string, found " + describeJsonValue(*dtypeIt));
    const std::string& dtypeText = dtypeIt->get_ref<const std::string&>();
    const DTypeInfo* info = nullptr;
    for (const DTypeInfo& candidate : kDTypes)
        if (dtypeText == candidate.name) info = &candidate;
    if (!info)
        failTensor(origin, name,
                   "unsupported dtype " + describeJsonValue(*dtypeIt) +
                       " (supported: " + supportedDTypeList() + ")");
    parsed.dtype = info->dtype;

    const auto shapeIt = entry.find("shape");
    if (shapeIt == entry.end()) failTensor(origin, name, "missing \"shape\"");
    if (!shapeIt->is_array())
        failTensor(origin, name, "\"shape\" must be an array, found " + describeJsonValue(*shapeIt));
    // Products are computed in uint64 with overflow checks: the numbers come from an untrusted file.
    uint64_t elements = 1;
    for (std::size_t i = 0; i < shapeIt->size(); ++i) {
        const json& dim = (*shapeIt)[i];
        if (dim.is_number_integer() && !dim.is_number_unsigned() && dim.get<int64_t>() < 0)
            failTensor(origin, name,
                       "dimension " + std::to_string(i) + " is negative (" + describeJsonValue(dim) + ")");
        uint64_t d = 0;
        if (!jsonToUnsigned(dim, d))
            failTensor(origin, name,
                       "dimension " + std::to_string(i) + " must be a non-negative integer, found " +
                           describeJsonValue(dim));
        if (d > uint64_t(std::numeric_limits<int64_t>::max()))
            failTensor(origin, name,
                       "dimension " + std::to_string(i) + " (" + std::to_string(d) + ") is too large");
        parsed.shape.push_back(int64_t(d));
        if (__builtin_mul_overflow(elements, d, &elements))
            failTensor(origin, name,
                       "shape " + describeShape(parsed.shape, shapeIt->size()) +
                           " has too many elements (overflow)");
    }
    const std::string shapeText = describeShape(parsed.shape, parsed.shape.size());
    uint64_t byteCount = 0;
    if (__builtin_mul_overflow(elements, uint64_t(info->size), &byteCount))
        failTensor(origin, name, "shape " + shapeText + " x " + info->name + " size overflows");

    const auto offsetsIt = entry.find("data_offsets");
    if (offsetsIt == entry.end()) failTensor(origin, name, "missing \"data_offsets\"");
    if (!offsetsIt->is_array() || offsetsIt->size() != 2 || !jsonToUnsigned((*offsetsIt)[0], parsed.begin) ||
        !jsonToUnsigned((*offsetsIt)[1], parsed.end))
        failTensor(origin, name,
                   "\"data_offsets\" must be [begin, end] with non-negative integers, found " +
                       describeOffsets(*offsetsIt));
    if (parsed.begin > parsed.end)
        failTensor(origin, name,
                   "data_offsets begin " + std::to_string(parsed.begin) + " is after end " +
                       std::to_string(parsed.end));
    if (parsed.end > dataSize)
        failTensor(origin, name,
                   "data_offsets [" + std::to_string(parsed.begin) + ", " + std::to_string(parsed.end) +
                       "] reach beyond the data section of " + std::to_string(dataSize) + " bytes");
    if (parsed.end - parsed.begin != byteCount)
        failTensor(origin, name,
                   "shape " + shapeText + " of " + info->name + " needs " + std::to_string(byteCount) +
                       " bytes but data_offsets span " + std::to_string(parsed.end - parsed.begin));
    return parsed;
}

std::map<std::string, std::string> parseMetadata(const std::string& origin, const json& value) {
    if (!value.is_object())
        fail(origin, "\"__metadata__\" must be an object, found " + describeJsonValue(value));
    std::map<std::string, std::string> metadata;
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (!it.value().is_string())
            fail(origin, "\"__metadata__\" key '" + describeUntrusted(it.key()) +
                             "' must have a string value, found " + describeJsonValue(it.value()));
        metadata[it.key()] = it.value().get<std::string>();
    }
    return metadata;
}

// The 8-byte little-endian header length, checked against the bytes that follow it.
uint64_t checkedHeaderLength(const std::string& origin, const uint8_t lengthBytes[8], uint64_t fileSize) {
    if (fileSize < 8)
        fail(origin, "the file is " + std::to_string(fileSize) +
                         " bytes long, too short for the 8-byte header length of a safetensors file");
    uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i)
        headerSize = (headerSize << 8) | lengthBytes[i];
    if (headerSize > fileSize - 8)
        fail(origin, "the header length is " + std::to_string(headerSize) + " bytes but only " +
                         std::to_string(fileSize - 8) +
                         " bytes follow the length field (truncated or not safetensors)");
    if (headerSize > kMaxHeaderBytes)
        fail(origin, "the header length " + std::to_string(headerSize) + " is absurd (limit " +
                         std::to_string(kMaxHeaderBytes) + " bytes)");
    return headerSize;
}

struct ParsedHeader {
    std::map<std::string, std::string> metadata;
    std::map<std::string, ParsedEntry> entries;
};

// Everything about the file that the header decides, validated against the size of the data section.
ParsedHeader parseHeader(const std::string& origin, std::string_view text, uint64_t dataSize) {
    // JSON text never holds a raw NUL; some writers pad with them, which the format does not allow.
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos)
        fail(origin, "the header holds a NUL byte at offset " + std::to_string(nul) +
                         " (it must be JSON text, padded with spaces)");
    const json header = parseUntrustedJson(text, origin + ": the header");
    if (!header.is_object())
        fail(origin, "the header must be a JSON object, found " + describeJsonValue(header));

    ParsedHeader result;
    std::vector<Span> spans;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == kMetadataKey) {
            result.metadata = parseMetadata(origin, it.value());
            continue;
        }
        auto inserted = result.entries.emplace(it.key(), parseEntry(origin, it.key(), it.value(), dataSize));
        spans.push_back({inserted.first->second.begin, inserted.first->second.end, &inserted.first->first});
    }

    // The format requires the spans, in order, to tile the data section exactly: no overlap, no holes.
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t position = 0;
    const std::string* previous = nullptr;
    const auto named = [](const std::string* name) { return "tensor '" + describeUntrusted(*name) + "'"; };
    for (const Span& span : spans) {
        if (span.begin < position)
            failTensor(origin, *span.name,
                       "data_offsets [" + std::to_string(span.begin) + ", " + std::to_string(span.end) +
                           "] overlap " + named(previous) + " which ends at " + std::to_string(position));
        if (span.begin > position)
            failTensor(origin, *span.name,
                       "data_offsets begin at " + std::to_string(span.begin) +
                           " leaving a hole of unused bytes after " +
                           (previous ? named(previous) : "the header") + " which ends at " +
                           std::to_string(position));
        position = span.end;
        previous = span.name;
    }
    if (position != dataSize)
        fail(origin, "the data section is " + std::to_string(dataSize) +
                         " bytes but the tensors cover only " + std::to_string(position) +
                         " (a hole of unused bytes at the end" +
                         (previous ? ", after " + named(previous) + ")" : ")"));
    return result;
}

// Moves the validated entries into records whose bytes `fill` provides.
template <typename Fill> SafetensorsFile buildFile(ParsedHeader&& header, Fill&& fill) {
    SafetensorsFile result;
    result.metadata = std::move(header.metadata);
    for (auto& [name, entry] : header.entries) {
        TensorRecord record;
        record.dtype = entry.dtype;
        record.shape = std::move(entry.shape);
        record.bytes.resize(entry.end - entry.begin);
        fill(entry.begin, record.bytes);
        result.tensors.emplace(name, std::move(record));
    }
    return result;
}

// A file opened for reading at given offsets; closes itself.
class ReadOnlyFile {
  public:
    explicit ReadOnlyFile(const std::string& path)
        : m_path(path), m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (m_fd < 0) throwErrno("open");
        struct stat info {};
        const bool inspected = ::fstat(m_fd, &info) == 0;
        const int err = errno;
        // Only a regular file has a size to check the header against before reading it.
        if (!inspected || !S_ISREG(info.st_mode)) {
            ::close(m_fd);
            if (!inspected) throw Error(ErrorKind::Io, "cannot inspect " + path + ": " + std::strerror(err));
            throw Error(ErrorKind::Io, "cannot read " + path + ": " +
                                           (S_ISDIR(info.st_mode) ? "it is a folder" : "not a regular file"));
        }
        m_size = uint64_t(info.st_size);
    }
    ~ReadOnlyFile() { ::close(m_fd); }
    ReadOnlyFile(const ReadOnlyFile&) = delete;
    ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

    uint64_t size() const { return m_size; }

    void readAt(uint64_t offset, uint8_t* destination, std::size_t count) const {
        while (count > 0) {
            const ssize_t n = ::pread(m_fd, destination, count, off_t(offset));
            if (n < 0) {
                if (errno == EINTR) continue;
                throwErrno("read");
            }
            if (n == 0)
                throw Error(ErrorKind::Io,
                            "cannot read " + m_path + ": the file became shorter while it was read");
            destination += n;
            offset += uint64_t(n);
            count -= std::size_t(n);
        }
    }

  private:
    [[noreturn]] void throwErrno(const char* what) const {
        throw Error(ErrorKind::Io,
                    std::string("cannot ") + what + " " + m_path + ": " + std::strerror(errno));
    }

    std::string m_path;
    int m_fd = -1;
    uint64_t m_size = 0;
};

} // namespace

const char* dtypeName(DType dtype) {
    for (const DTypeInfo& info : kDTypes)
        if (info.dtype == dtype) return info.name;
    return "?";
}

bool isFloatDType(DType dtype) {
    return dtype == DType::F64 || dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16;
}

std::size_t dtypeSize(DType dtype) {
    for (const DTypeInfo& info : kDTypes)
        if (info.dtype == dtype) return info.size;
    return 0;
}

int64_t TensorRecord::elementCount() const {
    int64_t count = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error(ErrorKind::InvalidArgument, "a tensor shape has a negative dimension");
        if (__builtin_mul_overflow(count, d, &count))
            throw Error(ErrorKind::InvalidArgument, "a tensor shape has too many elements (overflow)");
    }
    return count;
}

SafetensorsFile readSafetensors(const std::string& path) {
    // The length and the header are read and checked first: a large file that is not safetensors is
    // refused after reading a few bytes, and tensor bytes are read once, straight into their records.
    const ReadOnlyFile file(path);
    uint8_t lengthBytes[8] = {};
    if (file.size() >= 8) file.readAt(0, lengthBytes, 8);
    const uint64_t headerSize = checkedHeaderLength(path, lengthBytes, file.size());
    std::string headerText(headerSize, '\0');
    file.readAt(8, reinterpret_cast<uint8_t*>(headerText.data()), headerText.size());
    const uint64_t dataStart = 8 + headerSize;
    ParsedHeader header = parseHeader(path, headerText, file.size() - dataStart);
    return buildFile(std::move(header), [&](uint64_t begin, std::vector<uint8_t>& bytes) {
        file.readAt(dataStart + begin, bytes.data(), bytes.size());
    });
}

SafetensorsFile parseSafetensors(const std::vector<uint8_t>& fileBytes, const std::string& origin) {
    const uint64_t headerSize = checkedHeaderLength(origin, fileBytes.data(), fileBytes.size());
    const char* headerBegin = reinterpret_cast<const char*>(fileBytes.data()) + 8;
    const uint64_t dataStart = 8 + headerSize;
    ParsedHeader header =
        parseHeader(origin, std::string_view(headerBegin, headerSize), fileBytes.size() - dataStart);
    return buildFile(std::move(header), [&](uint64_t begin, std::vector<uint8_t>& bytes) {
        std::copy_n(fileBytes.data() + dataStart + begin, bytes.size(), bytes.begin());
    });
}

std::vector<uint8_t> serializeSafetensors(const SafetensorsFile& file) {
    json header = json::object();
    if (!file.metadata.empty()) {
        json metadata = json::object();
        for (const auto& [key, value] : file.metadata)
            metadata[key] = value;
        header[kMetadataKey] = std::move(metadata);
    }
    uint64_t offset = 0;
    for (const auto& [name, record] : file.tensors) {
        if (name == kMetadataKey)
            throw Error(ErrorKind::InvalidArgument, "a tensor cannot be called \"__metadata__\"");
        const int64_t elements = record.elementCount();
        uint64_t expected = 0;
        if (__builtin_mul_overflow(uint64_t(elements), uint64_t(dtypeSize(record.dtype)), &expected) ||
            record.bytes.size() != expected)
            throw Error(ErrorKind::InvalidArgument,
                        "tensor '" + name + "' has " + std::to_string(record.bytes.size()) +
                            " bytes but its shape and " + dtypeName(record.dtype) + " need " +
                            std::to_string(expected));
        header[name] = {{"dtype", dtypeName(record.dtype)},
                        {"shape", record.shape},
                        {"data_offsets", {offset, offset + expected}}};
        offset += expected;
    }
    std::string headerText;
    try {
        headerText = header.dump();
    } catch (const json::exception& e) {
        // Names and metadata must be valid UTF-8 to be stored in the JSON header.
        throw Error(ErrorKind::InvalidArgument,
                    std::string("cannot encode the safetensors header: ") + e.what());
    }
    headerText.append((8 - headerText.size() % 8) % 8, ' ');

    std::vector<uint8_t> bytes;
    bytes.reserve(8 + headerText.size() + offset);
    const uint64_t headerSize = headerText.size();
    for (int i = 0; i < 8; ++i)
        bytes.push_back(uint8_t(headerSize >> (8 * i)));
    bytes.insert(bytes.end(), headerText.begin(), headerText.end());
    for (const auto& entry : file.tensors)
        bytes.insert(bytes.end(), entry.second.bytes.begin(), entry.second.bytes.end());
    return bytes;
}

void writeSafetensors(const std::string& path, const SafetensorsFile& file) {
    writeFileAtomically(path, serializeSafetensors(file));
}

} // namespace cm
