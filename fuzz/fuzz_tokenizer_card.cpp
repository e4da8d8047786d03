// libFuzzer target: the tokenizer card's fields one at a time, and token-code text. A valid card's metadata
// with one field replaced by the input (the first byte chooses the field; the last choice parses the input
// as a code of the card's bit count), so the fuzzer works on the card, config and code parsers directly.
// Only cm::Error may leave them.
#include "core/error.h"
#include "core/tokenizer/token_code.h"
#include "core/tokenizer/tokenizer_card.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <string>

namespace {

std::map<std::string, std::string> validCard() {
    cm::TokenizerCard card;
    card.stages = {"1a", "1b"};
    card.classNames = {"a", "b"};
    card.trainingJson = R"({"1a":{"steps":10}})";
    card.dataset = "fuzz";
    return card.toMetadata();
}

const char* const kFields[] = {"tokenizer", "code_bits", "sampling", "stages",        "training", "classes",
                               "family",    "format",    "format_version", "parameterisation", "training_steps",
                               "notes",     "licence",   "dataset"};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const std::map<std::string, std::string> base = validCard();
    const std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
    const std::size_t choice = data[0] % (std::size(kFields) + 1);
    if (choice == std::size(kFields)) {
        try {
            const cm::TokenCode code = cm::codeFromHex(value, 55, "fuzz");
            if (code.bitCount() != 55 || cm::codeFromHex(cm::codeToHex(code), 55, "fuzz").bits != code.bits) std::abort();
        } catch (const cm::Error&) {
        }
        return 0;
    }
    std::map<std::string, std::string> metadata = base;
    metadata[kFields[choice]] = value;
    try {
        const cm::TokenizerCard card = cm::TokenizerCard::fromMetadata(metadata, "fuzz.safetensors");
        if (card.describe().empty()) std::abort();
        card.config.validate();
        if (card.config.parameterCount() <= 0) std::abort();
    } catch (const cm::Error&) {
    }
    try {
        cm::tokenizerConfigFromJson(value, "fuzz.safetensors").validate();
    } catch (const cm::Error&) {
    }
    return 0;
}
