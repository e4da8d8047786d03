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

// --sampler, --ts, --steps, --sigmas, --points, --batch (sample and eval share them).
void addSamplerOptions(QCommandLineParser& parser);
cm::SampleParams readSamplerOptions(const QCommandLineParser& parser);

// "80,0.8": noise levels with `digits` significant digits (10 for machine-readable output).
std::string sigmaText(const std::vector<double>& sigmas, int digits = 4);
