#include "safetensors.h"

#include "atomic_file.h"
#include "error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

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
    fail(origin, "tensor '" + name + "': " + message);
}

// A short description of a JSON value for error messages; never dumps a large untrusted value.
std::string describeJson(const json& value) {
    if (value.is_number() || value.is_boolean() || value.is_null()) return value.dump();
    if (value.is_string()) {
        const std::string& s = value.get_ref<const std::string&>();
        return s.size() <= 40 ? json(s).dump() : "a string of " + std::to_string(s.size()) + " characters";
    }
    return std::string("a JSON ") + value.type_name();
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
                   "expected an object with dtype, shape and data_offsets, found " + describeJson(entry));
    ParsedEntry parsed{};

    const auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end()) failTensor(origin, name, "missing \"dtype\"");
    if (!dtypeIt->is_string())
        failTensor(origin, name, "\"dtype\" must be a string, found " + describeJson(*dtypeIt));
    const std::string& dtypeText = dtypeIt->get_ref<const std::string&>();
    const DTypeInfo* info = nullptr;
    for (const DTypeInfo& candidate : kDTypes)
        if (dtypeText == candidate.name) info = &candidate;
    if (!info)
        failTensor(origin, name,
                   "unsupported dtype " + describeJson(*dtypeIt) + " (supported: " + supportedDTypeList() +
                       ")");
    parsed.dtype = info->dtype;

    const auto shapeIt = entry.find("shape");
    if (shapeIt == entry.end()) failTensor(origin, name, "missing \"shape\"");
    if (!shapeIt->is_array())
        failTensor(origin, name, "\"shape\" must be an array, found " + describeJson(*shapeIt));
    // Products are computed in uint64 with overflow checks: the numbers come from an untrusted file.
    uint64_t elements = 1;
    for (std::size_t i = 0; i < shapeIt->size(); ++i) {
        const json& dim = (*shapeIt)[i];
        if (dim.is_number_integer() && !dim.is_number_unsigned() && dim.get<int64_t>() < 0)
            failTensor(origin, name, "dimension " + std::to_string(i) + " is negative (" + dim.dump() + ")");
        uint64_t d = 0;
        if (!jsonToUnsigned(dim, d))
            failTensor(origin, name,
                       "dimension " + std::to_string(i) + " must be a non-negative integer, found " +
                           describeJson(dim));
        if (d > uint64_t(std::numeric_limits<int64_t>::max()))
            failTensor(origin, name,
                       "dimension " + std::to_string(i) + " (" + std::to_string(d) + ") is too large");
        if (__builtin_mul_overflow(elements, d, &elements))
            failTensor(origin, name, "shape " + shapeIt->dump() + " has too many elements (overflow)");
        parsed.shape.push_back(int64_t(d));
    }
    uint64_t byteCount = 0;
    if (__builtin_mul_overflow(elements, uint64_t(info->size), &byteCount))
        failTensor(origin, name, "shape " + shapeIt->dump() + " x " + info->name + " size overflows");

    const auto offsetsIt = entry.find("data_offsets");
    if (offsetsIt == entry.end()) failTensor(origin, name, "missing \"data_offsets\"");
    if (!offsetsIt->is_array() || offsetsIt->size() != 2 || !jsonToUnsigned((*offsetsIt)[0], parsed.begin) ||
        !jsonToUnsigned((*offsetsIt)[1], parsed.end))
        failTensor(origin, name,
                   "\"data_offsets\" must be [begin, end] with non-negative integers, found " +
                       (offsetsIt->is_array() && offsetsIt->size() <= 4 ? offsetsIt->dump()
                                                                        : describeJson(*offsetsIt)));
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
                   "shape " + shapeIt->dump() + " of " + info->name + " needs " + std::to_string(byteCount) +
                       " bytes but data_offsets span " + std::to_string(parsed.end - parsed.begin));
    return parsed;
}

std::map<std::string, std::string> parseMetadata(const std::string& origin, const json& value) {
    if (!value.is_object()) fail(origin, "\"__metadata__\" must be an object, found " + describeJson(value));
    std::map<std::string, std::string> metadata;
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (!it.value().is_string())
            fail(origin, "\"__metadata__\" key '" + it.key() + "' must have a string value, found " +
                             describeJson(it.value()));
        metadata[it.key()] = it.value().get<std::string>();
    }
    return metadata;
}

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
    return parseSafetensors(readWholeFile(path), path);
}

SafetensorsFile parseSafetensors(const std::vector<uint8_t>& fileBytes, const std::string& origin) {
    const uint64_t fileSize = fileBytes.size();
    if (fileSize < 8)
        fail(origin, "the file is " + std::to_string(fileSize) +
                         " bytes long, too short for the 8-byte header length of a safetensors file");
    uint64_t headerSize = 0;
    for (int i = 7; i >= 0; --i)
        headerSize = (headerSize << 8) | fileBytes[std::size_t(i)];
    if (headerSize > fileSize - 8)
        fail(origin, "the header length is " + std::to_string(headerSize) + " bytes but only " +
                         std::to_string(fileSize - 8) +
                         " bytes follow the length field (truncated or not safetensors)");
    if (headerSize > kMaxHeaderBytes)
        fail(origin, "the header length " + std::to_string(headerSize) + " is absurd (limit " +
                         std::to_string(kMaxHeaderBytes) + " bytes)");
    const uint64_t dataSize = fileSize - 8 - headerSize;
    const uint8_t* headerBegin = fileBytes.data() + 8;

    json header;
    try {
        header = json::parse(headerBegin, headerBegin + headerSize);
    } catch (const json::exception& e) {
        fail(origin, std::string("the header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail(origin, "the header must be a JSON object, found " + describeJson(header));

    SafetensorsFile result;
    std::map<std::string, ParsedEntry> entries;
    std::vector<Span> spans;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == kMetadataKey) {
            result.metadata = parseMetadata(origin, it.value());
            continue;
        }
        auto inserted = entries.emplace(it.key(), parseEntry(origin, it.key(), it.value(), dataSize));
        spans.push_back({inserted.first->second.begin, inserted.first->second.end, &inserted.first->first});
    }

    // The format requires the spans, in order, to tile the data section exactly: no overlap, no holes.
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t position = 0;
    const std::string* previous = nullptr;
    for (const Span& span : spans) {
        if (span.begin < position)
            failTensor(origin, *span.name,
                       "data_offsets [" + std::to_string(span.begin) + ", " + std::to_string(span.end) +
                           "] overlap tensor '" + *previous + "' which ends at " + std::to_string(position));
        if (span.begin > position)
            failTensor(origin, *span.name,
                       "data_offsets begin at " + std::to_string(span.begin) +
                           " leaving a hole of unused bytes after " +
                           (previous ? "tensor '" + *previous + "'" : "the header") + " which ends at " +
                           std::to_string(position));
        position = span.end;
        previous = span.name;
    }
    if (position != dataSize)
        fail(origin, "the data section is " + std::to_string(dataSize) +
                         " bytes but the tensors cover only " + std::to_string(position) +
                         " (a hole of unused bytes at the end" +
                         (previous ? ", after tensor '" + *previous + "')" : ")"));

    const uint8_t* data = headerBegin + headerSize;
    for (auto& [name, entry] : entries) {
        TensorRecord record;
        record.dtype = entry.dtype;
        record.shape = std::move(entry.shape);
        record.bytes.assign(data + entry.begin, data + entry.end);
        result.tensors.emplace(name, std::move(record));
    }
    return result;
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
