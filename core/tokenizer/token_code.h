// A tokenizer's code for one image: a fixed number of bits (the signs of the latent coordinates), written
// as hexadecimal text. A plain value; the functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cm {

struct TokenCode {
    // One entry per bit, 0 or 1, token-major: bit t * bitsPerToken + b is coordinate b of token t,
    // 1 where the coordinate is +1 and 0 where it is -1.
    std::vector<uint8_t> bits;

    int bitCount() const { return int(bits.size()); }
    bool operator==(const TokenCode& other) const { return bits == other.bits; }
};

// Four bits per hex digit, most significant first; the last digit is padded with zero bits.
// 55 bits are 14 digits.
std::string codeToHex(const TokenCode& code);

// Parses hex text (case-insensitive; surrounding white space allowed, nothing else) that must hold exactly
// `expectedBits` bits: ceil(expectedBits / 4) digits whose padding bits are zero. Throws
// cm::Error(InvalidArgument) naming `origin`, what was found and what was expected.
TokenCode codeFromHex(const std::string& text, int expectedBits, const std::string& origin);

// The number of hex digits a code of `bits` bits is written with.
int hexDigitsForBits(int bits);

} // namespace cm
