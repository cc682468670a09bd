// The only file that asks the kernel for the memorystatus sysctls. The tests compile it against a
// simulated sysctlbyname (test/native/simulated_sysctl.cc).
#include <sys/sysctl.h>

#include <cerrno>

#include "kernel.h"

namespace host {

namespace {

SysctlResult ReadInt(const char* name, int32_t* out) {
  int value = 0;
  size_t size = sizeof value;
  if (sysctlbyname(name, &value, &size, nullptr, 0) != 0) return {SysctlStatus::callFailed, name, errno};
  if (size != sizeof value) return {SysctlStatus::wrongSize, name, static_cast<int32_t>(size)};
  *out = value;
  return {SysctlStatus::ok, nullptr, 0};
}

}  // namespace

SysctlResult ReadMemoryPressure(MemoryPressure* out) {
  SysctlResult result = ReadInt("kern.memorystatus_vm_pressure_level", &out->vm_pressure_level);
  if (result.status != SysctlStatus::ok) return result;
  return ReadInt("kern.memorystatus_level", &out->memorystatus_level);
}

}  // namespace host
