// The files a training run reads and writes. Private to core/.
#pragma once

#include "core/trainer.h"

namespace cm::training {

// The files a run writes must be distinct from each other and from the teacher it reads, and an existing
// model is replaced only when asked: a typo in --out must not destroy a model. Throws InvalidArgument.
void checkRunFiles(const TrainParams& params);

} // namespace cm::training
