// The FlowMo tokenizer's networks through the public API: the LFQ code round trip and bit count, the
// MMDiT blocks (separate weights per stream, joint attention, AdaLN-Zero identity at initialisation), the
// weight count, decoding determinism, and foreign or damaged files refused.
#include "core/error.h"
#include "core/model.h"
#include "core/safetensors.h"
#include "core/tokenizer/tokenizer.h"
#include "expect_error.h"
#include "test_support.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <random>

using cm::TokenCode;
using cm::Tokenizer;

namespace {

cm::TokenizerCard smallCard() {
    cm::TokenizerCard card;
    card.config = cm::tokenizerPreset("lo", 28, 1);
    card.config.encoderWidth = 32;
    card.config.decoderWidth = 32;
    card.config.decoderDepth = 2;
    return card;
}

cv::Mat randomImage(int size, int channels, unsigned seed) {
    cv::Mat image(size, size, CV_32FC(channels));
    cv::RNG rng(seed);
    rng.fill(image, cv::RNG::UNIFORM, -1.0, 1.0);
    return image;
}

// Rewrites the float tensors whose names pass `select` through the file (the API hides the weights).
template <typename Change> void changeWeights(Tokenizer& tokenizer, Change change) {
    QTemporaryDir dir;
    const std::string path = dir.filePath("t.safetensors").toStdString();
    tokenizer.save(path);
    auto file = cm::readSafetensors(path);
    for (auto& [name, record] : file.tensors) {
        std::vector<float> values(std::size_t(record.elementCount()));
        std::memcpy(values.data(), record.bytes.data(), record.bytes.size());
        change(name, values, record.shape);
        std::memcpy(record.bytes.data(), values.data(), record.bytes.size());
    }
    cm::writeSafetensors(path, file);
    tokenizer = Tokenizer::load(path);
}

// Opens the AdaLN-Zero gates (chunks 2 and 5 of each modulation's six) with seeded values.
void openGates(Tokenizer& tokenizer) {
    std::mt19937 random(11);
    std::normal_distribution<float> normal(0.0f, 0.3f);
    changeWeights(tokenizer, [&](const std::string& name, std::vector<float>& values, const std::vector<int64_t>& shape) {
        if (name.find(".adaln.") == std::string::npos) return;
        const int64_t rows = shape[0], width = rows / 6, columns = shape.size() > 1 ? shape[1] : 1;
        for (int chunk : {2, 5})
            for (int64_t r = chunk * width; r < (chunk + 1) * width; ++r)
                for (int64_t c = 0; c < columns; ++c)
                    values[r * columns + c] = normal(random) + (shape.size() == 1 ? 1.0f : 0.0f);
    });
}

double maxDifference(const cv::Mat& a, const cv::Mat& b, const cv::Rect& region) {
    return cv::norm(a(region), b(region), cv::NORM_INF);
}

TokenCode flipped(TokenCode code, int bit) {
    code.bits[bit] ^= 1;
    return code;
}

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

