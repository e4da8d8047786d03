// What goes with a tokenizer in the Compress view, found from its file: the deterministic-autoencoder
// baseline at the same bits and the stage-2 code generator of its codes (both in the tokenizer's folder,
// recognised by their cards, read from the headers only), a bundled classifier of its image shape (the
// judge of JPEG's and WebP's "recognisable"), and the training images its card names (k-means' codebook
// is learned on them). Reentrant; never loads weights.
#pragma once

#include "core/dataset.h"
#include "core/tokenizer/tokenizer_card.h"

#include <string>

namespace cm {

struct TokenizerCompanions {
    // "" when none was found; the ...Missing fields then say why, in one line.
    std::string autoencoder;   // a tokenizer file with parameterisation "deterministic" and the same image size,
                               // channels and code bits (the first by file name)
    std::string codeGenerator; // a code generator whose card names this tokenizer's file and has its bits
    std::string classifier;    // a bundled feature net of kind classifier with the tokenizer's image shape
    std::string autoencoderMissing, codeGeneratorMissing, classifierMissing;
};

TokenizerCompanions findTokenizerCompanions(const std::string& tokenizerPath, const TokenizerCard& card,
                                            const std::string& executableDir);

// The first `limit` images the tokenizer was trained on, as its card's dataset names them: Fashion-MNIST's
// training split (from defaultFashionMnistDirectory()) or an image folder (at the tokenizer's size and
// channels). Error(Data) saying what the card names when those images are not on this machine.
Dataset tokenizerTrainingImages(const TokenizerCard& card, long limit);

} // namespace cm
