// cmstudio-cli train-tokenizer and tokenize: FlowMo tokenizers (images <-> bit codes).
#include "cli_commands.h"
#include "cli_distributed.h"
#include "cli_images.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "cli_tokenizer.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/tokenizer/autoencoder_baseline.h"
#include "core/tokenizer/checkpoint_selection.h"
#include "core/tokenizer/codec_baseline.h"
#include "core/tokenizer/patch_vq.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/tokenizer_evaluation.h"
#include "core/tokenizer/tokenizer_trainer.h"

#include <QFileInfo>

#include <cstdio>

using Option = QCommandLineOption;

namespace {

// A code file holds one line of hex; anything much larger is not a code.
constexpr uint64_t kMaxCodeFileBytes = 64 * 1024;

} // namespace

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

std::string featureNetwork(const QString& choice, const QString& data, const cm::TokenizerConfig& config,
                           const char* flag) {
    if (choice == "none") return {};
    if (!choice.isEmpty() && choice != "auto") return modelPath(choice);
    if (isFashionMnistSpec(data)) return modelPath("fashion-mnist-classifier");
    if (config.imageSize == 32 && config.channels == 3) return modelPath("noto-emoji-autoencoder");
    throw UsageError{QString("no bundled feature network fits this data; give %1 PATH (a FeatureNet file)").arg(flag)};
}

namespace {

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
        Option("steps", "Euler steps of the flow (0 = the card's, 25). 1 or 2: the one-step decoder when the file has "
                        "one (otherwise Euler steps of the flow).", "N", "0"),
        Option("mid-t", "--steps 2 with the one-step decoder: the time its first estimate is re-noised to.", "t",
               "0.5"),
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
    params.twoStepTime = toDouble(p, "mid-t");
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

} // namespace

cm::Dataset heldOutImages(const QString& spec, const cm::TokenizerConfig& config, long holdOut, long count, long first) {
    cm::Dataset data;
    if (isFashionMnistSpec(spec)) {
        data = cm::loadFashionMnist(fashionMnistDirectory(spec), cm::Split::Test);
    } else {
        if (holdOut < 2) throw UsageError{"a folder needs --hold-out K (the K training left out)"};
        data = cm::splitEveryKth(loadTrainingData(spec, config.imageSize, config.channels, false, 0), int(holdOut)).second;
    }
    if (first < 0 || first >= data.count())
        throw UsageError{QString("the held-out set has %1 images; --first %2 is outside it").arg(data.count()).arg(first)};
    const long available = long(data.count()) - first;
    if (count <= 0 || count > available) count = available;
    if (first > 0 || count < data.count()) {
        const auto size = std::size_t(data.itemSize());
        data.values = std::vector<float>(data.values.begin() + std::ptrdiff_t(first * size),
                                         data.values.begin() + std::ptrdiff_t((first + count) * size));
        if (data.hasLabels())
            data.labels = std::vector<int64_t>(data.labels.begin() + first, data.labels.begin() + first + count);
        data.description += " (images " + std::to_string(first) + ".." + std::to_string(first + count - 1) + ")";
    }
    return data;
}

