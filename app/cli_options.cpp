#include "cli_options.h"

#include "core/model_locator.h"

#include "core/dataset.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <cmath>
#include <cstdio>

using Option = QCommandLineOption;

// Parses `arguments`; --help prints the command's help and returns false.
bool parseOrHelp(QCommandLineParser& parser, const QString& command, const QStringList& arguments) {
    parser.setApplicationDescription(parser.applicationDescription());
    parser.addHelpOption();
    if (!parser.parse(QStringList{"cmstudio-cli " + command} + arguments))
        throw UsageError{parser.errorText()};
    if (parser.isSet("help")) {
        std::printf("%s", qPrintable(parser.helpText()));
        return false;
    }
    return true;
}

long toLong(const QCommandLineParser& parser, const QString& name, long low, long high) {
    bool ok = false;
    const long value = parser.value(name).toLong(&ok);
    if (!ok || value < low || value > high)
        throw UsageError{QString("--%1 takes a whole number in %2..%3, got '%4'")
                             .arg(name)
                             .arg(low)
                             .arg(high)
                             .arg(parser.value(name))};
    return value;
}

double toDouble(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const double value = parser.value(name).toDouble(&ok);
    if (!ok || !std::isfinite(value))
        throw UsageError{QString("--%1 takes a number, got '%2'").arg(name, parser.value(name))};
    return value;
}

std::vector<double> toDoubleList(const QString& text, const QString& name) {
    std::vector<double> values;
    for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const double value = part.trimmed().toDouble(&ok);
        if (!ok || !std::isfinite(value))
            throw UsageError{QString("--%1: '%2' is not a number").arg(name, part)};
        values.push_back(value);
    }
    if (values.empty()) throw UsageError{QString("--%1 needs a comma-separated list").arg(name)};
    return values;
}

std::vector<int> toIntList(const QString& text, const QString& name) {
    std::vector<int> values;
    for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const int value = part.trimmed().toInt(&ok);
        if (!ok) throw UsageError{QString("--%1: '%2' is not a whole number").arg(name, part)};
        values.push_back(value);
    }
    if (values.empty()) throw UsageError{QString("--%1 needs a comma-separated list").arg(name)};
    return values;
}

std::string str(const QString& s) {
    return s.toStdString();
}

// Checked before any work, so a typo does not cost a whole sampling run.
void requireImageExtension(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix != "png" && suffix != "jpg" && suffix != "jpeg" && suffix != "webp")
        throw UsageError{"cannot write '" + path +
                         "': the image type is chosen by the extension .png, .jpg or .webp"};
}

void refuseToOverwrite(const QString& path, bool overwrite) {
    if (QFileInfo::exists(path) && !overwrite)
        throw UsageError{"'" + path + "' exists; pass --overwrite to replace it, or -o for another name"};
}

bool isFashionMnistSpec(const QString& spec, const QString& name) {
    return spec == name || spec.startsWith(name + ":");
}

std::string fashionMnistDirectory(const QString& spec) {
    return spec.contains(':') ? str(spec.section(':', 1)) : cm::defaultFashionMnistDirectory();
}

// --data: "fashion-mnist", "fashion-mnist:DIR", or a folder of images.
cm::Dataset loadTrainingData(const QString& spec, int imageSize, int channels, bool labels, long limit) {
    cm::Dataset data;
    if (isFashionMnistSpec(spec)) {
        data = cm::loadFashionMnist(fashionMnistDirectory(spec), cm::Split::Train);
        if (!labels) {
            data.labels.clear();
            data.classNames.clear();
        }
    } else {
        cm::ImageFolderOptions options;
        options.size = imageSize;
        options.channels = channels;
        options.labelsFromSubfolders = labels;
        data = cm::loadImageFolder(str(spec), options);
        if (!data.skippedFiles.empty()) {
            std::fprintf(stderr, "skipped %zu unreadable file(s):\n", data.skippedFiles.size());
            for (const auto& line : data.skippedFiles)
                std::fprintf(stderr, "  %s\n", line.c_str());
        }
    }
    if (limit > 0 && limit < data.count()) {
        data.values.resize(std::size_t(limit * data.itemSize()));
        if (data.hasLabels()) data.labels.resize(std::size_t(limit));
        data.description += " (first " + std::to_string(limit) + ")";
    }
    return data;
}


void addSamplerOptions(QCommandLineParser& p) {
    p.addOptions({
        Option("sampler", "auto, onestep, multistep (consistency models), heun or euler (denoisers).", "name",
               "auto"),
        Option("ts", "Multistep: indices on a Karras grid of --steps points, e.g. 0,22,39.", "list"),
        Option("steps", "Points of the Karras grid that --ts indexes.", "N", "40"),
        Option("sigmas", "Multistep: decreasing noise levels, e.g. 80,0.8.", "list"),
        Option("points", "Heun/Euler: grid points (Heun uses 2N-1 evaluations).", "N", "18"),
        Option("batch", "Images per network evaluation (0: as many as fit 1 GB of activations, at most 64).", "N",
               "0"),
    });
}

cm::SampleParams readSamplerOptions(const QCommandLineParser& p) {
    cm::SampleParams params;
    params.sampler = cm::samplerKindFromName(str(p.value("sampler")));
    if (p.isSet("ts")) params.ts = toIntList(p.value("ts"), "ts");
    params.steps = int(toLong(p, "steps", 2, 100000));
    if (p.isSet("sigmas")) params.sigmas = toDoubleList(p.value("sigmas"), "sigmas");
    params.edmPoints = int(toLong(p, "points", 1, 1000));
    params.batchSize = int(toLong(p, "batch", 0, 4096));
    return params;
}

std::string sigmaText(const std::vector<double>& sigmas, int digits) {
    std::string text;
    char buffer[40];
    for (double s : sigmas) {
        std::snprintf(buffer, sizeof buffer, "%.*g", digits, s);
        text += (text.empty() ? "" : ",") + std::string(buffer);
    }
    return text;
}


std::string modelPath(const QString& nameOrPath) {
    return cm::resolveModelPath(str(nameOrPath), str(QCoreApplication::applicationDirPath()));
}

cm::Dataset withoutHeldOut(const QCommandLineParser& parser, cm::Dataset data) {
    const long k = toLong(parser, "hold-out", 0, 1000000);
    if (k == 1) throw UsageError{"--hold-out K needs K >= 2 (or 0 for none)"};
    return k > 1 ? cm::splitEveryKth(data, int(k)).first : data;
}

QList<QCommandLineOption> runFileOptions(const QString& what, long steps) {
    return {
        Option({"o", "out"}, "The " + what + " file to write (safetensors).", "path"),
        Option("checkpoint", "Checkpoint file (default: OUT.ckpt).", "path"),
        Option("log", "CSV training log (default: OUT.csv).", "path"),
        Option("resume", "Continue from the checkpoint."),
        Option("overwrite", "Replace an existing " + what + ", checkpoint and log instead of refusing."),
        Option("steps", "Total optimisation steps.", "N", QString::number(steps)),
    };
}

QList<QCommandLineOption> runCadenceOptions(long logEvery, long checkpointEvery) {
    return {
        Option("seed", "Random seed.", "N", "0"),
        Option("threads", "Torch threads (0 = default).", "N", "0"),
        Option("log-every", "Steps between log rows.", "N", QString::number(logEvery)),
        Option("checkpoint-every", "Steps between checkpoints.", "N", QString::number(checkpointEvery)),
    };
}
