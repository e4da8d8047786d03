// cmstudio-cli train-style and stylize: DEADiff's style model (core/style): the feature network of the
// style world, the prompt base, the extractors; and generating a prompted garment in a reference's style.
#include "cli_commands.h"
#include "cli_distributed.h"
#include "cli_images.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "core/error.h"
#include "core/feature_net.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/sampler.h"
#include "core/schedule.h"
#include "core/style/style_evaluation.h"
#include "core/style/style_model.h"
#include "core/style/style_trainer.h"
#include "core/style/stylize.h"
#include "core/style_world.h"

#include <cstdio>

using Option = QCommandLineOption;

int runTrainStyle(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Train DEADiff's style model on the style world, in three stages: 'features' (the project's feature "
        "network, an autoencoder of 32x32 renders, whose map the extractors read), 'base' (a prompt-conditioned "
        "EDM denoiser, prompts only) and 'extractors' (the two Q-Formers and W_K^I, W_V^I on pairs 1:1:1, the "
        "base frozen); then 'consistency' makes the style model one-step (ECT from its weights on the same "
        "pairs, the reference encoder and the Q-Formers frozen).");
    cm::StyleTrainParams d;
    p.addOptions({
        Option("stage", "features, base, extractors, consistency, or style-classifier (the judge of eval-style).",
               "stage", "base"),
        Option({"o", "out"}, "The file to write (safetensors).", "path"),
        Option("size", "Stage base: the architecture, tiny or small.", "name", "small"),
        Option("base", "Stage extractors: the trained base.", "path"),
        Option("features", "Stage extractors: the feature network (stage features).", "path"),
        Option("style", "Stage consistency: the trained style model (stage extractors).", "path"),
        Option("ect-q", "Stage consistency: ECT's q (r approaches t by this factor per stage).", "x",
               QString::number(d.ectQ)),
        Option("ect-stage-steps", "Stage consistency: steps per ECT stage (0 = steps/8).", "N", "0"),
        Option("queries", "Stage extractors: learned queries per Q-Former.", "N", QString::number(d.extractors.queries)),
        Option("qformer-width", "Stage extractors: Q-Former width.", "N", QString::number(d.extractors.width)),
        Option("qformer-layers", "Stage extractors: Q-Former layers.", "N", QString::number(d.extractors.layers)),
        Option("extractor", "Stage extractors: dual (DEADiff's style and content Q-Formers) or single (one "
                            "image encoder whose tokens go to every layer, the IP-Adapter kind).",
               "dual|single", "dual"),
        Option("placement", "Stage extractors: disentangled (content tokens at the lowest cross-attention "
                            "resolution, style tokens above) or everywhere (both sets in every layer; a single "
                            "encoder always).",
               "disentangled|everywhere"),
        Option("tasks", "Stage extractors: paired (DEADiff's same style, same content, reconstruction 1:1:1) or "
                        "reconstruction (identical pairs only).",
               "paired|reconstruction", "paired"),
        Option("renders", "Stage features and style-classifier: renders to train on.", "N", "8192"),
        Option("epochs", "Stage features and style-classifier: epochs.", "N", "4"),
        Option("checkpoint", "Checkpoint file (default: OUT.ckpt).", "path"),
        Option("log", "CSV training log (default: OUT.csv).", "path"),
        Option("resume", "Continue from the checkpoint."),
        Option("overwrite", "Replace an existing model instead of refusing."),
        Option("steps", "Total optimisation steps.", "N", QString::number(d.totalSteps)),
        Option("batch", "Batch size.", "N", QString::number(d.batchSize)),
        Option("lr", "Adam learning rate.", "x", QString::number(d.learningRate)),
        Option("ema", "EMA rate of the saved weights.", "x", QString::number(d.emaRate)),
        Option("p-mean", "Mean of ln sigma (default -1.2 for the base, 2.0 for the extractors: the reference "
                         "matters where the noisy image does not show its colours; 1.0 for the consistency stage's t).",
               "x"),
        Option("seed", "Random seed.", "N", "0"),
        Option("threads", "Torch threads (0 = default).", "N", "0"),
        Option("log-every", "Steps between log rows.", "N", QString::number(d.logEvery)),
        Option("checkpoint-every", "Steps between checkpoints.", "N", QString::number(d.checkpointEvery)),
        Option("fashion", "The Fashion-MNIST folder (default Debian's).", "dir"),
        Option("emoji", "The emoji folder (scripts/make-emoji-folder.sh; default runs/noto-emoji).", "dir",
               "runs/noto-emoji"),
    });
    addDistributedOptions(p);
    if (!parseOrHelp(p, "train-style", arguments)) return 0;
    if (!p.isSet("out")) throw UsageError{"train-style needs --out PATH"};
    const std::string stage = str(p.value("stage"));
    if (stage != "features" && stage != "base" && stage != "extractors" && stage != "consistency" &&
        stage != "style-classifier")
        throw UsageError{"--stage must be features, base, extractors, consistency or style-classifier, got '" +
                         p.value("stage") + "'"};
    if ((stage == "features" || stage == "style-classifier") && (toLong(p, "nproc", 1, 256) > 1 || cm::distributedFromEnvironment().worldSize > 1))
        throw UsageError{"--stage " + p.value("stage") + " trains in one process"};
    if (const int code = launchLocalRanksIfAsked(p, "train-style", arguments); code >= 0) return code;
    const uint64_t seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    const std::string fashion = p.isSet("fashion") ? str(p.value("fashion")) : cm::defaultFashionMnistDirectory();
    if (stage == "features") {
        refuseToOverwrite(p.value("out"), p.isSet("overwrite"));
        const long renders = toLong(p, "renders", 64, 1000000);
        const cm::StyleWorld world = cm::StyleWorld::load(fashion, cm::Split::Train, str(p.value("emoji")));
        cm::FeatureNetTrainParams params;
        params.kind = cm::FeatureNetKind::Autoencoder;
        params.width = 16;
        params.featureDim = 64;
        params.epochs = int(toLong(p, "epochs", 1, 1000));
        params.horizontalFlips = false;
        params.seed = seed;
        params.threads = int(toLong(p, "threads", 0, 256));
        std::fprintf(stderr, "training the style world's feature network on %ld renders\n", renders);
        CliProgress bar("train-style features", "steps");
        auto net = cm::trainFeatureNet(world.renderDataset(renders, cm::StyleSplit::Train, seed),
                                       world.renderDataset(512, cm::StyleSplit::HeldOut, seed + 1), params,
                                       [&](const cm::FeatureNetTrainStatus& s) { bar.update(s.step, s.totalSteps); },
                                       &g_interrupted);
        bar.finish();
        net.card().dataset = world.description();
        net.save(str(p.value("out")));
        std::fprintf(stderr, "held-out reconstruction MSE %.4f; written to %s\n", net.card().heldOutScore,
                     str(p.value("out")).c_str());
        return 0;
    }
    if (stage == "style-classifier") {
        // The judge of issue 19's style measures (eval-style), saved like every evaluator.
        refuseToOverwrite(p.value("out"), p.isSet("overwrite"));
        cm::StyleClassifierParams params;
        params.renders = toLong(p, "renders", 64, 1000000);
        params.epochs = int(toLong(p, "epochs", 1, 1000));
        params.seed = seed;
        params.threads = int(toLong(p, "threads", 0, 256));
        const cm::StyleWorld train = cm::StyleWorld::load(fashion, cm::Split::Train, str(p.value("emoji")));
        const cm::StyleWorld heldOut = cm::StyleWorld::load(fashion, cm::Split::Test, str(p.value("emoji")));
        std::fprintf(stderr, "training the style classifier on %ld renders of training styles\n", long(params.renders));
        CliProgress bar("train-style style-classifier", "steps");
        auto net = cm::trainStyleClassifier(
            train, heldOut, params, [&](const cm::FeatureNetTrainStatus& s) { bar.update(s.step, s.totalSteps); },
            &g_interrupted);
        bar.finish();
        net.save(str(p.value("out")));
        std::fprintf(stderr, "held-out style-class accuracy %.3f (chance %.3f); written to %s\n", net.card().heldOutScore,
                     1.0 / cm::kStyleClasses, str(p.value("out")).c_str());
        return 0;
    }
    cm::StyleTrainParams params;
    params.stage = cm::styleStageFromName(stage);
    if (params.stage == cm::StyleStage::Base) params.base = cm::styleBaseConfig(str(p.value("size")));
    params.basePath = str(p.value("base"));
    params.featureNetPath = str(p.value("features"));
    params.stylePath = str(p.value("style"));
    params.ectQ = toDouble(p, "ect-q");
    params.ectStageSteps = toLong(p, "ect-stage-steps", 0, 100000000);
    params.extractors.queries = int(toLong(p, "queries", 1, 256));
    params.extractors.width = int(toLong(p, "qformer-width", 8, 2048));
    params.extractors.layers = int(toLong(p, "qformer-layers", 1, 12));
    params.extractors.extractors = cm::extractorsFromName(str(p.value("extractor")));
    const bool single = params.extractors.extractors == cm::StyleExtractorConfig::Extractors::Single;
    params.extractors.disentangled =
        p.isSet("placement") ? cm::disentangledFromPlacementName(str(p.value("placement"))) : !single;
    params.tasks = cm::styleTasksFromName(str(p.value("tasks")));
    params.outputPath = str(p.value("out"));
    params.checkpointPath = str(p.value("checkpoint"));
    params.logPath = str(p.value("log"));
    params.resume = p.isSet("resume");
    params.overwrite = p.isSet("overwrite");
    params.totalSteps = toLong(p, "steps", 1, 100000000);
    params.batchSize = int(toLong(p, "batch", 1, 4096));
    params.learningRate = toDouble(p, "lr");
    params.emaRate = toDouble(p, "ema");
    const cm::NoiseLevels levels = cm::defaultNoiseLevels(params.stage);
    params.pMean = p.isSet("p-mean") ? toDouble(p, "p-mean") : levels.mean;
    params.pStd = levels.std;
    params.seed = seed;
    params.threads = int(toLong(p, "threads", 0, 256));
    params.logEvery = toLong(p, "log-every", 1, 100000000);
    params.checkpointEvery = toLong(p, "checkpoint-every", 1, 100000000);
    // One rank of a data-parallel run when torchrun's environment says so.
    params.distributed = readDistributedOptions(p);
    const bool reports = params.distributed.rank == 0; // the other ranks keep quiet
    const cm::StyleWorld world = cm::StyleWorld::load(fashion, cm::Split::Train, str(p.value("emoji")));
    if (reports) {
        std::fprintf(stderr, "training the style model's %s for %ld steps -> %s\n", cm::styleStageName(params.stage),
                     params.totalSteps, params.outputPath.c_str());
        reportDataParallel(params.distributed, params.batchSize);
    }
    CliProgress bar("train-style", "steps");
    const auto summary = cm::trainStyleModel(
        params, world,
        [&](const cm::StyleTrainStatus& s) {
            if (!reports) return;
            char extra[64];
            std::snprintf(extra, sizeof extra, "loss %.4g", s.loss);
            bar.update(s.step, s.totalSteps, extra);
        },
        &g_interrupted);
    if (!reports) return summary.cancelled ? 130 : 0;
    bar.finish();
    if (summary.cancelled) {
        std::fprintf(stderr, "interrupted at step %ld; checkpoint saved, continue with --resume\n", summary.steps);
        return 130;
    }
    std::fprintf(stderr, "done: %ld steps in %s; written to %s\n", summary.steps, formatDuration(summary.seconds).c_str(),
                 params.outputPath.c_str());
    return 0;
}

