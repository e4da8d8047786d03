// Network configurations and model cards: JSON and metadata round trips, and every rejection naming its
// field.
#include "core/error.h"
#include "core/model_card.h"
#include "core/network_config.h"
#include "expect_error.h"

#include <QtTest>

#include <cmath>
#include <functional>
#include <limits>

using namespace cm;

using Mutation = std::function<void(NetworkConfig&)>;
using Metadata = std::map<std::string, std::string>;
using MetadataEdit = std::function<void(Metadata&)>;
Q_DECLARE_METATYPE(Mutation)
Q_DECLARE_METATYPE(MetadataEdit)

namespace {

const std::string kOrigin = "card-test.safetensors";

NetworkConfig customUNet() {
    NetworkConfig c;
    c.type = NetworkType::UNet;
    c.imageSize = 32;
    c.channels = 3;
    c.baseWidth = 64;
    c.channelMult = {1, 2, 2, 2};
    c.resBlocks = 3;
    c.attentionResolutions = {16, 8};
    c.dropout = 0.1;
    c.numClasses = 10;
    return c;
}

NetworkConfig customMlp() {
    NetworkConfig c;
    c.type = NetworkType::Mlp;
    c.dataDim = 3;
    c.hiddenWidth = 256;
    c.hiddenLayers = 4;
    c.dropout = 0.0;
    c.numClasses = 0;
    return c;
}

void compareConfigs(const NetworkConfig& a, const NetworkConfig& b) {
    QCOMPARE(int(a.type), int(b.type));
    QCOMPARE(a.dropout, b.dropout);
    QCOMPARE(a.numClasses, b.numClasses);
    if (a.type == NetworkType::UNet) {
        QCOMPARE(a.imageSize, b.imageSize);
        QCOMPARE(a.channels, b.channels);
        QCOMPARE(a.baseWidth, b.baseWidth);
        QCOMPARE(a.channelMult, b.channelMult);
        QCOMPARE(a.resBlocks, b.resBlocks);
        QCOMPARE(a.attentionResolutions, b.attentionResolutions);
    } else {
        QCOMPARE(a.dataDim, b.dataDim);
        QCOMPARE(a.hiddenWidth, b.hiddenWidth);
        QCOMPARE(a.hiddenLayers, b.hiddenLayers);
    }
}

const std::vector<std::string> kClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

ModelCard sampleCard() {
    ModelCard card;
    card.kind = ModelKind::Consistency;
    card.network = NetworkConfig{};
    card.network.numClasses = 10;
    card.noise.sigmaMin = 0.002;
    card.noise.sigmaMax = 80.0;
    card.noise.sigmaData = 1.0 / 3.0; // needs all 17 digits to round-trip
    card.noise.rho = 0.1 + 0.2;       // 0.30000000000000004
    card.recipe = "ict";
    card.trainingJson = R"({"lr":0.0002,"batch":128})";
    card.dataset = "Fashion-MNIST train (60000 images)";
    card.trainingSteps = 123456;
    card.classNames = kClasses;
    card.notes = "licence MIT; FID 12.3 \xe2\x80\x94 measured";
    return card;
}

using cmtest::expectError;

} // namespace

class TestModelCard : public QObject {
    Q_OBJECT

  private slots:
    void defaultConfigIsValid() {
        NetworkConfig{}.validate();
        customUNet().validate();
        customMlp().validate();
        QCOMPARE(NetworkConfig{}.itemShape(), (std::vector<long>{1, 28, 28}));
        QCOMPARE(customMlp().itemShape(), std::vector<long>{3});
    }

