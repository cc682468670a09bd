// A simulated sysctl(3) for the tests: answers the interface MIB native/ifmib_darwin.cc walks
// (net.link.generic.system.ifcount and net.link.generic.ifdata.<index>.general) from a table
// written by the test from a real `netstat -ib` capture, building each struct ifmibdata with the
// stand-in header's layout. The kernel's conventions: -1 and errno on failure, ENOENT for an index
// with no interface, ENOMEM for a buffer too small.
//
// Environment (read at every call):
//   SIMULATED_IFMIB   the table, one directive per line:
//     count N                 ifcount answers N (the highest index)
//     if INDEX NAME FLAGS IPACKETS IERRORS IBYTES OPACKETS OERRORS OBYTES COLLISIONS IQDROPS SNDDROPS
//     fail ERRNO              every call fails with ERRNO
#include <sys/sysctl.h>
#include <net/if_mib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int Fail(int error) {
  errno = error;
  return -1;
}

int Answer(const void* value, size_t size, void* oldp, size_t* oldlenp) {
  if (oldp == nullptr) {
    *oldlenp = size;
    return 0;
  }
  if (*oldlenp < size) return Fail(ENOMEM);
  std::memcpy(oldp, value, size);
  *oldlenp = size;
  return 0;
}

}  // namespace

extern "C" int sysctl(int* name, unsigned int namelen, void* oldp, size_t* oldlenp, void* newp, size_t newlen) {
  if (newp != nullptr || newlen != 0) return Fail(EPERM);
  if (namelen < 5 || name[0] != CTL_NET || name[1] != PF_LINK || name[2] != NETLINK_GENERIC) return Fail(ENOENT);
  const char* path = std::getenv("SIMULATED_IFMIB");
  FILE* file = path == nullptr ? nullptr : std::fopen(path, "r");
  if (file == nullptr) return Fail(ENOENT);
  const bool count_asked = namelen == 5 && name[3] == IFMIB_SYSTEM && name[4] == IFMIB_IFCOUNT;
  const bool row_asked = namelen == 6 && name[3] == IFMIB_IFDATA && name[5] == IFDATA_GENERAL;
  int count = 0;
  int failure = 0;
  bool found = false;
  struct ifmibdata row;
  std::memset(&row, 0, sizeof row);
  char line[512];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    int index = 0;
    char if_name[64];
    unsigned int flags = 0;
    unsigned long long v[9] = {};
    if (std::sscanf(line, "count %d", &count) == 1) continue;
    if (std::sscanf(line, "fail %d", &failure) == 1) continue;
    if (std::sscanf(line, "if %d %63s %u %llu %llu %llu %llu %llu %llu %llu %llu %llu", &index, if_name, &flags,
                    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 12) {
      if (!row_asked || index != name[4]) continue;
      found = true;
      std::strncpy(row.ifmd_name, if_name, IFNAMSIZ - 1);
      row.ifmd_flags = flags;
      row.ifmd_snd_drops = static_cast<unsigned int>(v[8]);
      row.ifmd_data.ifi_ipackets = v[0];
      row.ifmd_data.ifi_ierrors = v[1];
      row.ifmd_data.ifi_ibytes = v[2];
      row.ifmd_data.ifi_opackets = v[3];
      row.ifmd_data.ifi_oerrors = v[4];
      row.ifmd_data.ifi_obytes = v[5];
      row.ifmd_data.ifi_collisions = v[6];
      row.ifmd_data.ifi_iqdrops = v[7];
      continue;
    }
    std::fprintf(stderr, "simulated ifmib: cannot read the table line %s", line);
  }
  std::fclose(file);
  if (failure != 0) return Fail(failure);
  if (count_asked) return Answer(&count, sizeof count, oldp, oldlenp);
  if (row_asked && found) return Answer(&row, sizeof row, oldp, oldlenp);
  return Fail(ENOENT);
}
