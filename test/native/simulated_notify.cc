// A simulated notifyd for the tests: the two calls native/notify_darwin.cc makes, answering
// com.apple.system.thermalpressurelevel from a file instead of notifyd.
//
// Environment (read at every call, so a test can change the level between collections):
//   SIMULATED_NOTIFY   the table, one directive per line:
//     state NAME VALUE          the state posted on NAME
//     fail-register STATUS      notify_register_check returns STATUS
//     fail-get STATUS           notify_get_state returns STATUS
#include <notify.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int kToken = 7;
constexpr uint32_t kInvalidName = 1;  // NOTIFY_STATUS_INVALID_NAME
constexpr uint32_t kInvalidToken = 2;  // NOTIFY_STATUS_INVALID_TOKEN

struct Table {
  bool read = false;
  char name[128] = {};
  unsigned long long state = 0;
  uint32_t fail_register = 0;
  uint32_t fail_get = 0;
};

Table ReadTable() {
  Table t;
  const char* path = std::getenv("SIMULATED_NOTIFY");
  FILE* file = path == nullptr ? nullptr : std::fopen(path, "r");
  if (file == nullptr) return t;
  t.read = true;
  char line[256];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    unsigned int status = 0;
    if (std::sscanf(line, "state %127s %llu", t.name, &t.state) == 2) continue;
    if (std::sscanf(line, "fail-register %u", &status) == 1) t.fail_register = status;
    else if (std::sscanf(line, "fail-get %u", &status) == 1) t.fail_get = status;
    else std::fprintf(stderr, "simulated notify: cannot read the table line %s", line);
  }
  std::fclose(file);
  return t;
}

}  // namespace

extern "C" uint32_t notify_register_check(const char* name, int* out_token) {
  Table t = ReadTable();
  if (!t.read) return kInvalidName;
  if (t.fail_register != 0) return t.fail_register;
  if (std::strcmp(name, "com.apple.system.thermalpressurelevel") != 0) return kInvalidName;
  *out_token = kToken;
  return NOTIFY_STATUS_OK;
}

extern "C" uint32_t notify_get_state(int token, uint64_t* state) {
  if (token != kToken) return kInvalidToken;
  Table t = ReadTable();
  if (t.fail_get != 0) return t.fail_get;
  *state = t.state;
  return NOTIFY_STATUS_OK;
}
