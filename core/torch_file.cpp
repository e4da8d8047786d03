#include "torch_file.h"

#include "detail/byte_source.h"
#include "detail/state_dict_unpickler.h"
#include "detail/stored_zip.h"
#include "detail/untrusted_text.h"
#include "error.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace cm {

namespace {

using detail::ByteSource;
using detail::PickledTensor;
using detail::quoteUntrusted;
using detail::ZipDirectory;
using detail::ZipEntry;

constexpr char kZipMagic[] = "PK\3\4";
constexpr uint8_t kPickleProtoOpcode = 0x80; // the first byte of a legacy (pre-1.6) torch.save file
// Real data.pkl files are kilobytes (a few hundred bytes per tensor).
constexpr uint64_t kMaxPickleBytes = 64ull << 20;
constexpr uint64_t kMaxByteOrderBytes = 16;
// Tensors hold more bytes than the file only if they share a storage (tied weights) or expand one
// (stride 0). Beyond twice the file plus this slack a file is refused: it could otherwise claim
// terabytes with a few bytes of pickle.
constexpr uint64_t kOutputSlackBytes = 64ull << 20;

[[noreturn]] void fail(const ByteSource& source, const std::string& message) {
    throw Error(ErrorKind::Format, source.origin() + ": " + message);
}

[[noreturn]] void failTensor(const ByteSource& source, const std::string& name, const std::string& message) {
    fail(source, "tensor " + quoteUntrusted(name) + ": " + message);
}

void checkZipMagic(const ByteSource& source) {
    char head[4] = {};
    const std::size_t headSize = std::size_t(std::min<uint64_t>(source.size(), sizeof head));
    source.read(0, head, headSize);
    if (headSize == sizeof head && std::memcmp(head, kZipMagic, sizeof head) == 0) return;
    if (headSize > 0 && uint8_t(head[0]) == kPickleProtoOpcode)
        fail(source,
             "this is a plain pickle, the legacy PyTorch format (torch.save before PyTorch 1.6, or with "
             "_use_new_zipfile_serialization=False), which is not supported: load it once in a trusted "
             "Python with a current PyTorch and save it again with torch.save(sd, path)");
    fail(source,
         "not a PyTorch file: torch.save writes a zip archive, which starts with \"PK\\3\\4\", but this "
         "file starts with " +
             quoteUntrusted(std::string(head, headSize)));
}

// torch.save puts every entry into one folder named after the file ("archive/" in PyTorch 2).
std::string archivePrefix(const ByteSource& source, const ZipDirectory& zip) {
    if (zip.empty()) fail(source, "the zip archive is empty (no data.pkl)");
    const std::string& first = zip.begin()->first;
    const std::size_t slash = first.find('/');
    if (slash == std::string::npos || slash == 0)
        fail(source, "zip entry " + quoteUntrusted(first) +
                         " is not inside a top-level folder, where torch.save puts every entry");
    const std::string prefix = first.substr(0, slash + 1);
    for (const auto& entry : zip)
        if (entry.first.compare(0, prefix.size(), prefix) != 0)
            fail(source, "zip entries " + quoteUntrusted(first) + " and " + quoteUntrusted(entry.first) +
                             " lie in different top-level folders; a torch.save archive has one");
    return prefix;
}

std::string readSmallEntry(const ByteSource& source, const ZipEntry& entry) {
    const std::vector<uint8_t> bytes = source.readVector(entry.dataOffset, std::size_t(entry.size));
    return std::string(bytes.begin(), bytes.end());
}

// PyTorch 1.13+ records the byte order of the storages; older files are little-endian.
void checkByteOrder(const ByteSource& source, const ZipDirectory& zip, const std::string& prefix) {
    const auto it = zip.find(prefix + "byteorder");
    if (it == zip.end()) return;
    if (it->second.size > kMaxByteOrderBytes)
        fail(source, "the byteorder entry is " + std::to_string(it->second.size) +
                         " bytes long; expected \"little\"");
    const std::string order = readSmallEntry(source, it->second);
    if (order != "little")
        fail(source,
             "the storages are stored with byteorder " + quoteUntrusted(order) +
                 "; only little-endian files are supported (re-save the state dict on a little-endian "
                 "machine)");
}

std::vector<PickledTensor> readPickledTensors(const ByteSource& source, const ZipDirectory& zip,
                                              const std::string& prefix) {
    const std::string name = prefix + "data.pkl";
    const auto it = zip.find(name);
    if (it == zip.end())
        fail(source, "the archive has no " + quoteUntrusted(name) + " entry; it is not a torch.save file");
    if (it->second.size > kMaxPickleBytes)
        fail(source, quoteUntrusted(name) + " is " + std::to_string(it->second.size) +
                         " bytes long, implausibly large for a state dict (limit " +
                         std::to_string(kMaxPickleBytes) + ")");
    const std::vector<uint8_t> pickle =
        source.readVector(it->second.dataOffset, std::size_t(it->second.size));
    return detail::unpickleStateDict(pickle, source.origin() + ": " + describeUntrusted(name));
}

// Where a tensor's elements lie in its storage entry, checked against the entry before anything is read.
struct TensorPlan {
    const PickledTensor* tensor = nullptr;
    ZipEntry storage;
    DType dtype = DType::F32;
    uint64_t elementCount = 0;
    uint64_t firstElement = 0; // storage offset; strides are non-negative, so it is the lowest element
    uint64_t lastElement = 0;  // the highest element the tensor reaches
    bool contiguous = true;
};

TensorPlan planTensor(const ByteSource& source, const PickledTensor& tensor, const ZipEntry& storageEntry) {
    const auto refuse = [&](const std::string& message) { failTensor(source, tensor.name, message); };
    const detail::PickledStorage& storage = tensor.storage;
    if (!storage.dtype)
        refuse(
            "torch." + storage.typeName +
            " has no matching dtype (supported: Float, Half, BFloat16, Double, Long, Int and Byte storages)");
    TensorPlan plan;
    plan.tensor = &tensor;
    plan.storage = storageEntry;
    plan.dtype = *storage.dtype;
    const uint64_t elementSize = dtypeSize(plan.dtype);

    if (storage.elementCount < 0)
        refuse("its storage claims " + std::to_string(storage.elementCount) + " elements");
    const uint64_t storageElements = uint64_t(storage.elementCount);
    uint64_t storageBytes = 0;
    const bool overflow = __builtin_mul_overflow(storageElements, elementSize, &storageBytes);
    if (overflow || storageBytes > storageEntry.size)
        refuse("its storage " + quoteUntrusted(storage.key) + " claims " + std::to_string(storageElements) +
               " elements of " + dtypeName(plan.dtype) + " (" +
               (overflow ? std::string("over 2^64") : std::to_string(storageBytes)) +
               " bytes) but its archive entry holds only " + std::to_string(storageEntry.size) + " bytes");
    if (tensor.storageOffset < 0) refuse("negative storage offset " + std::to_string(tensor.storageOffset));
    plan.firstElement = uint64_t(tensor.storageOffset);

    // Element count, contiguity (row-major strides, ignoring dimensions of size 1) and the reach.
    plan.elementCount = 1;
    uint64_t reach = 0;
    for (std::size_t i = tensor.size.size(); i-- > 0;) {
        const int64_t size = tensor.size[i], stride = tensor.stride[i];
        if (size < 0) refuse("dimension " + std::to_string(i) + " has negative size " + std::to_string(size));
        if (stride < 0)
            refuse("dimension " + std::to_string(i) + " has negative stride " + std::to_string(stride));
        if (size != 1 && uint64_t(stride) != plan.elementCount) plan.contiguous = false;
        uint64_t step = 0;
        if (__builtin_mul_overflow(plan.elementCount, uint64_t(size), &plan.elementCount) ||
            (size > 0 && (__builtin_mul_overflow(uint64_t(size - 1), uint64_t(stride), &step) ||
                          __builtin_add_overflow(reach, step, &reach))))
            refuse("its shape and strides overflow 64 bits");
    }
    if (plan.elementCount == 0) {
        if (plan.firstElement > storageElements)
            refuse("storage offset " + std::to_string(plan.firstElement) +
                   " lies beyond the end of its storage of " + std::to_string(storageElements) + " elements");
        return plan;
    }
    if (plan.firstElement >= storageElements)
        refuse("storage offset " + std::to_string(plan.firstElement) +
               " lies beyond the end of its storage of " + std::to_string(storageElements) + " elements");
    if (__builtin_add_overflow(plan.firstElement, reach, &plan.lastElement) ||
        plan.lastElement >= storageElements)
        refuse("its shape and strides reach past the end of its storage of " +
               std::to_string(storageElements) + " elements (storage offset " +
               std::to_string(plan.firstElement) + ")");
    return plan;
}

uint64_t recordBytes(const TensorPlan& plan) {
    return plan.elementCount * dtypeSize(plan.dtype);
}

// Copies a strided view into row-major order. `span` holds storage elements [firstElement, lastElement].
void gatherStrided(const TensorPlan& plan, const uint8_t* span, uint8_t* out) {
    const std::vector<int64_t>& size = plan.tensor->size;
    const std::vector<int64_t>& stride = plan.tensor->stride;
    const std::size_t elementSize = dtypeSize(plan.dtype);
    const std::size_t dims = size.size(); // >= 1: a 0-dim tensor is contiguous
    const uint64_t rowLength = uint64_t(size[dims - 1]), rowStride = uint64_t(stride[dims - 1]);
    std::vector<int64_t> index(dims, 0);
    uint64_t rowStart = 0; // in elements from the span's start
    for (;;) {
        if (rowStride == 1) {
            std::memcpy(out, span + rowStart * elementSize, rowLength * elementSize);
            out += rowLength * elementSize;
        } else {
            for (uint64_t j = 0; j < rowLength; ++j, out += elementSize)
                std::memcpy(out, span + (rowStart + j * rowStride) * elementSize, elementSize);
        }
        // Advance the index over the outer dimensions like an odometer; done when it wraps around.
        std::size_t d = dims - 1;
        for (; d > 0; --d) {
            if (++index[d - 1] < size[d - 1]) {
                rowStart += uint64_t(stride[d - 1]);
                break;
            }
            rowStart -= uint64_t(size[d - 1] - 1) * uint64_t(stride[d - 1]);
            index[d - 1] = 0;
        }
        if (d == 0) return;
    }
}

TensorRecord readTensor(const ByteSource& source, const TensorPlan& plan) {
    TensorRecord record;
    record.dtype = plan.dtype;
    record.shape = plan.tensor->size;
    record.bytes.resize(std::size_t(recordBytes(plan)));
    if (plan.elementCount == 0) return record;
    const uint64_t elementSize = dtypeSize(plan.dtype);
    const uint64_t start = plan.storage.dataOffset + plan.firstElement * elementSize;
    if (plan.contiguous) {
        source.read(start, record.bytes.data(), record.bytes.size());
    } else {
        const uint64_t spanBytes = (plan.lastElement - plan.firstElement + 1) * elementSize;
        const std::vector<uint8_t> span = source.readVector(start, std::size_t(spanBytes));
        gatherStrided(plan, span.data(), record.bytes.data());
    }
    return record;
}

TorchStateDict readStateDict(const ByteSource& source) {
    checkZipMagic(source);
    const ZipDirectory zip = detail::readStoredZipDirectory(source);
    const std::string prefix = archivePrefix(source, zip);
    checkByteOrder(source, zip, prefix);
    const std::vector<PickledTensor> pickled = readPickledTensors(source, zip, prefix);
    if (pickled.empty()) fail(source, "the state dict holds no tensors");

    // Everything is checked before the first storage byte is read or allocated.
    uint64_t outputLimit = UINT64_MAX;
    if (source.size() < (UINT64_MAX - kOutputSlackBytes) / 2)
        outputLimit = source.size() * 2 + kOutputSlackBytes;
    uint64_t outputBytes = 0;
    std::vector<TensorPlan> plans;
    std::set<std::string> names;
    for (const PickledTensor& tensor : pickled) {
        if (!names.insert(tensor.name).second)
            failTensor(source, tensor.name, "the name occurs twice (nested keys joined with '.' collide?)");
        const std::string entryName = prefix + "data/" + tensor.storage.key;
        const auto entry = zip.find(entryName);
        if (entry == zip.end())
            failTensor(source, tensor.name,
                       "its storage " + quoteUntrusted(tensor.storage.key) +
                           " is missing from the archive (no entry " + quoteUntrusted(entryName) + ")");
        plans.push_back(planTensor(source, tensor, entry->second));
        uint64_t bytes = 0;
        if (__builtin_mul_overflow(plans.back().elementCount, dtypeSize(plans.back().dtype), &bytes) ||
            __builtin_add_overflow(outputBytes, bytes, &outputBytes) || outputBytes > outputLimit)
            failTensor(source, tensor.name,
                       "the tensors would hold more than " + std::to_string(outputLimit) +
                           " bytes, twice the file's size plus " + std::to_string(kOutputSlackBytes >> 20) +
                           " MiB: views expand their storages implausibly");
    }

    TorchStateDict result;
    for (const TensorPlan& plan : plans) {
        result.order.push_back(plan.tensor->name);
        result.tensors.emplace(plan.tensor->name, readTensor(source, plan));
    }
    return result;
}

} // namespace

bool looksLikeTorchZip(const std::string& path) {
    try {
        const detail::FileByteSource source(path);
        char head[4] = {};
        if (source.size() < sizeof head) return false;
        source.read(0, head, sizeof head);
        return std::memcmp(head, kZipMagic, sizeof head) == 0;
    } catch (const Error&) {
        return false;
    }
}

TorchStateDict readTorchStateDict(const std::string& path) {
    return readStateDict(detail::FileByteSource(path));
}

TorchStateDict parseTorchStateDict(const std::vector<uint8_t>& fileBytes, const std::string& origin) {
    return readStateDict(detail::MemoryByteSource(fileBytes, origin));
}

} // namespace cm
