// Reading the weights of a PyTorch state dict saved with torch.save (".pt", ".pth", diffusers'
// "diffusion_pytorch_model.bin") without torch or Python and without running any code from the file.
// Such a file is a zip archive of stored entries: <prefix>/data.pkl, a pickle describing the tensors,
// and <prefix>/data/<key>, the raw little-endian bytes of each storage. The pickle is read by an
// interpreter that knows only what a tensor state dict needs (core/detail/state_dict_unpickler.h).
// Reentrant; thread-safe on distinct files.
#pragma once

#include "safetensors.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cm {

struct TorchStateDict {
    std::vector<std::string> order;              // names in file order
    std::map<std::string, TensorRecord> tensors; // contiguous row-major little-endian bytes
};

// True if the file starts with a zip local header ("PK\3\4"), as every torch.save file since PyTorch
// 1.6 does. Cheap; false (never a throw) for a missing or unreadable file.
bool looksLikeTorchZip(const std::string& path);

// Reads the tensors of a state dict: a dict of tensors, or dicts nested in it (e.g. {"state_dict": ...}),
// flattened with "." joining the keys; numbers and strings beside the tensors are skipped. Views
// (strided, offset, sharing a storage) are copied into contiguous records. F32, F16, BF16, F64, I64, I32
// and U8 storages are supported. Storages are read with seeks: memory stays near the tensors' size.
// Throws cm::Error(Io) if the file cannot be read, cm::Error(Format) naming the file and the problem
// (not a zip, a legacy pre-1.6 file, a compressed entry, a forbidden global or opcode, a storage too
// short for its tensor, ...).
TorchStateDict readTorchStateDict(const std::string& path);

// The same on an in-memory image of a file; `origin` names it in error messages.
TorchStateDict parseTorchStateDict(const std::vector<uint8_t>& fileBytes, const std::string& origin);

} // namespace cm