    void configJsonRoundTrip_data() {
        QTest::addColumn<int>("which");
        QTest::newRow("default unet") << 0;
        QTest::newRow("custom unet") << 1;
        QTest::newRow("mlp") << 2;
    }
    void configJsonRoundTrip() {
        QFETCH(int, which);
        const NetworkConfig config = which == 0 ? NetworkConfig{} : which == 1 ? customUNet() : customMlp();
        const std::string json = networkConfigToJson(config);
        compareConfigs(config, networkConfigFromJson(json, kOrigin));
        QVERIFY(QString::fromStdString(json).contains(which == 2 ? "\"mlp\"" : "\"unet\""));
    }

    void validateRejects_data() {
        QTest::addColumn<Mutation>("mutate");
        QTest::addColumn<QString>("field");
        const auto row = [](const char* name, const char* field, Mutation m) {
            QTest::newRow(name) << m << QString(field);
        };
        row("image_size small", "image_size", [](NetworkConfig& c) { c.imageSize = 27; });
        row("image_size large", "image_size", [](NetworkConfig& c) { c.imageSize = 512; });
        row("image_size odd level", "image_size", [](NetworkConfig& c) { c.imageSize = 30; });
        row("image_size too many levels", "image_size", [](NetworkConfig& c) {
            c.imageSize = 32;
            c.channelMult = {1, 1, 1, 1, 1, 1, 1};
            c.attentionResolutions = {};
        });
        row("channels", "channels", [](NetworkConfig& c) { c.channels = 2; });
        row("base_width small", "base_width", [](NetworkConfig& c) { c.baseWidth = 4; });
        row("base_width large", "base_width", [](NetworkConfig& c) { c.baseWidth = 1025; });
        row("channel_mult empty", "channel_mult", [](NetworkConfig& c) { c.channelMult = {}; });
        row("channel_mult zero", "channel_mult", [](NetworkConfig& c) { c.channelMult = {1, 0, 2}; });
        row("channel_mult 17", "channel_mult", [](NetworkConfig& c) { c.channelMult = {1, 17, 2}; });
        row("res_blocks zero", "res_blocks", [](NetworkConfig& c) { c.resBlocks = 0; });
        row("res_blocks nine", "res_blocks", [](NetworkConfig& c) { c.resBlocks = 9; });
        row("attention not a resolution", "attention_resolutions",
            [](NetworkConfig& c) { c.attentionResolutions = {5}; });
        row("attention below the last level", "attention_resolutions", [](NetworkConfig& c) {
            c.attentionResolutions = {14, 3};
        });
        row("dropout negative", "dropout", [](NetworkConfig& c) { c.dropout = -0.1; });
        row("dropout one", "dropout", [](NetworkConfig& c) { c.dropout = 1.0; });
        row("dropout NaN", "dropout",
            [](NetworkConfig& c) { c.dropout = std::numeric_limits<double>::quiet_NaN(); });
        row("num_classes negative", "num_classes", [](NetworkConfig& c) { c.numClasses = -1; });
        row("num_classes large", "num_classes", [](NetworkConfig& c) { c.numClasses = 10001; });
        const auto mlp = [](void (*edit)(NetworkConfig&)) {
            return Mutation([edit](NetworkConfig& c) {
                c = customMlp();
                edit(c);
            });
        };
        row("mlp data_dim zero", "data_dim", mlp([](NetworkConfig& c) { c.dataDim = 0; }));
        row("mlp data_dim large", "data_dim", mlp([](NetworkConfig& c) { c.dataDim = 4097; }));
        row("mlp hidden_width small", "hidden_width", mlp([](NetworkConfig& c) { c.hiddenWidth = 7; }));
        row("mlp hidden_width large", "hidden_width", mlp([](NetworkConfig& c) { c.hiddenWidth = 8193; }));
        row("mlp hidden_layers zero", "hidden_layers", mlp([](NetworkConfig& c) { c.hiddenLayers = 0; }));
        row("mlp hidden_layers 17", "hidden_layers", mlp([](NetworkConfig& c) { c.hiddenLayers = 17; }));
        row("mlp dropout", "dropout", mlp([](NetworkConfig& c) { c.dropout = 2.0; }));
    }
    void validateRejects() {
        QFETCH(Mutation, mutate);
        QFETCH(QString, field);
        NetworkConfig config;
        mutate(config);
        const Error e = expectError([&] { config.validate(); });
        QCOMPARE(int(e.kind()), int(ErrorKind::InvalidArgument));
        QVERIFY2(QString(e.what()).contains(field), e.what());

        // The same configuration read from a file is a format error naming the file and the field.
        const Error fromFile =
            expectError([&] { networkConfigFromJson(networkConfigToJson(config), kOrigin); });
        QCOMPARE(int(fromFile.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(fromFile.what()).contains(field), fromFile.what());
        QVERIFY2(QString(fromFile.what()).contains(QString::fromStdString(kOrigin)), fromFile.what());
    }

    void validateAcceptsTheDeepestPyramid() {
        NetworkConfig c;
        c.imageSize = 256;
        c.channelMult = std::vector<int>(9, 1); // 256 -> 1
        c.attentionResolutions = {1, 16};
        c.validate();
    }

    void configFromJsonRejects_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("not JSON") << "{\"type\": "
                                  << "not valid JSON";
        QTest::newRow("array") << "[]"
                               << "JSON object";
        QTest::newRow("missing type") << "{}"
                                      << "\"type\"";
        QTest::newRow("unknown type") << R"({"type": "gan"})"
                                      << "gan";
        QTest::newRow("missing res_blocks")
            << R"({"type":"unet","image_size":28,"channels":1,"base_width":32,"channel_mult":[1,2,2],)"
               R"("attention_resolutions":[7],"dropout":0,"num_classes":0})"
            << "\"res_blocks\"";
        QTest::newRow("channels as string")
            << R"({"type":"unet","image_size":28,"channels":"1","base_width":32,"channel_mult":[1,2,2],)"
               R"("res_blocks":2,"attention_resolutions":[7],"dropout":0,"num_classes":0})"
            << "\"channels\"";
        QTest::newRow("fractional width")
            << R"({"type":"unet","image_size":28,"channels":1,"base_width":32.5,"channel_mult":[1,2,2],)"
               R"("res_blocks":2,"attention_resolutions":[7],"dropout":0,"num_classes":0})"
            << "\"base_width\"";
        QTest::newRow("channel_mult entry string")
            << R"({"type":"unet","image_size":28,"channels":1,"base_width":32,"channel_mult":[1,"2",2],)"
               R"("res_blocks":2,"attention_resolutions":[7],"dropout":0,"num_classes":0})"
            << "\"channel_mult\" entry 1";
        QTest::newRow("huge integer")
            << R"({"type":"mlp","data_dim":99999999999,"hidden_width":64,"hidden_layers":2,"dropout":0,)"
               R"("num_classes":0})"
            << "\"data_dim\"";
        QTest::newRow("dropout string")
            << R"({"type":"mlp","data_dim":2,"hidden_width":64,"hidden_layers":2,"dropout":"0",)"
               R"("num_classes":0})"
            << "\"dropout\"";
    }
    void configFromJsonRejects() {
        QFETCH(QString, json);
        QFETCH(QString, phrase);
        const Error e = expectError([&] { networkConfigFromJson(json.toStdString(), kOrigin); });
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(QString(e.what()).contains(phrase), e.what());
        QVERIFY2(QString(e.what()).contains(QString::fromStdString(kOrigin)), e.what());
    }

