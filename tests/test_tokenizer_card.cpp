// Tokenizer cards: the bit-rate presets, the metadata round trip, and malformed or foreign cards refused
// with an error that names the field (a generator's card given as a tokenizer, and the reverse).
#include "core/error.h"
#include "core/model_card.h"
#include "core/tokenizer/tokenizer_card.h"
#include "expect_error.h"

#include <QtTest>

using cm::TokenizerCard;

namespace {

QString formatError(const std::map<std::string, std::string>& metadata) {
    const auto error = cmtest::expectError([&] { TokenizerCard::fromMetadata(metadata, "t.safetensors"); });
    if (error.kind() != cm::ErrorKind::Format) return "not a format error: " + QString(error.what());
    return QString::fromStdString(error.what());
}

} // namespace

class TestTokenizerCard : public QObject {
    Q_OBJECT

  private slots:
    void presetsGiveThePapersBitRates() {
        const auto lo = cm::tokenizerPreset("lo", 28, 1), hi = cm::tokenizerPreset("hi", 28, 1);
        QCOMPARE(lo.codeBits(), 55);
        QCOMPARE(hi.codeBits(), 176);
        QVERIFY(std::abs(lo.bitsPerPixel() - 0.0702) < 1e-3);
        QVERIFY(std::abs(hi.bitsPerPixel() - 0.2245) < 1e-3);
        QCOMPARE(cm::tokenizerPreset("lo", 32, 3).codeBits(), 77);
        QCOMPARE(cm::tokenizerPreset("hi", 32, 3).codeBits(), 220);
        QVERIFY(lo.decoderWidth > lo.encoderWidth || lo.decoderDepth > lo.encoderDepth);
        QCOMPARE(cmtest::expectError([] { cm::tokenizerPreset("mid", 28, 1); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    void metadataRoundTrip() {
        TokenizerCard card;
        card.config = cm::tokenizerPreset("hi", 32, 3);
        card.stages = {"1a", "1b"};
        card.sampling.steps = 12;
        card.sampling.guidance = {2.0, 0.1, 0.4};
        card.dataset = "Noto emoji";
        card.classNames = {"a", "b"};
        card.trainingSteps = 42;
        card.licence = "OFL";
        const auto back = TokenizerCard::fromMetadata(card.toMetadata(), "t");
        QCOMPARE(back.config.codeBits(), 220);
        QCOMPARE(cm::tokenizerConfigToJson(back.config), cm::tokenizerConfigToJson(card.config));
        QCOMPARE(back.stages, card.stages);
        QCOMPARE(back.sampling.steps, 12);
        QCOMPARE(back.sampling.guidance.weight, 2.0);
        QCOMPARE(back.sampling.guidance.high, 0.4);
        QCOMPARE(back.classNames, card.classNames);
        QCOMPARE(back.trainingSteps, 42L);
        QCOMPARE(back.licence, std::string("OFL"));
        QVERIFY(QString::fromStdString(back.describe()).contains("220 bits"));
    }

    void malformedCardsAreRefused() {
        const auto good = TokenizerCard{}.toMetadata();
        auto changed = [&](const std::string& key, const std::string& value) {
            auto m = good;
            m[key] = value;
            return m;
        };
        QVERIFY(formatError(changed("code_bits", "56")).contains("\"code_bits\" is 56"));
        QVERIFY(formatError(changed("parameterisation", "eps")).contains("parameterisation"));
        QVERIFY(formatError(changed("family", "vqgan")).contains("family"));
        QVERIFY(formatError(changed("format_version", "9")).contains("format_version"));
        QVERIFY(formatError(changed("stages", "[\"2\"]")).contains("unknown stage"));
        QVERIFY(formatError(changed("sampling", "{\"steps\":0}")).contains("\"steps\""));
        QVERIFY(formatError(changed("tokenizer", "{\"image_size\": 1e300}")).contains("image_size"));
        auto patch = changed("tokenizer", cm::tokenizerConfigToJson(cm::TokenizerConfig{}));
        patch["tokenizer"] = "{\"image_size\":28,\"channels\":1,\"patch_size\":5,\"tokens\":5,\"bits_per_token\":11,"
                             "\"entropy_group_bits\":11,\"encoder_width\":64,\"encoder_depth\":2,\"decoder_width\":96,"
                             "\"decoder_depth\":4,\"heads\":4,\"time_scale\":1000,\"flow_sigma_data\":0.5}";
        QVERIFY(formatError(patch).contains("not divisible"));
        auto missing = good;
        missing.erase("sampling");
        QVERIFY(formatError(missing).contains("sampling"));
    }

    // A generator's card where a tokenizer is expected, and the reverse: one line that says what the file is.
    void foreignCardsAreNamed() {
        cm::ModelCard model;
        QVERIFY(formatError(model.toMetadata()).contains("image generator"));
        const auto error =
            cmtest::expectError([] { cm::ModelCard::fromMetadata(TokenizerCard{}.toMetadata(), "t.safetensors"); });
        QCOMPARE(error.kind(), cm::ErrorKind::Format);
        QVERIFY2(QString(error.what()).contains("this is a tokenizer"), error.what());
    }
};

QTEST_APPLESS_MAIN(TestTokenizerCard)
#include "test_tokenizer_card.moc"
