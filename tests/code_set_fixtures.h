// A tiny set of codes for the stage-2 code generator's suites (test_code_generator,
// test_distributed_code_generator): two classes of 12-bit codes with known statistics.
#pragma once

#include "core/tokenizer/code_generator_trainer.h"

#include <random>

namespace cmtest {

constexpr int kCodeBits = 12;

// Class c's bit i is 1 with probability kBitProbability[c][i], except bit 1, which copies bit 0.
constexpr double kBitProbability[2][kCodeBits] = {{0.9, 0, 0.1, 0.9, 0.1, 0.9, 0.5, 0.1, 0.1, 0.9, 0.9, 0.2},
                                                  {0.1, 0, 0.9, 0.1, 0.9, 0.1, 0.5, 0.9, 0.9, 0.1, 0.2, 0.9}};

// `perClass` codes of each class, drawn from `seed`.
inline cm::CodeSet tinyCodes(int perClass, unsigned seed = 5) {
    cm::CodeSet set;
    set.classNames = {"a", "b"};
    set.description = "two classes of 12-bit codes";
    std::mt19937 random(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (int c = 0; c < 2; ++c)
        for (int n = 0; n < perClass; ++n) {
            cm::TokenCode code;
            for (int i = 0; i < kCodeBits; ++i)
                code.bits.push_back(i == 1 ? code.bits[0] : uint8_t(u(random) < kBitProbability[c][i]));
            set.codes.push_back(code);
            set.labels.push_back(c);
        }
    return set;
}

} // namespace cmtest
