// Parsing JSON that comes from a file (safetensors headers, model-card fields) without trusting it: bounded
// nesting and size, one meaning per key, and errors that describe the input without repeating it.
// Reentrant and thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace cm {

struct JsonLimits {
    int maxDepth = 64;               // nested arrays and objects; real headers use 3
    std::size_t maxValues = 1000000; // every value, key and container counts one
};

// Parses `text` as one JSON value. Throws cm::Error(Format) "<where>: <what>" for a syntax error (a number
// beyond double range included), nesting deeper or more values than `limits`, a key that occurs twice in
// one object (readers would disagree on which one counts) and a leading byte-order mark (JSON text has
// none; the safetensors header must start with '{').
nlohmann::json parseUntrustedJson(std::string_view text, const std::string& where,
                                  const JsonLimits& limits = {});

// A short description of a value read from a file, for an error message: numbers, booleans and short
// strings as they are (escaped), anything else by its kind and size, never by dumping it.
std::string describeJsonValue(const nlohmann::json& value);

} // namespace cm
