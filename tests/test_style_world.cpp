// DEADiff's miniature style world: the prompt vocabulary, palettes from images (synthetic ones with known
// colours, and the real Noto emoji when the font is installed), the renderer on real Fashion-MNIST garments
// (determinism, silhouettes, measured style statistics), the style splits and the 1:1:1 pair sampler.
#include "core/dataset.h"
#include "core/error.h"
#include "core/image_util.h"
#include "core/style_world.h"
#include "expect_error.h"

#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <map>
#include <optional>
#include <set>

using namespace cm;

namespace {

using cmtest::expectError;

const std::string kFont = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf";

// Palettes with distinct, well-separated random colours; sourceImage = index, so every 10th is held out.
std::vector<Palette> syntheticPalettes(int count) {
    std::mt19937_64 rng(7);
    std::vector<Palette> palettes;
    for (int i = 0; i < count; ++i) {
        Palette p;
        p.sourceImage = i;
        p.colours[0] = cv::Vec3b(uchar(rng() % 90), uchar(rng() % 90), uchar(rng() % 90));
        p.colours[1] = cv::Vec3b(uchar(80 + rng() % 90), uchar(80 + rng() % 90), uchar(80 + rng() % 90));
        p.colours[2] = cv::Vec3b(uchar(160 + rng() % 90), uchar(160 + rng() % 90), uchar(160 + rng() % 90));
        palettes.push_back(p);
    }
    return palettes;
}

// Total-variation distance of the 4x4x4 RGB histograms of the pixels under `mask`: 0 same, 1 disjoint.
double histogramDistance(const cv::Mat& a, const cv::Mat& maskA, const cv::Mat& b, const cv::Mat& maskB) {
    auto histogram = [](const cv::Mat& image, const cv::Mat& mask) {
        std::vector<double> h(64, 0.0);
        double n = 0;
        for (int y = 0; y < image.rows; ++y)
            for (int x = 0; x < image.cols; ++x)
                if (mask.at<uchar>(y, x)) {
                    const cv::Vec3b c = image.at<cv::Vec3b>(y, x);
                    h[std::size_t((c[0] / 64) * 16 + (c[1] / 64) * 4 + c[2] / 64)] += 1, n += 1;
                }
        for (double& v : h) v /= std::max(n, 1.0);
        return h;
    };
    const std::vector<double> ha = histogram(a, maskA), hb = histogram(b, maskB);
    double tv = 0;
    for (std::size_t i = 0; i < ha.size(); ++i) tv += std::abs(ha[i] - hb[i]);
    return tv / 2;
}

double maskIoU(const cv::Mat& a, const cv::Mat& b) {
    const double both = cv::countNonZero(a & b), either = cv::countNonZero(a | b);
    return either > 0 ? both / either : 1.0;
}

// The pixels of a render that are not its background colour (read at the corner, outside every garment).
cv::Mat visibleGarment(const cv::Mat& render) {
    const cv::Vec3b background = render.at<cv::Vec3b>(0, 0);
    cv::Mat mask(render.size(), CV_8UC1, cv::Scalar(0));
    for (int y = 0; y < render.rows; ++y)
        for (int x = 0; x < render.cols; ++x) {
            const cv::Vec3b c = render.at<cv::Vec3b>(y, x);
            if (std::abs(c[0] - background[0]) + std::abs(c[1] - background[1]) + std::abs(c[2] - background[2]) > 0)
                mask.at<uchar>(y, x) = 255;
        }
    return mask;
}

} // namespace

class TestStyleWorld : public QObject {
    Q_OBJECT

    std::optional<StyleWorld> m_world; // the real Fashion-MNIST test split, synthetic palettes

