// Parsing an enum from its user-facing name, with an error that lists the names it knows. Private to core/.
#pragma once

#include "core/error.h"

#include <array>
#include <string>

namespace cm::detail {

template <typename Enum, std::size_t N>
Enum enumFromName(const std::string& name, const std::array<Enum, N>& values, const char* (*nameOf)(Enum),
                  const char* what) {
    std::string known;
    for (Enum value : values) {
        if (name == nameOf(value)) return value;
        known += (known.empty() ? "" : ", ") + std::string(nameOf(value));
    }
    throw Error(ErrorKind::InvalidArgument,
                "unknown " + std::string(what) + " '" + name + "' (expected " + known + ")");
}

} // namespace cm::detail
