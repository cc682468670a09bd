// Built on every OS but macOS: no memorystatus sysctls, no interface MIB, no notifyd.
#include "kernel.h"

namespace host {

SysctlResult ReadMemoryPressure(MemoryPressure*) { return {SysctlStatus::unsupported, nullptr, 0}; }
SysctlResult ReadInterfaceCount(uint32_t*) { return {SysctlStatus::unsupported, nullptr, 0}; }
SysctlResult ReadInterfaceMib(uint32_t, uint8_t*, size_t*) { return {SysctlStatus::unsupported, nullptr, 0}; }
NotifyResult ReadThermalPressure(uint64_t*) { return {NotifyStatus::unsupported, 0, nullptr}; }

}  // namespace host