namespace {

int runMeasure(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Measure a tokenizer, or a baseline at the same bits, on held-out images: "
                                "reconstruction FD, PSNR, class accuracy of the reconstructions, bits per pixel, "
                                "evaluations and decoding time. Prints one JSON line.");
    p.addOptions({
        Option({"m", "model"}, "The tokenizer file (safetensors); a deterministic-autoencoder baseline is one too.", "path"),
        Option("baseline", "Instead of a tokenizer: kmeans (patch vector quantization at --bits, trained here on "
                           "--train-n training images), jpeg or webp (each image's smallest file that the "
                           "classifier still puts in the original's class), or mean (every image replaced by the "
                           "mean of --train-n training images: 0 bits).", "kmeans|jpeg|webp|mean"),
        Option("bits", "--baseline kmeans: lo, hi or their bit count.", "lo|hi|N", "lo"),
        Option("train-n", "--baseline kmeans: training images whose patches k-means clusters.", "N", "5000"),
        Option("data", "fashion-mnist (its test split) or a folder (with --hold-out).", "spec", "fashion-mnist"),
        Option("image-size", "Baselines on folders: image size.", "px", "32"),
        Option("channels", "Baselines on folders: 1 or 3.", "N", "3"),
        Option("hold-out", "Folders: the K of training's --hold-out (every K-th image is measured).", "K", "0"),
        Option("first", "Skip this many held-out images (checkpoint selection uses others than the report).", "K", "0"),
        Option("n", "Held-out images to measure (0 = all).", "N", "1000"),
        Option({"e", "evaluator"}, "The evaluator, or 'auto' (the bundled one for the data).", "path", "auto"),
        Option("steps", "Euler steps (0 = the card's); 1 or 2 with a one-step decoder: that decoder.", "N", "0"),
        Option("mid-t", "--steps 2 with the one-step decoder: the time of the re-noising.", "t", "0.5"),
        Option("rho", "Schedule exponent (0 = the card's).", "x", "0"),
        Option("guidance", "Guidance weight (negative = the card's).", "w", "-1"),
        Option("seed", "Seed of the starting noise (image j: seed + j) and of k-means.", "N", "0"),
        Option("batch", "Images per decoding batch.", "N", "100"),
    });
    if (!parseOrHelp(p, "tokenize eval", arguments)) return 0;
    const QString baseline = p.value("baseline");
    if (p.isSet("model") == p.isSet("baseline"))
        throw UsageError{"tokenize eval needs --model TOKENIZER or --baseline kmeans|jpeg|webp (one of them)"};
    if (p.isSet("baseline") && baseline != "kmeans" && baseline != "jpeg" && baseline != "webp" && baseline != "mean")
        throw UsageError{"--baseline is kmeans, jpeg, webp or mean, got '" + baseline + "'"};
    std::unique_ptr<cm::Tokenizer> tokenizer;
    cm::TokenizerConfig config;
    if (p.isSet("model")) {
        tokenizer = std::make_unique<cm::Tokenizer>(cm::Tokenizer::load(modelPath(p.value("model"))));
        config = tokenizer->card().config;
    } else if (isFashionMnistSpec(p.value("data"))) {
        config = configForBits(p.value("bits"), 28, 1);
    } else {
        config = configForBits(p.value("bits"), int(toLong(p, "image-size", 8, 128)), int(toLong(p, "channels", 1, 3)));
    }
    const long holdOut = toLong(p, "hold-out", 0, 1000000);
    const cm::Dataset heldOut =
        heldOutImages(p.value("data"), config, holdOut, toLong(p, "n", 0, 1L << 30), toLong(p, "first", 0, 1L << 30));
    if (p.value("evaluator") == "none") throw UsageError{"tokenize eval needs an evaluator"};
    const cm::FeatureNet evaluator =
        cm::FeatureNet::load(featureNetwork(p.value("evaluator"), p.value("data"), config, "--evaluator"));
    cm::DecodeParams params;
    params.steps = int(toLong(p, "steps", 0, 10000));
    params.rho = toDouble(p, "rho");
    params.guidance = toDouble(p, "guidance");
    params.seed = uint64_t(toLong(p, "seed", 0, 1L << 40));
    params.twoStepTime = toDouble(p, "mid-t");
    const int batch = int(toLong(p, "batch", 1, 4096));
    CliProgress bar("tokenize eval", "images");
    const auto onProgress = [&](long done, long total) { bar.update(done, total); };
    cm::ReconstructionResult r;
    std::string method, extra;
    if (tokenizer) {
        r = cm::measureReconstructions(*tokenizer, evaluator, heldOut, params, batch, onProgress, &g_interrupted);
        method = tokenizer->card().isDeterministic() ? "deterministic-autoencoder" : "flowmo";
    } else if (baseline == "mean") {
        cm::Dataset training = loadTrainingData(p.value("data"), config.imageSize, config.channels, false,
                                                holdOut > 1 ? 0 : toLong(p, "train-n", 2, 1L << 30));
        if (holdOut > 1) training = cm::splitEveryKth(training, int(holdOut)).first;
        cv::Mat mean;
        for (const auto& image : cm::datasetImages(training, 0, training.count()))
            mean = mean.empty() ? image.clone() : mean + image;
        mean /= double(training.count());
        cm::ReconstructionMethod m;
        m.reconstruct = [&](const std::vector<cv::Mat>& originals, uint64_t, std::vector<double>&) {
            return std::vector<cv::Mat>(originals.size(), mean);
        };
        r = cm::measureReconstructions(m, evaluator, heldOut, params.seed, batch, onProgress, &g_interrupted);
        method = "mean";
    } else if (baseline == "kmeans") {
        cm::Dataset training = loadTrainingData(p.value("data"), config.imageSize, config.channels, false,
                                                holdOut > 1 ? 0 : toLong(p, "train-n", 2, 1L << 30));
        if (holdOut > 1) training = cm::splitEveryKth(training, int(holdOut)).first;
        const auto vqConfig = cm::patchVqForBits(config.codeBits(), config.imageSize, config.channels);
        const cm::PatchVq vq = cm::PatchVq::train(vqConfig, training, params.seed);
        r = cm::measureReconstructions(cm::patchVqMethod(vq), evaluator, heldOut, params.seed, batch, onProgress, &g_interrupted);
        method = "kmeans";
        extra = ",\"patch\":" + std::to_string(vqConfig.patchSize) + ",\"codebook\":" +
                std::to_string(vqConfig.codebookSize);
    } else {
        long recognised = 0;
        const auto codec = cm::imageCodecFromName(str(baseline));
        r = cm::measureReconstructions(cm::codecMethod(codec, evaluator, &recognised), evaluator, heldOut, params.seed,
                                       batch, onProgress, &g_interrupted);
        method = str(baseline);
        extra = ",\"recognisable\":" + std::to_string(double(recognised) / double(r.count));
    }
    bar.finish();
    std::fprintf(stderr, "%ld held-out images (%s), %s, %.4g bits (%.4g bpp): reconstruction FD %.3f, PSNR %.2f dB, "
                         "class accuracy %s, %d evaluations, %.2f ms per image\n",
                 r.count, heldOut.description.c_str(), method.c_str(), r.codeBits, r.bitsPerPixel, r.fd, r.psnr,
                 r.classAccuracy < 0 ? "-" : std::to_string(r.classAccuracy).c_str(), r.evaluations,
                 1000 * r.decodeSeconds / double(r.count));
    std::printf("{\"method\":\"%s\",\"images\":%ld,\"bits\":%.6g,\"bpp\":%.6g,\"fd\":%.6g,\"psnr\":%.6g,"
                "\"mse\":%.6g,\"class_accuracy\":%.6g,\"nfe\":%d,\"decode_seconds\":%.6g%s}\n",
                method.c_str(), r.count, r.codeBits, r.bitsPerPixel, r.fd, r.psnr, r.mse, r.classAccuracy,
                r.evaluations, r.decodeSeconds, extra.c_str());
    return 0;
}

} // namespace

