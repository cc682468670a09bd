// Built on every OS but macOS: there is no AppleSMC, so every primitive says so.
#include "smc.h"

namespace smc {

struct Connection {};

Result Open(Connection**, const char**) { return {Status::unsupported, 0}; }
void Close(Connection*) {}
Result KeyAtIndex(Connection*, uint32_t, uint32_t*) { return {Status::unsupported, 0}; }
Result ReadKeyInfo(Connection*, uint32_t, KeyInfo*) { return {Status::unsupported, 0}; }
Result ReadBytes(Connection*, uint32_t, uint32_t, uint8_t*) { return {Status::unsupported, 0}; }

}  // namespace smc
