// The sub-commands of cmstudio-cli. Each takes its arguments (without the program and command names),
// returns the process exit code, and lets cm::Error escape for main() to report.
#pragma once

#include <QStringList>

int runTrain(const QStringList& arguments);
int runSample(const QStringList& arguments);
int runInfo(const QStringList& arguments);
int runTrainEvaluator(const QStringList& arguments); // cli_eval.cpp
int runEval(const QStringList& arguments);          // cli_eval.cpp
int runEdit(const QStringList& arguments);          // cli_edit.cpp
int runInterpolate(const QStringList& arguments);   // cli_edit.cpp
int runAnnotate(const QStringList& arguments);      // cli_annotate.cpp
int runForward(const QStringList& arguments);       // cli_published.cpp
int runConvert(const QStringList& arguments);       // cli_published.cpp
int runStyleData(const QStringList& arguments);     // cli_style.cpp
int runTrainStyle(const QStringList& arguments);    // cli_stylize.cpp
int runEvalStyle(const QStringList& arguments);     // cli_eval_style.cpp
int runStylize(const QStringList& arguments);       // cli_stylize.cpp
int runTrainTokenizer(const QStringList& arguments); // cli_tokenizer.cpp
int runTokenize(const QStringList& arguments);       // cli_tokenizer.cpp
int runTrainCodeGenerator(const QStringList& arguments); // cli_code_generator.cpp
int runGenerateCodes(const QStringList& arguments);      // cli_code_generator.cpp ("tokenize generate")

// --image-size, --head-channels, --kind: what a .pt file or diffusers folder cannot say (cli_published.cpp).
class QCommandLineParser;
namespace cm {
struct ImportOptions;
struct ImportedModel;
} // namespace cm
void addImportOptions(QCommandLineParser& parser);
cm::ImportOptions readImportOptions(const QCommandLineParser& parser);
void printImportReport(const cm::ImportedModel& imported);

// Raised by a SIGINT handler; long commands stop cleanly (training saves a checkpoint).
#include "core/progress.h"
extern cm::CancelFlag g_interrupted;

// A usage problem (bad flag or value): reported in one line with exit code 2.
struct UsageError {
    QString message;
};
