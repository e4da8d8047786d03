// Finding bundled models: the folders searched, evaluators and broken files left out, names resolved.
#include "core/error.h"
#include "core/model_card.h"
#include "core/model_locator.h"
#include "core/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace {

// A file with a hand-written safetensors header and no tensors.
void writeHeader(const std::string& path, const std::string& header) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i)
        bytes[std::size_t(i)] = char(uint64_t(header.size()) >> (8 * i));
    std::ofstream(path, std::ios::binary) << bytes << header;
}

void writeCard(const std::string& path, const std::string& format) {
    cm::SafetensorsFile file;
    file.metadata["format"] = format;
    file.metadata["notes"] = "mentions cmstudio-feature-net and cmstudio-model in free text";
    cm::TensorRecord tensor;
    tensor.shape = {1};
    tensor.bytes.assign(4, 0);
    file.tensors["w"] = tensor;
    cm::writeSafetensors(path, file);
}

// A model file whose card is a prompt network: a style model (with image queries) or its base (without).
void writePromptCard(const std::string& path, int imageQueries) {
    cm::ModelCard card;
    card.kind = cm::ModelKind::EdmDenoiser;
    card.network.type = cm::NetworkType::PromptUNet;
    card.network.imageSize = 32;
    card.network.channels = 3;
    card.network.promptVocabulary = 26;
    card.network.promptLength = 4;
    card.network.baseWidth = 16;
    card.network.channelMult = {1, 2};
    card.network.resBlocks = 1;
    card.network.attentionResolutions = {};
    card.network.crossAttentionResolutions = {32, 16};
    card.network.headChannels = 16;
    card.network.contextWidth = 32;
    card.network.imageQueries = imageQueries;
    card.network.qformerWidth = 32;
    card.network.qformerLayers = 1;
    card.network.referenceWidth = 32;
    card.network.validate();
    cm::SafetensorsFile file;
    file.metadata = card.toMetadata();
    cm::TensorRecord tensor;
    tensor.shape = {1};
    tensor.bytes.assign(4, 0);
    file.tensors["w"] = tensor;
    cm::writeSafetensors(path, file);
}

} // namespace

