// Test-only stand-in for <mach/mach.h>: the one call native/smc_iokit.cc makes, answered by
// the simulated AppleSMC (simulated_smc.cc).
#ifndef SIMULATED_MACH_MACH_H
#define SIMULATED_MACH_MACH_H

#include <IOKit/IOKitLib.h>

extern "C" mach_port_t mach_task_self(void);

#endif