    const StyleWorld& world() {
        if (!m_world) {
            // Callers skip first when the data set is missing; the loader's error would say so anyway.
            m_world.emplace(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), syntheticPalettes(60));
        }
        return *m_world;
    }
    bool haveFashionMnist() const { return QFileInfo(QString::fromStdString(defaultFashionMnistDirectory())).isDir(); }

  private slots:
    void promptsParseToTheirClasses() {
        QCOMPARE(garmentPrompts().size(), std::size_t(10));
        for (int c = 0; c < 10; ++c) QCOMPARE(parseGarmentPrompt(garmentPrompts()[std::size_t(c)]), c);
        QCOMPARE(parseGarmentPrompt("T-Shirt"), 0);
        QCOMPARE(parseGarmentPrompt("a tee"), 0);
        QCOMPARE(parseGarmentPrompt("Trousers"), 1);
        QCOMPARE(parseGarmentPrompt("jeans"), 1);
        QCOMPARE(parseGarmentPrompt("the dress"), 3); // "dress" keeps its s
        QCOMPARE(parseGarmentPrompt("  an Ankle Boot "), 9);
        QCOMPARE(parseGarmentPrompt("ankle-boots"), 9);
        QCOMPARE(parseGarmentPrompt("shirt"), 6);
        QCOMPARE(parseGarmentPrompt("sneakers"), 7);
    }

    void unknownPromptListsTheVocabulary() {
        for (const std::string bad : {"giraffe", "", "a red dress", "t-shirt dress"}) {
            const Error e = expectError([&] { parseGarmentPrompt(bad); });
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
            const QString message = e.what();
            QVERIFY2(message.contains(QString::fromStdString("'" + bad + "'")), e.what());
            for (const std::string& word : garmentPrompts()) QVERIFY2(message.contains(QString::fromStdString(word)), e.what());
            QVERIFY2(message.contains("pants"), e.what()); // the aliases too
        }
    }

    void palettesRecoverKnownColours() {
        // Three colour bands on white (the loader's transparency colour), one white image, one flat image.
        QTemporaryDir dir;
        const std::vector<cv::Vec3b> bands = {{200, 30, 40}, {30, 160, 60}, {20, 40, 180}};
        cv::Mat banded(32, 32, CV_8UC3, cv::Scalar(255, 255, 255)); // BGR on disk
        for (int y = 4; y < 28; ++y)
            for (int x = 0; x < 32; ++x) {
                const cv::Vec3b rgb = bands[std::size_t(y - 4) / 8];
                banded.at<cv::Vec3b>(y, x) = cv::Vec3b(rgb[2], rgb[1], rgb[0]);
            }
        QVERIFY(cv::imwrite((dir.path() + "/a-banded.png").toStdString(), banded));
        QVERIFY(cv::imwrite((dir.path() + "/b-white.png").toStdString(), cv::Mat(32, 32, CV_8UC3, cv::Scalar(255, 255, 255))));
        QVERIFY(cv::imwrite((dir.path() + "/c-flat.png").toStdString(), cv::Mat(32, 32, CV_8UC3, cv::Scalar(10, 100, 200))));
        QVERIFY(cv::imwrite((dir.path() + "/d-banded-again.png").toStdString(), banded));
        ImageFolderOptions options;
        const Dataset images = loadImageFolder(dir.path().toStdString(), options);
        const std::vector<Palette> palettes = extractPalettes(images);
        QCOMPARE(palettes.size(), std::size_t(1)); // white, single-coloured and repeated images give none
        QCOMPARE(palettes[0].sourceImage, int64_t(0));
        // Sorted dark to light by luma: blue, red, green.
        const std::vector<cv::Vec3b> expected = {bands[2], bands[0], bands[1]};
        for (int k = 0; k < 3; ++k)
            for (int ch = 0; ch < 3; ++ch)
                QVERIFY2(std::abs(int(palettes[0].colours[std::size_t(k)][ch]) - int(expected[std::size_t(k)][ch])) <= 2,
                         qPrintable(QString("colour %1 channel %2").arg(k).arg(ch)));

        const Dataset whiteOnly = [&] {
            Dataset d = images;
            d.values.resize(std::size_t(d.itemSize()));
            std::fill(d.values.begin(), d.values.end(), 1.0f);
            return d;
        }();
        const Error e = expectError([&] { extractPalettes(whiteOnly); });
        QCOMPARE(e.kind(), ErrorKind::Data);
    }

    void realEmojiPalettes() {
        if (!QFileInfo::exists(QString::fromStdString(kFont))) QSKIP("fonts-noto-color-emoji is not installed");
        QTemporaryDir dir;
        QProcess script;
        script.start("bash", {QString(CMSTUDIO_SOURCE_DIR) + "/scripts/make-emoji-folder.sh", dir.path()});
        QVERIFY(script.waitForFinished(120000));
        QCOMPARE(script.exitCode(), 0);
        ImageFolderOptions options;
        const Dataset emoji = loadImageFolder(dir.path().toStdString(), options);
        const std::vector<Palette> palettes = extractPalettes(emoji);
        QCOMPARE(extractPalettes(emoji).size(), palettes.size()); // deterministic
        qInfo("%zu palettes from %lld emoji", palettes.size(), static_cast<long long>(emoji.count()));
        QVERIFY(palettes.size() > 500);
        const auto heldOut = std::count_if(palettes.begin(), palettes.end(), StyleWorld::isHeldOutPalette);
        QVERIFY(heldOut > int64_t(palettes.size()) / 20 && heldOut < int64_t(palettes.size()) / 5);
        for (const Palette& p : palettes)
            for (int k = 0; k + 1 < 3; ++k) {
                const auto l = [](const cv::Vec3b& c) { return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]; };
                QVERIFY(l(p.colours[std::size_t(k)]) <= l(p.colours[std::size_t(k) + 1]));
            }
        // The garments stay visible on every background: the mean garment colour is far from the background.
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        const StyleWorld real(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), palettes);
        std::mt19937_64 rng(1);
        double closest = 1e9;
        for (int i = 0; i < 2000; ++i) {
            const int64_t item = int64_t(rng() % uint64_t(real.garments().count()));
            const StyleSpec style = real.drawStyle(i % 2 ? StyleSplit::Train : StyleSplit::HeldOut, rng);
            const cv::Mat render = real.render(item, style, rng());
            const cv::Scalar garment = cv::mean(render, garmentSilhouette(real.garment(item)));
            const cv::Vec3b background = render.at<cv::Vec3b>(0, 0);
            closest = std::min(closest, cv::norm(cv::Vec3d(garment[0] - background[0], garment[1] - background[1],
                                                           garment[2] - background[2])));
        }
        qInfo("closest mean garment colour to its background over 2000 renders: %.1f RGB levels", closest);
        QVERIFY(closest > 40);
    }

    void styleWordsNameColourTextureAndBackground() {
        QCOMPARE(styleWords().size(), std::size_t(16));
        auto wordsOf = [](cv::Vec3b a, cv::Vec3b b, int texture, BackgroundKind background) {
            Palette p;
            p.colours = {a, cv::Vec3b((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2), b};
            const auto w = styleWordsOf({0, texture, background}, p);
            return styleWords()[std::size_t(w[0])] + " " + styleWords()[std::size_t(w[1])] + " " +
                   styleWords()[std::size_t(w[2])];
        };
        int dots = 0;
        while (textureSettings()[std::size_t(dots)].kind != TextureKind::Dots) ++dots;
        QCOMPARE(wordsOf({120, 0, 0}, {255, 60, 60}, 0, BackgroundKind::White), std::string("red stripes white"));
        QCOMPARE(wordsOf({0, 0, 120}, {60, 60, 255}, dots, BackgroundKind::Black), std::string("blue dots black"));
        QCOMPARE(wordsOf({0, 100, 0}, {100, 255, 100}, 0, BackgroundKind::Tint), std::string("green stripes tint"));
        QCOMPARE(wordsOf({40, 40, 40}, {220, 220, 220}, 0, BackgroundKind::Shade), std::string("grey stripes shade"));
        // Colour, texture and background words are disjoint ranges of the vocabulary.
        const auto w = styleWordsOf({0, dots, BackgroundKind::Black}, Palette{});
        QVERIFY(w[0] < 7 && w[1] >= 7 && w[1] < 12 && w[2] >= 12 && w[2] < 16);
    }

    void renderIsDeterministicAndKeepsTheSilhouette() {
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        const StyleWorld& w = world();
        std::mt19937_64 rng(3);
        for (int trial = 0; trial < 200; ++trial) {
            const int64_t item = int64_t(rng() % uint64_t(w.garments().count()));
            const StyleSpec style = w.drawStyle(StyleSplit::Train, rng);
            const uint64_t seed = rng();
            const cv::Mat a = w.render(item, style, seed), b = w.render(item, style, seed);
            QCOMPARE(a.type(), CV_8UC3);
            QCOMPARE(a.rows, kStyledImageSize);
            QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
            // The silhouette as the source defines it (threshold on the 28x28 intensities, centred)...
            const cv::Mat source = w.garment(item);
            const cv::Mat silhouette = garmentSilhouette(source);
            int expected = 0;
            for (int y = 0; y < 28; ++y)
                for (int x = 0; x < 28; ++x) expected += (source.at<float>(y, x) + 1) / 2 >= kSilhouetteThreshold;
            QCOMPARE(cv::countNonZero(silhouette), expected);
            // ... is what a viewer sees: the pixels that are not background.
            const double iou = maskIoU(visibleGarment(a), silhouette);
            QVERIFY2(iou > 0.97, qPrintable(QString("IoU %1 for %2").arg(iou).arg(QString::fromStdString(describeStyle(style)))));
        }
        // The seed moves the texture: a noise or stripe render changes with it, not with the same seed.
        StyleSpec striped;
        striped.texture = 1; // stripes 0 deg, scale 6
        QVERIFY(cv::norm(w.render(0, striped, 1), w.render(0, striped, 2), cv::NORM_L1) > 0);
    }

    void sameStyleSharesColoursDifferentStyleDoesNot() {
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        const StyleWorld& w = world();
        std::mt19937_64 rng(5);
        double sameStyle = 0, differentStyle = 0, sameShapeIoU = 0, otherShapeIoU = 0;
        int closer = 0;
        const int trials = 300;
        for (int t = 0; t < trials; ++t) {
            const int classA = int(rng() % 10), classB = (classA + 1 + int(rng() % 9)) % 10;
            const int64_t a = w.itemsOfClass(classA)[rng() % w.itemsOfClass(classA).size()];
            const int64_t b = w.itemsOfClass(classB)[rng() % w.itemsOfClass(classB).size()];
            const StyleSpec s1 = w.drawStyle(StyleSplit::Train, rng);
            StyleSpec s2;
            do s2 = w.drawStyle(StyleSplit::Train, rng);
            while (s2.palette == s1.palette);
            const cv::Mat maskA = garmentSilhouette(w.garment(a)), maskB = garmentSilhouette(w.garment(b));
            const cv::Mat a1 = w.render(a, s1, rng()), b1 = w.render(b, s1, rng()), a2 = w.render(a, s2, rng());
            const double same = histogramDistance(a1, maskA, b1, maskB), different = histogramDistance(a1, maskA, a2, maskA);
            sameStyle += same / trials;
            differentStyle += different / trials;
            closer += same < different;
            // Shape: one garment keeps its silhouette in every style; two garments of different classes differ.
            sameShapeIoU += maskIoU(visibleGarment(a1), visibleGarment(a2)) / trials;
            otherShapeIoU += maskIoU(visibleGarment(a1), visibleGarment(b1)) / trials;
        }
        qInfo("colour histogram distance: same style %.3f, different style %.3f (same closer in %d of %d); "
              "silhouette IoU: same garment %.3f, different garments %.3f",
              sameStyle, differentStyle, closer, trials, sameShapeIoU, otherShapeIoU);
        QVERIFY(sameStyle < 0.5 * differentStyle);
        QVERIFY(closer > trials * 9 / 10);
        QVERIFY(sameShapeIoU > 0.97);
        QVERIFY(otherShapeIoU < 0.6);
    }

    void splitsKeepHeldOutStylesApart() {
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        const StyleWorld& w = world();
        QCOMPARE(w.palettesOf(StyleSplit::HeldOut).size(), std::size_t(6)); // sources 9, 19, ..., 59
        const QString card = QString::fromStdString(w.description());
        QVERIFY2(card.contains("60 palettes") && card.contains("6 held out") && card.contains("35 texture settings") &&
                     card.contains("11 held out") && card.contains("Fashion-MNIST test (10000 images)") &&
                     card.contains("ankle-boot"),
                 qPrintable(card));
        int heldOutTextures = 0;
        for (int t = 0; t < int(textureSettings().size()); ++t) heldOutTextures += StyleWorld::isHeldOutTexture(t);
        QCOMPARE(heldOutTextures, 4 + 2 + 2 + 2 + 1);
        std::mt19937_64 rng(11);
        std::map<int, int> trainTextures;
        for (int i = 0; i < 5000; ++i) {
            const StyleSpec train = w.drawStyle(StyleSplit::Train, rng);
            QVERIFY(!w.isHeldOut(train));
            ++trainTextures[train.texture];
            QVERIFY(w.isHeldOut(w.drawStyle(StyleSplit::HeldOut, rng)));
        }
        QCOMPARE(int(trainTextures.size()), int(textureSettings().size()) - heldOutTextures);
        PairSampler sampler(w, StyleSplit::Train, 1);
        for (int i = 0; i < 1000; ++i) {
            const StyledPair pair = sampler.next();
            QVERIFY(!w.isHeldOut(pair.referenceStyle));
            QVERIFY(!w.isHeldOut(pair.targetStyle));
        }
    }

    void pairsShareAndDifferAsLabelled() {
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        const StyleWorld& w = world();
        PairSampler sampler(w, StyleSplit::Train, 42), again(w, StyleSplit::Train, 42);
        std::map<PairRelation, int> counts;
        std::map<PairRelation, double> colourDistance, shapeIoU;
        std::set<int> relationOrders; // the orders seen within runs of three: they vary
        int relationOrder = 0;
        const int draws = 3000;
        for (int i = 0; i < draws; ++i) {
            const StyledPair pair = sampler.next();
            if (i < 50) { // determinism by seed
                const StyledPair twin = again.next();
                QCOMPARE(twin.relation, pair.relation);
                QCOMPARE(cv::norm(twin.reference, pair.reference, cv::NORM_INF), 0.0);
                QCOMPARE(cv::norm(twin.target, pair.target, cv::NORM_INF), 0.0);
            }
            ++counts[pair.relation];
            if (i % 3 == 2) QCOMPARE(counts[pair.relation], (i + 1) / 3); // every run of three holds each relation once
            relationOrders.insert(relationOrder = relationOrder * 3 + int(pair.relation));
            if (i % 3 == 2) relationOrder = 0;
            QCOMPARE(pair.prompt, garmentPrompts()[std::size_t(pair.targetClass)]);
            QCOMPARE(parseGarmentPrompt(pair.prompt), pair.targetClass);
            const TextureKind refKind = textureSettings()[std::size_t(pair.referenceStyle.texture)].kind;
            const TextureKind tgtKind = textureSettings()[std::size_t(pair.targetStyle.texture)].kind;
            switch (pair.relation) {
            case PairRelation::SameStyle:
                QVERIFY(pair.referenceStyle == pair.targetStyle);
                QVERIFY(pair.referenceClass != pair.targetClass);
                break;
            case PairRelation::SameContent:
                QCOMPARE(pair.referenceClass, pair.targetClass);
                QVERIFY(pair.referenceItem != pair.targetItem);
                QVERIFY(pair.referenceStyle.palette != pair.targetStyle.palette);
                QVERIFY(refKind != tgtKind);
                QVERIFY(pair.referenceStyle.background != pair.targetStyle.background);
                break;
            case PairRelation::Identical:
                QCOMPARE(pair.referenceItem, pair.targetItem);
                QCOMPARE(cv::norm(pair.reference, pair.target, cv::NORM_INF), 0.0);
                break;
            }
            const cv::Mat refMask = visibleGarment(pair.reference), tgtMask = visibleGarment(pair.target);
            colourDistance[pair.relation] += histogramDistance(pair.reference, refMask, pair.target, tgtMask);
            shapeIoU[pair.relation] += maskIoU(refMask, tgtMask);
        }
        for (auto& [relation, count] : counts) {
            colourDistance[relation] /= count;
            shapeIoU[relation] /= count;
            qInfo("%s: %d of %d, colour distance %.3f, silhouette IoU %.3f", pairRelationName(relation), count, draws,
                  colourDistance[relation], shapeIoU[relation]);
            QCOMPARE(count, draws / 3); // exactly 1:1:1 over whole runs of three
        }
        QCOMPARE(int(counts.size()), 3);
        QVERIFY(relationOrders.size() > 6); // not one fixed order (prefixes of the runs count too)
        // Measured on the images: same-style pairs share colours, same-content pairs share shape.
        QVERIFY(colourDistance[PairRelation::SameStyle] < 0.5 * colourDistance[PairRelation::SameContent]);
        QVERIFY(shapeIoU[PairRelation::SameContent] > shapeIoU[PairRelation::SameStyle] + 0.2);
        QCOMPARE(colourDistance[PairRelation::Identical], 0.0);
        QCOMPARE(shapeIoU[PairRelation::Identical], 1.0);
    }

    void aRestrictedWorldDrawsOnlyItsClassesAndStyles() {
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        StyleWorld small(loadFashionMnist(defaultFashionMnistDirectory(), Split::Test), syntheticPalettes(20));
        const StyleSpec a{0, 0, BackgroundKind::White};
        int dots = 0;
        while (textureSettings()[std::size_t(dots)].kind != TextureKind::Dots) ++dots;
        const StyleSpec b{1, dots, BackgroundKind::Black};
        // Bad restrictions: too few classes or styles, a class or palette outside the world, styles that a
        // same-content pair could not tell apart.
        QCOMPARE(expectError([&] { small.restrict({1}, {a, b}); }).kind(), ErrorKind::InvalidArgument);
        QCOMPARE(expectError([&] { small.restrict({1, 12}, {a, b}); }).kind(), ErrorKind::InvalidArgument);
        QCOMPARE(expectError([&] { small.restrict({1, 8}, {a, StyleSpec{99, 0, BackgroundKind::Black}}); }).kind(),
                 ErrorKind::InvalidArgument);
        QCOMPARE(expectError([&] { small.restrict({1, 8}, {a, StyleSpec{1, dots, BackgroundKind::White}}); }).kind(),
                 ErrorKind::InvalidArgument);
        QVERIFY(!small.isRestricted());
        small.restrict({1, 8}, {a, b});
        QVERIFY(small.isRestricted());
        PairSampler sampler(small, StyleSplit::Train, 5);
        std::map<PairRelation, int> relations;
        for (int i = 0; i < 300; ++i) {
            const StyledPair pair = sampler.next();
            ++relations[pair.relation];
            for (int c : {pair.referenceClass, pair.targetClass}) QVERIFY(c == 1 || c == 8);
            for (const StyleSpec& s : {pair.referenceStyle, pair.targetStyle}) QVERIFY(s == a || s == b);
            if (pair.relation == PairRelation::SameStyle) QVERIFY(pair.referenceClass != pair.targetClass);
            if (pair.relation == PairRelation::SameContent) QVERIFY(pair.referenceStyle != pair.targetStyle);
        }
        QCOMPARE(relations[PairRelation::SameStyle], 100);
        const Dataset renders = small.renderDataset(64, StyleSplit::HeldOut, 3);
        QCOMPARE(renders.count(), int64_t(64));
        QCOMPARE(renders.itemShape, (std::vector<int64_t>{3, 32, 32}));
        std::set<int64_t> labels(renders.labels.begin(), renders.labels.end());
        QCOMPARE(labels, (std::set<int64_t>{1, 8}));
        QCOMPARE(small.renderDataset(64, StyleSplit::HeldOut, 3).values, renders.values); // seeded
    }

    void missingDataSetsAreClearErrors() {
        const Error fashion = expectError([] { StyleWorld::load("/nonexistent/fashion", Split::Train, "/nonexistent/emoji"); });
        QCOMPARE(fashion.kind(), ErrorKind::Data);
        QVERIFY2(QString(fashion.what()).contains("/nonexistent/fashion"), fashion.what());
        if (!haveFashionMnist()) QSKIP("dataset-fashion-mnist is not installed");
        const Error emoji = expectError([] { StyleWorld::load(defaultFashionMnistDirectory(), Split::Test, "/nonexistent/emoji"); });
        QCOMPARE(emoji.kind(), ErrorKind::Data);
        QVERIFY2(QString(emoji.what()).contains("/nonexistent/emoji"), emoji.what());
        QTemporaryDir empty;
        const Error none = expectError([&] { StyleWorld::load(defaultFashionMnistDirectory(), Split::Test, empty.path().toStdString()); });
        QCOMPARE(none.kind(), ErrorKind::Data);
        // A render outside the texture table is refused, not read out of bounds.
        StyleSpec bad;
        bad.texture = 35;
        QCOMPARE(expectError([&] { world().render(0, bad, 1); }).kind(), ErrorKind::InvalidArgument);
    }
};

QTEST_APPLESS_MAIN(TestStyleWorld)
#include "test_style_world.moc"
