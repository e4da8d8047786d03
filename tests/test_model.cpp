// Tests core/model.*: saving, strict loading against the architecture, the boundary condition.
#include "core/error.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <random>

class TestModel : public QObject {
    Q_OBJECT
  private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // A saved tiny model whose output layer is non-zero, so F really contributes away from sigma_min.
    std::string savedModel(const QString& name, cm::ModelKind kind = cm::ModelKind::Consistency) {
        const std::string file = path(name).toStdString();
        cm::Model::create(cmtest::tinyUNetCard(kind, 3), 7).save(file);
        auto contents = cm::readSafetensors(file);
        auto& record = contents.tensors.at("conv_out.weight");
        std::mt19937 rng(1);
        std::normal_distribution<float> normal(0.f, 0.2f);
        auto* values = reinterpret_cast<float*>(record.bytes.data());
        for (int64_t i = 0; i < record.elementCount(); ++i)
            values[i] = normal(rng);
        cm::writeSafetensors(file, contents);
        return file;
    }

    static cv::Mat randomImage(unsigned seed) {
        cv::Mat image(28, 28, CV_32FC1);
        cv::RNG rng(seed);
        rng.fill(image, cv::RNG::UNIFORM, -1.0, 1.0);
        return image;
    }

    template <typename Mutate>
    void expectLoadError(const std::string& source, Mutate mutate, cm::ErrorKind kind,
                         const QString& mention) {
        auto contents = cm::readSafetensors(source);
        mutate(contents);
        const std::string broken = path("broken.safetensors").toStdString();
        cm::writeSafetensors(broken, contents);
        try {
            cm::Model::load(broken);
            QFAIL("loading the broken model did not throw");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(kind));
            QVERIFY2(QString(e.what()).contains(mention), e.what());
            QVERIFY2(QString(e.what()).contains("broken.safetensors"), e.what());
        }
    }

  private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void boundaryConditionIsExact() {
        const auto model = cm::Model::load(savedModel("boundary.safetensors"));
        const double sigmaMin = model.card().noise.sigmaMin;
        const cv::Mat x = randomImage(3);
        const cv::Mat atMin = cm::evaluateModel(model, {x}, sigmaMin, cm::Conditioning::ofClass(1)).front();
        QCOMPARE(cv::norm(atMin, x, cv::NORM_INF), 0.0); // f(x, sigma_min) = x to the last bit
        // Just above sigma_min the network does contribute: the test would notice an F that is always 0.
        const cv::Mat above = cm::evaluateModel(model, {x}, 0.5, cm::Conditioning::ofClass(1)).front();
        QVERIFY(cv::norm(above, x, cv::NORM_INF) > 1e-3);
    }

    void saveLoadRoundTripIsExact() {
        const std::string file = savedModel("roundtrip.safetensors");
        const auto a = cm::Model::load(file);
        a.save(path("copy.safetensors").toStdString());
        const auto b = cm::Model::load(path("copy.safetensors").toStdString());
        QCOMPARE(b.card().toMetadata(), a.card().toMetadata());
        const cv::Mat x = randomImage(4);
        QCOMPARE(cv::norm(cm::evaluateModel(a, {x}, 1.0, cm::Conditioning::ofClass(0))[0], cm::evaluateModel(b, {x}, 1.0, cm::Conditioning::ofClass(0))[0],
                          cv::NORM_INF),
                 0.0);
    }

    void halfPrecisionRoundTrip() {
        const auto a = cm::Model::load(savedModel("full.safetensors"));
        a.save(path("half.safetensors").toStdString(), cm::DType::F16);
        const auto halfFile = cm::readSafetensors(path("half.safetensors").toStdString());
        QCOMPARE(halfFile.tensors.at("conv_out.weight").dtype, cm::DType::F16);
        const auto b = cm::Model::load(path("half.safetensors").toStdString());
        const cv::Mat x = randomImage(5);
        const double difference =
            cv::norm(cm::evaluateModel(a, {x}, 1.0)[0], cm::evaluateModel(b, {x}, 1.0)[0], cv::NORM_INF);
        QVERIFY2(difference > 0 && difference < 2e-2, qPrintable(QString::number(difference)));
    }

    void rejectsFilesThatDoNotFitTheArchitecture() {
        const std::string good = savedModel("good.safetensors");
        expectLoadError(
            good, [](cm::SafetensorsFile& f) { f.tensors.erase("conv_in.weight"); }, cm::ErrorKind::Shape,
            "'conv_in.weight' is missing");
        expectLoadError(
            good, [](cm::SafetensorsFile& f) { f.tensors["extra.weight"] = f.tensors.at("conv_in.bias"); },
            cm::ErrorKind::Shape, "'extra.weight'");
        expectLoadError(
            good,
            [](cm::SafetensorsFile& f) {
                auto& r = f.tensors.at("conv_in.bias");
                r.shape = {int64_t(r.bytes.size() / 8), 2};
            },
            cm::ErrorKind::Shape, "'conv_in.bias' has shape");
        // A card that describes a wider network than the weights.
        expectLoadError(
            good,
            [](cm::SafetensorsFile& f) {
                auto card = cm::ModelCard::fromMetadata(f.metadata, "test");
                card.network.baseWidth = 24;
                f.metadata = card.toMetadata();
            },
            cm::ErrorKind::Shape, "the architecture needs");
        expectLoadError(
            good,
            [](cm::SafetensorsFile& f) {
                auto* values = reinterpret_cast<float*>(f.tensors.at("conv_out.bias").bytes.data());
                values[0] = std::nanf("");
            },
            cm::ErrorKind::Numeric, "'conv_out.bias'");
        expectLoadError(
            good, [](cm::SafetensorsFile& f) { f.metadata["c_noise"] = "1000*t"; }, cm::ErrorKind::Format,
            "c_noise");
        // Integer bytes are not weights, however finite they are (I32 was read as garbage floats).
        expectLoadError(
            good, [](cm::SafetensorsFile& f) { f.tensors.at("conv_in.weight").dtype = cm::DType::I32; },
            cm::ErrorKind::Format, "'conv_in.weight' is stored as I32; a weight must be a float type");
        expectLoadError(
            good,
            [](cm::SafetensorsFile& f) {
                auto& r = f.tensors.at("conv_in.bias");
                r.dtype = cm::DType::U8;
                r.bytes.resize(r.bytes.size() / 4);
            },
            cm::ErrorKind::Format, "stored as U8");
        // A shape of 5,000 dimensions is named in one short line.
        expectLoadError(
            good,
            [](cm::SafetensorsFile& f) {
                auto& r = f.tensors.at("conv_in.bias");
                std::vector<int64_t> shape(5000, 1);
                shape.back() = r.elementCount();
                r.shape = shape;
            },
            cm::ErrorKind::Shape, "[1, 1, 1, 1, 1, 1, 1, 1, ... (5000 dimensions)], the architecture needs");
    }

    void parameterCountWithoutBuildingMatchesTheNetwork_data() {
        QTest::addColumn<QString>("json");
        QTest::newRow("tiny unet") << QString::fromStdString(cm::networkConfigToJson(cmtest::tinyUNetCard(cm::ModelKind::Consistency, 3).network));
        QTest::newRow("default 28 px, 10 classes")
            << R"({"type":"unet","image_size":28,"channels":1,"base_width":64,"channel_mult":[1,2,2],"res_blocks":2,"attention_resolutions":[7],"dropout":0,"num_classes":10})";
        QTest::newRow("32 px RGB, two attention levels")
            << R"({"type":"unet","image_size":32,"channels":3,"base_width":32,"channel_mult":[1,2,2,2],"res_blocks":1,"attention_resolutions":[16,8],"dropout":0,"num_classes":0})";
        QTest::newRow("mlp") << R"({"type":"mlp","data_dim":2,"hidden_width":64,"hidden_layers":3,"dropout":0,"num_classes":8})";
        QTest::newRow("adm, classes, scale-shift")
            << R"({"type":"adm_unet","image_size":32,"channels":3,"base_width":32,"channel_mult":[1,2],"res_blocks":1,"attention_resolutions":[16],"head_channels":16,"scale_shift_norm":true,"resblock_updown":true,"dropout":0,"num_classes":10})";
        QTest::newRow("adm, unconditional, convolution resampling")
            << R"({"type":"adm_unet","image_size":32,"channels":3,"base_width":32,"channel_mult":[1,1,2],"res_blocks":2,"attention_resolutions":[32,8],"head_channels":32,"scale_shift_norm":false,"resblock_updown":false,"dropout":0,"num_classes":0})";
    }

    void parameterCountWithoutBuildingMatchesTheNetwork() {
        QFETCH(QString, json);
        cm::ModelCard card = cmtest::tinyUNetCard(cm::ModelKind::Consistency, 0);
        card.network = cm::networkConfigFromJson(json.toStdString(), "test");
        card.classNames.clear();
        for (int c = 0; c < card.network.numClasses; ++c)
            card.classNames.push_back("c" + std::to_string(c));
        QCOMPARE(card.network.parameterCount(), cm::Model::create(card, 1).parameterCount());
    }

    void aSmallFileCannotAskForAHugeNetwork() {
        // The card of a tiny file names a network of billions of weights: refused before it is built.
        const std::string good = savedModel("small.safetensors");
        expectLoadError(
            good,
            [](cm::SafetensorsFile& f) {
                auto card = cm::ModelCard::fromMetadata(f.metadata, "test");
                card.network.baseWidth = 512;
                card.network.channelMult = {2, 2};
                card.network.resBlocks = 8;
                f.metadata = card.toMetadata();
            },
            cm::ErrorKind::Shape, "the network is not built");
    }

    void floatWeightsOfEveryWidthAreAccepted() {
        const std::string good = savedModel("widths.safetensors");
        cm::SafetensorsFile file = cm::readSafetensors(good);
        // conv_in.bias as F64 and BF16: read and converted, not refused.
        auto& bias = file.tensors.at("conv_in.bias");
        const auto* floats = reinterpret_cast<const float*>(bias.bytes.data());
        std::vector<double> wide(floats, floats + bias.elementCount());
        bias.dtype = cm::DType::F64;
        bias.bytes.assign(reinterpret_cast<const uint8_t*>(wide.data()),
                          reinterpret_cast<const uint8_t*>(wide.data() + wide.size()));
        const std::string path = m_dir.filePath("f64.safetensors").toStdString();
        cm::writeSafetensors(path, file);
        QCOMPARE(cm::Model::load(path).card().network.baseWidth, 16);
    }

    void rejectsWrongImageSize() {
        const auto model = cm::Model::load(savedModel("size.safetensors"));
        try {
            cm::evaluateModel(model, {cv::Mat(32, 32, CV_32FC1, cv::Scalar(0))}, 1.0);
            QFAIL("a 32x32 image was accepted by a 28x28 model");
        } catch (const cm::Error& e) {
            QCOMPARE(int(e.kind()), int(cm::ErrorKind::Shape));
            QVERIFY(QString(e.what()).contains("28x28"));
        }
    }
};

QTEST_GUILESS_MAIN(TestModel)
#include "test_model.moc"