int runStylize(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Generate the prompted garment in the style of a reference image with a DEADiff style model "
        "(train-style), multistep (Heun) or, from the one-step model (train-style --stage consistency), in one "
        "network evaluation per image. Writes one row per prompt: the reference, then the images.");
    p.addOptions({
        Option({"m", "model"}, "The style model (train-style --stage extractors or consistency).", "path"),
        Option("reference", "The reference image (PNG, JPEG, WebP); resized and centre-cropped to the model's size.",
               "path"),
        Option("prompt", "The garment, a word of the vocabulary (t-shirt, trouser, pullover, dress, coat, sandal, "
                         "shirt, sneaker, bag, ankle boot); repeat it for several garments.",
               "word"),
        Option("n", "How many images per prompt, 1..64.", "count", "8"),
        Option("steps", "A consistency style model: evaluations (default 1); a denoiser: Heun sampling points, "
                        "2 N - 1 evaluations (default the card's, else 18).",
               "N"),
        Option("use", "Which tokens of the reference: style (DEADiff's style mode: content tokens zeroed) or both.",
               "style|both", "style"),
        Option("seed", "Image j of every prompt starts from the noise of seed + j.", "seed", "0"),
        Option({"o", "out"}, "The PNG, JPEG or WebP to write.", "file"),
        Option("overwrite", "Replace an existing output file."),
    });
    if (!parseOrHelp(p, "stylize", arguments)) return 0;
    for (const char* required : {"model", "reference", "prompt", "out"})
        if (!p.isSet(required)) throw UsageError{QString("stylize needs --%1").arg(required)};
    const QString out = p.value("out");
    requireImageExtension(out);
    refuseToOverwrite(out, p.isSet("overwrite"));
    const QString use = p.value("use");
    if (use != "style" && use != "both") throw UsageError{"--use must be style or both"};
    cm::StylizeParams params;
    params.count = int(toLong(p, "n", 1, 64));
    if (p.isSet("steps")) params.steps = int(toLong(p, "steps", 1, 1000));
    params.seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    for (const QString& prompt : p.values("prompt")) params.prompts.push_back(str(prompt));
    params.use = use == "style" ? cm::Conditioning::ReferenceUse::StyleOnly
                                : cm::Conditioning::ReferenceUse::StyleAndContent;
    const cm::Model model = cm::Model::load(str(p.value("model")));
    params.referenceOrigin = str(p.value("reference"));
    params.reference = cm::readImageFile(params.referenceOrigin);
    CliProgress bar("stylize", "evaluations");
    const cm::StylizeResult result =
        cm::stylize(model, params, [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    for (const std::string& note : result.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
    std::vector<cv::Mat> tiles;
    for (const std::vector<cv::Mat>& row : result.images) {
        tiles.push_back(cm::toDisplay8U(result.reference));
        for (const cv::Mat& image : row) tiles.push_back(cm::toDisplay8U(image));
    }
    cm::writeImageAtomically(str(out), cm::makeGrid(tiles, params.count + 1));
    QStringList prompts;
    for (const std::string& prompt : result.prompts) prompts << QString::fromStdString(prompt);
    std::printf("wrote %s: the reference and %d images of %s (%d evaluations each)\n", str(out).c_str(), params.count,
                str(prompts.join(", ")).c_str(), result.nfe);
    return 0;
}
