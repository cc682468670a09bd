// Installed memory and swap use as the kernel keeps them (sysctlbyname hw.memsize, vm.swapusage):
// the numbers `sysctl hw.memsize vm.swapusage` prints, read without running sysctl. Two
// implementations: sysctl_darwin.cc on macOS, sysctl_unsupported.cc elsewhere. What the numbers
// mean (which are points, which are absurd) is TypeScript: agent/parsers/host-sysctl.ts.
#ifndef MACOS_AGENT_SYSCTL_H
#define MACOS_AGENT_SYSCTL_H

#include <cstdint>

// Not `namespace sysctl`: that name is taken by the sysctl() function of <sys/sysctl.h>.
namespace host {

/** hw.memsize and struct xsw_usage (vm.swapusage) with the kernel's field names, in bytes. */
struct Sysctls {
  uint64_t memsize;
  uint64_t xsu_total;
  uint64_t xsu_avail;
  uint64_t xsu_used;
  uint32_t xsu_pagesize;
  bool xsu_encrypted;
};

enum class SysctlStatus {
  ok,
  /** sysctlbyname(`name`) failed; `code` holds its errno. */
  callFailed,
  /** sysctlbyname(`name`) answered `code` bytes, not the size of the value asked for. */
  wrongSize,
  /** Not macOS: there are no such sysctls to ask. */
  unsupported,
};

struct SysctlResult {
  SysctlStatus status;
  /** The sysctl that failed; null when none did. */
  const char* name;
  int32_t code;
};

SysctlResult ReadSysctls(Sysctls* out);

}  // namespace host

#endif
