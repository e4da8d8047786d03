// cmstudio-cli style-data: looks at DEADiff's miniature style world (core/style_world.h) as a PNG grid,
// single styled renders or (reference, target) pairs, so a person can judge what the models will learn from.
#include "cli_commands.h"
#include "cli_options.h"
#include "core/image_util.h"
#include "core/style_world.h"

#include <algorithm>
#include <cstdio>
#include <QDir>

using Option = QCommandLineOption;

int runStyleData(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Write a grid of the DEADiff style world: Fashion-MNIST garments rendered with palettes from the Noto "
        "emoji, textures and backgrounds, 8 per row. With --pairs, each row holds three (reference, target) "
        "pairs: same style (different garment class), same content (different style), identical.");
    p.addOptions({
        Option({"o", "out"}, "The PNG, JPEG or WebP grid to write.", "file"),
        Option("n", "How many renders (or pairs with --pairs, rounded up to rows of three), 1..1024 (default 64).", "count", "64"),
        Option("seed", "The seed of the draw (default 1).", "seed", "1"),
        Option("pairs", "Draw pairs instead of single renders."),
        Option("prompt", "Only this garment (a word of the vocabulary, e.g. dress, sneaker, ankle boot); single renders only.",
               "word"),
        Option("held-out", "Draw the held-out styles and the held-out garments (the Fashion-MNIST test split)."),
        Option("fashion", "The Fashion-MNIST folder (default Debian's).", "dir"),
        Option("emoji", "The emoji folder (scripts/make-emoji-folder.sh; default runs/noto-emoji).", "dir",
               "runs/noto-emoji"),
        Option("save-each", "Single renders: also write each one, 32x32, as DIR/render-NN.png (the app's style "
                            "swatches are made so: scripts/make-style-swatches.sh).",
               "dir"),
        Option("overwrite", "Replace existing output files."),
    });
    if (!parseOrHelp(p, "style-data", arguments)) return 0;
    if (p.isSet("save-each") && p.isSet("pairs")) throw UsageError{"--save-each writes single renders, not pairs"};
    const auto eachPath = [&](long i) {
        return QDir(p.value("save-each")).filePath(QString("render-%1.png").arg(i + 1, 2, 10, QChar('0')));
    };
    if (!p.isSet("out")) throw UsageError{"style-data needs --out FILE"};
    const QString out = p.value("out");
    requireImageExtension(out);
    refuseToOverwrite(out, p.isSet("overwrite"));
    const long n = toLong(p, "n", 1, 1024);
    if (p.isSet("save-each"))
        for (long i = 0; i < n; ++i) refuseToOverwrite(eachPath(i), p.isSet("overwrite"));
    const uint64_t seed = uint64_t(toLong(p, "seed", 0, 2147483647L));
    const bool heldOut = p.isSet("held-out");
    if (p.isSet("prompt") && p.isSet("pairs")) throw UsageError{"--prompt picks the garment of single renders; pairs choose their own"};
    // Checked before the data sets are read: a typo costs nothing.
    const int onlyClass = p.isSet("prompt") ? cm::parseGarmentPrompt(str(p.value("prompt"))) : -1;
    const std::string fashion = p.isSet("fashion") ? str(p.value("fashion")) : cm::defaultFashionMnistDirectory();

    const cm::StyleWorld world =
        cm::StyleWorld::load(fashion, heldOut ? cm::Split::Test : cm::Split::Train, str(p.value("emoji")));
    const cm::StyleSplit split = heldOut ? cm::StyleSplit::HeldOut : cm::StyleSplit::Train;
    std::printf("%s\n", world.description().c_str());
    std::printf("style world: %lld garments, %zu palettes (%zu training, %zu held out), %zu texture settings, %d backgrounds\n",
                static_cast<long long>(world.garments().count()), world.palettes().size(),
                world.palettesOf(cm::StyleSplit::Train).size(), world.palettesOf(cm::StyleSplit::HeldOut).size(),
                cm::textureSettings().size(), cm::kBackgroundKinds);

    std::vector<cv::Mat> tiles;
    int columns = 8;
    if (p.isSet("pairs")) {
        // The sampler holds each relation once in every run of three draws; a row shows one run, sorted by
        // relation so the columns mean the same thing all the way down.
        columns = 6;
        cm::PairSampler sampler(world, split, seed);
        const long runs = (n + 2) / 3;
        for (long run = 0; run < runs; ++run) {
            std::vector<cm::StyledPair> row;
            for (int k = 0; k < 3; ++k) row.push_back(sampler.next());
            std::sort(row.begin(), row.end(), [](const cm::StyledPair& a, const cm::StyledPair& b) { return a.relation < b.relation; });
            for (const cm::StyledPair& pair : row) {
                tiles.push_back(pair.reference);
                tiles.push_back(pair.target);
                std::printf("row %ld %s: prompt '%s'; reference: %s; target: %s\n", run, cm::pairRelationName(pair.relation),
                            pair.prompt.c_str(), cm::describeStyle(pair.referenceStyle).c_str(),
                            cm::describeStyle(pair.targetStyle).c_str());
            }
        }
    } else {
        std::mt19937_64 rng(seed);
        for (long i = 0; i < n; ++i) {
            const std::vector<int64_t>* items = onlyClass >= 0 ? &world.itemsOfClass(onlyClass) : nullptr;
            const int64_t item = items ? (*items)[std::size_t(rng() % items->size())]
                                       : int64_t(rng() % uint64_t(world.garments().count()));
            const cm::StyleSpec style = world.drawStyle(split, rng);
            tiles.push_back(world.render(item, style, rng()));
        }
    }
    cm::writeImageAtomically(str(out), cm::makeGrid(tiles, columns));
    std::printf("wrote %s\n", str(out).c_str());
    if (p.isSet("save-each")) {
        const QDir folder(p.value("save-each"));
        if (!QDir().mkpath(folder.path())) throw UsageError{"cannot create " + folder.path()};
        for (std::size_t i = 0; i < tiles.size(); ++i) {
            cm::writeImageAtomically(str(eachPath(long(i))), tiles[i]);
        }
        std::printf("wrote %zu renders into %s\n", tiles.size(), str(folder.path()).c_str());
    }
    return 0;
}
