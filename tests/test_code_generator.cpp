// FlowMo's stage 2 (core/tokenizer/code_generator.h, code_generator_trainer.h): the generator's samples are
// valid codes of the right length, seeded per code; trained on a tiny set of two classes it reproduces the
// class-conditional bit statistics (and a dependence between bits) far better than uniform bits; an
// interrupted run resumes to the same weights; bad input (a tokenizer file where a generator is expected and
// the reverse, a bad class, a wrong code length) is a typed one-line error.
#include "core/error.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/code_generator_trainer.h"
#include "core/tokenizer/tokenizer.h"
#include "expect_error.h"
#include "tokenizer_fixtures.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <random>

namespace {

constexpr int kBits = 12;

// Class c's bit i is 1 with probability kP[c][i], except bit 1, which copies bit 0.
constexpr double kP[2][kBits] = {{0.9, 0, 0.1, 0.9, 0.1, 0.9, 0.5, 0.1, 0.1, 0.9, 0.9, 0.2},
                                 {0.1, 0, 0.9, 0.1, 0.9, 0.1, 0.5, 0.9, 0.9, 0.1, 0.2, 0.9}};

cm::CodeSet tinyCodes(int perClass) {
    cm::CodeSet set;
    set.classNames = {"a", "b"};
    set.description = "two classes of 12-bit codes";
    std::mt19937 random(5);
    std::uniform_real_distribution<double> u(0, 1);
    for (int c = 0; c < 2; ++c)
        for (int n = 0; n < perClass; ++n) {
            cm::TokenCode code;
            for (int i = 0; i < kBits; ++i)
                code.bits.push_back(i == 1 ? code.bits[0] : uint8_t(u(random) < kP[c][i]));
            set.codes.push_back(code);
            set.labels.push_back(c);
        }
    return set;
}

QByteArray fileBytes(const std::string& path) {
    QFile file(QString::fromStdString(path));
    file.open(QIODevice::ReadOnly);
    return file.readAll();
}

} // namespace

class TestCodeGenerator : public QObject {
    Q_OBJECT
  private slots:
    void samplesAreValidSeededCodes() {
        cm::CodeGeneratorCard card;
        card.config.codeBits = 55;
        card.config.classes = 10;
        card.config.width = 64;
        const auto generator = cm::CodeGenerator::create(card, 1);
        const auto codes = generator.sample(3, 5, 7);
        QCOMPARE(codes.size(), std::size_t(5));
        for (const auto& code : codes) {
            QCOMPARE(code.bitCount(), 55);
            for (auto bit : code.bits)
                QVERIFY(bit == 0 || bit == 1);
            QCOMPARE(cm::codeFromHex(cm::codeToHex(code), 55, "test"), code);
        }
        // Code j depends on its own seed only.
        QCOMPARE(generator.sample(3, 1, 9)[0], codes[2]);
        QVERIFY(!(generator.sample(3, 1, 8)[0] == codes[2]));
        QVERIFY(std::isfinite(generator.bitsPerCode(codes, {3, 3, 3, 3, 3})));
    }

    void reproducesTheClassConditionalBitStatistics() {
        QTemporaryDir dir;
        const auto data = tinyCodes(400);
        const auto summary = cm::trainCodeGenerator(cmtest::tinyCodeGeneratorParams(dir, "g.safetensors", 1000), data);
        QCOMPARE(summary.steps, 1000L);
        const auto generator = cm::CodeGenerator::load(dir.filePath("g.safetensors").toStdString());
        QCOMPARE(generator.card().config.classes, 2);
        QCOMPARE(generator.card().classNames, (std::vector<std::string>{"a", "b"}));
        for (int c = 0; c < 2; ++c) {
            const auto codes = generator.sample(c, 600, 1000 * uint64_t(c));
            double error = 0, uniformError = 0;
            long copies = 0;
            for (int i = 0; i < kBits; ++i) {
                if (i == 1) continue;
                double ones = 0;
                for (const auto& code : codes)
                    ones += code.bits[std::size_t(i)];
                error += std::abs(ones / double(codes.size()) - kP[c][i]);
                uniformError += std::abs(0.5 - kP[c][i]);
            }
            for (const auto& code : codes)
                copies += code.bits[0] == code.bits[1] ? 1 : 0;
            QVERIFY2(error < 0.2 * uniformError, qPrintable(QString("class %1: error %2 vs uniform bits' %3")
                                                                .arg(c).arg(error).arg(uniformError)));
            // Bit 1 copies bit 0 in the data: an autoregressive model learns it (uniform bits agree half the time).
            QVERIFY2(copies > 0.9 * double(codes.size()), qPrintable(QString("copies %1 of 600").arg(copies)));
        }
        // The likelihood of the data under the model is far below 11 bits per code (uniform: 12, the bit-1 copy
        // is free in the data: its entropy is about 6.5 bits per code).
        const double bits = generator.bitsPerCode(data.codes, data.labels);
        QVERIFY2(bits < 8.5, qPrintable(QString::number(bits)));
    }

