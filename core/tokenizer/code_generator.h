// Stage 2: a small class-conditional generative model over a tokenizer's code bits, so new images are
// code -> decoder. An autoregressive model over the bits in their code order (MADE: one masked MLP whose
// logit for bit i sees only bits < i, plus the class as an embedding added to every hidden layer and to the
// logits), chosen over a masked-bit transformer because it trains in one pass per batch on this CPU, gives an
// exact likelihood (bits per code) to log and compare, and samples a 176-bit code in 176 small passes.
// A loaded CodeGenerator is a cheap handle (copies share weights); sampling is reentrant; training mutates it.
#pragma once

#include "core/tokenizer/token_code.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cm {

struct CodeGeneratorConfig {
    int codeBits = 55;
    int classes = 1;   // 1: unconditional (data without labels)
    int width = 512;   // hidden units per layer
    int depth = 2;     // hidden layers
    void validate() const;          // Error(InvalidArgument) naming the field
    int64_t parameterCount() const; // computed without building the network
};

constexpr const char* kCodeGeneratorFormat = "cmstudio-code-generator";

struct CodeGeneratorCard {
    CodeGeneratorConfig config;
    std::vector<std::string> classNames;
    std::string tokenizer; // file name of the tokenizer whose codes it models (informative)
    std::string dataset;
    std::string trainingJson = "{}";
    long trainingSteps = 0;
    std::string notes;

    std::map<std::string, std::string> toMetadata() const;
    // Error(Format) naming `origin` and the field; a tokenizer or a model file is refused by name.
    static CodeGeneratorCard fromMetadata(const std::map<std::string, std::string>& metadata, const std::string& origin);
};

class CodeGenerator {
  public:
    static CodeGenerator load(const std::string& path); // strict, like Tokenizer::load
    static CodeGenerator create(const CodeGeneratorCard& card, uint64_t seed);
    void save(const std::string& path) const; // atomic

    const CodeGeneratorCard& card() const;
    CodeGeneratorCard& card();

    // `count` codes of `classIndex` (in [0, classes)), code j drawn from the generator of seed + j, each bit
    // from its Bernoulli at `temperature` (1 = the model's). Error(InvalidArgument) for a bad class or count.
    std::vector<TokenCode> sample(int classIndex, int count, uint64_t seed, double temperature = 1) const;
    // Mean negative log-likelihood of the codes given their labels, in bits per code.
    double bitsPerCode(const std::vector<TokenCode>& codes, const std::vector<int64_t>& labels) const;

    struct Impl;
    Impl& impl() const { return *m_impl; }

  private:
    std::shared_ptr<Impl> m_impl;
};

} // namespace cm
