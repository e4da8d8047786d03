// cmstudio-cli eval-style: issue 19's measures of a style model (core/style/style_evaluation.h) on held-out
// styles and garments, as text or one JSON line (scripts/style_results.py reads it), with a grid of the
// first cases (references, the prompted garment really rendered in that style, the outputs).
#include "cli_commands.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "core/error.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/style/style_evaluation.h"
#include "core/style_world.h"

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>

using Option = QCommandLineOption;

namespace {

nlohmann::json scoresJson(const cm::StyleScores& s) {
    return {{"style_match", s.styleMatch},           {"colour_match", s.colourMatch},
            {"texture_match", s.textureMatch},       {"background_match", s.backgroundMatch},
            {"statistics_distance", s.statisticsDistance}, {"prompt_alignment", s.promptAlignment},
            {"leakage", s.leakage},                  {"fd", s.fd}};
}

void printScores(const char* what, const cm::StyleScores& s) {
    std::printf("%-34s style %.3f (colour %.3f, texture %.3f, background %.3f), statistics distance %.4f, "
                "prompt %.3f, leakage %.3f, FD %.2f\n",
                what, s.styleMatch, s.colourMatch, s.textureMatch, s.backgroundMatch, s.statisticsDistance,
                s.promptAlignment, s.leakage, s.fd);
}

} // namespace

int runEvalStyle(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Measure a style model on held-out styles and garments: each case prompts a garment with a reference of "
        "another garment in a held-out style. Style similarity (the style classifier gives the reference's colour, "
        "texture and background; the distance of feature statistics to the reference), prompt alignment and "
        "content leakage (the Fashion-MNIST classifier on the output's garment), FD to real renders of the "
        "prompted garment in that style, seconds per image.");
    p.addOptions({
        Option({"m", "model"}, "The style model (train-style --stage extractors).", "path"),
        Option("classifier", "The style classifier (train-style --stage style-classifier).", "path"),
        Option("garment-classifier", "A Fashion-MNIST classifier (28x28 grey).", "path", "fashion-mnist-classifier"),
        Option("n", "Cases, 2..4096.", "count", "64"),
        Option("seed", "Seed of the cases and of the sampling noise.", "seed", "0"),
        Option("steps", "Heun sampling points of a multistep model (2 N - 1 evaluations).", "N", "18"),
        Option("split", "Styles of the cases: held-out or train (garments are always the test split).", "name",
               "held-out"),
        Option("grid", "Write a grid of the first 8 cases: references, ideals (the prompted garment rendered in the "
                       "reference's style), outputs; scaled 3x.",
               "file"),
        Option("json", "Print one JSON line instead of text."),
        Option("overwrite", "Replace an existing grid file."),
        Option("fashion", "The Fashion-MNIST folder (default Debian's).", "dir"),
        Option("emoji", "The emoji folder (default runs/noto-emoji).", "dir", "runs/noto-emoji"),
    });
    if (!parseOrHelp(p, "eval-style", arguments)) return 0;
    for (const char* required : {"model", "classifier"})
        if (!p.isSet(required)) throw UsageError{QString("eval-style needs --%1").arg(required)};
    const QString split = p.value("split");
    if (split != "held-out" && split != "train") throw UsageError{"--split must be held-out or train"};
    if (p.isSet("grid")) {
        requireImageExtension(p.value("grid"));
        refuseToOverwrite(p.value("grid"), p.isSet("overwrite"));
    }
    cm::StyleEvaluationParams params;
    params.count = int(toLong(p, "n", 2, 4096));
    params.seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    params.edmPoints = int(toLong(p, "steps", 2, 1000));
    params.split = split == "train" ? cm::StyleSplit::Train : cm::StyleSplit::HeldOut;
    const cm::Model model = cm::Model::load(str(p.value("model")));
    const cm::StyleJudges judges{cm::FeatureNet::load(str(p.value("classifier"))),
                                 cm::FeatureNet::load(modelPath(p.value("garment-classifier")))};
    cm::checkStyleJudges(judges);
    const std::string fashion = p.isSet("fashion") ? str(p.value("fashion")) : cm::defaultFashionMnistDirectory();
    const cm::StyleWorld world = cm::StyleWorld::load(fashion, cm::Split::Test, str(p.value("emoji")));
    CliProgress bar("eval-style", "evaluations");
    const auto result = cm::evaluateStyleModel(
        model, world, judges, params, [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    std::vector<std::string> gridPrompts;
    if (p.isSet("grid")) {
        const int columns = std::min(8, params.count);
        std::vector<cv::Mat> tiles;
        auto add = [&](const cv::Mat& image8) {
            cv::Mat big;
            cv::resize(image8, big, cv::Size(), 3, 3, cv::INTER_NEAREST);
            tiles.push_back(big);
        };
        for (int j = 0; j < columns; ++j)
            add(result.cases[std::size_t(j)].reference);
        for (int j = 0; j < columns; ++j)
            add(result.cases[std::size_t(j)].ideal);
        for (int j = 0; j < columns; ++j)
            add(cm::toDisplay8U(result.outputs[std::size_t(j)]));
        for (int j = 0; j < columns; ++j)
            gridPrompts.push_back(cm::garmentPrompts().at(std::size_t(result.cases[std::size_t(j)].promptClass)));
        cm::writeImageAtomically(str(p.value("grid")), cm::makeGrid(tiles, columns));
    }
    const auto& card = model.card();
    if (p.isSet("json")) {
        nlohmann::json j = scoresJson(result.scores);
        j["images"] = result.scores.images;
        j["nfe"] = result.nfe;
        j["seconds_per_image"] = result.secondsPerImage;
        j["extractors"] = card.network.imageExtractors == 2 ? "dual" : "single";
        j["placement"] = card.network.imagePlacementName();
        j["training"] = nlohmann::json::parse(card.trainingJson.empty() ? "{}" : card.trainingJson, nullptr, false);
        j["training_steps"] = card.trainingSteps;
        j["ideal"] = scoresJson(result.idealScores);
        j["reference"] = scoresJson(result.referenceScores);
        j["grid_prompts"] = gridPrompts;
        std::printf("%s\n", j.dump().c_str());
        return 0;
    }
    std::printf("%s: %ld cases (%s styles, test-split garments), %d evaluations per image, %.3f s per image\n",
                str(p.value("model")).c_str(), result.scores.images, qPrintable(split), result.nfe,
                result.secondsPerImage);
    printScores("outputs", result.scores);
    printScores("ideals (the judges' ceiling)", result.idealScores);
    printScores("references (copying the reference)", result.referenceScores);
    if (!gridPrompts.empty()) {
        std::printf("grid %s, prompts of its columns:", str(p.value("grid")).c_str());
        for (const auto& prompt : gridPrompts)
            std::printf(" %s", prompt.c_str());
        std::printf("\n");
    }
    return 0;
}
