// libFuzzer target: a safetensors file as the app reads a model: the reader, then the model card and the
// network config in its metadata, and the card's printout. Only cm::Error may leave them; a crash, a
// sanitizer report, another exception, a record whose bytes do not match its shape, or a file that does not
// read back the same after writing is a bug.
#include "core/error.h"
#include "core/model_card.h"
#include "core/safetensors.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    const std::vector<uint8_t> bytes(data, data + size);
    cm::SafetensorsFile file;
    try {
        file = cm::parseSafetensors(bytes, "fuzz.safetensors");
    } catch (const cm::Error&) {
        return 0;
    }
    for (const auto& [name, record] : file.tensors)
        if (record.bytes.size() != std::size_t(record.elementCount()) * cm::dtypeSize(record.dtype))
            std::abort();
    try {
        const cm::SafetensorsFile again = cm::parseSafetensors(cm::serializeSafetensors(file), "again");
        if (again.metadata != file.metadata || again.tensors.size() != file.tensors.size()) std::abort();
    } catch (const cm::Error&) {
        // Names or metadata that are not valid UTF-8 cannot be written; reading them was still fine.
    }
    try {
        const cm::ModelCard card = cm::ModelCard::fromMetadata(file.metadata, "fuzz.safetensors");
        if (card.describe().empty()) std::abort();
        card.network.validate(); // a card that was accepted holds a valid network
    } catch (const cm::Error&) {
    }
    return 0;
}
