// The only file that asks the kernel for hw.memsize and vm.swapusage (what `sysctl` itself does).
// The tests compile this same file against a simulated sysctlbyname (test/native/), so keep every
// sysctl call in here and nothing else.
#include "sysctl.h"

#include <sys/sysctl.h>

#include <cerrno>

namespace host {

namespace {

template <typename T>
SysctlResult Read(const char* name, T* out) {
  size_t size = sizeof *out;
  if (sysctlbyname(name, out, &size, nullptr, 0) != 0) return {SysctlStatus::callFailed, name, errno};
  if (size != sizeof *out) return {SysctlStatus::wrongSize, name, static_cast<int32_t>(size)};
  return {SysctlStatus::ok, nullptr, 0};
}

}  // namespace

SysctlResult ReadSysctls(Sysctls* out) {
  uint64_t memsize = 0;
  SysctlResult result = Read("hw.memsize", &memsize);
  if (result.status != SysctlStatus::ok) return result;
  xsw_usage swap{};
  result = Read("vm.swapusage", &swap);
  if (result.status != SysctlStatus::ok) return result;
  out->memsize = memsize;
  out->xsu_total = swap.xsu_total;
  out->xsu_avail = swap.xsu_avail;
  out->xsu_used = swap.xsu_used;
  out->xsu_pagesize = swap.xsu_pagesize;
  out->xsu_encrypted = swap.xsu_encrypted != 0;
  return result;
}

}  // namespace host
