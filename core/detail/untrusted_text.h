// A name taken from an untrusted file, quoted for an error message: 'conv.weight', escaped and cut by
// cm::describeUntrusted, so a hostile file can neither flood a message nor put control bytes into it.
#pragma once

#include "core/error.h"

#include <string>

namespace cm::detail {

inline std::string quoteUntrusted(const std::string& text) {
    return "'" + describeUntrusted(text) + "'";
}

} // namespace cm::detail
