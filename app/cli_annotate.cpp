// cmstudio-cli annotate: sets the free-text fields of a model's or evaluator's card (data-set
// description, notes such as the licence of the training data) without touching the weights.
#include "cli_commands.h"
#include "cli_options.h"
#include "core/error.h"
#include "core/safetensors.h"

#include <cstdio>

using Option = QCommandLineOption;

int runAnnotate(const QStringList& arguments) {
    QCommandLineParser p;
    p.setApplicationDescription(
        "Set the data-set description and/or the notes of a CM Studio model or evaluator file, in place "
        "(atomically: the file is never left half-written).");
    p.addPositionalArgument("file", "The model or evaluator file (safetensors).");
    p.addOptions({
        Option("dataset", "The data-set description.", "text"),
        Option("notes", "The notes (source, licence, measured quality ...).", "text"),
    });
    if (!parseOrHelp(p, "annotate", arguments)) return 0;
    if (p.positionalArguments().size() != 1) throw UsageError{"annotate takes exactly one file"};
    if (!p.isSet("dataset") && !p.isSet("notes")) throw UsageError{"annotate needs --dataset and/or --notes"};
    const std::string path = str(p.positionalArguments().front());
    cm::SafetensorsFile file = cm::readSafetensors(path);
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() ||
        (format->second != "cmstudio-model" && format->second != "cmstudio-feature-net"))
        throw cm::Error(cm::ErrorKind::Format, path + " is not a CM Studio model or evaluator file");
    if (p.isSet("dataset")) file.metadata["dataset"] = str(p.value("dataset"));
    if (p.isSet("notes")) file.metadata["notes"] = str(p.value("notes"));
    cm::writeSafetensors(path, file);
    std::printf("updated the card of %s\n", path.c_str());
    return 0;
}
