// libFuzzer target: the model card's fields one at a time. A valid card's metadata with one field replaced
// by the input (the first byte chooses the field), so the fuzzer works on the card and network-config
// parsers directly instead of first having to build a safetensors file. Only cm::Error may leave them.
#include "core/error.h"
#include "core/model_card.h"
#include "core/network_config.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <string>

namespace {

std::map<std::string, std::string> validCard() {
    cm::ModelCard card;
    card.network.numClasses = 2;
    card.classNames = {"a", "b"};
    card.recipe = "ict";
    card.trainingJson = R"({"lr":0.0002})";
    card.dataset = "fuzz";
    return card.toMetadata();
}

const char* const kFields[] = {"network",    "classes", "training", "sigma_min",      "sigma_max",
                               "sigma_data", "rho",     "kind",     "format_version", "training_steps",
                               "c_noise",    "notes",   "dataset",  "format",         "recommended_schedule"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const std::map<std::string, std::string> base = validCard();
    std::map<std::string, std::string> metadata = base;
    const char* field = kFields[data[0] % std::size(kFields)];
    const std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
    metadata[field] = value;
    try {
        const cm::ModelCard card = cm::ModelCard::fromMetadata(metadata, "fuzz.safetensors");
        if (card.describe().empty()) std::abort();
        card.network.validate();
    } catch (const cm::Error&) {
    }
    try {
        cm::networkConfigFromJson(value, "fuzz.safetensors").validate();
    } catch (const cm::Error&) {
    }
    return 0;
}
