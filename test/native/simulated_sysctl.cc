// A simulated sysctlbyname for the tests: answers hw.memsize and vm.swapusage (read by
// native/sysctl_darwin.cc) and the memorystatus sysctls (native/memory_pressure_darwin.cc) from a
// table (written by the test from a real `sysctl` capture) instead of the kernel, with the kernel's conventions: -1 and errno on failure, ENOENT for a
// name it does not know, ENOMEM for a buffer too small for the value.
//
// Environment (read at every call, so a test can change the values between collections):
//   SIMULATED_SYSCTL   the table, one directive per line:
//     hw.memsize BYTES                                    an unsigned 64-bit value
//     vm.swapusage TOTAL AVAIL USED PAGESIZE ENCRYPTED    struct xsw_usage, field by field
//     kern.memorystatus_vm_pressure_level N               an int
//     kern.memorystatus_level N                           an int
//     fail NAME ERRNO                                     sysctlbyname(NAME) fails with ERRNO
//     size NAME BYTES                                     NAME answers BYTES bytes (at most its value's)
#include <sys/sysctl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct Table {
  bool has_memsize = false;
  uint64_t memsize = 0;
  bool has_swap = false;
  xsw_usage swap{};
  bool has_pressure_level = false;
  int pressure_level = 0;
  bool has_memorystatus_level = false;
  int memorystatus_level = 0;
  int fail = 0;
  long size = -1;
};

/** The table's directives about `name`; false when there is no table to read. */
bool ReadTable(const char* name, Table* t) {
  const char* path = std::getenv("SIMULATED_SYSCTL");
  if (path == nullptr) return false;
  FILE* file = std::fopen(path, "r");
  if (file == nullptr) return false;
  char line[256];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    char word[64];
    char target[64];
    unsigned long long a = 0, b = 0, c = 0, d = 0, e = 0;
    if (std::sscanf(line, "fail %63s %llu", target, &a) == 2) {
      if (std::strcmp(target, name) == 0) t->fail = static_cast<int>(a);
    } else if (std::sscanf(line, "size %63s %llu", target, &a) == 2) {
      if (std::strcmp(target, name) == 0) t->size = static_cast<long>(a);
    } else if (std::sscanf(line, "hw.memsize %llu", &a) == 1) {
      t->has_memsize = true;
      t->memsize = a;
    } else if (std::sscanf(line, "vm.swapusage %llu %llu %llu %llu %llu", &a, &b, &c, &d, &e) == 5) {
      t->has_swap = true;
      t->swap = {a, b, c, static_cast<uint32_t>(d), static_cast<boolean_t>(e)};
    } else if (std::sscanf(line, "kern.memorystatus_vm_pressure_level %llu", &a) == 1) {
      t->has_pressure_level = true;
      t->pressure_level = static_cast<int>(a);
    } else if (std::sscanf(line, "kern.memorystatus_level %llu", &a) == 1) {
      t->has_memorystatus_level = true;
      t->memorystatus_level = static_cast<int>(a);
    } else if (std::sscanf(line, "%63s", word) == 1) {
      std::fprintf(stderr, "simulated sysctl: cannot read the table line %s", line);
    }
  }
  std::fclose(file);
  return true;
}

int Fail(int error) {
  errno = error;
  return -1;
}

}  // namespace

extern "C" int sysctlbyname(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen) {
  if (newp != nullptr || newlen != 0) return Fail(EPERM);
  Table t;
  if (!ReadTable(name, &t)) return Fail(ENOENT);
  if (t.fail != 0) return Fail(t.fail);
  const void* value = nullptr;
  size_t size = 0;
  if (std::strcmp(name, "hw.memsize") == 0 && t.has_memsize) {
    value = &t.memsize;
    size = sizeof t.memsize;
  } else if (std::strcmp(name, "vm.swapusage") == 0 && t.has_swap) {
    value = &t.swap;
    size = sizeof t.swap;
  } else if (std::strcmp(name, "kern.memorystatus_vm_pressure_level") == 0 && t.has_pressure_level) {
    value = &t.pressure_level;
    size = sizeof t.pressure_level;
  } else if (std::strcmp(name, "kern.memorystatus_level") == 0 && t.has_memorystatus_level) {
    value = &t.memorystatus_level;
    size = sizeof t.memorystatus_level;
  } else {
    return Fail(ENOENT);
  }
  if (t.size >= 0 && static_cast<size_t>(t.size) < size) size = static_cast<size_t>(t.size);
  if (oldp == nullptr) {
    *oldlenp = size;
    return 0;
  }
  if (*oldlenp < size) return Fail(ENOMEM);
  std::memcpy(oldp, value, size);
  *oldlenp = size;
  return 0;
}
