// Corrupt variants of a valid model file, one per class a robustness campaign found (and the classic ones):
// shared by the command-line and desktop-app tests, which must refuse each with one short line that names
// the file and the problem, and keep running.
#pragma once

#include "core/safetensors.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace cmtest {

struct CorruptModel {
    std::string name; // also the file name, with ".safetensors"
    std::vector<uint8_t> bytes;
    std::string mention; // a phrase the error must contain
};

// The file with its JSON header replaced by `header` (the data section stays as it is).
inline std::vector<uint8_t> withHeader(const std::vector<uint8_t>& file, const std::string& header) {
    uint64_t oldLength = 0;
    for (int i = 7; i >= 0; --i)
        oldLength = oldLength << 8 | file[std::size_t(i)];
    std::string start(8, '\0');
    for (int i = 0; i < 8; ++i)
        start[std::size_t(i)] = char(uint64_t(header.size()) >> (8 * i));
    start += header;
    std::vector<uint8_t> bytes(start.begin(), start.end());
    bytes.insert(bytes.end(), file.begin() + long(8 + oldLength), file.end());
    return bytes;
}

inline std::string headerOf(const std::vector<uint8_t>& file) {
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i)
        length = length << 8 | file[std::size_t(i)];
    return std::string(file.begin() + 8, file.begin() + long(8 + length));
}

inline void replaceFirst(std::string& text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
}

// `valid` is a CM Studio model file of an image model with F32 weights.
inline std::vector<CorruptModel> corruptModels(const std::vector<uint8_t>& valid) {
    std::vector<CorruptModel> out;
    const cm::SafetensorsFile model = cm::parseSafetensors(valid, "valid");
    const std::string header = headerOf(valid);
    const std::string deep = std::string(80000, '[') + std::string(80000, ']');
    const auto edited = [&](const std::function<void(cm::SafetensorsFile&)>& edit) {
        cm::SafetensorsFile copy = model;
        edit(copy);
        return cm::serializeSafetensors(copy);
    };
    const auto headerEdited = [&](const std::string& from, const std::string& to) {
        std::string text = header;
        replaceFirst(text, from, to);
        return withHeader(valid, text);
    };
    const std::string firstTensor = model.tensors.begin()->first;
    const auto firstWeight = [&](cm::SafetensorsFile& file) -> cm::TensorRecord& {
        for (auto& [name, record] : file.tensors)
            if (record.dtype == cm::DType::F32 && record.shape.size() == 4) return record;
        return file.tensors.begin()->second;
    };

    // Crashes: deep nesting (a stack overflow in error messages), a metadata array (an escaped type error).
    out.push_back({"deep-header", headerEdited("{", "{\"x\":" + deep + ","), "nested deeper"});
    out.push_back({"deep-network", edited([&](cm::SafetensorsFile& f) {
                       f.metadata["network"] = "{\"type\":\"unet\",\"image_size\":" + deep + "}";
                   }),
                   "nested deeper"});
    out.push_back({"deep-data-offsets",
                   headerEdited("\"data_offsets\":", "\"data_offsets\":" + deep + ",\"x\":"),
                   "nested deeper"});
    out.push_back({"metadata-array", headerEdited("\"__metadata__\":{", "\"__metadata__\":[\"x\"],\"y\":{"),
                   "\"__metadata__\" must be an object"});
    out.push_back({"classes-overflow",
                   edited([](cm::SafetensorsFile& f) { f.metadata["classes"] = R"(["a",1e400])"; }),
                   "\"classes\""});
    // Lies: constants that overflow the scalings, integer bytes as weights.
    out.push_back({"sigma-max-1e300",
                   edited([](cm::SafetensorsFile& f) { f.metadata["sigma_max"] = "1e300"; }),
                   "\"sigma_max\""});
    out.push_back({"sigma-data-1e300",
                   edited([](cm::SafetensorsFile& f) { f.metadata["sigma_data"] = "1e300"; }),
                   "\"sigma_data\""});
    out.push_back({"int32-weights",
                   edited([&](cm::SafetensorsFile& f) { firstWeight(f).dtype = cm::DType::I32; }),
                   "must be a float type"});
    // Output hygiene: giant and hostile text, a 5,000-dimension shape.
    out.push_back({"escape-in-format", edited([](cm::SafetensorsFile& f) {
                       f.metadata["format"] = "\x1b]0;owned\x07\x1b[2J\ncmstudio-model";
                   }),
                   "\\x1b]0;owned\\x07\\x1b[2J\\ncmstudio-model"});
    out.push_back({"10-mb-format",
                   edited([](cm::SafetensorsFile& f) { f.metadata["format"] = std::string(10 << 20, 'f'); }),
                   "(10485760 bytes)"});
    out.push_back({"5000-dimensions", edited([&](cm::SafetensorsFile& f) {
                       cm::TensorRecord& weight = firstWeight(f);
                       std::vector<int64_t> shape(5000, 1);
                       shape.back() = weight.elementCount();
                       weight.shape = shape;
                   }),
                   "(5000 dimensions)"});
    // What the format leaves open, decided: a repeated key, a NUL, a byte-order mark are refused.
    out.push_back({"duplicate-key", headerEdited("{", "{\"" + firstTensor + "\":{},"), "occurs twice"});
    std::vector<uint8_t> nul = valid;
    nul[8 + header.size() - 1] = '\0';
    out.push_back({"nul-in-header", nul, "NUL byte"});
    out.push_back({"byte-order-mark", withHeader(valid, "\xEF\xBB\xBF" + header), "byte-order mark"});
    // The classics.
    out.push_back({"truncated", std::vector<uint8_t>(valid.begin(), valid.begin() + long(valid.size() / 2)),
                   "beyond the data section"});
    std::vector<uint8_t> absurd = valid;
    absurd[7] = 0x7F;
    out.push_back({"absurd-header-length", absurd, "header length"});
    const std::string text = "this is a text file, not a model\n";
    out.push_back({"plain-text", std::vector<uint8_t>(text.begin(), text.end()), "header length"});
    return out;
}

} // namespace cmtest
