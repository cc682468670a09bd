// The host's virtual memory counters, as the kernel keeps them (host_statistics64 HOST_VM_INFO64):
// the numbers vm_stat prints, read without running vm_stat. Two implementations: host_mach.cc on
// macOS, host_unsupported.cc elsewhere. What the counters mean (vm_stat's arithmetic, bytes) is
// TypeScript: agent/parsers/host-vm-statistics.ts.
#ifndef MACOS_AGENT_HOST_H
#define MACOS_AGENT_HOST_H

#include <cstdint>

namespace host {

/** vm_statistics64 with the kernel's field names, every count in pages of `page_size` bytes. */
struct VmStatistics {
  uint64_t page_size;
  uint64_t free_count;
  uint64_t active_count;
  uint64_t inactive_count;
  uint64_t wire_count;
  uint64_t zero_fill_count;
  uint64_t reactivations;
  uint64_t pageins;
  uint64_t pageouts;
  uint64_t faults;
  uint64_t cow_faults;
  uint64_t purges;
  uint64_t purgeable_count;
  uint64_t speculative_count;
  uint64_t decompressions;
  uint64_t compressions;
  uint64_t swapins;
  uint64_t swapouts;
  uint64_t compressor_page_count;
  uint64_t throttled_count;
  uint64_t external_page_count;
  uint64_t internal_page_count;
  uint64_t total_uncompressed_pages_in_compressor;
};

enum class Status {
  ok,
  /** host_statistics64 failed; `code` holds its kern_return_t. */
  callFailed,
  /** Not macOS: there is no Mach host to ask. */
  unsupported,
};

struct Result {
  Status status;
  int32_t code;
};

Result ReadVmStatistics(VmStatistics* out);

}  // namespace host

#endif
