// The only file that asks notifyd for the thermal pressure level. The tests compile it against a
// simulated notify (test/native/simulated_notify.cc).
#include <notify.h>

#include "kernel.h"

namespace host {

NotifyResult ReadThermalPressure(uint64_t* out) {
  // One registration for the life of the process: notify_get_state on a registered token is a
  // read of shared memory, not a message to notifyd.
  static int token = -1;
  if (token == -1) {
    int registered = -1;
    uint32_t status = notify_register_check("com.apple.system.thermalpressurelevel", &registered);
    if (status != NOTIFY_STATUS_OK) return {NotifyStatus::failed, status, "notify_register_check"};
    token = registered;
  }
  uint64_t state = 0;
  uint32_t status = notify_get_state(token, &state);
  if (status != NOTIFY_STATUS_OK) return {NotifyStatus::failed, status, "notify_get_state"};
  *out = state;
  return {NotifyStatus::ok, 0, nullptr};
}

}  // namespace host
