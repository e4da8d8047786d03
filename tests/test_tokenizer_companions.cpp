// What goes with a tokenizer (core/tokenizer/tokenizer_companions.h), on files made here: the
// deterministic autoencoder beside it with the same image size, channels and bits (not one of other bits,
// not a damaged file, not itself), the code generator whose card names its file with its bits, the bundled
// classifier of its image shape (not an autoencoder, not another shape), each missing one with its reason;
// a chosen file checked the same way (each kind of mismatch, a file that is no model);
// and the training images its card names (Fashion-MNIST's training split, an image folder whose
// description carries a limit or a parenthesis in the path), or a Data error saying what the card names.
#include "core/error.h"
#include "core/feature_net.h"
#include "core/tokenizer/code_generator.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_companions.h"
#include "expect_error.h"
#include "tokenizer_fixtures.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

namespace {

cm::TokenizerCard tinyCard(int imageSize = cmtest::kSize) {
    cm::TokenizerCard card;
    card.config = cmtest::tinyConfig();
    card.config.imageSize = imageSize;
    card.stages = {"1a"};
    card.dataset = "four squares";
    return card;
}

std::string save(const cm::TokenizerCard& card, const QString& path) {
    cm::Tokenizer::create(card, 0).save(path.toStdString());
    return path.toStdString();
}

cm::TokenizerCard deterministic(cm::TokenizerCard card) {
    card.parameterisation = cm::kDeterministicDecoder;
    card.stages = {"autoencoder"};
    return card;
}

std::string saveGenerator(int bits, const std::string& tokenizerName, const QString& path) {
    cm::CodeGeneratorCard card;
    card.config.codeBits = bits;
    card.config.width = 32;
    card.tokenizer = tokenizerName;
    cm::CodeGenerator::create(card, 0).save(path.toStdString());
    return path.toStdString();
}

std::string saveFeatureNet(cm::FeatureNetKind kind, int size, const QString& path) {
    cm::FeatureNetCard card;
    card.kind = kind;
    card.itemShape = {1, size, size};
    card.width = 8;
    card.featureDim = 8;
    if (kind == cm::FeatureNetKind::Classifier) card.classNames = {"a", "b"};
    cm::FeatureNet::create(card, 1).save(path.toStdString());
    return path.toStdString();
}

} // namespace

class TestTokenizerCompanions : public QObject {
    Q_OBJECT
  private slots:
    void theCompanionsBesideATokenizerAreFound() {
        QTemporaryDir dir, models;
        qputenv("CMSTUDIO_MODELS_DIR", models.path().toLocal8Bit());
        const cm::TokenizerCard card = tinyCard();
        const std::string tokenizer = save(card, dir.filePath("tok.safetensors"));
        // Sorted before the right one: a damaged file, an autoencoder of other bits, a generator of another
        // tokenizer, a generator of other bits.
        QFile damaged(dir.filePath("a-damaged.safetensors"));
        QVERIFY(damaged.open(QIODevice::WriteOnly));
        damaged.write("\x10\x00\x00\x00\x00\x00\x00\x00{\"__metadata__\":");
        damaged.close();
        cm::TokenizerCard otherBits = deterministic(card);
        otherBits.config.tokens += 1;
        save(otherBits, dir.filePath("b-ae-other-bits.safetensors"));
        saveGenerator(card.config.codeBits(), "other.safetensors", dir.filePath("c-gen-other.safetensors"));
        saveGenerator(card.config.codeBits() + 1, "tok.safetensors", dir.filePath("d-gen-bits.safetensors"));
        const std::string autoencoder = save(deterministic(card), dir.filePath("e-ae.safetensors"));
        const std::string generator = saveGenerator(card.config.codeBits(), "tok.safetensors", dir.filePath("f-gen.safetensors"));
        saveFeatureNet(cm::FeatureNetKind::Autoencoder, cmtest::kSize, models.filePath("a-autoencoder.safetensors"));
        saveFeatureNet(cm::FeatureNetKind::Classifier, 28, models.filePath("b-classifier-28.safetensors"));
        const std::string classifier =
            saveFeatureNet(cm::FeatureNetKind::Classifier, cmtest::kSize, models.filePath("c-classifier.safetensors"));

        const cm::TokenizerCompanions found = cm::findTokenizerCompanions(tokenizer, card, "");
        QCOMPARE(found.autoencoder, autoencoder);
        QCOMPARE(found.codeGenerator, generator);
        QCOMPARE(QFileInfo(QString::fromStdString(found.classifier)).fileName(), QString("c-classifier.safetensors"));
        QVERIFY(found.autoencoderMissing.none() && found.codeGeneratorMissing.none() && found.classifierMissing.none());
        Q_UNUSED(classifier);

        // The autoencoder's own companions: it is the baseline, so it has none of its own.
        const auto ofAutoencoder = cm::findTokenizerCompanions(autoencoder, deterministic(card), "");
        QVERIFY(ofAutoencoder.autoencoder.empty());
        QCOMPARE(ofAutoencoder.autoencoderMissing.kind, cm::CompanionProblem::IsTheAutoencoder);
    }