    void resumesToTheSameWeights() {
        QTemporaryDir dir;
        const auto data = tinyCodes(50);
        cm::trainCodeGenerator(cmtest::tinyCodeGeneratorParams(dir, "whole.safetensors", 30), data);
        std::atomic<bool> cancel{false};
        auto params = cmtest::tinyCodeGeneratorParams(dir, "parts.safetensors", 30);
        const auto first = cm::trainCodeGenerator(params, data, [&](long step, long, double) {
            if (step == 15) cancel = true;
        }, &cancel);
        QVERIFY(first.cancelled);
        QCOMPARE(first.steps, 15L);
        params.resume = true;
        const auto second = cm::trainCodeGenerator(params, data);
        QCOMPARE(second.steps, 30L);
        QCOMPARE(fileBytes(params.outputPath), fileBytes(dir.filePath("whole.safetensors").toStdString()));
        // The log holds every row once.
        QCOMPARE(QString(fileBytes(params.outputPath + ".csv")).trimmed().split('\n').size(), 1 + 3);
        // Existing run files are not overwritten.
        params.resume = false;
        QCOMPARE(cmtest::expectError([&] { cm::trainCodeGenerator(params, data); }).kind(), cm::ErrorKind::InvalidArgument);
    }

    void badInputIsATypedError() {
        QTemporaryDir dir;
        cm::TokenizerCard tokenizerCard;
        tokenizerCard.config = cm::tokenizerPreset("lo", 16, 1);
        tokenizerCard.config.encoderWidth = tokenizerCard.config.decoderWidth = 16;
        tokenizerCard.config.encoderDepth = tokenizerCard.config.decoderDepth = 1;
        tokenizerCard.config.heads = 2;
        tokenizerCard.stages = {"1a"};
        const std::string tokenizer = dir.filePath("tok.safetensors").toStdString();
        cm::Tokenizer::create(tokenizerCard, 0).save(tokenizer);
        const auto asGenerator = cmtest::expectError([&] { cm::CodeGenerator::load(tokenizer); });
        QCOMPARE(asGenerator.kind(), cm::ErrorKind::Format);
        QVERIFY2(QString(asGenerator.what()).contains("this is a CM Studio tokenizer, not a code generator"), asGenerator.what());
        QVERIFY(!QString(asGenerator.what()).contains('\n'));

        cm::CodeGeneratorCard card;
        card.config.codeBits = tokenizerCard.config.codeBits();
        card.config.width = 32;
        const std::string generatorPath = dir.filePath("gen.safetensors").toStdString();
        const auto generator = cm::CodeGenerator::create(card, 0);
        generator.save(generatorPath);
        const auto asTokenizer = cmtest::expectError([&] { cm::Tokenizer::load(generatorPath); });
        QCOMPARE(asTokenizer.kind(), cm::ErrorKind::Format);
        QVERIFY2(QString(asTokenizer.what()).contains("code generator (stage 2), not a tokenizer"), asTokenizer.what());

        QCOMPARE(cmtest::expectError([&] { generator.sample(1, 1, 0); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([&] { generator.sample(0, 0, 0); }).kind(), cm::ErrorKind::InvalidArgument);
        QCOMPARE(cmtest::expectError([&] { generator.bitsPerCode({cm::TokenCode{{1, 0}}}, {0}); }).kind(),
                 cm::ErrorKind::InvalidArgument);
        card.config.width = 4; // fewer hidden units than bit positions
        QCOMPARE(cmtest::expectError([&] { cm::CodeGenerator::create(card, 0); }).kind(), cm::ErrorKind::InvalidArgument);
        // A damaged card: a field out of range is a format error naming it.
        auto metadata = generator.card().toMetadata();
        metadata["code_generator"] = "{\"code_bits\":22,\"classes\":0,\"width\":32,\"depth\":2}";
        const auto damaged = cmtest::expectError([&] { cm::CodeGeneratorCard::fromMetadata(metadata, "x"); });
        QVERIFY2(QString(damaged.what()).contains("\"classes\""), damaged.what());
    }
};

QTEST_MAIN(TestCodeGenerator)
#include "test_code_generator.moc"
