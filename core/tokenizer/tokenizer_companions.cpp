#include "tokenizer_companions.h"

#include "core/error.h"
#include "core/feature_net.h"
#include "core/model_locator.h"
#include "core/tokenizer/code_generator.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>

namespace fs = std::filesystem;

namespace cm {
namespace {

const char* kFashionMnistTrain = "Fashion-MNIST train";
const std::regex kImageFolderDescription(R"(^image folder (.+) \(\d+ images, )");

CompanionProblem problem(CompanionProblem::Kind kind, const std::string& file, const std::string& detail = {}) {
    CompanionProblem p;
    p.kind = kind;
    p.file = file;
    p.detail = detail;
    return p;
}

CompanionProblem withCode(CompanionProblem p, const TokenizerConfig& config) {
    p.imageSize = config.imageSize;
    p.channels = config.channels;
    p.bits = config.codeBits();
    return p;
}

// The header's metadata when it says `format`; otherwise `why` says what the file is instead.
std::optional<std::map<std::string, std::string>> metadataOf(const std::string& path, const char* format,
                                                             CompanionProblem::Kind wrongFormat,
                                                             CompanionProblem& why) {
    std::string reason;
    auto metadata = readHeaderMetadata(path, reason);
    if (!metadata) {
        why = problem(CompanionProblem::Unreadable, path, reason);
        return std::nullopt;
    }
    const auto found = metadata->find("format");
    if (found == metadata->end() || found->second != format) {
        why = problem(wrongFormat, path, found == metadata->end() ? std::string() : describeUntrusted(found->second));
        return std::nullopt;
    }
    return metadata;
}

bool sameCode(const TokenizerConfig& a, const TokenizerConfig& b) {
    return a.imageSize == b.imageSize && a.channels == b.channels && a.codeBits() == b.codeBits();
}

std::string imageFolderOf(const std::string& names) {
    std::smatch match;
    return std::regex_search(names, match, kImageFolderDescription) ? match[1].str() : std::string();
}

} // namespace

CompanionProblem checkAutoencoder(const std::string& candidate, const TokenizerCard& card) {
    if (card.isDeterministic()) return problem(CompanionProblem::IsTheAutoencoder, candidate);
    CompanionProblem why;
    const auto metadata = metadataOf(candidate, kTokenizerFormat, CompanionProblem::NotATokenizer, why);
    if (!metadata) return why;
    try {
        const TokenizerCard other = TokenizerCard::fromMetadata(*metadata, candidate);
        if (!other.isDeterministic()) return withCode(problem(CompanionProblem::NotDeterministic, candidate), other.config);
        if (!sameCode(other.config, card.config))
            return withCode(problem(CompanionProblem::OtherCode, candidate), other.config);
    } catch (const Error& error) {
        return problem(CompanionProblem::Unreadable, candidate, error.what());
    }
    return {};
}

CompanionProblem checkCodeGenerator(const std::string& candidate, const std::string& tokenizerPath,
                                    const TokenizerCard& card) {
    CompanionProblem why;
    const auto metadata = metadataOf(candidate, kCodeGeneratorFormat, CompanionProblem::NotACodeGenerator, why);
    if (!metadata) return why;
    try {
        const CodeGeneratorCard other = CodeGeneratorCard::fromMetadata(*metadata, candidate);
        if (other.tokenizer != fs::path(tokenizerPath).filename().string())
            return problem(CompanionProblem::OtherTokenizer, candidate, describeUntrusted(other.tokenizer));
        if (other.config.codeBits != card.config.codeBits()) {
            CompanionProblem p = problem(CompanionProblem::OtherBits, candidate);
            p.bits = other.config.codeBits;
            return p;
        }
    } catch (const Error& error) {
        return problem(CompanionProblem::Unreadable, candidate, error.what());
    }
    return {};
}

TokenizerCompanions findTokenizerCompanions(const std::string& tokenizerPath, const TokenizerCard& card,
                                            const std::string& executableDir, const CompanionChoice& chosen) {
    TokenizerCompanions found;
    const fs::path self(tokenizerPath);
    const std::string selfName = self.filename().string();
    if (!chosen.autoencoder.empty()) {
        found.autoencoderMissing = checkAutoencoder(chosen.autoencoder, card);
        if (found.autoencoderMissing.none()) found.autoencoder = chosen.autoencoder;
    }
    if (!chosen.codeGenerator.empty()) {
        found.codeGeneratorMissing = checkCodeGenerator(chosen.codeGenerator, tokenizerPath, card);
        if (found.codeGeneratorMissing.none()) found.codeGenerator = chosen.codeGenerator;
    }
    const bool lookForAutoencoder = chosen.autoencoder.empty() && !card.isDeterministic();
    const bool lookForGenerator = chosen.codeGenerator.empty();
    std::vector<fs::path> neighbours;
    std::error_code ec;
    if (lookForAutoencoder || lookForGenerator)
        for (const auto& entry : fs::directory_iterator(self.parent_path().empty() ? fs::path(".") : self.parent_path(), ec))
            if (entry.is_regular_file(ec) && entry.path().extension() == ".safetensors" &&
                entry.path().filename() != self.filename())
                neighbours.push_back(entry.path());
    std::sort(neighbours.begin(), neighbours.end());
    // A neighbour that does not fit (another format, other bits, damaged) is simply not a companion.
    for (const fs::path& path : neighbours) {
        if (lookForAutoencoder && found.autoencoder.empty() && checkAutoencoder(path.string(), card).none())
            found.autoencoder = path.string();
        if (lookForGenerator && found.codeGenerator.empty() && checkCodeGenerator(path.string(), tokenizerPath, card).none())
            found.codeGenerator = path.string();
    }
    if (card.isDeterministic() && chosen.autoencoder.empty())
        found.autoencoderMissing = withCode(problem(CompanionProblem::IsTheAutoencoder, selfName), card.config);
    else if (lookForAutoencoder && found.autoencoder.empty())
        found.autoencoderMissing = withCode(problem(CompanionProblem::NoAutoencoderBeside, selfName), card.config);
    if (lookForGenerator && found.codeGenerator.empty())
        found.codeGeneratorMissing = withCode(problem(CompanionProblem::NoCodeGeneratorBeside, selfName), card.config);

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
        found.classifierMissing = withCode(problem(CompanionProblem::NoClassifier, selfName), card.config);
    return found;
}

CompanionProblem trainingImagesProblem(const TokenizerCard& card) {
    const std::string& names = card.dataset;
    if (names.rfind(kFashionMnistTrain, 0) == 0 && card.config.imageSize == 28 && card.config.channels == 1) return {};
    // loadImageFolder's description, perhaps followed by a limit or a hold-out note.
    const std::string directory = imageFolderOf(names);
    if (directory.empty()) return problem(CompanionProblem::TrainingDataUnknown, "", describeUntrusted(names, 200));
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) return problem(CompanionProblem::TrainingImagesAbsent, "", directory);
    return {};
}

Dataset tokenizerTrainingImages(const TokenizerCard& card, long limit) {
    const CompanionProblem why = trainingImagesProblem(card);
    if (why.kind == CompanionProblem::TrainingDataUnknown)
        throw Error(ErrorKind::Data, "the tokenizer's card names its training data as \"" + why.detail +
                                         "\", which is neither Fashion-MNIST nor an image folder");
    if (why.kind == CompanionProblem::TrainingImagesAbsent)
        throw Error(ErrorKind::Data, "the tokenizer's training images (" + why.detail + ") are not on this machine");
    Dataset data;
    const std::string directory = imageFolderOf(card.dataset);
    if (directory.empty()) {
        data = loadFashionMnist(defaultFashionMnistDirectory(), Split::Train);
    } else {
        ImageFolderOptions options;
        options.size = card.config.imageSize;
        options.channels = card.config.channels;
        data = loadImageFolder(directory, options);
    }
    if (limit > 0 && data.count() > limit) {
        data.values.resize(std::size_t(limit * data.itemSize()));
        if (data.hasLabels()) data.labels.resize(std::size_t(limit));
        data.description += " (first " + std::to_string(limit) + ")";
    }
    return data;
}

} // namespace cm
