// Reading and writing safetensors files (8-byte little-endian header length, JSON header, raw data).
// Torch-free: tensors are raw little-endian bytes plus dtype and shape. Values own their bytes;
// the functions are reentrant and thread-safe on distinct files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cm {

enum class DType { F64, F32, F16, BF16, I64, I32, U8 };

bool isFloatDType(DType dtype); // F64, F32, F16, BF16

const char* dtypeName(DType dtype); // "F32", ...
std::size_t dtypeSize(DType dtype); // bytes per element

struct TensorRecord {
    DType dtype = DType::F32;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes; // little-endian, row-major; size = product(shape) * dtypeSize(dtype)

    int64_t elementCount() const;
};

struct SafetensorsFile {
    std::map<std::string, TensorRecord> tensors;
    std::map<std::string, std::string> metadata; // the "__metadata__" object (string values only)
};

// Validates everything before touching tensor memory: header length against the file size, JSON
// syntax, dtype names, shape x dtype size = byte span, spans inside the data section, in order,
// without overlap or holes. Throws cm::Error (Io or Format) naming the file and the tensor.
SafetensorsFile readSafetensors(const std::string& path);

// The same validation on an in-memory image of a file; `origin` names it in error messages.
SafetensorsFile parseSafetensors(const std::vector<uint8_t>& fileBytes, const std::string& origin);

// Serialises to bytes (header keys sorted, header padded with spaces to a multiple of 8).
std::vector<uint8_t> serializeSafetensors(const SafetensorsFile& file);

// Writes atomically: a temporary file in the same folder, flushed, then renamed over `path`.
// On any failure (e.g. a full disk) the temporary file is removed, an existing `path` is untouched,
// and cm::Error(Io) is thrown.
void writeSafetensors(const std::string& path, const SafetensorsFile& file);

} // namespace cm
