// Test-only stand-in for macOS's <sys/sysctl.h>: the calls native/sysctl_darwin.cc,
// memory_pressure_darwin.cc and ifmib_darwin.cc make and the struct they read, with the macOS
// types and names, answered by the simulated sysctlbyname (simulated_sysctl.cc) and sysctl
// (simulated_ifmib.cc). Linux has no <sys/sysctl.h> any more (glibc 2.32 removed it).
#ifndef SIMULATED_SYS_SYSCTL_H
#define SIMULATED_SYS_SYSCTL_H

#include <stddef.h>
#include <stdint.h>

typedef int boolean_t;

// vm.swapusage's value: the layout of every macOS since 10.4.
struct xsw_usage {
  uint64_t xsu_total;
  uint64_t xsu_avail;
  uint64_t xsu_used;
  uint32_t xsu_pagesize;
  boolean_t xsu_encrypted;
};

// The top level of the MIB that native/ifmib_darwin.cc walks (net.link.generic, see net/if_mib.h).
#define CTL_NET 4

// glibc still exports a sysctl() that fails with ENOSYS, and the dynamic linker would bind the
// addon's call to it rather than to the simulation's: in the test build the call is renamed.
#define sysctl simulated_sysctl

extern "C" int sysctl(int* name, unsigned int namelen, void* oldp, size_t* oldlenp, void* newp, size_t newlen);
extern "C" int sysctlbyname(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);

#endif
