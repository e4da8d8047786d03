#include "tensor_io.h"

#include "core/error.h"

#include <cstring>
#include <set>
#include <sstream>

namespace cm::detail {

namespace {

torch::ScalarType scalarType(DType dtype) {
    switch (dtype) {
    case DType::F64:
        return torch::kFloat64;
    case DType::F32:
        return torch::kFloat32;
    case DType::F16:
        return torch::kFloat16;
    case DType::BF16:
        return torch::kBFloat16;
    case DType::I64:
        return torch::kInt64;
    case DType::I32:
        return torch::kInt32;
    case DType::U8:
        return torch::kUInt8;
    }
    return torch::kFloat32;
}

std::map<std::string, torch::Tensor> namedState(const torch::nn::Module& module) {
    std::map<std::string, torch::Tensor> state;
    for (const auto& item : module.named_parameters(true))
        state[item.key()] = item.value();
    for (const auto& item : module.named_buffers(true))
        state[item.key()] = item.value();
    return state;
}

} // namespace

std::string shapeString(at::IntArrayRef shape) {
    constexpr std::size_t kShown = 8; // a shape read from a file may have thousands of dimensions
    std::ostringstream out;
    out << "[";
    for (std::size_t i = 0; i < shape.size() && i < kShown; ++i)
        out << (i ? ", " : "") << shape[i];
    if (shape.size() > kShown) out << ", ... (" << shape.size() << " dimensions)";
    out << "]";
    return out.str();
}

TensorRecord toRecord(const torch::Tensor& tensor, DType storeAs) {
    auto converted = tensor.detach().to(torch::kCPU).to(scalarType(storeAs)).contiguous();
    TensorRecord record;
    record.dtype = storeAs;
    record.shape.assign(converted.sizes().begin(), converted.sizes().end());
    record.bytes.resize(converted.numel() * converted.element_size());
    if (!record.bytes.empty()) std::memcpy(record.bytes.data(), converted.data_ptr(), record.bytes.size());
    return record;
}

torch::Tensor fromRecord(const TensorRecord& record) {
    std::vector<int64_t> shape(record.shape.begin(), record.shape.end());
    auto tensor = torch::empty(shape, torch::TensorOptions().dtype(scalarType(record.dtype)));
    if (!record.bytes.empty()) std::memcpy(tensor.data_ptr(), record.bytes.data(), record.bytes.size());
    if (record.dtype == DType::F16 || record.dtype == DType::BF16) tensor = tensor.to(torch::kFloat32);
    return tensor;
}

void addStateDict(SafetensorsFile& file, const torch::nn::Module& module, const std::string& prefix,
                  DType storeAs) {
    for (const auto& [name, tensor] : namedState(module)) {
        const bool isFloat = tensor.is_floating_point();
        file.tensors[prefix + name] = toRecord(tensor, isFloat ? storeAs : DType::I64);
    }
}

void loadStateDict(torch::nn::Module& module, const SafetensorsFile& file, const std::string& prefix,
                   const std::string& origin, bool requireNoExtra) {
    torch::NoGradGuard guard;
    std::set<std::string> expected;
    for (auto& [name, target] : namedState(module)) {
        const std::string key = prefix + name;
        expected.insert(key);
        auto found = file.tensors.find(key);
        if (found == file.tensors.end())
            throw Error(ErrorKind::Shape, origin + ": tensor '" + key +
                                              "' is missing; the architecture needs it with shape " +
                                              shapeString(target.sizes()));
        // Integer bytes read as weights are garbage that happens to be finite.
        if (target.is_floating_point() && !isFloatDType(found->second.dtype))
            throw Error(ErrorKind::Format, origin + ": tensor '" + describeUntrusted(key) +
                                               "' is stored as " + dtypeName(found->second.dtype) +
                                               "; a weight must be a float type (F32, F16, BF16 or F64)");
        const auto& shape = found->second.shape;
        if (!std::equal(shape.begin(), shape.end(), target.sizes().begin(), target.sizes().end()))
            throw Error(ErrorKind::Shape, origin + ": tensor '" + key + "' has shape " + shapeString(shape) +
                                              ", the architecture needs " + shapeString(target.sizes()));
        auto value = fromRecord(found->second);
        if (value.is_floating_point() && !torch::isfinite(value).all().item<bool>())
            throw Error(ErrorKind::Numeric,
                        origin + ": tensor '" + key + "' contains NaN or infinite values");
        target.copy_(value.to(target.dtype()));
    }
    if (!requireNoExtra) return;
    for (const auto& [key, record] : file.tensors) {
        if (key.compare(0, prefix.size(), prefix) == 0 && !expected.count(key))
            throw Error(ErrorKind::Shape, origin + ": tensor '" + describeUntrusted(key) +
                                              "' is not part of the architecture described "
                                              "in the model card (extra tensor)");
    }
}

void requireWeightsForCard(const SafetensorsFile& file, int64_t needed, const std::string& what,
                           const std::string& origin) {
    int64_t stored = 0;
    for (const auto& [name, record] : file.tensors) {
        int64_t count = 0;
        try {
            count = record.elementCount();
        } catch (const Error&) {
            throw Error(ErrorKind::Format, origin + ": tensor '" + describeUntrusted(name) + "' has an impossible shape");
        }
        if (__builtin_add_overflow(stored, count, &stored))
            throw Error(ErrorKind::Format, origin + ": the tensors hold more elements than can be counted");
    }
    if (needed > 4 * stored + (int64_t(1) << 24))
        throw Error(ErrorKind::Shape, origin + ": the " + what + " card describes a network of " + std::to_string(needed) +
                                          " weights but the file holds only " + std::to_string(stored) +
                                          " values; the network is not built");
}

} // namespace cm::detail