  private slots:
    void lfqCodeRoundTrip() {
        Tokenizer tokenizer = Tokenizer::create(smallCard(), 1);
        QCOMPARE(tokenizer.card().config.codeBits(), 55);
        std::vector<cv::Mat> images;
        for (unsigned i = 0; i < 6; ++i)
            images.push_back(randomImage(28, 1, i));
        const auto latents = tokenizer.encodeLatents(images);
        const auto codes = tokenizer.encode(images);
        int ones = 0;
        for (std::size_t i = 0; i < images.size(); ++i) {
            QCOMPARE(codes[i].bitCount(), 55);
            QCOMPARE(int(latents[i].size()), 55);
            for (int b = 0; b < 55; ++b) {
                QCOMPARE(int(codes[i].bits[b]), latents[i][b] >= 0 ? 1 : 0); // each coordinate's sign
                ones += codes[i].bits[b];
            }
            QVERIFY(cm::codeFromHex(cm::codeToHex(codes[i]), 55, "test") == codes[i]);
        }
        // The decoder sees exactly the parsed bits: the same velocity, to the last bit of every pixel.
        openGates(tokenizer);
        const TokenCode parsed = cm::codeFromHex(cm::codeToHex(codes[0]), 55, "test");
        const std::vector<cv::Mat> noisy{randomImage(28, 1, 99)};
        QCOMPARE(cv::norm(tokenizer.velocity(noisy, 0.5, cm::Conditioning::ofTokenCodes({parsed}))[0], tokenizer.velocity(noisy, 0.5, cm::Conditioning::ofTokenCodes({codes[0]}))[0],
                          cv::NORM_INF),
                 0.0);
        QVERIFY(ones > 0 && ones < 6 * 55); // a real encoder gives both signs
        QVERIFY(!(codes[0] == codes[1]));
    }

    void weightCountMatchesTheCard() {
        for (const char* rate : {"lo", "hi"}) {
            auto card = smallCard();
            card.config = cm::tokenizerPreset(rate, 32, 3);
            QCOMPARE(Tokenizer::create(card, 0).parameterCount(), card.config.parameterCount());
            card.stages = {"1a", "one-step"}; // plus the one-step decoder, the decoder's size again
            QCOMPARE(Tokenizer::create(card, 0).parameterCount(), card.parameterCount());
            QCOMPARE(card.parameterCount(), card.config.parameterCount() + card.config.decoderParameterCount());
        }
    }

