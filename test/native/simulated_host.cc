// A simulated Mach host for the tests: implements the calls native/host_mach.cc makes, answering
// host_statistics64(HOST_VM_INFO64) from a table (written by the test from a real vm_stat capture)
// instead of the kernel.
//
// Environment (read at every call, so a test can change the counters between collections):
//   SIMULATED_HOST_VM   the table, one directive per line:
//     FIELD VALUE        a vm_statistics64 field by its kernel name (free_count, faults, ...);
//                        page_size sets vm_kernel_page_size (read once, at the first call)
//     fail KR            host_statistics64 returns KR (decimal kern_return_t)
#include <mach/mach.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

vm_size_t vm_kernel_page_size = 4096;

namespace {

constexpr host_t kHost = 0x4057;

bool SetField(vm_statistics64_data_t* s, const char* name, unsigned long long v) {
#define FIELD(f)                                  \
  if (std::strcmp(name, #f) == 0) {               \
    s->f = static_cast<decltype(s->f)>(v);        \
    return true;                                  \
  }
  FIELD(free_count) FIELD(active_count) FIELD(inactive_count) FIELD(wire_count) FIELD(zero_fill_count)
  FIELD(reactivations) FIELD(pageins) FIELD(pageouts) FIELD(faults) FIELD(cow_faults) FIELD(lookups) FIELD(hits)
  FIELD(purges) FIELD(purgeable_count) FIELD(speculative_count) FIELD(decompressions) FIELD(compressions)
  FIELD(swapins) FIELD(swapouts) FIELD(compressor_page_count) FIELD(throttled_count) FIELD(external_page_count)
  FIELD(internal_page_count) FIELD(total_uncompressed_pages_in_compressor)
#undef FIELD
  return false;
}

}  // namespace

extern "C" host_t mach_host_self(void) { return kHost; }

extern "C" kern_return_t host_statistics64(host_t host, host_flavor_t flavor, host_info64_t info, mach_msg_type_number_t* count) {
  if (host != kHost || flavor != HOST_VM_INFO64 || *count < HOST_VM_INFO64_COUNT) return 4;  // KERN_INVALID_ARGUMENT
  const char* path = std::getenv("SIMULATED_HOST_VM");
  if (path == nullptr) return 5;  // KERN_FAILURE
  FILE* file = std::fopen(path, "r");
  if (file == nullptr) return 5;
  vm_statistics64_data_t s;
  std::memset(&s, 0, sizeof s);
  char name[64];
  long long value = 0;
  kern_return_t result = 0;
  while (std::fscanf(file, "%63s %lld", name, &value) == 2) {
    if (std::strcmp(name, "fail") == 0) result = static_cast<kern_return_t>(value);
    else if (std::strcmp(name, "page_size") == 0) vm_kernel_page_size = static_cast<vm_size_t>(value);
    else SetField(&s, name, static_cast<unsigned long long>(value));
  }
  std::fclose(file);
  if (result != 0) return result;
  std::memcpy(info, &s, sizeof s);
  *count = HOST_VM_INFO64_COUNT;
  return 0;
}
