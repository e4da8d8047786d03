#include "metadata_fields.h"

#include "error.h"
#include "untrusted_json.h"

#include <charconv>
#include <cmath>

namespace cm::metadata {

std::string formatExact(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 17);
    return std::string(buffer, result.ptr);
}

std::string formatShort(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

void fail(const std::string& where, const std::string& message) {
    throw Error(ErrorKind::Format, where + ": " + message);
}

const std::string& require(const Fields& fields, const char* key, const std::string& where) {
    const auto it = fields.find(key);
    if (it == fields.end()) fail(where, std::string("missing key \"") + key + "\"");
    return it->second;
}

std::string optional(const Fields& fields, const char* key, const std::string& fallback) {
    const auto it = fields.find(key);
    return it == fields.end() ? fallback : it->second;
}

double parseDouble(const std::string& text, const char* key, const std::string& where) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc() || result.ptr != end || !std::isfinite(value))
        fail(where, std::string("\"") + key + "\" must be a finite number, found \"" +
                        describeUntrusted(text) + "\"");
    return value;
}

long parseLong(const std::string& text, const char* key, const std::string& where) {
    long value = 0;
    const char* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, value);
    if (result.ec != std::errc() || result.ptr != end || value < 0)
        fail(where, std::string("\"") + key + "\" must be a non-negative integer, found \"" +
                        describeUntrusted(text) + "\"");
    return value;
}

std::vector<std::string> parseStringList(const std::string& text, const char* key, const std::string& where) {
    using nlohmann::json;
    const json list = parseUntrustedJson(text, where + ": \"" + key + "\"");
    if (!list.is_array()) fail(where, std::string("\"") + key + "\" must be a JSON array of strings");
    std::vector<std::string> values;
    for (const json& item : list) {
        if (!item.is_string())
            fail(where,
                 std::string("\"") + key + "\" must contain only strings, found " + describeJsonValue(item));
        values.push_back(item.get<std::string>());
    }
    return values;
}

std::string joinInts(const std::vector<int>& values, const char* separator) {
    std::string text;
    for (int v : values)
        text += (text.empty() ? "" : separator) + std::to_string(v);
    return text;
}

} // namespace cm::metadata
