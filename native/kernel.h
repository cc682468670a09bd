// Three more things the kernel answers without a process, beside sysctl.h's memory and swap:
//   - memory pressure: kern.memorystatus_vm_pressure_level (1 normal, 2 warning, 4 critical) and
//     kern.memorystatus_level, the "System-wide memory free percentage" `memory_pressure` prints
//     (memory_pressure reads the same kernel variable through the memorystatus_get_level call);
//   - the interface MIB: struct ifmibdata of every interface, as raw bytes (net.link.generic.ifdata,
//     the table `netstat -ib` prints from), decoded in agent/parsers/ifmib.ts;
//   - thermal pressure: the state posted on com.apple.system.thermalpressurelevel through notify,
//     the level powermetrics' thermal sampler prints, readable without root.
// Two implementations each: *_darwin.cc on macOS, kernel_unsupported.cc elsewhere. Every value
// leaves here raw; what it means is TypeScript.
#ifndef MACOS_AGENT_KERNEL_H
#define MACOS_AGENT_KERNEL_H

#include <cstddef>
#include <cstdint>

#include "sysctl.h"

namespace host {

/** The two memorystatus sysctls, as the kernel holds them (int). */
struct MemoryPressure {
  int32_t vm_pressure_level;
  int32_t memorystatus_level;
};

/** ENOENT from sysctlbyname on a kernel without the sysctl is `callFailed` with code ENOENT. */
SysctlResult ReadMemoryPressure(MemoryPressure* out);

/** The room given to one ifmibdata row (the struct is 180 bytes in the macOS SDK). */
constexpr size_t kMaxIfmibBytes = 512;

/** net.link.generic.system.ifcount: the highest interface index (ifconfig walks 1..ifcount too). */
SysctlResult ReadInterfaceCount(uint32_t* out);

/**
 * net.link.generic.ifdata.<index>.general into `out` (kMaxIfmibBytes); `size` is what the kernel
 * wrote. An index with no interface (the table is sparse) is `callFailed` with code ENOENT.
 */
SysctlResult ReadInterfaceMib(uint32_t index, uint8_t* out, size_t* size);

enum class NotifyStatus { ok, failed, unsupported };

struct NotifyResult {
  NotifyStatus status;
  /** notify_register_check or notify_get_state's status when one failed. */
  uint32_t code;
  /** The call that failed; null when none did. */
  const char* call;
};

/** The state of com.apple.system.thermalpressurelevel. */
NotifyResult ReadThermalPressure(uint64_t* out);

}  // namespace host

#endif
