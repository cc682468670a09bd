// Built on every OS but macOS: there is no hw.memsize or vm.swapusage to ask sysctlbyname for.
#include "sysctl.h"

namespace host {

SysctlResult ReadSysctls(Sysctls*) { return {SysctlStatus::unsupported, nullptr, 0}; }

}  // namespace host