class TestModelLocator : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string at(const char* name) const { return (m_dir.path() + "/" + name).toStdString(); }

  private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        writeCard(at("b-model.safetensors"), "cmstudio-model");
        writeCard(at("a-model.safetensors"), "cmstudio-model");
        writeCard(at("evaluator.safetensors"), "cmstudio-feature-net");
        writeCard(at("z-tokenizer.safetensors"), "cmstudio-tokenizer");
        writeCard(at("c-tokenizer.safetensors"), "cmstudio-tokenizer");
        std::ofstream(at("broken.safetensors")) << "not a safetensors file";
        std::ofstream(at("readme.txt")) << "not a model";
        // Headers that once aborted the app at every start (a type error escaped the listing).
        writeHeader(at("metadata-array.safetensors"), R"({"__metadata__": ["format"]})");
        writeHeader(at("format-number.safetensors"), R"({"__metadata__": {"format": 5}})");
        writeHeader(at("header-array.safetensors"), R"([1, 2])");
        writeHeader(at("deep.safetensors"),
                    "{\"__metadata__\": " + std::string(80000, '[') + std::string(80000, ']') + "}");
        writeHeader(at("twice.safetensors"),
                    R"({"__metadata__": {"format": "x", "format": "cmstudio-model"}})");
        writePromptCard(at("y-style.safetensors"), 16);
        writePromptCard(at("x-style.safetensors"), 8);
        writePromptCard(at("prompt-base.safetensors"), 0);
        qputenv("CMSTUDIO_MODELS_DIR", m_dir.path().toLocal8Bit());
    }

    // Style models (the Style view's list) are listed apart from the generators, sorted; a prompt base is not one.
    void listsStyleModelsApart() {
        const auto found = cm::scanBundledModels("");
        QCOMPARE(found.styleModels.size(), std::size_t(2));
        QCOMPARE(std::filesystem::path(found.styleModels[0]).filename().string(), std::string("x-style.safetensors"));
        QCOMPARE(std::filesystem::path(found.styleModels[1]).filename().string(), std::string("y-style.safetensors"));
        for (const std::string& file : found.models) QVERIFY2(file.find("-style") == std::string::npos, file.c_str());
        QVERIFY(std::any_of(found.models.begin(), found.models.end(),
                            [](const std::string& f) { return f.find("prompt-base") != std::string::npos; }));
        QVERIFY(cm::isStyleModelFile(at("y-style.safetensors")));
        QVERIFY(!cm::isStyleModelFile(at("prompt-base.safetensors")));
        QVERIFY(!cm::isStyleModelFile(at("a-model.safetensors")));
        QVERIFY(!cm::isStyleModelFile(at("broken.safetensors")));
        QVERIFY(!cm::isStyleModelFile(at("missing.safetensors")));
    }

    // The style swatches: $CMSTUDIO_SWATCHES_DIR first, its PNGs sorted; the source tree's otherwise.
    void findsTheStyleSwatches() {
        QTemporaryDir swatches;
        for (const char* name : {"b.png", "a.png"}) std::ofstream((swatches.path() + "/" + name).toStdString()) << "png";
        std::ofstream((swatches.path() + "/notes.txt").toStdString()) << "not a swatch";
        qputenv("CMSTUDIO_SWATCHES_DIR", swatches.path().toLocal8Bit());
        const auto files = cm::bundledSwatchFiles("");
        qunsetenv("CMSTUDIO_SWATCHES_DIR");
        QCOMPARE(files.size(), std::size_t(2));
        QCOMPARE(std::filesystem::path(files[0]).filename().string(), std::string("a.png"));
        QCOMPARE(std::filesystem::path(files[1]).filename().string(), std::string("b.png"));
        const auto bundled = cm::bundledSwatchFiles("");
        QVERIFY2(bundled.size() >= 4, "resources/style-swatches is missing");
        QVERIFY(bundled.front().find("style-swatches") != std::string::npos);
    }

    void listsOnlyGenerativeModelsSorted() {
        const auto files = cm::bundledModelFiles("");
        QVERIFY(!files.empty());
        QCOMPARE(std::filesystem::path(files[0]).filename().string(), std::string("a-model.safetensors"));
        QCOMPARE(std::filesystem::path(files[1]).filename().string(), std::string("b-model.safetensors"));
        for (const std::string& file : files) {
            const std::string name = std::filesystem::path(file).filename().string();
            QVERIFY2(name != "evaluator.safetensors" && name != "broken.safetensors", name.c_str());
        }
    }

    // Tokenizers (the Compress view's list) are listed apart, sorted; neither models nor broken files.
    void listsTokenizersApart() {
        const auto found = cm::scanBundledModels("");
        QCOMPARE(found.tokenizers.size(), std::size_t(2));
        QCOMPARE(std::filesystem::path(found.tokenizers[0]).filename().string(), std::string("c-tokenizer.safetensors"));
        QCOMPARE(std::filesystem::path(found.tokenizers[1]).filename().string(), std::string("z-tokenizer.safetensors"));
        for (const std::string& file : found.models) QVERIFY2(file.find("tokenizer") == std::string::npos, file.c_str());
        for (const std::string& line : found.skipped) QVERIFY2(line.find("tokenizer") == std::string::npos, line.c_str());
    }

    void badFilesAreSkippedAndListedNeverFatal() {
        const cm::BundledModels found = cm::scanBundledModels("");
        QCOMPARE(std::filesystem::path(found.models.at(0)).filename().string(),
                 std::string("a-model.safetensors"));
        QCOMPARE(std::filesystem::path(found.models.at(1)).filename().string(),
                 std::string("b-model.safetensors"));
        QStringList skipped;
        for (const std::string& line : found.skipped)
            skipped << QString::fromStdString(line);
        for (const char* name :
             {"broken.safetensors", "metadata-array.safetensors", "format-number.safetensors",
              "header-array.safetensors", "deep.safetensors", "twice.safetensors"}) {
            const QStringList lines = skipped.filter(QString("/") + name + ": ");
            QVERIFY2(lines.size() == 1,
                     qPrintable(name + QString(" not listed once in:\n") + skipped.join('\n')));
            QVERIFY2(lines.front().size() < 600, qPrintable(lines.front()));
        }
        QVERIFY2(skipped.filter("deep.safetensors").front().contains("nested deeper"),
                 qPrintable(skipped.join('\n')));
        QVERIFY2(skipped.filter("twice.safetensors").front().contains("twice"),
                 qPrintable(skipped.join('\n')));
        QVERIFY(skipped.filter("evaluator").isEmpty()); // an evaluator is not a broken model
        QVERIFY(
            !cm::defaultModelPath("").empty()); // the app's start-up path lists the folder without throwing
    }

    // The app opens the bundled model with the best measured one-step FD (CD; docs/RESULTS.md).
    void theDefaultModelIsTheBundledCd() {
        QCOMPARE(QString::fromStdString(std::filesystem::path(cm::defaultModelPath("")).filename().string()),
                 QString("fashion-mnist-cd.safetensors"));
    }

    void resolvesNamesAndPaths() {
        QCOMPARE(cm::resolveModelPath("a-model", ""), std::filesystem::weakly_canonical(at("a-model.safetensors")).string());
        QCOMPARE(cm::resolveModelPath("a-model.safetensors", ""),
                 std::filesystem::weakly_canonical(at("a-model.safetensors")).string());
        QCOMPARE(cm::resolveModelPath(at("b-model.safetensors"), ""), at("b-model.safetensors"));
        try {
            cm::resolveModelPath("no-such-model", "");
            QFAIL("a missing model was resolved");
        } catch (const cm::Error& error) {
            QCOMPARE(error.kind(), cm::ErrorKind::Io);
            QVERIFY2(std::string(error.what()).find(m_dir.path().toStdString()) != std::string::npos, error.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestModelLocator)
#include "test_model_locator.moc"
