// cmstudio-cli train-tokenizer and tokenize: FlowMo tokenizers (images <-> bit codes).
#include "cli_commands.h"
#include "cli_distributed.h"
#include "cli_images.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "core/tokenizer/tokenizer_trainer.h"

#include <QFileInfo>

#include <cstdio>

using Option = QCommandLineOption;

namespace {

// A code file holds one line of hex; anything much larger is not a code.
constexpr uint64_t kMaxCodeFileBytes = 64 * 1024;

// --bits: "lo", "hi", or the bit count of one of them at this image size.
cm::TokenizerConfig configForBits(const QString& bits, int imageSize, int channels) {
    for (const char* rate : {"lo", "hi"}) {
        const auto config = cm::tokenizerPreset(rate, imageSize, channels);
        if (bits == rate || bits == QString::number(config.codeBits())) return config;
    }
    throw UsageError{QString("--bits is lo (%1 bits at %2 px), hi (%3 bits) or one of those numbers, got '%4'")
                         .arg(cm::tokenizerPreset("lo", imageSize, channels).codeBits())
                         .arg(imageSize)
                         .arg(cm::tokenizerPreset("hi", imageSize, channels).codeBits())
                         .arg(bits)};
}

// The project's own feature network for the data (no ImageNet weights exist here): "auto" picks the bundled
// one, "none" (where `flag` allows it) none, anything else names a file.
std::string featureNetwork(const QString& choice, const QString& data, const cm::TokenizerConfig& config,
                           const char* flag) {
    if (choice == "none") return {};
    if (!choice.isEmpty() && choice != "auto") return modelPath(choice);
    if (isFashionMnistSpec(data)) return modelPath("fashion-mnist-classifier");
    if (config.imageSize == 32 && config.channels == 3) return modelPath("noto-emoji-autoencoder");
    throw UsageError{QString("no bundled feature network fits this data; give %1 PATH (a FeatureNet file)").arg(flag)};
}

std::string readCodeText(const QString& codeOrFile) {
    if (QFileInfo(codeOrFile).isFile()) {
        const auto bytes = cm::readWholeFile(str(codeOrFile), kMaxCodeFileBytes);
        return std::string(bytes.begin(), bytes.end());
    }
    return str(codeOrFile);
}

int runEncode(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Encode an image into its bit code: prints the code (hex) and its bit count, and "
                                "writes the hex to a file.");
    p.addOptions({
        Option({"m", "model"}, "The tokenizer file (safetensors).", "path"),
        Option("image", "The image to encode (PNG, JPEG or WebP of the tokenizer's size).", "path"),
        Option("fit", "Resize and centre-crop an image of another size to the tokenizer's."),
        Option({"o", "out"}, "The code file to write (default: IMAGE.code next to the image).", "path"),
        Option("overwrite", "Replace an existing code file."),
    });
    if (!parseOrHelp(p, "tokenize encode", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"tokenize encode needs --model TOKENIZER"};
    if (!p.isSet("image")) throw UsageError{"tokenize encode needs --image IN.png"};
    const QString out = p.isSet("out") ? p.value("out") : p.value("image") + ".code";
    refuseToOverwrite(out, p.isSet("overwrite"));
    const cm::Tokenizer tokenizer = cm::Tokenizer::load(modelPath(p.value("model")));
    const auto& config = tokenizer.card().config;
    const cv::Mat image = loadModelImage(p.value("image"), config.imageSize, config.channels, p.isSet("fit"));
    const cm::TokenCode code = tokenizer.encode({image})[0];
    const std::string hex = cm::codeToHex(code);
    cm::writeFileAtomically(str(out), hex + "\n");
    std::printf("%s\n%d bits (%.4g bits per pixel)\n", hex.c_str(), code.bitCount(), config.bitsPerPixel());
    std::fprintf(stderr, "code written to %s\n", qPrintable(out));
    return 0;
}

int runDecode(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Decode a bit code into an image with the tokenizer's flow decoder.");
    p.addOptions({
        Option({"m", "model"}, "The tokenizer file (safetensors).", "path"),
        Option("code", "The code: hex text, or a file holding it.", "hex|file"),
        Option({"o", "out"}, "The image to write (.png, .jpg, .webp).", "path", "decoded.png"),
        Option("steps", "Euler steps of the flow (0 = the card's, 25). 1: the one-step decoder when the file has one "
                        "(otherwise a single Euler step).", "N", "0"),
        Option("rho", "Schedule t_i = (i/n)^rho (0 = the card's, 4; 1 = linear).", "x", "0"),
        Option("guidance", "Guidance weight inside the card's interval of t (negative = the card's, 1.5).", "w", "-1"),
        Option("seed", "Seed of the starting noise.", "N", "0"),
        Option("zoom", "Nearest-neighbour enlargement.", "N", "1"),
        Option("overwrite", "Replace an existing image."),
    });
    if (!parseOrHelp(p, "tokenize decode", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"tokenize decode needs --model TOKENIZER"};
    if (!p.isSet("code")) throw UsageError{"tokenize decode needs --code HEX or --code FILE"};
    requireImageExtension(p.value("out"));
    refuseToOverwrite(p.value("out"), p.isSet("overwrite"));
    cm::DecodeParams params;
    params.steps = int(toLong(p, "steps", 0, 10000));
    params.rho = toDouble(p, "rho");
    params.guidance = toDouble(p, "guidance");
    params.seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    const int zoom = int(toLong(p, "zoom", 1, 64));
    const cm::Tokenizer tokenizer = cm::Tokenizer::load(modelPath(p.value("model")));
    const int bits = tokenizer.card().config.codeBits();
    const cm::TokenCode code = cm::codeFromHex(readCodeText(p.value("code")), bits, "--code");
    CliProgress bar("decode", "evaluations");
    const auto images =
        tokenizer.decode({code}, params, [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    writeModelImage(p.value("out"), images[0], zoom);
    std::fprintf(stderr, "decoded %d bits -> %s\n", bits, qPrintable(p.value("out")));
    return 0;
}

// Held-out images: Fashion-MNIST's test split, or every K-th image of a folder (the split training left out).
cm::Dataset heldOutImages(const QString& spec, const cm::TokenizerConfig& config, long holdOut, long count) {
    cm::Dataset data;
    if (isFashionMnistSpec(spec)) {
        data = cm::loadFashionMnist(fashionMnistDirectory(spec), cm::Split::Test);
    } else {
        if (holdOut < 2) throw UsageError{"a folder needs --hold-out K (the K training left out)"};
        data = cm::splitEveryKth(loadTrainingData(spec, config.imageSize, config.channels, false, 0), int(holdOut)).second;
    }
    if (count > 0 && count < data.count()) {
        data.values.resize(std::size_t(count * data.itemSize()));
        if (data.hasLabels()) data.labels.resize(std::size_t(count));
        data.description += " (first " + std::to_string(count) + ")";
    }
    return data;
}

int runMeasure(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Measure a tokenizer on held-out images: reconstruction FD, PSNR, class accuracy of "
                                "the reconstructions, bits per pixel, evaluations and decoding time. Prints one JSON line.");
    p.addOptions({
        Option({"m", "model"}, "The tokenizer file (safetensors).", "path"),
        Option("data", "fashion-mnist (its test split) or a folder (with --hold-out).", "spec", "fashion-mnist"),
        Option("hold-out", "Folders: the K of training's --hold-out (every K-th image is measured).", "K", "0"),
        Option("n", "Held-out images to measure (0 = all).", "N", "1000"),
        Option({"e", "evaluator"}, "The evaluator, or 'auto' (the bundled one for the data).", "path", "auto"),
        Option("steps", "Euler steps (0 = the card's).", "N", "0"),
        Option("rho", "Schedule exponent (0 = the card's).", "x", "0"),
        Option("guidance", "Guidance weight (negative = the card's).", "w", "-1"),
        Option("seed", "Seed of the starting noise (image j: seed + j).", "N", "0"),
        Option("batch", "Images per decoding batch.", "N", "100"),
    });
    if (!parseOrHelp(p, "tokenize eval", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"tokenize eval needs --model TOKENIZER"};
    const cm::Tokenizer tokenizer = cm::Tokenizer::load(modelPath(p.value("model")));
    const auto& config = tokenizer.card().config;
    const cm::Dataset heldOut =
        heldOutImages(p.value("data"), config, toLong(p, "hold-out", 0, 1000000), toLong(p, "n", 0, 1L << 30));
    if (p.value("evaluator") == "none") throw UsageError{"tokenize eval needs an evaluator"};
    const cm::FeatureNet evaluator =
        cm::FeatureNet::load(featureNetwork(p.value("evaluator"), p.value("data"), config, "--evaluator"));
    cm::DecodeParams params;
    params.steps = int(toLong(p, "steps", 0, 10000));
    params.rho = toDouble(p, "rho");
    params.guidance = toDouble(p, "guidance");
    params.seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    CliProgress bar("tokenize eval", "images");
    const auto r = cm::measureReconstructions(tokenizer, evaluator, heldOut, params, int(toLong(p, "batch", 1, 4096)),
                                              [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    std::fprintf(stderr, "%ld held-out images (%s), %d bits (%.4g bpp): reconstruction FD %.3f, PSNR %.2f dB, class "
                         "accuracy %s, %d evaluations, %.2f ms per image\n",
                 r.count, heldOut.description.c_str(), r.codeBits, r.bitsPerPixel, r.fd, r.psnr,
                 r.classAccuracy < 0 ? "-" : std::to_string(r.classAccuracy).c_str(), r.evaluations,
                 1000 * r.decodeSeconds / double(r.count));
    std::printf("{\"images\":%ld,\"bits\":%d,\"bpp\":%.6g,\"fd\":%.6g,\"psnr\":%.6g,"
                "\"mse\":%.6g,\"class_accuracy\":%.6g,\"nfe\":%d,\"decode_seconds\":%.6g}\n",
                r.count, r.codeBits, r.bitsPerPixel, r.fd,
                r.psnr, r.mse, r.classAccuracy, r.evaluations, r.decodeSeconds);
    return 0;
}

} // namespace

int runTokenize(const QStringList& arguments) {
    const QString usage = "tokenize takes a sub-command: encode (image -> code), decode (code -> image) or eval "
                          "(reconstructions of held-out images measured); see "
                          "'cmstudio-cli tokenize encode --help'";
    if (arguments.isEmpty()) throw UsageError{usage};
    const QString sub = arguments.front();
    if (sub == "encode") return runEncode(arguments.mid(1));
    if (sub == "decode") return runDecode(arguments.mid(1));
    if (sub == "eval") return runMeasure(arguments.mid(1));
    if (sub == "--help" || sub == "-h") {
        std::printf("%s\n", qPrintable(usage));
        return 0;
    }
    throw UsageError{"unknown tokenize sub-command '" + sub + "'; " + usage};
}

int runTrainTokenizer(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Train a FlowMo tokenizer: stage 1a (mode matching, end to end), 1b (mode seeking, "
                                "the encoder frozen, from a stage-1a tokenizer) or one-step (a consistency model "
                                "distilled from the flow decoder, for --steps 1).");
    cm::TokenizerTrainParams d;
    p.addOptions({
        Option("data", "fashion-mnist, fashion-mnist:DIR, or a folder of PNG/JPEG/WebP images.", "spec", "fashion-mnist"),
        Option("limit", "Use only the first N training items.", "N", "0"),
        Option("hold-out", "Leave out every K-th item (0 = none; Fashion-MNIST's test split is held out anyway).", "K",
               "0"),
        Option("image-size", "Image size for folders.", "px", "32"),
        Option("channels", "1 (grey) or 3 (RGB) for folders.", "N", "3"),
        Option("bits", "lo (about 0.07 bits per pixel) or hi (about 0.22), or their bit count.", "lo|hi|N", "lo"),
        Option("stage", "1a, 1b, or one-step (distil the flow decoder into a one-step decoder).", "stage", "1a"),
        Option("init", "Stages 1b and one-step: the tokenizer to start from.", "path"),
        Option("perceptual", "The perceptual network: a FeatureNet file, 'auto' (the bundled evaluator for the "
                             "data) or 'none'.", "path", "auto"),
        Option({"o", "out"}, "The tokenizer file to write (safetensors).", "path"),
        Option("checkpoint", "Checkpoint file (default: OUT.ckpt).", "path"),
        Option("log", "CSV training log (default: OUT.csv).", "path"),
        Option("resume", "Continue from the checkpoint."),
        Option("overwrite", "Replace an existing tokenizer, checkpoint and log instead of refusing."),
        Option("steps", "Total optimisation steps.", "N", QString::number(d.totalSteps)),
        Option("batch", "Batch size.", "N", QString::number(d.batchSize)),
        Option("lr", "Adam learning rate.", "x", QString::number(d.learningRate)),
        Option("ema", "EMA rate of the saved weights.", "x", QString::number(d.emaRate)),
        Option("patch", "Patch size.", "px", QString::number(d.config.patchSize)),
        Option("encoder-width", "Encoder width.", "N", QString::number(d.config.encoderWidth)),
        Option("encoder-depth", "Encoder blocks.", "N", QString::number(d.config.encoderDepth)),
        Option("decoder-width", "Decoder width.", "N", QString::number(d.config.decoderWidth)),
        Option("decoder-depth", "Decoder blocks.", "N", QString::number(d.config.decoderDepth)),
        Option("heads", "Attention heads.", "N", QString::number(d.config.heads)),
        Option("perceptual-weight", "Stage 1a: weight of the perceptual term.", "x", QString::number(d.perceptualWeight)),
        Option("sample-weight", "Stage 1b: weight of the chain's perceptual loss.", "x", QString::number(d.sampleWeight)),
        Option("chain-steps", "Stage 1b: Euler steps of the chain.", "N", QString::number(d.chainSteps)),
        Option("uniform-t", "Share of t drawn from U(0, 1) instead of the logit-normal.", "x",
               QString::number(d.uniformTimeShare)),
        Option("seed", "Random seed.", "N", "0"),
        Option("threads", "Torch threads (0 = default).", "N", "0"),
        Option("log-every", "Steps between log rows.", "N", QString::number(d.logEvery)),
        Option("checkpoint-every", "Steps between checkpoints.", "N", QString::number(d.checkpointEvery)),
    });
    addDistributedOptions(p);
    if (!parseOrHelp(p, "train-tokenizer", arguments)) return 0;
    if (!p.isSet("out")) throw UsageError{"train-tokenizer needs --out PATH for the tokenizer file"};
    if (const int code = launchLocalRanksIfAsked(p, "train-tokenizer", arguments); code >= 0) return code;

    cm::TokenizerTrainParams params;
    params.stage = cm::tokenizerStageFromName(str(p.value("stage")));
    cm::Dataset data = loadTrainingData(p.value("data"), int(toLong(p, "image-size", 8, 128)),
                                        int(toLong(p, "channels", 1, 3)), false, toLong(p, "limit", 0, 1L << 40));
    if (const long k = toLong(p, "hold-out", 0, 1000000); k == 1)
        throw UsageError{"--hold-out K needs K >= 2 (or 0 for none)"};
    else if (k > 1)
        data = cm::splitEveryKth(data, int(k)).first;
    auto& config = params.config;
    config = configForBits(p.value("bits"), int(data.itemShape.at(1)), int(data.itemShape.at(0)));
    config.patchSize = int(toLong(p, "patch", 1, 16));
    config.encoderWidth = int(toLong(p, "encoder-width", 8, 1024));
    config.encoderDepth = int(toLong(p, "encoder-depth", 1, 32));
    config.decoderWidth = int(toLong(p, "decoder-width", 8, 1024));
    config.decoderDepth = int(toLong(p, "decoder-depth", 1, 32));
    config.heads = int(toLong(p, "heads", 1, 32));
    params.initFrom = str(p.value("init"));
    params.perceptualNet = featureNetwork(p.value("perceptual"), p.value("data"), config, "--perceptual (or none)");
    params.outputPath = str(p.value("out"));
    params.checkpointPath = str(p.value("checkpoint"));
    params.logPath = str(p.value("log"));
    params.resume = p.isSet("resume");
    params.overwrite = p.isSet("overwrite");
    params.totalSteps = toLong(p, "steps", 1, 100000000);
    params.batchSize = int(toLong(p, "batch", 2, 4096));
    params.learningRate = toDouble(p, "lr");
    params.emaRate = toDouble(p, "ema");
    params.perceptualWeight = toDouble(p, "perceptual-weight");
    params.sampleWeight = toDouble(p, "sample-weight");
    params.chainSteps = int(toLong(p, "chain-steps", 1, 64));
    params.uniformTimeShare = toDouble(p, "uniform-t");
    params.seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    params.threads = int(toLong(p, "threads", 0, 256));
    params.logEvery = toLong(p, "log-every", 1, 100000000);
    params.checkpointEvery = toLong(p, "checkpoint-every", 1, 100000000);
    // One rank of a data-parallel run when torchrun's environment says so.
    params.distributed = readDistributedOptions(p);
    const bool reports = params.distributed.rank == 0; // the other ranks keep quiet

    if (reports) {
        std::fprintf(stderr, "training tokenizer stage %s (%d bits) on %s, %lld items, for %ld steps -> %s\n",
                     cm::tokenizerStageName(params.stage), config.codeBits(), data.description.c_str(),
                     (long long)data.count(), params.totalSteps, params.outputPath.c_str());
        if (params.distributed.worldSize > 1)
            std::fprintf(stderr, "data-parallel: %d processes share each batch of %d\n", params.distributed.worldSize,
                         params.batchSize);
    }
    CliProgress bar("train-tokenizer", "steps");
    const auto summary = cm::trainTokenizer(
        params, data,
        [&](const cm::TokenizerTrainStatus& s) {
            if (!reports) return;
            char extra[96];
            std::snprintf(extra, sizeof extra, "loss %.4g", s.loss);
            bar.update(s.step, s.totalSteps, extra);
        },
        &g_interrupted);
    if (reports) bar.finish();
    if (summary.cancelled) {
        if (reports)
            std::fprintf(stderr, "interrupted at step %ld; checkpoint saved, continue with --resume\n", summary.steps);
        return 130;
    }
    if (reports)
        std::fprintf(stderr, "done: %ld steps in %s; tokenizer written to %s\n", summary.steps,
                     formatDuration(summary.seconds).c_str(), params.outputPath.c_str());
    return 0;
}