    void aTokenizerAloneSaysWhatIsMissing() {
        QTemporaryDir dir, models;
        qputenv("CMSTUDIO_MODELS_DIR", models.path().toLocal8Bit());
        const cm::TokenizerCard card = tinyCard();
        const std::string tokenizer = save(card, dir.filePath("alone.safetensors"));
        const auto found = cm::findTokenizerCompanions(tokenizer, card, "");
        QVERIFY(found.autoencoder.empty() && found.codeGenerator.empty() && found.classifier.empty());
        // Each reason with what a sentence about it needs: the tokenizer's name and code.
        for (const auto& [problem, kind] :
             {std::pair{found.autoencoderMissing, cm::CompanionProblem::NoAutoencoderBeside},
              std::pair{found.codeGeneratorMissing, cm::CompanionProblem::NoCodeGeneratorBeside},
              std::pair{found.classifierMissing, cm::CompanionProblem::NoClassifier}}) {
            QCOMPARE(problem.kind, kind);
            QCOMPARE(problem.file, std::string("alone.safetensors"));
            QCOMPARE(problem.bits, card.config.codeBits());
            QCOMPARE(problem.imageSize, cmtest::kSize);
            QCOMPARE(problem.channels, 1);
        }
    }

    // A chosen file passes the checks a neighbour passes, or says why not; and once chosen it is used
    // instead of the one beside the tokenizer (which is then not looked for).
    void aChosenFileIsCheckedLikeANeighbour() {
        QTemporaryDir dir, elsewhere, models;
        qputenv("CMSTUDIO_MODELS_DIR", models.path().toLocal8Bit());
        const cm::TokenizerCard card = tinyCard();
        const std::string tokenizer = save(card, dir.filePath("tok.safetensors"));
        save(deterministic(card), dir.filePath("ae-beside.safetensors"));
        const std::string chosen = save(deterministic(card), elsewhere.filePath("ae-chosen.safetensors"));
        QVERIFY(cm::checkAutoencoder(chosen, card).none());
        cm::TokenizerCard otherBits = deterministic(card);
        otherBits.config.tokens += 1;
        const auto bits = cm::checkAutoencoder(save(otherBits, elsewhere.filePath("ae-bits.safetensors")), card);
        QCOMPARE(bits.kind, cm::CompanionProblem::OtherCode);
        QCOMPARE(bits.bits, otherBits.config.codeBits());
        QCOMPARE(bits.imageSize, cmtest::kSize);
        QCOMPARE(cm::checkAutoencoder(tokenizer, card).kind, cm::CompanionProblem::NotDeterministic);
        const std::string generator = saveGenerator(card.config.codeBits(), "tok.safetensors", elsewhere.filePath("gen.safetensors"));
        const auto notTokenizer = cm::checkAutoencoder(generator, card);
        QCOMPARE(notTokenizer.kind, cm::CompanionProblem::NotATokenizer);
        QCOMPARE(notTokenizer.detail, std::string("cmstudio-code-generator"));
        QFile png(elsewhere.filePath("picture.png"));
        QVERIFY(png.open(QIODevice::WriteOnly));
        png.write("\x89PNG\r\n\x1a\n not a model");
        png.close();
        const auto unreadable = cm::checkAutoencoder(png.fileName().toStdString(), card);
        QCOMPARE(unreadable.kind, cm::CompanionProblem::Unreadable);
        QVERIFY(!unreadable.detail.empty());
        QCOMPARE(cm::checkCodeGenerator(png.fileName().toStdString(), tokenizer, card).kind,
                 cm::CompanionProblem::Unreadable);
        QCOMPARE(cm::checkAutoencoder(chosen, deterministic(card)).kind, cm::CompanionProblem::IsTheAutoencoder);

        QVERIFY(cm::checkCodeGenerator(generator, tokenizer, card).none());
        const auto other = cm::checkCodeGenerator(
            saveGenerator(card.config.codeBits(), "other.safetensors", elsewhere.filePath("gen-other.safetensors")), tokenizer, card);
        QCOMPARE(other.kind, cm::CompanionProblem::OtherTokenizer);
        QCOMPARE(other.detail, std::string("other.safetensors"));
        const auto otherGeneratorBits = cm::checkCodeGenerator(
            saveGenerator(card.config.codeBits() + 1, "tok.safetensors", elsewhere.filePath("gen-bits.safetensors")), tokenizer, card);
        QCOMPARE(otherGeneratorBits.kind, cm::CompanionProblem::OtherBits);
        QCOMPARE(otherGeneratorBits.bits, card.config.codeBits() + 1);
        QCOMPARE(cm::checkCodeGenerator(chosen, tokenizer, card).kind, cm::CompanionProblem::NotACodeGenerator);

        const auto found = cm::findTokenizerCompanions(tokenizer, card, "", {chosen, generator});
        QCOMPARE(found.autoencoder, chosen);
        QCOMPARE(found.codeGenerator, generator);
        // A chosen file that no longer fits: the reason, not a fallback to the one beside the tokenizer.
        const auto gone = cm::findTokenizerCompanions(tokenizer, card, "", {elsewhere.filePath("none.safetensors").toStdString(), ""});
        QVERIFY(gone.autoencoder.empty());
        QCOMPARE(gone.autoencoderMissing.kind, cm::CompanionProblem::Unreadable);
        QCOMPARE(QFileInfo(QString::fromStdString(gone.codeGenerator)).fileName(), QString()); // none beside it
        QCOMPARE(gone.codeGeneratorMissing.kind, cm::CompanionProblem::NoCodeGeneratorBeside);
    }

