#include "error.h"

#include <algorithm>
#include <cstdint>

namespace cm {

namespace {

// Length of the well-formed UTF-8 sequence at text[i] (2-4 bytes) of a character that is safe to show,
// or 0 if the bytes there are not one.
std::size_t safeUtf8Length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return uint8_t(text[k]); };
    const uint8_t lead = byte(i);
    std::size_t length = 0;
    uint32_t codePoint = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        codePoint = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        codePoint = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        codePoint = lead & 0x07;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
        codePoint = codePoint << 6 | (byte(i + k) & 0x3F);
    }
    static constexpr uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    const bool overlong = codePoint < kShortest[length];
    const bool surrogate = codePoint >= 0xD800 && codePoint <= 0xDFFF;
    const bool c1Control = codePoint >= 0x80 && codePoint <= 0x9F; // U+009B is a terminal's CSI
    // Bidirectional overrides and isolates reorder what a reader sees ("Trojan Source").
    const bool bidiControl =
        (codePoint >= 0x202A && codePoint <= 0x202E) || (codePoint >= 0x2066 && codePoint <= 0x2069);
    if (overlong || codePoint > 0x10FFFF || surrogate || c1Control || bidiControl) return 0;
    return length;
}

std::string escapedByte(uint8_t byte) {
    switch (byte) {
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    static const char digits[] = "0123456789abcdef";
    return std::string{'\\', 'x', digits[byte >> 4], digits[byte & 15]};
}

} // namespace

std::string describeUntrusted(std::string_view text, std::size_t maxBytes) {
    std::string out;
    out.reserve(std::min(text.size(), maxBytes) + 16);
    std::size_t i = 0;
    while (i < text.size()) {
        const uint8_t byte = uint8_t(text[i]);
        const bool printableAscii = byte >= 0x20 && byte < 0x7F;
        const std::size_t length = printableAscii ? 1 : safeUtf8Length(text, i);
        const std::string piece = length ? std::string(text.substr(i, length)) : escapedByte(byte);
        if (out.size() + piece.size() > maxBytes) break;
        out += piece;
        i += length ? length : 1;
    }
    if (i < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
    return out;
}

const char* errorKindName(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::InvalidArgument:
        return "invalid argument";
    case ErrorKind::Io:
        return "I/O error";
    case ErrorKind::Format:
        return "format error";
    case ErrorKind::Shape:
        return "shape error";
    case ErrorKind::Data:
        return "data error";
    case ErrorKind::Numeric:
        return "numeric error";
    case ErrorKind::Cancelled:
        return "cancelled";
    case ErrorKind::Communication:
        return "communication error";
    }
    return "error";
}

Error::Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}

} // namespace cm
