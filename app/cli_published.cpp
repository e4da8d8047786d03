// cmstudio-cli forward and convert: one evaluation of any model the engine opens, and turning a
// published checkpoint (.pt or diffusers folder) into a CM Studio model file.
#include "cli_commands.h"

#include "cli_options.h"
#include "core/error.h"
#include "core/image_util.h"
#include "core/model.h"
#include "core/model_import.h"

#include <QCommandLineParser>

#include <cstdio>
#include <filesystem>

using Option = QCommandLineOption;

void addImportOptions(QCommandLineParser& parser) {
    parser.addOptions({
        Option("image-size", "Foreign files: the image size (a .pt file does not record it).", "px"),
        Option("head-channels", "Foreign files: channels per attention head (default: the preset, or 64).", "N"),
        Option("kind", "Foreign files: consistency or edm (default: from the file name).", "kind"),
    });
}

cm::ImportOptions readImportOptions(const QCommandLineParser& parser) {
    cm::ImportOptions options;
    if (parser.isSet("image-size")) options.imageSize = int(toLong(parser, "image-size", 8, 1024));
    if (parser.isSet("head-channels")) options.headChannels = int(toLong(parser, "head-channels", 1, 4096));
    if (parser.isSet("kind")) {
        const QString kind = parser.value("kind");
        if (kind == "consistency")
            options.kind = cm::ModelKind::Consistency;
        else if (kind == "edm" || kind == "edm-denoiser")
            options.kind = cm::ModelKind::EdmDenoiser;
        else
            throw UsageError{"--kind is consistency or edm, got '" + kind.left(40) + "'"};
    }
    return options;
}

void printImportReport(const cm::ImportedModel& imported) {
    std::printf("format: %s\n", cm::modelFormatName(imported.format));
    for (const auto& line : imported.inferred)
        std::printf("  from the file: %s\n", line.c_str());
    for (const auto& line : imported.assumed)
        std::printf("  assumed:       %s\n", line.c_str());
}

int runForward(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "One evaluation of a model's preconditioned network (f for a consistency model, D for a denoiser; "
        "no clamp) on a float32 .npy batch (N, C, H, W); writes the output as float32 .npy.");
    p.addOptions({
        Option({"m", "model"}, "The model: CM Studio safetensors, a .pt state_dict or a diffusers folder.", "path"),
        Option("input", "The input batch, float32 .npy of shape (N, C, H, W).", "path"),
        Option("sigma", "The noise level.", "x"),
        Option("classes", "Class labels: one for all images or one per image (comma-separated).", "list"),
        Option({"o", "out"}, "The output .npy.", "path"),
        Option("overwrite", "Replace an existing output file."),
    });
    addImportOptions(p);
    if (!parseOrHelp(p, "forward", arguments)) return 0;
    for (const char* required : {"model", "input", "sigma", "out"})
        if (!p.isSet(required)) throw UsageError{QString("forward needs --") + required};
    const std::string outPath = str(p.value("out"));
    if (std::filesystem::exists(outPath) && !p.isSet("overwrite"))
        throw UsageError{"--out " + p.value("out") + " exists (use --overwrite to replace it)"};
    const double sigma = toDouble(p, "sigma");
    std::vector<int> classes{-1};
    if (p.isSet("classes")) classes = toIntList(p.value("classes"), "classes");

    const cm::NpyArray input = cm::readNpy(str(p.value("input")));
    const std::vector<cv::Mat> images = cm::imagesFromNchw(input, str(p.value("input")));
    const cm::Model model = cm::Model::load(modelPath(p.value("model")), readImportOptions(p));
    const int n = int(images.size());
    const auto outputs = cm::evaluateModel(model, images, sigma, cm::Conditioning::perImage(classes));
    std::vector<float> values;
    values.reserve(input.values.size());
    for (const auto& image : outputs) {
        std::vector<cv::Mat> planes;
        cv::split(image, planes);
        for (const auto& plane : planes)
            values.insert(values.end(), plane.begin<float>(), plane.end<float>());
    }
    cm::writeNpy(outPath, values, input.shape);
    std::printf("wrote %s: %d images, sigma %g\n", outPath.c_str(), n, sigma);
    return 0;
}

int runConvert(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription("Convert a published consistency model (.pt state_dict or diffusers folder) "
                                "into a CM Studio model file with a full model card.");
    p.addPositionalArgument("in", "The .pt file or diffusers folder.");
    p.addPositionalArgument("out", "The CM Studio model file to write (.safetensors).");
    p.addOptions({
        Option("fp16", "Store the weights as float16 (half the size)."),
        Option("overwrite", "Replace an existing output file."),
        Option("ts", "The recommended multistep schedule: ts indices (with --steps).", "list"),
        Option("steps", "The grid that --ts indexes.", "N"),
    });
    addImportOptions(p);
    if (!parseOrHelp(p, "convert", arguments)) return 0;
    if (p.positionalArguments().size() != 2) throw UsageError{"convert takes IN and OUT"};
    const std::string in = modelPath(p.positionalArguments()[0]);
    const std::string out = str(p.positionalArguments()[1]);
    if (std::filesystem::exists(out) && !p.isSet("overwrite"))
        throw UsageError{"OUT " + p.positionalArguments()[1] + " exists (use --overwrite to replace it)"};
    cm::ImportOptions options = readImportOptions(p);
    if (p.isSet("ts")) {
        if (!p.isSet("steps")) throw UsageError{"--ts needs --steps"};
        options.schedule.ts = toIntList(p.value("ts"), "ts");
        options.schedule.steps = int(toLong(p, "steps", 2, 100000));
    }
    const cm::ImportedModel imported = cm::importModel(in, options);
    printImportReport(imported);
    const cm::Model model = cm::Model::fromImported(imported, in);
    model.save(out, p.isSet("fp16") ? cm::DType::F16 : cm::DType::F32);
    std::printf("wrote %s (%lld parameters, %s)\n", out.c_str(), (long long)model.parameterCount(),
                p.isSet("fp16") ? "float16" : "float32");
    return 0;
}