    // Each block holds both streams' projections, norms and MLPs under separate names with separate values.
    void streamsKeepSeparateWeights() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("t.safetensors").toStdString();
        Tokenizer::create(smallCard(), 2).save(path);
        const auto file = cm::readSafetensors(path);
        const auto& config = smallCard().config;
        for (auto [net, depth] : {std::pair{"encoder", config.encoderDepth}, std::pair{"decoder", config.decoderDepth}})
            for (int i = 0; i < depth; ++i)
                for (const char* part : {"qkv.weight", "proj.weight", "mlp_in.weight", "mlp_out.weight", "q_norm", "k_norm",
                                         "adaln.weight"}) {
                    if (std::string(net) == "encoder" && std::string(part) == "adaln.weight") continue;
                    const std::string prefix = std::string(net) + ".block" + std::to_string(i) + ".";
                    const auto latent = file.tensors.find(prefix + "latent." + part);
                    const auto image = file.tensors.find(prefix + "image." + part);
                    QVERIFY2(latent != file.tensors.end() && image != file.tensors.end(), qPrintable(QString::fromStdString(prefix + part)));
                    if (std::string(part).find("norm") == std::string::npos)
                        QVERIFY(latent->second.bytes != image->second.bytes);
                }
        QVERIFY(file.tensors.count("encoder.block0.latent.adaln.weight") == 0); // the encoder has no time
    }

    // Encoder: the latent tokens see the image only through joint attention; a one-pixel change moves every
    // token. Decoder (gates open): the patches see the code only through joint attention; one bit of one
    // token moves every patch's velocity.
    void attentionIsJoint() {
        Tokenizer tokenizer = Tokenizer::create(smallCard(), 3);
        cv::Mat image = randomImage(28, 1, 5), changed = image.clone();
        changed.at<float>(27, 27) += 0.5f;
        const auto a = tokenizer.encodeLatents({image})[0], b = tokenizer.encodeLatents({changed})[0];
        const int bitsPerToken = tokenizer.card().config.bitsPerToken;
        for (int token = 0; token < tokenizer.card().config.tokens; ++token) {
            double moved = 0;
            for (int k = 0; k < bitsPerToken; ++k)
                moved = std::max(moved, double(std::abs(a[token * bitsPerToken + k] - b[token * bitsPerToken + k])));
            QVERIFY2(moved > 1e-5, qPrintable(QString("token %1 moved %2").arg(token).arg(moved)));
        }
        openGates(tokenizer);
        const auto code = tokenizer.encode({image})[0];
        const std::vector<cv::Mat> noisy{randomImage(28, 1, 6)};
        const cv::Mat v = tokenizer.velocity(noisy, 0.7, cm::Conditioning::ofTokenCodes({code}))[0];
        const cv::Mat w = tokenizer.velocity(noisy, 0.7, cm::Conditioning::ofTokenCodes({flipped(code, 0)}))[0];
        for (int py = 0; py < 28; py += 4)
            for (int px = 0; px < 28; px += 4)
                QVERIFY(maxDifference(v, w, cv::Rect(px, py, 4, 4)) > 1e-6);
    }

    // AdaLN-Zero: with the gates at zero every decoder block is the identity, so a patch's velocity depends
    // on that patch alone and not at all on the code. Opening the gates (the test above) breaks both.
    void adaLnZeroStartsAsIdentity() {
        Tokenizer tokenizer = Tokenizer::create(smallCard(), 4);
        cv::Mat noisy = randomImage(28, 1, 8), changed = noisy.clone();
        changed.at<float>(1, 1) += 0.5f; // inside the top-left patch
        const auto code = tokenizer.encode({randomImage(28, 1, 9)})[0];
        const cv::Mat v = tokenizer.velocity({noisy}, 0.3, cm::Conditioning::ofTokenCodes({code}))[0];
        QCOMPARE(cv::norm(v, tokenizer.velocity({noisy}, 0.3, cm::Conditioning::ofTokenCodes({flipped(code, 3)}))[0], cv::NORM_INF), 0.0);
        QCOMPARE(cv::norm(v, tokenizer.velocity({noisy}, 0.3, cm::Conditioning::ofTokenCodes({TokenCode{}}))[0], cv::NORM_INF), 0.0);
        const cv::Mat w = tokenizer.velocity({changed}, 0.3, cm::Conditioning::ofTokenCodes({code}))[0];
        QVERIFY(maxDifference(v, w, cv::Rect(0, 0, 4, 4)) > 1e-6);
        QCOMPARE(maxDifference(v, w, cv::Rect(4, 0, 24, 28)), 0.0);
        QCOMPARE(maxDifference(v, w, cv::Rect(0, 4, 4, 24)), 0.0);
        openGates(tokenizer);
        const cv::Mat opened = tokenizer.velocity({noisy}, 0.3, cm::Conditioning::ofTokenCodes({code}))[0];
        QVERIFY(cv::norm(opened, tokenizer.velocity({noisy}, 0.3, cm::Conditioning::ofTokenCodes({flipped(code, 3)}))[0], cv::NORM_INF) > 1e-6);
        QVERIFY(maxDifference(opened, tokenizer.velocity({changed}, 0.3, cm::Conditioning::ofTokenCodes({code}))[0], cv::Rect(4, 4, 24, 24)) > 1e-6);
    }

    void decodingIsSeededAndInRange() {
        Tokenizer tokenizer = Tokenizer::create(smallCard(), 5);
        openGates(tokenizer);
        const auto codes = tokenizer.encode({randomImage(28, 1, 1), randomImage(28, 1, 2)});
        cm::DecodeParams params;
        params.steps = 4;
        params.seed = 10;
        long evaluations = 0;
        const auto a = tokenizer.decode(codes, params, [&](long done, long) { evaluations = done; });
        QCOMPARE(evaluations, long(cm::flowEvaluations(cm::shiftedFlowTimes(4, 4), tokenizer.card().sampling.guidance)));
        const auto b = tokenizer.decode(codes, params);
        QCOMPARE(cv::norm(a[0], b[0], cv::NORM_INF), 0.0);
        // Image j's noise is seed + j: decoding the second code alone with seed 11 gives the same image.
        params.seed = 11;
        QVERIFY(cv::norm(a[1], tokenizer.decode({codes[1]}, params)[0], cv::NORM_INF) < 1e-5); // batch size only reorders sums
        double lo, hi;
        cv::minMaxLoc(a[0], &lo, &hi);
        QVERIFY(lo >= -1 && hi <= 1);
        QCOMPARE(a[0].rows, 28);
        cm::CancelFlag cancel{true};
        QCOMPARE(cmtest::expectError([&] { tokenizer.decode(codes, params, {}, &cancel); }).kind(), cm::ErrorKind::Cancelled);
    }

    void badInputsAreTypedErrors() {
        const Tokenizer tokenizer = Tokenizer::create(smallCard(), 6);
        QCOMPARE(cmtest::expectError([&] { tokenizer.encode({randomImage(32, 1, 0)}); }).kind(), cm::ErrorKind::Shape);
        QCOMPARE(cmtest::expectError([&] { tokenizer.encode({randomImage(28, 3, 0)}); }).kind(), cm::ErrorKind::Shape);
        const auto wrongLength = cmtest::expectError([&] { tokenizer.decode({TokenCode{std::vector<uint8_t>(54, 1)}}); });
        QCOMPARE(wrongLength.kind(), cm::ErrorKind::InvalidArgument);
        QVERIFY(QString(wrongLength.what()).contains("54 bits"));
        cm::DecodeParams params;
        params.steps = -3;
        params.rho = 50;
        QCOMPARE(cmtest::expectError([&] { tokenizer.decode({tokenizer.encode({randomImage(28, 1, 0)})}, params); }).kind(),
                 cm::ErrorKind::InvalidArgument);
    }

    // A generator where a tokenizer is expected and the reverse; a card that asks for far more weights than
    // the file holds; a missing tensor.
    void foreignAndDamagedFiles() {
        QTemporaryDir dir;
        const std::string modelPath = dir.filePath("model.safetensors").toStdString();
        cm::Model::create(cmtest::tinyUNetCard(cm::ModelKind::Consistency), 0).save(modelPath);
        const auto asTokenizer = cmtest::expectError([&] { Tokenizer::load(modelPath); });
        QCOMPARE(asTokenizer.kind(), cm::ErrorKind::Format);
        QVERIFY2(QString(asTokenizer.what()).contains("not a tokenizer"), asTokenizer.what());

        const std::string tokenizerPath = dir.filePath("tokenizer.safetensors").toStdString();
        Tokenizer::create(smallCard(), 0).save(tokenizerPath);
        const auto asModel = cmtest::expectError([&] { cm::Model::load(tokenizerPath); });
        QCOMPARE(asModel.kind(), cm::ErrorKind::Format);
        QVERIFY2(QString(asModel.what()).contains("this is a tokenizer"), asModel.what());

        auto file = cm::readSafetensors(tokenizerPath);
        auto huge = file;
        auto config = smallCard().config;
        config.decoderWidth = 1024;
        config.decoderDepth = 32;
        huge.metadata["tokenizer"] = cm::tokenizerConfigToJson(config);
        const std::string hugePath = dir.filePath("huge.safetensors").toStdString();
        cm::writeSafetensors(hugePath, huge);
        const auto hugeError = cmtest::expectError([&] { Tokenizer::load(hugePath); });
        QCOMPARE(hugeError.kind(), cm::ErrorKind::Shape);
        QVERIFY(QString(hugeError.what()).contains("not built"));

        file.tensors.erase("decoder.block1.image.qkv.weight");
        const std::string missingPath = dir.filePath("missing.safetensors").toStdString();
        cm::writeSafetensors(missingPath, file);
        const auto missing = cmtest::expectError([&] { Tokenizer::load(missingPath); });
        QVERIFY2(QString(missing.what()).contains("decoder.block1.image.qkv.weight"), missing.what());
    }
};

QTEST_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
