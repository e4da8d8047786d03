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
        const cv::Mat atMin = cm::evaluateModel(model, {x}, sigmaMin, 1).front();
        QCOMPARE(cv::norm(atMin, x, cv::NORM_INF), 0.0); // f(x, sigma_min) = x to the last bit
        // Just above sigma_min the network does contribute: the test would notice an F that is always 0.
        const cv::Mat above = cm::evaluateModel(model, {x}, 0.5, 1).front();
        QVERIFY(cv::norm(above, x, cv::NORM_INF) > 1e-3);
    }

    void saveLoadRoundTripIsExact() {
        const std::string file = savedModel("roundtrip.safetensors");
        const auto a = cm::Model::load(file);
        a.save(path("copy.safetensors").toStdString());
        const auto b = cm::Model::load(path("copy.safetensors").toStdString());
        QCOMPARE(b.card().toMetadata(), a.card().toMetadata());
        const cv::Mat x = randomImage(4);
        QCOMPARE(cv::norm(cm::evaluateModel(a, {x}, 1.0, 0)[0], cm::evaluateModel(b, {x}, 1.0, 0)[0],
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
