// libFuzzer target: cm::parseTorchStateDict on arbitrary bytes (a zip archive holding a pickle, as
// torch.save writes it). Only cm::Error may leave the parser; a crash, a sanitizer report, any other
// exception or a record whose bytes do not match its shape is a bug.
#include "core/error.h"
#include "core/torch_file.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    try {
        const cm::TorchStateDict dict = cm::parseTorchStateDict(bytes, "fuzz.pt");
        for (const std::string& name : dict.order) {
            const cm::TensorRecord& record = dict.tensors.at(name);
            if (record.bytes.size() != std::size_t(record.elementCount()) * cm::dtypeSize(record.dtype))
                std::abort();
        }
    } catch (const cm::Error&) {
    }
    return 0;
}
