#include "token_code.h"

#include "core/error.h"

#include <cctype>

namespace cm {

int hexDigitsForBits(int bits) {
    return (bits + 3) / 4;
}

std::string codeToHex(const TokenCode& code) {
    static const char* kDigits = "0123456789abcdef";
    std::string text;
    const int digits = hexDigitsForBits(code.bitCount());
    for (int d = 0; d < digits; ++d) {
        int nibble = 0;
        for (int k = 0; k < 4; ++k) {
            const int bit = d * 4 + k;
            nibble = nibble * 2 + (bit < code.bitCount() && code.bits[bit] ? 1 : 0);
        }
        text += kDigits[nibble];
    }
    return text;
}

TokenCode codeFromHex(const std::string& text, int expectedBits, const std::string& origin) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
        ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
        --end;
    const std::string body = text.substr(begin, end - begin);
    const int digits = hexDigitsForBits(expectedBits);
    const auto wrong = [&](const std::string& what) {
        throw Error(ErrorKind::InvalidArgument, origin + ": " + what + "; this tokenizer's codes are " +
                                                    std::to_string(expectedBits) + " bits, written as " +
                                                    std::to_string(digits) + " hex digits");
    };
    for (std::size_t i = 0; i < body.size(); ++i)
        if (!std::isxdigit(static_cast<unsigned char>(body[i])))
            wrong("the code is not hexadecimal text ('" + describeUntrusted(body.substr(i, 1)) + "' at position " +
                  std::to_string(i + 1) + ")");
    if (body.size() != std::size_t(digits))
        wrong("the code has " + std::to_string(body.size()) + " hex digits");
    TokenCode code;
    code.bits.resize(expectedBits);
    for (int d = 0; d < digits; ++d) {
        const char c = char(std::tolower(static_cast<unsigned char>(body[d])));
        const int nibble = c <= '9' ? c - '0' : c - 'a' + 10;
        for (int k = 0; k < 4; ++k) {
            const int bit = d * 4 + k;
            const int value = (nibble >> (3 - k)) & 1;
            if (bit < expectedBits)
                code.bits[bit] = uint8_t(value);
            else if (value)
                wrong("the last hex digit sets padding bits beyond bit " + std::to_string(expectedBits));
        }
    }
    return code;
}

} // namespace cm