    // Images per evaluation from the activations' size: the small networks batch 64, the published 64 px
    // network tens, the 256 px one a single image (its activations alone are ~0.7 GB per image).
    void defaultBatchSizeFollowsTheActivations() {
        QCOMPARE(cm::NetworkConfig().defaultBatchSize(), 64);
        cm::NetworkConfig imagenet = cm::networkConfigFromJson(
            R"({"type":"adm_unet","image_size":64,"channels":3,"base_width":192,"channel_mult":[1,2,3,4],"res_blocks":3,"attention_resolutions":[32,16,8],"head_channels":64,"scale_shift_norm":true,"resblock_updown":true,"dropout":0,"num_classes":1000})",
            "test");
        const int imagenetBatch = imagenet.defaultBatchSize();
        QVERIFY2(imagenetBatch >= 8 && imagenetBatch <= 40, qPrintable(QString::number(imagenetBatch)));
        cm::NetworkConfig lsun = cm::networkConfigFromJson(
            R"({"type":"adm_unet","image_size":256,"channels":3,"base_width":256,"channel_mult":[1,1,2,2,4,4],"res_blocks":2,"attention_resolutions":[32,16,8],"head_channels":64,"scale_shift_norm":false,"resblock_updown":true,"dropout":0,"num_classes":0})",
            "test");
        QCOMPARE(lsun.defaultBatchSize(), 1);
        cm::NetworkConfig points;
        points.type = cm::NetworkType::Mlp;
        QCOMPARE(points.defaultBatchSize(), 64);
    }

