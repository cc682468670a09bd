// Built on every OS but macOS: there is no Mach host to ask for vm_statistics64.
#include "host.h"

namespace host {

Result ReadVmStatistics(VmStatistics*) { return {Status::unsupported, 0}; }

}  // namespace host
