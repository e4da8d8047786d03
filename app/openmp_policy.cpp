#include "openmp_policy.h"

#include <cstdlib>
#include <unistd.h>

void restartWithPassiveOpenMpWaitPolicy(char** argv) {
    if (std::getenv("OMP_WAIT_POLICY")) return;
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv); // returns only on failure: carry on with the default policy
}
