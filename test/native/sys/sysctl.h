// Test-only stand-in for macOS's <sys/sysctl.h>: the call native/sysctl_darwin.cc makes and the
// struct it reads, with the macOS types and names, answered by the simulated sysctlbyname
// (simulated_sysctl.cc). Linux has no <sys/sysctl.h> any more (glibc 2.32 removed it).
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

extern "C" int sysctlbyname(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);

#endif
