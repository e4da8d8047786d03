// Reading and writing the text fields of safetensors metadata (model cards, feature-network cards):
// locale-independent numbers and strict parsing with errors that name the file and the field.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cm::metadata {

using Fields = std::map<std::string, std::string>;

// Same text as printf("%.17g"), which round-trips every double, but independent of the C locale:
// a Qt application runs under the user's locale, where "%g" may print a decimal comma.
std::string formatExact(double value);
// The shortest text that reads back as the same double, for human-readable summaries.
std::string formatShort(double value);

// Each throws cm::Error(Format) with the message "<where>: <what is wrong>".
[[noreturn]] void fail(const std::string& where, const std::string& message);
const std::string& require(const Fields& fields, const char* key, const std::string& where);
std::string optional(const Fields& fields, const char* key, const std::string& fallback);
// The whole text must be a finite number: "80x" or " 80" are malformed, not 80.
double parseDouble(const std::string& text, const char* key, const std::string& where);
long parseLong(const std::string& text, const char* key, const std::string& where); // >= 0
// A JSON array of strings.
std::vector<std::string> parseStringList(const std::string& text, const char* key, const std::string& where);
std::string joinInts(const std::vector<int>& values, const char* separator);

} // namespace cm::metadata
