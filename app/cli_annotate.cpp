// cmstudio-cli annotate: sets the free-text fields of a model's or evaluator's card (data-set
// description, notes such as the licence of the training data) and a model's recommended schedule (the
// levels a sigma search chose), without touching the weights.
#include "cli_commands.h"
#include "cli_options.h"
#include "core/error.h"
#include "core/model_card.h"
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
        Option("recommended-sigmas",
               "A model's recommended multistep noise levels, e.g. the ones eval --search-sigmas chose "
               "(decreasing, within the model's range); the app preselects them.", "list"),
    });
    if (!parseOrHelp(p, "annotate", arguments)) return 0;
    if (p.positionalArguments().size() != 1) throw UsageError{"annotate takes exactly one file"};
    if (!p.isSet("dataset") && !p.isSet("notes") && !p.isSet("recommended-sigmas"))
        throw UsageError{"annotate needs --dataset, --notes and/or --recommended-sigmas"};
    const std::string path = str(p.positionalArguments().front());
    cm::SafetensorsFile file = cm::readSafetensors(path);
    const auto format = file.metadata.find("format");
    if (format == file.metadata.end() ||
        (format->second != "cmstudio-model" && format->second != "cmstudio-feature-net"))
        throw cm::Error(cm::ErrorKind::Format, path + " is not a CM Studio model or evaluator file");
    if (p.isSet("dataset")) file.metadata["dataset"] = str(p.value("dataset"));
    if (p.isSet("notes")) file.metadata["notes"] = str(p.value("notes"));
    if (p.isSet("recommended-sigmas")) {
        if (format->second != "cmstudio-model")
            throw cm::Error(cm::ErrorKind::InvalidArgument, path + " is an evaluator: it has no sampling schedule");
        cm::RecommendedSchedule schedule;
        schedule.sigmas = toDoubleList(p.value("recommended-sigmas"), "recommended-sigmas");
        const cm::ModelCard card = cm::ModelCard::fromMetadata(file.metadata, path);
        for (std::size_t i = 0; i < schedule.sigmas.size(); ++i) {
            const double s = schedule.sigmas[i];
            if (!(s >= card.noise.sigmaMin && s <= card.noise.sigmaMax) || (i > 0 && s >= schedule.sigmas[i - 1]))
                throw UsageError{"--recommended-sigmas must decrease strictly within the model's range [" +
                                 QString::number(card.noise.sigmaMin) + ", " + QString::number(card.noise.sigmaMax) +
                                 "]"};
        }
        file.metadata["recommended_schedule"] = schedule.toJson();
        cm::ModelCard::fromMetadata(file.metadata, path); // the card still reads back, strictly
    }
    cm::writeSafetensors(path, file);
    std::printf("updated the card of %s\n", path.c_str());
    return 0;
}
