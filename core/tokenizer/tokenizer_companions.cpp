#include "tokenizer_companions.h"

#include "core/error.h"
#include "core/feature_net.h"
#include "core/model_locator.h"
#include "core/tokenizer/code_generator.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <regex>

namespace fs = std::filesystem;

namespace cm {
namespace {

const char* kFashionMnistTrain = "Fashion-MNIST train";
const std::regex kImageFolderDescription(R"(^image folder (.+) \(\d+ images, )");

std::optional<std::map<std::string, std::string>> metadataOf(const fs::path& path, const char* format) {
    std::string reason;
    auto metadata = readHeaderMetadata(path.string(), reason);
    if (!metadata) return std::nullopt;
    const auto found = metadata->find("format");
    if (found == metadata->end() || found->second != format) return std::nullopt;
    return metadata;
}

bool sameCode(const TokenizerConfig& a, const TokenizerConfig& b) {
    return a.imageSize == b.imageSize && a.channels == b.channels && a.codeBits() == b.codeBits();
}

} // namespace

TokenizerCompanions findTokenizerCompanions(const std::string& tokenizerPath, const TokenizerCard& card,
                                            const std::string& executableDir) {
    TokenizerCompanions found;
    const fs::path self(tokenizerPath);
    const std::string selfName = self.filename().string();
    std::vector<fs::path> neighbours;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(self.parent_path().empty() ? fs::path(".") : self.parent_path(), ec))
        if (entry.is_regular_file(ec) && entry.path().extension() == ".safetensors" &&
            entry.path().filename() != self.filename())
            neighbours.push_back(entry.path());
    std::sort(neighbours.begin(), neighbours.end());
    const std::string bits = std::to_string(card.config.codeBits());
    for (const fs::path& path : neighbours) {
        if (found.autoencoder.empty() && !card.isDeterministic()) {
            if (auto metadata = metadataOf(path, kTokenizerFormat)) {
                try {
                    const TokenizerCard other = TokenizerCard::fromMetadata(*metadata, path.string());
                    if (other.isDeterministic() && sameCode(other.config, card.config)) found.autoencoder = path.string();
                } catch (const Error&) {
                    // A damaged neighbour is not a companion; loading it would say why.
                }
            }
        }
        if (found.codeGenerator.empty()) {
            if (auto metadata = metadataOf(path, kCodeGeneratorFormat)) {
                try {
                    const CodeGeneratorCard other = CodeGeneratorCard::fromMetadata(*metadata, path.string());
                    if (other.tokenizer == selfName && other.config.codeBits == card.config.codeBits())
                        found.codeGenerator = path.string();
                } catch (const Error&) {
                }
            }
        }
    }
    if (card.isDeterministic())
        found.autoencoderMissing = "the tokenizer is itself the deterministic autoencoder";
    else if (found.autoencoder.empty())
        found.autoencoderMissing = "no deterministic autoencoder of " + bits + " bits at " +
                                   std::to_string(card.config.imageSize) + " px beside " + selfName;
    if (found.codeGenerator.empty())
        found.codeGeneratorMissing = "no code generator of " + selfName + " beside it (train-code-generator -m " +
                                     selfName + ")";

    const std::vector<int64_t> shape = card.config.itemShape();
    for (const std::string& path : scanBundledModels(executableDir).evaluators) {
        std::string reason;
        const auto metadata = readHeaderMetadata(path, reason);
        if (!metadata) continue;
        try {
            const FeatureNetCard net = FeatureNetCard::fromMetadata(*metadata, path);
            if (net.kind == FeatureNetKind::Classifier && net.itemShape == shape) {
                found.classifier = path;
                break;
            }
        } catch (const Error&) {
        }
    }
    if (found.classifier.empty())
        found.classifierMissing = "no bundled classifier of " + std::to_string(card.config.imageSize) + " x " +
                                  std::to_string(card.config.imageSize) +
                                  (card.config.channels == 1 ? " grey" : " RGB") +
                                  " images to judge which files stay recognisable";
    return found;
}

Dataset tokenizerTrainingImages(const TokenizerCard& card, long limit) {
    const std::string& names = card.dataset;
    Dataset data;
    if (names.rfind(kFashionMnistTrain, 0) == 0 && card.config.imageSize == 28 && card.config.channels == 1) {
        data = loadFashionMnist(defaultFashionMnistDirectory(), Split::Train);
    } else if (std::smatch match; std::regex_search(names, match, kImageFolderDescription)) {
        // loadImageFolder's description, perhaps followed by a limit or a hold-out note.
        const std::string directory = match[1].str();
        std::error_code ec;
        if (!fs::is_directory(directory, ec))
            throw Error(ErrorKind::Data, "the tokenizer's training images (" + directory + ") are not on this machine");
        ImageFolderOptions options;
        options.size = card.config.imageSize;
        options.channels = card.config.channels;
        data = loadImageFolder(directory, options);
    } else {
        throw Error(ErrorKind::Data, "the tokenizer's card names its training data as \"" + names.substr(0, 200) +
                                         "\", which is neither Fashion-MNIST nor an image folder");
    }
    if (limit > 0 && data.count() > limit) {
        data.values.resize(std::size_t(limit * data.itemSize()));
        if (data.hasLabels()) data.labels.resize(std::size_t(limit));
        data.description += " (first " + std::to_string(limit) + ")";
    }
    return data;
}

} // namespace cm
