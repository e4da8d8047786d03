// Why something that goes with a tokenizer in the Compress view is absent (its deterministic-autoencoder
// baseline, its code generator, the codecs' judge, k-means' training images), or why a file chosen for it
// does not fit: a kind and the data a sentence needs. Core only classifies; the app words it, translated
// (ui/compress_view.cpp, CompressView::problemText).
#pragma once

#include <string>

namespace cm {

struct CompanionProblem {
    enum Kind {
        None,
        IsTheAutoencoder,      // the tokenizer is itself the deterministic autoencoder
        NoAutoencoderBeside,   // no deterministic autoencoder of the same code in the tokenizer's folder
        NoCodeGeneratorBeside, // no code generator naming the tokenizer in its folder
        NoClassifier,          // no bundled classifier of the tokenizer's image shape
        Unreadable,            // `file` could not be read: `detail` is the reader's message (English)
        NotATokenizer,         // `file` is a safetensors file of another format (`detail`: it, "" when none)
        NotDeterministic,      // `file` is a tokenizer with a flow decoder, not a deterministic autoencoder
        OtherCode,             // `file` encodes another image size, channel count or bit count
        NotACodeGenerator,     // `file` is a safetensors file of another format (`detail`: it, "" when none)
        OtherTokenizer,        // `file`'s card names another tokenizer (`detail`: the name it gives)
        OtherBits,             // `file` generates codes of another bit count
        TrainingImagesAbsent,  // the image folder the card names (`detail`) is not on this machine
        TrainingDataUnknown,   // the card names its data as `detail`: neither Fashion-MNIST nor an image folder
        Failed,                // loading failed: `detail` is the engine's message (English)
    };
    Kind kind = None;
    // The file the problem is about: the tokenizer's name for ...Beside and NoClassifier, the chosen or
    // found file's path otherwise.
    std::string file;
    std::string detail;
    // That file's image size, channels and code bits (the tokenizer's for ...Beside and NoClassifier).
    int imageSize = 0, channels = 0, bits = 0;

    bool none() const { return kind == None; }
};

} // namespace cm
