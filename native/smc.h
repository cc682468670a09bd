// The raw SMC primitives the addon exposes. Two implementations: smc_iokit.cc talks to the
// AppleSMC user client on macOS; smc_unsupported.cc is built everywhere else and reports that
// the SMC is only available on macOS. Everything above raw bytes (decoding, naming) is TypeScript.
#ifndef MACOS_AGENT_SMC_H
#define MACOS_AGENT_SMC_H

#include <cstdint>

namespace smc {

/** Largest value one read returns: the size of the data field of the SMC parameter block. */
constexpr uint32_t kMaxValueBytes = 32;

/** SMC result byte meaning "no such key". */
constexpr uint32_t kResultKeyNotFound = 0x84;

struct KeyInfo {
  uint32_t size;
  /** The type as a FourCC, first character in the most significant byte (e.g. 'sp78'). */
  uint32_t type;
  uint8_t attributes;
};

enum class Status {
  ok,
  /** The SMC answered kResultKeyNotFound (0x84). */
  notFound,
  /** The SMC answered another non-zero result byte; `code` holds it. */
  smcError,
  /** An IOKit call failed; `code` holds its kern_return_t. */
  callFailed,
  /** The reply was not a whole parameter block; `code` holds the size received. */
  shortReply,
  /** Neither AppleSMCKeysEndpoint nor AppleSMC exists on this machine. */
  noService,
  /** Not macOS: there is no SMC to talk to. */
  unsupported,
};

struct Result {
  Status status;
  uint32_t code;
};

/** An open user-client connection to the SMC. */
struct Connection;

/** Opens the SMC; on success *service names the IOKit service that was opened. */
Result Open(Connection** connection, const char** service);
void Close(Connection* connection);
Result KeyAtIndex(Connection* connection, uint32_t index, uint32_t* key);
Result ReadKeyInfo(Connection* connection, uint32_t key, KeyInfo* info);
/** Reads `size` bytes (at most kMaxValueBytes) of `key` into `out`. */
Result ReadBytes(Connection* connection, uint32_t key, uint32_t size, uint8_t* out);

}  // namespace smc

#endif