int runTokenize(const QStringList& arguments) {
    const QString usage = "tokenize takes a sub-command: encode (image -> code), decode (code -> image), eval "
                          "(reconstructions of held-out images measured) or generate (stage-2 codes -> images); see "
                          "'cmstudio-cli tokenize encode --help'";
    if (arguments.isEmpty()) throw UsageError{usage};
    const QString sub = arguments.front();
    if (sub == "encode") return runEncode(arguments.mid(1));
    if (sub == "decode") return runDecode(arguments.mid(1));
    if (sub == "eval") return runMeasure(arguments.mid(1));
    if (sub == "generate") return runGenerateCodes(arguments.mid(1));
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
        Option("stage", "1a, 1b, one-step (distil the flow decoder into a one-step decoder), or autoencoder (the "
                        "deterministic-autoencoder baseline: same encoder and quantizer, a plain decoder on MSE + the "
                        "perceptual term).", "stage", "1a"),
        Option("init", "Stages 1b and one-step: the tokenizer to start from.", "path"),
        Option("perceptual", "The perceptual network: a FeatureNet file, 'auto' (the bundled evaluator for the "
                             "data) or 'none'.", "path", "auto"),
    });
    p.addOptions(runFileOptions("tokenizer", d.totalSteps));
    p.addOptions({
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
    });
    p.addOptions(runCadenceOptions(d.logEvery, d.checkpointEvery));
    p.addOptions({
        Option("select-best", "Checkpoint selection (meant for stage 1b): at each checkpoint measure the tokenizer's "
                              "reconstruction FD on held-out images and copy the best one here (log: PATH.csv).", "path"),
        Option("select-n", "Held-out images of the selection.", "N", "300"),
        Option("select-first", "The selection's first held-out image (default: 9000 of Fashion-MNIST's 10,000 test "
                               "images, the second half of a folder's held-out set), so that it does not use the "
                               "images 'tokenize eval --first 0' reports on.", "K"),
        Option("select-steps", "Euler steps of the selection's reconstructions (0 = the card's).", "N", "0"),
    });
    addDistributedOptions(p);
    if (!parseOrHelp(p, "train-tokenizer", arguments)) return 0;
    if (!p.isSet("out")) throw UsageError{"train-tokenizer needs --out PATH for the tokenizer file"};
    if (const int code = launchLocalRanksIfAsked(p, "train-tokenizer", arguments); code >= 0) return code;

    cm::TokenizerTrainParams params;
    const bool autoencoder = p.value("stage") == "autoencoder";
    params.stage = autoencoder ? cm::TokenizerStage::ModeMatching : cm::tokenizerStageFromName(str(p.value("stage")));
    const cm::Dataset data =
        withoutHeldOut(p, loadTrainingData(p.value("data"), int(toLong(p, "image-size", 8, 128)),
                                           int(toLong(p, "channels", 1, 3)), false, toLong(p, "limit", 0, 1L << 40)));
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
    readRunOptions(p, params);
    params.batchSize = int(toLong(p, "batch", 2, 4096));
    params.learningRate = toDouble(p, "lr");
    params.emaRate = toDouble(p, "ema");
    params.perceptualWeight = toDouble(p, "perceptual-weight");
    params.sampleWeight = toDouble(p, "sample-weight");
    params.chainSteps = int(toLong(p, "chain-steps", 1, 64));
    params.uniformTimeShare = toDouble(p, "uniform-t");
    // One rank of a data-parallel run when torchrun's environment says so.
    params.distributed = readDistributedOptions(p);
    const bool reports = params.distributed.rank == 0; // the other ranks keep quiet

    // Held-out checkpoint selection: the evaluator and images other than the ones reported on.
    std::unique_ptr<cm::FeatureNet> selectionEvaluator;
    std::unique_ptr<cm::CheckpointSelector> selector;
    if (autoencoder && params.distributed.worldSize > 1)
        throw UsageError{"the deterministic-autoencoder baseline trains in one process"};
    if (p.isSet("select-best") && reports) { // rank 0 writes the tokenizer, so rank 0 selects
        if (autoencoder) throw UsageError{"--select-best is for the flow stages"};
        const long holdOut = toLong(p, "hold-out", 0, 1000000);
        long first = 9000;
        if (p.isSet("select-first")) first = toLong(p, "select-first", 0, 1L << 30);
        else if (!isFashionMnistSpec(p.value("data"))) first = long(heldOutImages(p.value("data"), config, holdOut, 0, 0).count() / 2);
        cm::Dataset selectionImages = heldOutImages(p.value("data"), config, holdOut, toLong(p, "select-n", 2, 1L << 30), first);
        selectionEvaluator = std::make_unique<cm::FeatureNet>(
            cm::FeatureNet::load(featureNetwork("auto", p.value("data"), config, "--perceptual")));
        cm::CheckpointSelectionParams selection;
        selection.bestPath = str(p.value("select-best"));
        selection.decode.steps = int(toLong(p, "select-steps", 0, 10000));
        selection.decode.seed = params.seed;
        selection.resume = params.resume;
        if (params.resume) {
            // The selection's rows up to the checkpoint being resumed stay (its step is in the checkpoint's log).
            selection.resumedStep = 1L << 60;
        } else if (!params.overwrite) {
            refuseToOverwrite(p.value("select-best"), false);
            refuseToOverwrite(p.value("select-best") + ".csv", false);
        }
        for (const std::string* file : {&params.outputPath, &params.initFrom})
            if (cm::sameFile(*file, selection.bestPath))
                throw UsageError{"--select-best must name a file of its own"};
        selector = std::make_unique<cm::CheckpointSelector>(selection, *selectionEvaluator, std::move(selectionImages));
        params.afterSave = [&](long step, const std::string& path) {
            const double fd = selector->consider(step, path);
            std::fprintf(stderr, "\nstep %ld: held-out reconstruction FD %.3f (best %.3f at step %ld)\n", step, fd,
                         selector->bestFd(), selector->bestStep());
        };
    }
    if (reports) {
        // Stages 1b and one-step keep the code of the tokenizer they start from; --bits is not theirs.
        const std::string code = params.initFrom.empty() ? std::to_string(config.codeBits()) + " bits"
                                                         : "the code of " + QFileInfo(p.value("init")).fileName().toStdString();
        std::fprintf(stderr, "training tokenizer stage %s (%s) on %s, %lld items, for %ld steps -> %s\n",
                     autoencoder ? "autoencoder" : cm::tokenizerStageName(params.stage), code.c_str(),
                     data.description.c_str(), (long long)data.count(), params.totalSteps, params.outputPath.c_str());
        reportDataParallel(params.distributed, params.batchSize);
    }
    CliProgress bar("train-tokenizer", "steps");
    const auto observe = [&](const cm::TokenizerTrainStatus& s) {
        if (!reports) return;
        char extra[96];
        std::snprintf(extra, sizeof extra, "loss %.4g", s.loss);
        bar.update(s.step, s.totalSteps, extra);
    };
    const auto summary = autoencoder ? cm::trainDeterministicAutoencoder(params, data, observe, &g_interrupted)
                                     : cm::trainTokenizer(params, data, observe, &g_interrupted);
    if (reports) bar.finish();
    if (selector)
        std::fprintf(stderr, "best held-out reconstruction FD %.3f at step %ld -> %s\n", selector->bestFd(),
                     selector->bestStep(), qPrintable(p.value("select-best")));
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
