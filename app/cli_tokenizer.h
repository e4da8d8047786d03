// Helpers the tokenizer commands share (cli_tokenizer.cpp, cli_code_generator.cpp).
#pragma once

#include "core/dataset.h"
#include "core/tokenizer/tokenizer_card.h"

#include <QString>

#include <string>

// --bits: "lo", "hi", or the bit count of one of them at this image size (UsageError otherwise).
cm::TokenizerConfig configForBits(const QString& bits, int imageSize, int channels);

// The project's own feature network for the data (no ImageNet weights exist here): "auto" picks the bundled
// one, "none" (where `flag` allows it) none, anything else names a file.
std::string featureNetwork(const QString& choice, const QString& data, const cm::TokenizerConfig& config, const char* flag);

// Held-out images: Fashion-MNIST's test split, or every K-th image of a folder (the split training left
// out); `count` of them (0 = all) from the `first`.
cm::Dataset heldOutImages(const QString& spec, const cm::TokenizerConfig& config, long holdOut, long count, long first);
