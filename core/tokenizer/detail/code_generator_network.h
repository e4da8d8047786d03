// The stage-2 code generator's network (MADE with a class embedding). Private to core/.
#pragma once

#include "core/tokenizer/code_generator.h"

#include <torch/torch.h>

namespace cm::detail {

class CodeGeneratorNetwork : public torch::nn::Module {
  public:
    explicit CodeGeneratorNetwork(const CodeGeneratorConfig& config);
    // bits as +-1 [N, B], labels [N] (int64) -> logits [N, B]; logit i depends on bits < i and the label only.
    torch::Tensor forward(const torch::Tensor& signs, const torch::Tensor& labels);

  private:
    CodeGeneratorConfig m_config;
    std::vector<torch::nn::Linear> m_layers; // depth hidden layers, then the output
    std::vector<torch::Tensor> m_masks;      // fixed by the config (not saved)
    torch::nn::Embedding m_classHidden{nullptr}, m_classLogits{nullptr};
};

// Codes <-> +-1 [N, B].
torch::Tensor codeSigns(const std::vector<TokenCode>& codes, int bits);

} // namespace cm::detail

namespace cm {
struct CodeGenerator::Impl {
    CodeGeneratorCard card;
    std::shared_ptr<detail::CodeGeneratorNetwork> network;
};
} // namespace cm
