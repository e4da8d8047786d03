// Option parsing shared by the cmstudio-cli commands. Bad values throw UsageError (exit code 2).
#pragma once

#include "cli_commands.h"
#include "core/dataset.h"
#include "core/sampler.h"

#include <QCommandLineParser>

#include <string>
#include <vector>

// Parses `arguments`; --help prints the command's help and returns false.
bool parseOrHelp(QCommandLineParser& parser, const QString& command, const QStringList& arguments);
long toLong(const QCommandLineParser& parser, const QString& name, long low, long high);
double toDouble(const QCommandLineParser& parser, const QString& name);
std::vector<double> toDoubleList(const QString& text, const QString& name);
std::vector<int> toIntList(const QString& text, const QString& name);
std::string str(const QString& s);
// A model file, or the name of a bundled model (e.g. fashion-mnist-ect) in the build tree or the installed share folder.
std::string modelPath(const QString& nameOrPath);

// Checked before any work, so a typo does not cost a whole sampling run.
void requireImageExtension(const QString& path);
// Outputs are checked before any work too: an existing file is replaced only with --overwrite, so a command
// never ends by destroying a file it was not asked to (UsageError naming the file).
void refuseToOverwrite(const QString& path, bool overwrite);

// "NAME" or "NAME:DIR" (a Fashion-MNIST folder other than Debian's); the directory it names.
bool isFashionMnistSpec(const QString& spec, const QString& name = "fashion-mnist");
std::string fashionMnistDirectory(const QString& spec);

// --data: "fashion-mnist", "fashion-mnist:DIR", or a folder of images (skipped files are listed).
cm::Dataset loadTrainingData(const QString& spec, int imageSize, int channels, bool labels, long limit);

// --hold-out K (read here): every K-th item of `data` left out, as the evaluators and tests hold them out
// (0: none; K = 1 is a UsageError).
cm::Dataset withoutHeldOut(const QCommandLineParser& parser, cm::Dataset data);

// The options every training command has (train, train-tokenizer, train-code-generator): the run's files and
// whether it resumes (-o/--out, --checkpoint, --log, --resume, --overwrite, --steps), and its seed, threads and
// cadence (--seed, --threads, --log-every, --checkpoint-every). `what` names the file written ("model").
QList<QCommandLineOption> runFileOptions(const QString& what, long steps);
QList<QCommandLineOption> runCadenceOptions(long logEvery, long checkpointEvery);
// Those options into a trainer's params (every trainer's params have these fields); the seed up to `maxSeed`.
template <class Params>
void readRunOptions(const QCommandLineParser& parser, Params& params, long maxSeed = 1L << 40) {
    params.outputPath = str(parser.value("out"));
    params.checkpointPath = str(parser.value("checkpoint"));
    params.logPath = str(parser.value("log"));
    params.resume = parser.isSet("resume");
    params.overwrite = parser.isSet("overwrite");
    params.totalSteps = toLong(parser, "steps", 1, 100000000);
    params.seed = uint64_t(toLong(parser, "seed", 0, maxSeed));
    params.threads = int(toLong(parser, "threads", 0, 256));
    params.logEvery = toLong(parser, "log-every", 1, 100000000);
    params.checkpointEvery = toLong(parser, "checkpoint-every", 1, 100000000);
}

// --sampler, --ts, --steps, --sigmas, --points, --batch (sample and eval share them).
void addSamplerOptions(QCommandLineParser& parser);
cm::SampleParams readSamplerOptions(const QCommandLineParser& parser);

// "80,0.8": noise levels with `digits` significant digits (10 for machine-readable output).
std::string sigmaText(const std::vector<double>& sigmas, int digits = 4);
