// libgomp's default is to spin while waiting for work. When another process holds a core, the spinning
// thread starves the one doing the work and each network evaluation takes 5-60x longer (bench/). The
// policy is read when libgomp loads, before main(), so the only remedy is to restart once with it set.
#pragma once

// Call first thing in main(). If OMP_WAIT_POLICY is unset, sets it to PASSIVE and re-executes the
// program with the same arguments; returns only when no restart was needed or it failed.
void restartWithPassiveOpenMpWaitPolicy(char** argv);