    void theTrainingImagesAreTheOnesTheCardNames() {
        QTemporaryDir dir;
        // A folder whose path holds " (" and whose description carries a limit, as the CLI writes it.
        const QString folder = cmtest::writeRectangleFolder(dir, "rect (v2)", 6);
        cm::ImageFolderOptions options;
        options.size = cmtest::kSize;
        options.channels = 1;
        cm::TokenizerCard card = tinyCard();
        card.dataset = cm::loadImageFolder(folder.toStdString(), options).description + " (first 5)";
        const cm::Dataset images = cm::tokenizerTrainingImages(card, 4);
        QCOMPARE(images.count(), int64_t(4));
        QCOMPARE(images.itemShape, (std::vector<int64_t>{1, cmtest::kSize, cmtest::kSize}));
        const cm::Dataset all = cm::loadImageFolder(folder.toStdString(), options);
        QVERIFY(std::equal(images.values.begin(), images.values.end(), all.values.begin()));

        QVERIFY(QDir(folder).removeRecursively());
        QCOMPARE(cm::trainingImagesProblem(card).kind, cm::CompanionProblem::TrainingImagesAbsent);
        QVERIFY(QString::fromStdString(cm::trainingImagesProblem(card).detail).endsWith("rect (v2)"));
        const auto gone = cmtest::expectError([&] { cm::tokenizerTrainingImages(card, 4); });
        QCOMPARE(gone.kind(), cm::ErrorKind::Data);
        QVERIFY2(QString(gone.what()).contains("rect (v2)") && QString(gone.what()).contains("not on this machine"),
                 gone.what());
        card.dataset = "four squares";
        QCOMPARE(cm::trainingImagesProblem(card).kind, cm::CompanionProblem::TrainingDataUnknown);
        QCOMPARE(cm::trainingImagesProblem(card).detail, std::string("four squares"));
        const auto unknown = cmtest::expectError([&] { cm::tokenizerTrainingImages(card, 4); });
        QCOMPARE(unknown.kind(), cm::ErrorKind::Data);
        QVERIFY2(QString(unknown.what()).contains("\"four squares\""), unknown.what());

        cm::TokenizerCard fashion = tinyCard(28);
        fashion.dataset = "Fashion-MNIST train (60000 images)";
        if (!QFileInfo::exists(QString::fromStdString(cm::defaultFashionMnistDirectory()))) QSKIP("no Fashion-MNIST");
        const cm::Dataset train = cm::tokenizerTrainingImages(fashion, 10);
        QCOMPARE(train.count(), int64_t(10));
        QCOMPARE(train.itemShape, (std::vector<int64_t>{1, 28, 28}));
        const cm::Dataset whole = cm::loadFashionMnist(cm::defaultFashionMnistDirectory(), cm::Split::Train);
        QCOMPARE(train.values, std::vector<float>(whole.values.begin(), whole.values.begin() + 10 * 784));
    }
};

QTEST_MAIN(TestTokenizerCompanions)
#include "test_tokenizer_companions.moc"
