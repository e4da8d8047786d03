// cmstudio-cli edit and interpolate: zero-shot editing with a consistency model.
#include "cli_commands.h"
#include "cli_options.h"
#include "cli_progress.h"
#include "core/edit_input.h"
#include "core/editing.h"
#include "core/error.h"
#include "core/image_util.h"
#include "core/model.h"

#include <QDir>
#include <QFileInfo>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>

using Option = QCommandLineOption;

namespace {

// Reads an image for `task` (denoise: as stroke, the model's size and channels). Without --fit the size is
// checked from the header, before paying for decoding a large image; the rest is core's edit-input rule.
cv::Mat loadInput(const QString& path, cm::EditTask task, const cm::NetworkConfig& network, int factor, bool fit) {
    const bool superres = task == cm::EditTask::SuperResolution;
    const bool factorFits = factor > 0 && network.imageSize % factor == 0;
    if (!fit && (!superres || factorFits)) { // a factor that does not fit is core's error, below
        const cm::ImageHeader header = cm::readImageFileHeader(str(path));
        const int low = superres ? network.imageSize / factor : 0; // superres also takes a full-size image
        if (!(superres && header.width == low && header.height == low))
            cm::requireEditInputSize(header.width, header.height, network.imageSize, str(path));
    }
    const cm::PreparedEditInput input =
        cm::prepareEditInput(task, cm::readImageFile(str(path)), network, factor, fit, str(path));
    for (const std::string& note : input.notes)
        std::fprintf(stderr, "note: %s\n", note.c_str());
    return input.image;
}

QString defaultOutput(const QString& input, const QString& suffix) {
    const QFileInfo info(input);
    return info.dir().filePath(info.completeBaseName() + "-" + suffix + ".png");
}

void writeImage(const QString& path, const cv::Mat& image, int zoom) {
    cv::Mat out = cm::toDisplay8U(image);
    if (zoom > 1) cv::resize(out, out, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
    cm::writeImageAtomically(str(path), out);
}

} // namespace

int runEdit(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Edit an image with a consistency model, zero-shot: inpaint (fill the mask's white pixels), colorize "
        "(a grey image, RGB model), superres (a low-resolution image, --factor 2/4/8), stroke (turn a rough "
        "painting into a realistic image), denoise (one evaluation at --sigma). The result is written next "
        "to the input as NAME-TASK.png unless -o says otherwise.");
    p.addPositionalArgument("task", "inpaint, colorize, superres, stroke or denoise.");
    p.addOptions({
        Option({"m", "model"}, "The consistency model file, or a bundled model's name.", "path"),
        Option("image", "The input image (PNG, JPEG, WebP).", "path"),
        Option("mask", "inpaint: the mask image, white (nonzero) = fill.", "path"),
        Option("factor", "superres: the upscaling factor 2, 4 or 8.", "N", "4"),
        Option("sigma", "denoise: the noise level of the input (on the [-1, 1] pixel scale).", "x"),
        Option("add-noise", "denoise: first add noise of this level (seeded), for a demonstration.", "x"),
        Option("sigmas", "Decreasing noise levels of the edit (default: the task's schedule).", "list"),
        Option("ts", "Or indices on a Karras grid of --steps points, e.g. 0,10,20.", "list"),
        Option("steps", "Points of the Karras grid that --ts indexes.", "N", "40"),
        Option("seed", "Random seed.", "N", "0"),
        Option("class", "Class for class-conditional models (-1 = none).", "N", "-1"),
        Option("fit", "Resize and centre-crop an image (and mask) of another size to the model's."),
        Option({"o", "out"}, "The output image.", "path"),
        Option("overwrite", "Replace an existing output file."),
        Option("zoom", "Nearest-neighbour enlargement of the written image.", "N", "1"),
    });
    if (!parseOrHelp(p, "edit", arguments)) return 0;
    if (p.positionalArguments().size() != 1)
        throw UsageError{"edit takes one task: inpaint, colorize, superres, stroke or denoise"};
    const QString taskName = p.positionalArguments().front();
    if (!p.isSet("model")) throw UsageError{"edit needs --model PATH"};
    if (!p.isSet("image")) throw UsageError{"edit needs --image PATH"};
    const QString input = p.value("image");
    const QString out = p.isSet("out") ? p.value("out") : defaultOutput(input, taskName);
    requireImageExtension(out);
    const bool overwrite = p.isSet("overwrite");
    refuseToOverwrite(out, overwrite);
    const QString noisyPath =
        taskName == "denoise" && p.isSet("add-noise") ? defaultOutput(out, "input") : QString();
    if (!noisyPath.isEmpty()) refuseToOverwrite(noisyPath, overwrite);
    const int zoom = int(toLong(p, "zoom", 1, 64));
    const bool fit = p.isSet("fit");
    const uint64_t seed = uint64_t(toLong(p, "seed", 0, 2147483647));
    const auto conditioning = cm::Conditioning::ofClass(int(toLong(p, "class", -1, 100000)));

    const cm::Model model = cm::Model::load(modelPath(p.value("model")));
    const int size = model.card().network.imageSize;

    if (taskName == "denoise") {
        if (!p.isSet("sigma") && !p.isSet("add-noise"))
            throw UsageError{"denoise needs --sigma (the input's noise level) or --add-noise"};
        cv::Mat image = loadInput(input, cm::EditTask::Stroke, model.card().network, 0, fit);
        double sigma = p.isSet("sigma") ? toDouble(p, "sigma") : 0;
        if (p.isSet("add-noise")) {
            const double added = toDouble(p, "add-noise");
            image = cm::addNoise({image}, added, seed)[0];
            sigma = std::sqrt(sigma * sigma + added * added);
        }
        // Denoising checks sigma against the model's range: only then is anything written.
        const auto result = cm::denoise(model, {image}, sigma, conditioning);
        if (!noisyPath.isEmpty()) {
            writeImage(noisyPath, image, zoom);
            std::printf("wrote the noisy input %s\n", qPrintable(noisyPath));
        }
        writeImage(out, result[0], zoom);
        std::printf("wrote %s: denoised at sigma %g, 1 network evaluation\n", qPrintable(out), sigma);
        return 0;
    }

    cm::EditParams params;
    params.task = cm::editTaskFromName(str(taskName));
    params.factor = int(toLong(p, "factor", 1, 64));
    params.seed = seed;
    params.conditioning = conditioning;
    if (p.isSet("sigmas")) params.sigmas = toDoubleList(p.value("sigmas"), "sigmas");
    if (p.isSet("ts")) params.ts = toIntList(p.value("ts"), "ts");
    params.steps = int(toLong(p, "steps", 2, 100000));
    if (params.task == cm::EditTask::SuperResolution && params.factor != 2 && params.factor != 4 &&
        params.factor != 8)
        throw UsageError{"--factor is 2, 4 or 8"};
    params.images = {loadInput(input, params.task, model.card().network, params.factor, fit)};
    if (params.task == cm::EditTask::Inpaint) {
        if (!p.isSet("mask")) throw UsageError{"inpaint needs --mask PATH (white = fill)"};
        const std::string maskPath = str(p.value("mask"));
        if (!fit) { // from the header, before decoding
            const cm::ImageHeader header = cm::readImageFileHeader(maskPath);
            cm::requireEditMaskSize(header.width, header.height, size, maskPath);
        }
        params.masks = {cm::prepareEditMask(cm::readImageFile(maskPath), size, fit, maskPath)};
    } else if (p.isSet("mask")) {
        throw UsageError{"--mask is for inpaint"};
    }
    CliProgress bar("edit", model.progressUnitsPerEvaluation() > 1 ? "blocks" : "evals");
    const auto result =
        cm::edit(model, params, [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    writeImage(out, result.images[0], zoom);
    const std::string sigmas = sigmaText(result.sigmas);
    std::printf("wrote %s: %s, %d network evaluations (sigmas %s), seed %llu\n", qPrintable(out),
                qPrintable(taskName), result.nfe, sigmas.c_str(), (unsigned long long)seed);
    return 0;
}

int runInterpolate(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Interpolate between the one-step samples of two seeds (spherical interpolation of their noises): "
        "a strip PNG and one PNG per frame.");
    p.addOptions({
        Option({"m", "model"}, "The consistency model file, or a bundled model's name.", "path"),
        Option("seed-a", "The first sample's seed.", "N", "0"),
        Option("seed-b", "The last sample's seed.", "N", "1"),
        Option("frames", "Number of frames (>= 2).", "N", "8"),
        Option("class", "End A's class for class-conditional models (-1 = none).", "N", "-1"),
        Option("class-b", "End B's class: the frames blend the two classes (default: end A's).", "N", ""),
        Option({"o", "out"}, "The strip image.", "path", "interpolation.png"),
        Option("frames-dir", "Folder for the frames (default: OUT without extension + '-frames').", "dir"),
        Option("overwrite", "Replace existing files."),
        Option("zoom", "Nearest-neighbour enlargement.", "N", "1"),
    });
    if (!parseOrHelp(p, "interpolate", arguments)) return 0;
    if (!p.isSet("model")) throw UsageError{"interpolate needs --model PATH"};
    const QString out = p.value("out");
    requireImageExtension(out);
    const bool overwrite = p.isSet("overwrite");
    refuseToOverwrite(out, overwrite);
    const QFileInfo info(out);
    const QString framesDir = p.isSet("frames-dir") ? p.value("frames-dir")
                                                     : info.dir().filePath(info.completeBaseName() + "-frames");
    cm::InterpolationParams params;
    params.seedA = uint64_t(toLong(p, "seed-a", 0, 2147483647));
    params.seedB = uint64_t(toLong(p, "seed-b", 0, 2147483647));
    params.frames = int(toLong(p, "frames", 2, 10000));
    const auto framePath = [&](int i) {
        return QDir(framesDir).filePath(QString("frame%1.png").arg(i, 3, 10, QChar('0')));
    };
    for (int i = 0; i < params.frames; ++i) // every file is checked before the first one is written
        refuseToOverwrite(framePath(i), overwrite);
    params.conditioning = cm::Conditioning::ofClass(int(toLong(p, "class", -1, 100000)));
    if (p.isSet("class-b")) params.conditioningB = cm::Conditioning::ofClass(int(toLong(p, "class-b", -1, 100000)));
    const int zoom = int(toLong(p, "zoom", 1, 64));
    const cm::Model model = cm::Model::load(modelPath(p.value("model")));
    CliProgress bar("interpolate", model.progressUnitsPerEvaluation() > 1 ? "blocks" : "evals");
    const auto frames =
        cm::interpolate(model, params, [&](long done, long total) { bar.update(done, total); }, &g_interrupted);
    bar.finish();
    std::vector<cv::Mat> images;
    for (const auto& frame : frames)
        images.push_back(cm::toDisplay8U(frame));
    cv::Mat strip = cm::makeGrid(images, int(images.size()));
    if (zoom > 1) cv::resize(strip, strip, cv::Size(), zoom, zoom, cv::INTER_NEAREST);
    cm::writeImageAtomically(str(out), strip);
    QDir().mkpath(framesDir);
    for (std::size_t i = 0; i < frames.size(); ++i)
        writeImage(framePath(int(i)), frames[i], zoom);
    std::printf("wrote %s and %d frames in %s (seeds %llu -> %llu)\n", qPrintable(out), params.frames,
                qPrintable(framesDir), (unsigned long long)params.seedA, (unsigned long long)params.seedB);
    return 0;
}
