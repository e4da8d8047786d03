// Finding bundled models: the folders searched, evaluators and broken files left out, names resolved.
#include "core/error.h"
#include "core/model_locator.h"
#include "core/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>

namespace {

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
        std::ofstream(at("broken.safetensors")) << "not a safetensors file";
        std::ofstream(at("readme.txt")) << "not a model";
        qputenv("CMSTUDIO_MODELS_DIR", m_dir.path().toLocal8Bit());
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
