#include "generate_images.h"

#include "core/error.h"

#include <algorithm>

namespace cm {
namespace {

constexpr int kDecodeBatch = 100;

} // namespace

GeneratedImages generateImages(const Tokenizer& tokenizer, const CodeGenerator& generator, int classIndex, int count,
                               uint64_t seed, double temperature, const DecodeParams& params,
                               const ProgressFn& progress, const CancelFlag* cancel) {
    const int bits = tokenizer.card().config.codeBits();
    if (generator.card().config.codeBits != bits)
        throw Error(ErrorKind::InvalidArgument, "the code generator makes " +
                                                    std::to_string(generator.card().config.codeBits) +
                                                    "-bit codes but the tokenizer's codes have " + std::to_string(bits) +
                                                    " bits");
    const int classes = generator.card().config.classes;
    if (classIndex >= classes)
        throw Error(ErrorKind::InvalidArgument, "class " + std::to_string(classIndex) + " is outside the generator's " +
                                                    std::to_string(classes) + " classes");
    if (count < 1) throw Error(ErrorKind::InvalidArgument, "at least one image must be generated");
    GeneratedImages out;
    for (int j = 0; j < count; ++j) {
        const int c = classIndex >= 0 ? classIndex : j % classes;
        out.codes.push_back(generator.sample(c, 1, seed + uint64_t(j), temperature).front());
        out.classes.push_back(c);
        if (cancel && cancel->load()) throw Error(ErrorKind::Cancelled, "cancelled by the user");
    }
    DecodeParams chunkParams = params;
    out.evaluations = tokenizer.decodeEvaluations(params);
    const long batches = (count + kDecodeBatch - 1) / kDecodeBatch;
    for (int start = 0; start < count; start += kDecodeBatch) {
        const int end = std::min(count, start + kDecodeBatch);
        const std::vector<TokenCode> chunk(out.codes.begin() + start, out.codes.begin() + end);
        chunkParams.seed = seed + uint64_t(start);
        const long before = long(start / kDecodeBatch);
        const ProgressFn chunkProgress = [&](long done, long total) {
            if (progress) progress(before * total + done, batches * total);
        };
        for (auto& image : tokenizer.decode(chunk, chunkParams, chunkProgress, cancel))
            out.images.push_back(std::move(image));
    }
    return out;
}

} // namespace cm
