// The only file that reads the interface MIB (the ifmib(4) sysctl table netstat -ib prints from).
// Its 64-bit counters are whole here, unlike getifaddrs' 32-bit if_data. The tests compile it
// against a simulated sysctl (test/native/simulated_ifmib.cc).
#include <sys/socket.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#include <net/if.h>
#include <net/if_mib.h>

#include <cerrno>

#include "kernel.h"

namespace host {

SysctlResult ReadInterfaceCount(uint32_t* out) {
  int mib[] = {CTL_NET, PF_LINK, NETLINK_GENERIC, IFMIB_SYSTEM, IFMIB_IFCOUNT};
  int count = 0;
  size_t size = sizeof count;
  if (sysctl(mib, 5, &count, &size, nullptr, 0) != 0) return {SysctlStatus::callFailed, "net.link.generic.system.ifcount", errno};
  if (size != sizeof count || count < 0) return {SysctlStatus::wrongSize, "net.link.generic.system.ifcount", static_cast<int32_t>(size)};
  *out = static_cast<uint32_t>(count);
  return {SysctlStatus::ok, nullptr, 0};
}

SysctlResult ReadInterfaceMib(uint32_t index, uint8_t* out, size_t* size) {
  int mib[] = {CTL_NET, PF_LINK, NETLINK_GENERIC, IFMIB_IFDATA, static_cast<int>(index), IFDATA_GENERAL};
  *size = kMaxIfmibBytes;
  if (sysctl(mib, 6, out, size, nullptr, 0) != 0) return {SysctlStatus::callFailed, "net.link.generic.ifdata", errno};
  return {SysctlStatus::ok, nullptr, 0};
}

}  // namespace host