    void modelKindNames() {
        QCOMPARE(QString(modelKindName(ModelKind::Consistency)), QString("consistency"));
        QCOMPARE(QString(modelKindName(ModelKind::EdmDenoiser)), QString("edm-denoiser"));
    }

    void metadataHasTheDocumentedKeys() {
        const Metadata m = sampleCard().toMetadata();
        QCOMPARE(m.at("format"), std::string("cmstudio-model"));
        QCOMPARE(m.at("format_version"), std::string("1"));
        QCOMPARE(m.at("kind"), std::string("consistency"));
        QCOMPARE(m.at("c_noise"), std::string(kCNoiseConvention));
        QCOMPARE(m.at("sigma_min"), std::string("0.002"));
        QCOMPARE(m.at("sigma_max"), std::string("80"));
        QCOMPARE(m.at("rho"), std::string("0.30000000000000004"));
        QCOMPARE(m.at("training_steps"), std::string("123456"));
        for (const char* key : {"network", "sigma_data", "recipe", "training", "dataset", "classes", "notes"})
            QVERIFY2(m.count(key) == 1, key);
    }

    void metadataRoundTrip_data() {
        QTest::addColumn<int>("kind");
        QTest::newRow("consistency") << int(ModelKind::Consistency);
        QTest::newRow("edm-denoiser") << int(ModelKind::EdmDenoiser);
    }
    void metadataRoundTrip() {
        QFETCH(int, kind);
        ModelCard card = sampleCard();
        card.kind = ModelKind(kind);
        const ModelCard back = ModelCard::fromMetadata(card.toMetadata(), kOrigin);
        QCOMPARE(int(back.kind), kind);
        compareConfigs(card.network, back.network);
        QCOMPARE(back.noise.sigmaMin, card.noise.sigmaMin);
        QCOMPARE(back.noise.sigmaMax, card.noise.sigmaMax);
        QCOMPARE(back.noise.sigmaData, card.noise.sigmaData); // exact, not fuzzy
        QCOMPARE(back.noise.rho, card.noise.rho);
        QCOMPARE(back.cNoise, card.cNoise);
        QCOMPARE(back.recipe, card.recipe);
        QCOMPARE(back.trainingJson, card.trainingJson);
        QCOMPARE(back.dataset, card.dataset);
        QCOMPARE(back.trainingSteps, card.trainingSteps);
        QCOMPARE(back.classNames, card.classNames);
        QCOMPARE(back.notes, card.notes);
    }

    void optionalKeysHaveDefaults() {
        Metadata m = sampleCard().toMetadata();
        for (const char* key : {"notes", "dataset", "recipe", "training", "training_steps"})
            m.erase(key);
        const ModelCard card = ModelCard::fromMetadata(m, kOrigin);
        QCOMPARE(card.notes, std::string());
        QCOMPARE(card.dataset, std::string());
        QCOMPARE(card.recipe, std::string());
        QCOMPARE(card.trainingJson, std::string("{}"));
        QCOMPARE(card.trainingSteps, 0L);
    }

