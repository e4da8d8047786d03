#include "objective.h"

#include "core/error.h"

namespace cm::training {

const Objective& objectiveFor(TrainMode mode) {
    static const Objective* const table[] = {&kEdmObjective, &kCdObjective, &kCtObjective, &kIctObjective,
                                             &kEctObjective};
    for (const Objective* objective : table)
        if (objective->mode == mode) return *objective;
    throw Error(ErrorKind::InvalidArgument, "no training objective for mode " + std::to_string(int(mode)));
}

} // namespace cm::training
