// What goes with a tokenizer in the Compress view, found from its file: the deterministic-autoencoder
// baseline at the same bits and the stage-2 code generator of its codes (in the tokenizer's folder, or the
// files the user chose, recognised by their cards, read from the headers only), a bundled classifier of its
// image shape (the judge of JPEG's and WebP's "recognisable"), and the training images its card names
// (k-means' codebook is learned on them). A chosen file passes the same checks as one found beside the
// tokenizer. Reentrant; never loads weights.
#pragma once

#include "core/dataset.h"
#include "core/tokenizer/companion_problem.h"
#include "core/tokenizer/tokenizer_card.h"

#include <string>

namespace cm {

struct TokenizerCompanions {
    // "" when none was found or the chosen one does not fit; the ...Missing fields then say why.
    std::string autoencoder;   // a tokenizer file with parameterisation "deterministic" and the same image size,
                               // channels and code bits (the first by file name)
    std::string codeGenerator; // a code generator whose card names this tokenizer's file and has its bits
    std::string classifier;    // a bundled feature net of kind classifier with the tokenizer's image shape
    CompanionProblem autoencoderMissing, codeGeneratorMissing, classifierMissing;
};

// Files the user chose instead of looking beside the tokenizer ("" = look beside it).
struct CompanionChoice {
    std::string autoencoder, codeGenerator;
};

// None when `candidate` is a deterministic autoencoder with the image size, channels and code bits of the
// tokenizer `card` describes; otherwise why not (IsTheAutoencoder when the tokenizer is one itself).
CompanionProblem checkAutoencoder(const std::string& candidate, const TokenizerCard& card);
// None when `candidate` is a code generator whose card names the tokenizer file `tokenizerPath` (by file
// name, as train-code-generator records it) and has its code bits; otherwise why not.
CompanionProblem checkCodeGenerator(const std::string& candidate, const std::string& tokenizerPath,
                                    const TokenizerCard& card);

TokenizerCompanions findTokenizerCompanions(const std::string& tokenizerPath, const TokenizerCard& card,
                                            const std::string& executableDir, const CompanionChoice& chosen = {});

// Why tokenizerTrainingImages(card) cannot load the images (None when it can try; their files may still
// be missing or damaged, which it then reports).
CompanionProblem trainingImagesProblem(const TokenizerCard& card);

// The first `limit` images the tokenizer was trained on, as its card's dataset names them: Fashion-MNIST's
// training split (from defaultFashionMnistDirectory()) or an image folder (at the tokenizer's size and
// channels). Error(Data) saying what the card names when those images are not on this machine.
Dataset tokenizerTrainingImages(const TokenizerCard& card, long limit);

} // namespace cm
