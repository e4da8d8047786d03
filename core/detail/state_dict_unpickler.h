// A pickle interpreter that understands only what the data.pkl of a torch.save'd state dict needs:
// dicts, lists, tuples, strings, numbers, the persistent ids of storages and the calls that rebuild
// tensors. Every other opcode, and every global outside a short allow-list (the idea of PyTorch's own
// weights_only loader), is refused by name: a general unpickler would run any code the file names,
// e.g. os.system. It never calls anything; it only records what the tensors would be.
// Reentrant; thread-safe on distinct inputs.
#pragma once

#include "core/safetensors.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cm::detail {

// A persistent id ('storage', torch.<Type>Storage, key, location, numel): the storage's bytes are the
// archive entry <prefix>/data/<key>.
struct PickledStorage {
    std::string key;
    std::string typeName;       // "FloatStorage"
    std::optional<DType> dtype; // none for storage types DType cannot hold (Bool, Short, Char)
    int64_t elementCount = 0;   // as the file claims it: not yet checked
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...): the values as the file claims
// them, not yet checked against the storage.
struct PickledTensor {
    std::string name; // nested dict keys joined with "."
    PickledStorage storage;
    int64_t storageOffset = 0;
    std::vector<int64_t> size;
    std::vector<int64_t> stride;
};

// Runs the pickle and flattens the resulting dict (and dicts or lists nested in it) into its tensors,
// in file order; other leaves (numbers, strings) are skipped. `context` names the pickle in error
// messages ("model.pt: archive/data.pkl"). Throws cm::Error(Format) naming the opcode, the global or
// the structure that is refused, and the byte offset where the interpreter was.
std::vector<PickledTensor> unpickleStateDict(const std::vector<uint8_t>& pickle, const std::string& context);

} // namespace cm::detail
