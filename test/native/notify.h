// Test-only stand-in for macOS's <notify.h>: the two calls native/notify_darwin.cc makes, answered
// by the simulated notifyd (simulated_notify.cc).
#ifndef SIMULATED_NOTIFY_H
#define SIMULATED_NOTIFY_H

#include <stdint.h>

#define NOTIFY_STATUS_OK 0

extern "C" uint32_t notify_register_check(const char* name, int* out_token);
extern "C" uint32_t notify_get_state(int token, uint64_t* state);

#endif