    void unconditionalModelNeedsNoClasses() {
        ModelCard card = sampleCard();
        card.network.numClasses = 0;
        card.classNames.clear();
        QVERIFY(ModelCard::fromMetadata(card.toMetadata(), kOrigin).classNames.empty());
    }

    void fromMetadataRejects_data() {
        QTest::addColumn<MetadataEdit>("edit");
        QTest::addColumn<QStringList>("phrases");
        const auto set = [](const char* key, const char* value) {
            return MetadataEdit([key, value](Metadata& m) { m[key] = value; });
        };
        const auto erase = [](const char* key) { return MetadataEdit([key](Metadata& m) { m.erase(key); }); };
        QTest::newRow("wrong format") << set("format", "diffusers") << QStringList{"\"format\"", "diffusers"};
        QTest::newRow("newer version") << set("format_version", "2") << QStringList{"format_version", "2"};
        QTest::newRow("unknown kind") << set("kind", "gan") << QStringList{"\"kind\"", "gan"};
        QTest::newRow("other c_noise") << set("c_noise", "1000*0.25*ln(sigma)")
                                       << QStringList{"1000*0.25*ln(sigma)", "\"0.25*ln(sigma)\""};
        for (const char* key : {"format", "format_version", "kind", "network", "sigma_min", "sigma_max",
                                "sigma_data", "rho", "c_noise", "classes"})
            QTest::newRow(qPrintable(QString("missing ") + key)) << erase(key) << QStringList{"missing", key};
        QTest::newRow("80x") << set("sigma_max", "80x") << QStringList{"\"sigma_max\"", "80x"};
        QTest::newRow("leading space") << set("sigma_min", " 0.002") << QStringList{"\"sigma_min\""};
        QTest::newRow("empty number") << set("rho", "") << QStringList{"\"rho\""};
        QTest::newRow("nan") << set("rho", "nan") << QStringList{"\"rho\"", "nan"};
        QTest::newRow("inf") << set("sigma_max", "inf") << QStringList{"\"sigma_max\""};
        QTest::newRow("out of range") << set("sigma_max", "1e999") << QStringList{"\"sigma_max\""};
        QTest::newRow("sigma_min zero")
            << set("sigma_min", "0") << QStringList{"\"sigma_min\"", "[1e-06, 10]"};
        QTest::newRow("sigma_max below sigma_min")
            << set("sigma_max", "0.001") << QStringList{"\"sigma_max\""};
        QTest::newRow("sigma_max equals sigma_min")
            << set("sigma_max", "0.002") << QStringList{"\"sigma_max\""};
        QTest::newRow("sigma_data negative") << set("sigma_data", "-0.5") << QStringList{"\"sigma_data\""};
        QTest::newRow("rho zero") << set("rho", "0") << QStringList{"\"rho\""};
        QTest::newRow("class count mismatch") << set("classes", R"(["a","b","c","d","e","f","g","h","i"])")
                                              << QStringList{"\"classes\"", "9", "10"};
        QTest::newRow("classes not strings") << set("classes", "[1, 2]") << QStringList{"\"classes\""};
        QTest::newRow("classes not JSON") << set("classes", "T-shirt, Trouser") << QStringList{"\"classes\""};
        QTest::newRow("classes an object") << set("classes", "{}") << QStringList{"\"classes\""};
        QTest::newRow("network not JSON") << set("network", "unet") << QStringList{"network"};
        QTest::newRow("network invalid")
            << set("network", R"({"type":"mlp","data_dim":0,"hidden_width":64,"hidden_layers":2,"dropout":0,)"
                              R"("num_classes":10})")
            << QStringList{"data_dim"};
        QTest::newRow("training_steps negative")
            << set("training_steps", "-5") << QStringList{"training_steps"};
        QTest::newRow("training_steps text")
            << set("training_steps", "12abc") << QStringList{"training_steps"};
        QTest::newRow("training not an object") << set("training", "[1]") << QStringList{"\"training\""};

        // Hostile cards: found by a corrupt-file campaign and fuzzing.
        const auto setText = [](const char* key, std::string value) {
            return MetadataEdit([key, value](Metadata& m) { m[key] = value; });
        };
        const std::string deep = std::string(80000, '[') + std::string(80000, ']');
        const std::string unet =
            R"({"type":"unet","image_size":28,"channels":1,"base_width":32,"channel_mult":[1,2,2],)"
            R"("res_blocks":2,"attention_resolutions":[7],"dropout":0,"num_classes":10})";
        QTest::newRow("classes: a number beyond double")
            << set("classes", R"(["a",1e400])") << QStringList{"\"classes\"", "1e400"};
        QTest::newRow("classes nested 80,000 deep")
            << setText("classes", deep) << QStringList{"\"classes\"", "nested deeper"};
        QTest::newRow("classes: an entry nested 60 deep")
            << setText("classes", "[" + std::string(60, '[') + std::string(60, ']') + "]")
            << QStringList{"\"classes\"", "an array of 1 values"};
        QTest::newRow("network value nested 80,000 deep")
            << setText("network", R"({"type":"unet","image_size":)" + deep + "}")
            << QStringList{"network", "nested deeper"};
        QTest::newRow("network value nested 60 deep")
            << setText("network",
                       R"({"type":"unet","image_size":)" + std::string(60, '[') + std::string(60, ']') + "}")
            << QStringList{"\"image_size\"", "an array of 1 values"};
        QTest::newRow("network type nested 60 deep")
            << setText("network", R"({"type":)" + std::string(60, '[') + std::string(60, ']') + "}")
            << QStringList{"\"type\"", "an array of 1 values"};
        QTest::newRow("network: a key twice")
            << setText("network", unet.substr(0, unet.size() - 1) + R"(,"channels":3})")
            << QStringList{"\"channels\" occurs twice"};
        QTest::newRow("training nested 80,000 deep")
            << setText("training", "{\"a\":" + deep + "}") << QStringList{"\"training\"", "nested deeper"};
        QTest::newRow("sigma_max 1e300")
            << set("sigma_max", "1e300") << QStringList{"\"sigma_max\"", "10000"};
        QTest::newRow("sigma_data 1e300")
            << set("sigma_data", "1e300") << QStringList{"\"sigma_data\"", "[0.001, 100]"};
        QTest::newRow("sigma_data 1e-300") << set("sigma_data", "1e-300") << QStringList{"\"sigma_data\""};
        QTest::newRow("rho 1e300") << set("rho", "1e300") << QStringList{"\"rho\""};
        QTest::newRow("sigma_min 1e-300") << set("sigma_min", "1e-300") << QStringList{"\"sigma_min\""};
        QTest::newRow("10 MB format")
            << setText("format", std::string(10 << 20, 'f')) << QStringList{"\"format\"", "(10485760 bytes)"};
        QTest::newRow("10 MB sigma") << setText("sigma_min", std::string(10 << 20, '9'))
                                     << QStringList{"\"sigma_min\"", "bytes)"};
        QTest::newRow("escape sequences in format")
            << set("format", "\x1b[2J\x1b]0;owned\x07\ncmstudio-model")
            << QStringList{"\\x1b[2J\\x1b]0;owned\\x07\\ncmstudio-model"};
        QTest::newRow("newline in kind")
            << set("kind", "consistency\nEDM") << QStringList{"consistency\\nEDM"};
        // Found by fuzz_model_card: a float far beyond int reached an int conversion (undefined behaviour),
        // and a Karras grid of 2^31 points would have been allocated.
        QTest::newRow("recommended ts 3.9e70")
            << set("recommended_schedule", R"({"ts":[0,22,3.9e70],"steps":40})")
            << QStringList{"\"recommended_schedule\" ts entry", "3.9e+70"};
        QTest::newRow("recommended steps 2^31")
            << set("recommended_schedule", R"({"ts":[0],"steps":2147483647})")
            << QStringList{"\"recommended_schedule\" steps", "2..100000"};
        QTest::newRow("recommended heun_points text")
            << set("recommended_schedule", R"({"heun_points":"18"})") << QStringList{"heun_points"};
    }
    void fromMetadataRejects() {
        QFETCH(MetadataEdit, edit);
        QFETCH(QStringList, phrases);
        Metadata m = sampleCard().toMetadata();
        edit(m);
        const Error e = expectError([&] { ModelCard::fromMetadata(m, kOrigin); });
        const QString message = QString::fromUtf8(e.what());
        QCOMPARE(int(e.kind()), int(ErrorKind::Format));
        QVERIFY2(message.startsWith(QString::fromStdString(kOrigin)), qPrintable(message.left(300)));
        for (const QString& phrase : phrases)
            QVERIFY2(message.contains(phrase), qPrintable(message.left(300)));
        // One short line whatever the file holds.
        QVERIFY2(message.size() < 400, qPrintable(message.left(300)));
        for (const QChar c : message)
            QVERIFY2(c.unicode() >= 0x20, qPrintable(message));
    }

