// The only file that talks to IOKit: opens the AppleSMC user client and exchanges the SMC
// parameter block with it. The tests compile this same file against a simulated AppleSMC
// (test/native/), so keep every IOKit call in here and nothing else.
#include "smc.h"

#include <IOKit/IOKitLib.h>
#include <mach/mach.h>

#include <cstddef>
#include <cstring>

namespace smc {
namespace {

// The parameter block the AppleSMC user client takes and returns through one struct method.
// Its layout is fixed by the SMC driver: 80 bytes, natural alignment.
struct ParamVersion {
  uint8_t major;
  uint8_t minor;
  uint8_t build;
  uint8_t reserved;
  uint16_t release;
};

struct ParamPowerLimits {
  uint16_t version;
  uint16_t length;
  uint32_t cpu;
  uint32_t gpu;
  uint32_t memory;
};

struct ParamKeyInfo {
  uint32_t size;
  uint32_t type;
  uint8_t attributes;
};

struct Params {
  uint32_t key;
  ParamVersion version;
  ParamPowerLimits powerLimits;
  ParamKeyInfo keyInfo;
  uint8_t result;
  uint8_t status;
  uint8_t command;
  uint32_t index;
  uint8_t bytes[kMaxValueBytes];
};

static_assert(sizeof(Params) == 80, "SMC parameter block must be 80 bytes");
static_assert(offsetof(Params, keyInfo) == 28, "keyInfo at byte 28");
static_assert(offsetof(Params, result) == 40, "result at byte 40");
static_assert(offsetof(Params, command) == 42, "command at byte 42");
static_assert(offsetof(Params, index) == 44, "index at byte 44");
static_assert(offsetof(Params, bytes) == 48, "bytes at byte 48");

// The user client's single struct method that carries every SMC command.
constexpr uint32_t kSelectorHandleCommand = 2;

constexpr uint8_t kCommandReadBytes = 5;
constexpr uint8_t kCommandKeyAtIndex = 8;
constexpr uint8_t kCommandReadKeyInfo = 9;

// Apple Silicon exposes the keys on AppleSMCKeysEndpoint; Intel Macs (and x86 processes under
// Rosetta on older releases) on AppleSMC. Trying both in order needs no architecture check.
constexpr const char* kServices[] = {"AppleSMCKeysEndpoint", "AppleSMC"};

}  // namespace

struct Connection {
  io_connect_t port;
};

namespace {

Result Call(Connection* connection, const Params& input, Params* output) {
  std::memset(output, 0, sizeof(Params));
  size_t outputSize = sizeof(Params);
  kern_return_t kr = IOConnectCallStructMethod(connection->port, kSelectorHandleCommand, &input,
                                               sizeof(Params), output, &outputSize);
  if (kr != KERN_SUCCESS) return {Status::callFailed, static_cast<uint32_t>(kr)};
  if (outputSize != sizeof(Params)) return {Status::shortReply, static_cast<uint32_t>(outputSize)};
  if (output->result == kResultKeyNotFound) return {Status::notFound, output->result};
  if (output->result != 0) return {Status::smcError, output->result};
  return {Status::ok, 0};
}

}  // namespace

Result Open(Connection** connection, const char** service) {
  for (const char* name : kServices) {
    // IOServiceGetMatchingService consumes the matching dictionary.
    io_service_t match = IOServiceGetMatchingService(MACH_PORT_NULL, IOServiceMatching(name));
    if (match == IO_OBJECT_NULL) continue;
    io_connect_t port = IO_OBJECT_NULL;
    kern_return_t kr = IOServiceOpen(match, mach_task_self(), 0, &port);
    IOObjectRelease(match);
    if (kr != KERN_SUCCESS) return {Status::callFailed, static_cast<uint32_t>(kr)};
    *connection = new Connection{port};
    *service = name;
    return {Status::ok, 0};
  }
  return {Status::noService, 0};
}

void Close(Connection* connection) {
  IOServiceClose(connection->port);
  delete connection;
}

Result KeyAtIndex(Connection* connection, uint32_t index, uint32_t* key) {
  Params input{};
  Params output;
  input.command = kCommandKeyAtIndex;
  input.index = index;
  Result result = Call(connection, input, &output);
  if (result.status == Status::ok) *key = output.key;
  return result;
}

Result ReadKeyInfo(Connection* connection, uint32_t key, KeyInfo* info) {
  Params input{};
  Params output;
  input.command = kCommandReadKeyInfo;
  input.key = key;
  Result result = Call(connection, input, &output);
  if (result.status == Status::ok) {
    *info = KeyInfo{output.keyInfo.size, output.keyInfo.type, output.keyInfo.attributes};
  }
  return result;
}

Result ReadBytes(Connection* connection, uint32_t key, uint32_t size, uint8_t* out) {
  Params input{};
  Params output;
  input.command = kCommandReadBytes;
  input.key = key;
  input.keyInfo.size = size;
  Result result = Call(connection, input, &output);
  if (result.status == Status::ok) std::memcpy(out, output.bytes, size);
  return result;
}

}  // namespace smc
