// The only file that asks the Mach host for its memory counters (what vm_stat itself does). The
// tests compile this same file against a simulated host (test/native/), so keep every Mach call
// in here and nothing else.
#include "host.h"

#include <mach/mach.h>

namespace host {

Result ReadVmStatistics(VmStatistics* out) {
  // One send right for the life of the process: mach_host_self() adds a reference on every call.
  static const mach_port_t self = mach_host_self();
  vm_statistics64_data_t s;
  mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
  kern_return_t kr = host_statistics64(self, HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&s), &count);
  if (kr != KERN_SUCCESS) return {Status::callFailed, kr};
  // The counts are in the kernel's pages (16 KiB on Apple Silicon), whatever this process's page size.
  out->page_size = vm_kernel_page_size;
  out->free_count = s.free_count;
  out->active_count = s.active_count;
  out->inactive_count = s.inactive_count;
  out->wire_count = s.wire_count;
  out->zero_fill_count = s.zero_fill_count;
  out->reactivations = s.reactivations;
  out->pageins = s.pageins;
  out->pageouts = s.pageouts;
  out->faults = s.faults;
  out->cow_faults = s.cow_faults;
  out->purges = s.purges;
  out->purgeable_count = s.purgeable_count;
  out->speculative_count = s.speculative_count;
  out->decompressions = s.decompressions;
  out->compressions = s.compressions;
  out->swapins = s.swapins;
  out->swapouts = s.swapouts;
  out->compressor_page_count = s.compressor_page_count;
  out->throttled_count = s.throttled_count;
  out->external_page_count = s.external_page_count;
  out->internal_page_count = s.internal_page_count;
  out->total_uncompressed_pages_in_compressor = s.total_uncompressed_pages_in_compressor;
  return {Status::ok, 0};
}

}  // namespace host