    void constantsAtTheLimitsAreAccepted() {
        Metadata m = sampleCard().toMetadata();
        m["sigma_min"] = "1e-6";
        m["sigma_max"] = "10000";
        m["sigma_data"] = "100";
        m["rho"] = "100";
        const ModelCard card = ModelCard::fromMetadata(m, kOrigin);
        QCOMPARE(card.noise.sigmaMax, 10000.0);
    }

    void describeEscapesAndBoundsTheCardsText() {
        ModelCard card = sampleCard();
        card.notes = "\x1b]0;title\x07\x1b[2Jline one\nline two \xe2\x80\xae reversed";
        card.dataset = std::string(10 << 20, 'd');
        card.classNames[3] = "Dress\r\x1b[1A";
        const std::string text = card.describe();
        QVERIFY2(text.size() < 8000, qPrintable(QString::number(text.size())));
        const QString described = QString::fromStdString(text);
        QVERIFY2(described.contains(
                     "Notes: \\x1b]0;title\\x07\\x1b[2Jline one\\nline two \\xe2\\x80\\xae reversed\n"),
                 qPrintable(described));
        QVERIFY2(described.contains("Dress\\r\\x1b[1A"), qPrintable(described));
        QVERIFY2(described.contains("(10485760 bytes)"), qPrintable(described.left(300)));
        for (const QChar c : described)
            QVERIFY2(c.unicode() >= 0x20 || c == '\n', qPrintable(described));
    }

    void describeMentionsTheEssentials() {
        const QString text = QString::fromStdString(sampleCard().describe());
        for (const char* phrase :
             {"Consistency", "U-Net", "28x28", "greyscale", "Classes: 10", "T-shirt/top", "Ankle boot", "ict",
              "123456", "Fashion-MNIST train", "0.002", "80", "licence MIT"})
            QVERIFY2(text.contains(phrase), qPrintable(phrase + QString(" missing from:\n") + text));
        QVERIFY(text.count('\n') >= 6);

        ModelCard edm = sampleCard();
        edm.kind = ModelKind::EdmDenoiser;
        edm.network = customMlp();
        const QString edmText = QString::fromStdString(edm.describe());
        QVERIFY2(edmText.contains("EDM denoiser") && edmText.contains("MLP") &&
                     edmText.contains("unconditional"),
                 qPrintable(edmText));
    }
};

QTEST_APPLESS_MAIN(TestModelCard)
#include "test_model_card.moc"
