// A simulated AppleSMC for the tests: implements the IOKit calls native/smc_iokit.cc makes,
// answering from a key table (loaded from a real SMC dump by the test) instead of hardware.
//
// It reads the 80-byte parameter block by explicit byte offsets, independently of the glue's
// struct, so a layout mistake in the glue shows up as wrong answers. Every call is appended to
// the log file, so the tests can check the call sequence.
//
// Environment (read when the service is looked up):
//   SIMULATED_SMC_TABLE  the table, one directive per line:
//     service NAME                       the only IOKit service name that matches
//     key KEYHEX TYPEHEX SIZE ATTRHEX DATA   DATA is hex bytes, or !RR for "not readable, SMC result RR"
//     vanish KEYHEX                      listed and described, but reading it answers 0x84 (key not found)
//     fail KEYHEX KRHEX                  reading it makes IOConnectCallStructMethod return KRHEX
//     open-fail KRHEX                    IOServiceOpen returns KRHEX
//   SIMULATED_SMC_LOG    file the calls are appended to
#include <IOKit/IOKitLib.h>
#include <mach/mach.h>

#include "simulated_matching.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr mach_port_t kTask = 0x7a5c;
constexpr io_service_t kService = 0x5e41;
constexpr io_connect_t kConnection = 0xc011;
constexpr kern_return_t kIOReturnBadArgument = static_cast<kern_return_t>(0xE00002C2);
constexpr kern_return_t kIOReturnNotOpen = static_cast<kern_return_t>(0xE00002CD);

struct Key {
  uint32_t type = 0;
  uint32_t size = 0;
  uint8_t attributes = 0;
  std::vector<uint8_t> bytes;
  uint8_t unreadable = 0;
  bool vanished = false;
  kern_return_t failure = KERN_SUCCESS;
};

struct Simulation {
  std::string service = "AppleSMCKeysEndpoint";
  std::vector<uint32_t> order;
  std::map<uint32_t, Key> keys;
  kern_return_t openFailure = KERN_SUCCESS;
  bool open = false;
};

Simulation sim;

void Log(const char* format, ...) __attribute__((format(printf, 1, 2)));
void Log(const char* format, ...) {
  const char* path = std::getenv("SIMULATED_SMC_LOG");
  if (path == nullptr) return;
  FILE* file = std::fopen(path, "a");
  if (file == nullptr) return;
  va_list args;
  va_start(args, format);
  std::vfprintf(file, format, args);
  va_end(args);
  std::fputc('\n', file);
  std::fclose(file);
}

std::string KeyName(uint32_t key) {
  std::string name(4, ' ');
  for (int i = 0; i < 4; i++) {
    char c = static_cast<char>((key >> (24 - 8 * i)) & 0xFF);
    name[i] = (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  return name;
}

std::vector<uint8_t> HexBytes(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

void LoadTable() {
  sim = Simulation{};
  const char* path = std::getenv("SIMULATED_SMC_TABLE");
  if (path == nullptr) return;
  FILE* file = std::fopen(path, "r");
  if (file == nullptr) return;
  char line[512];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    char word[32], a[80], b[80], c[80], d[80], e[200];
    int n = std::sscanf(line, "%31s %79s %79s %79s %79s %199s", word, a, b, c, d, e);
    std::string directive(word);
    if (n >= 2 && directive == "service") {
      sim.service = a;
    } else if (n == 6 && directive == "key") {
      uint32_t id = static_cast<uint32_t>(std::stoul(a, nullptr, 16));
      Key key;
      key.type = static_cast<uint32_t>(std::stoul(b, nullptr, 16));
      key.size = static_cast<uint32_t>(std::stoul(c, nullptr, 10));
      key.attributes = static_cast<uint8_t>(std::stoul(d, nullptr, 16));
      if (e[0] == '!') key.unreadable = static_cast<uint8_t>(std::stoul(e + 1, nullptr, 16));
      else key.bytes = HexBytes(e);
      if (sim.keys.count(id) == 0) sim.order.push_back(id);
      sim.keys[id] = key;
    } else if (n >= 2 && directive == "vanish") {
      sim.keys[static_cast<uint32_t>(std::stoul(a, nullptr, 16))].vanished = true;
    } else if (n >= 3 && directive == "fail") {
      sim.keys[static_cast<uint32_t>(std::stoul(a, nullptr, 16))].failure = static_cast<kern_return_t>(std::stoul(b, nullptr, 16));
    } else if (n >= 2 && directive == "open-fail") {
      sim.openFailure = static_cast<kern_return_t>(std::stoul(a, nullptr, 16));
    }
  }
  std::fclose(file);
}

uint32_t Get32(const uint8_t* p, size_t offset) {
  uint32_t v;
  std::memcpy(&v, p + offset, 4);
  return v;
}

void Put32(uint8_t* p, size_t offset, uint32_t v) { std::memcpy(p + offset, &v, 4); }

// The parameter block's fields, by byte offset.
constexpr size_t kKey = 0, kInfoSize = 28, kInfoType = 32, kInfoAttributes = 36, kResult = 40,
                 kCommand = 42, kIndex = 44, kBytes = 48, kBlockSize = 80;

uint32_t ListedKeys() {
  auto count = sim.keys.find(0x234B4559);  // '#KEY'
  if (count == sim.keys.end() || count->second.bytes.size() != 4) return static_cast<uint32_t>(sim.order.size());
  const std::vector<uint8_t>& b = count->second.bytes;
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

}  // namespace

extern "C" {

mach_port_t mach_task_self(void) { return kTask; }

CFMutableDictionaryRef IOServiceMatching(const char* name) {
  Log("IOServiceMatching %s", name);
  return reinterpret_cast<CFMutableDictionaryRef>(new SimulatedMatching{name});
}

io_service_t IOServiceGetMatchingService(mach_port_t mainPort, CFDictionaryRef matching) {
  LoadTable();
  auto* dictionary = reinterpret_cast<SimulatedMatching*>(const_cast<__CFDictionary*>(matching));
  std::string name = dictionary->name;
  delete dictionary;  // the real call consumes the dictionary
  bool found = mainPort == MACH_PORT_NULL && name == sim.service;
  Log("IOServiceGetMatchingService %s -> %s", name.c_str(), found ? "found" : "none");
  return found ? kService : IO_OBJECT_NULL;
}

kern_return_t IOServiceOpen(io_service_t service, task_port_t owningTask, uint32_t type, io_connect_t* connect) {
  kern_return_t kr = KERN_SUCCESS;
  if (service != kService || owningTask != kTask || type != 0) kr = kIOReturnBadArgument;
  else if (sim.openFailure != KERN_SUCCESS) kr = sim.openFailure;
  Log("IOServiceOpen task=%s type=%u -> 0x%08X", owningTask == kTask ? "self" : "other", type, static_cast<uint32_t>(kr));
  if (kr == KERN_SUCCESS) {
    sim.open = true;
    *connect = kConnection;
  }
  return kr;
}

kern_return_t IOObjectRelease(io_object_t object) {
  Log("IOObjectRelease %s", object == kService ? "service" : "unknown");
  return KERN_SUCCESS;
}

kern_return_t IOServiceClose(io_connect_t connect) {
  Log("IOServiceClose %s", connect == kConnection && sim.open ? "ok" : "not open");
  sim.open = false;
  return KERN_SUCCESS;
}

kern_return_t IOConnectCallStructMethod(mach_port_t connection, uint32_t selector, const void* inputStruct,
                                        size_t inputStructCnt, void* outputStruct, size_t* outputStructCnt) {
  const auto* in = static_cast<const uint8_t*>(inputStruct);
  auto* out = static_cast<uint8_t*>(outputStruct);
  if (connection != kConnection || !sim.open) {
    Log("call on a connection that is not open");
    return kIOReturnNotOpen;
  }
  if (selector != 2 || inputStructCnt != kBlockSize || *outputStructCnt != kBlockSize) {
    Log("call selector=%u in=%zu out=%zu -> bad argument", selector, inputStructCnt, *outputStructCnt);
    return kIOReturnBadArgument;
  }
  uint32_t keyId = Get32(in, kKey);
  uint8_t command = in[kCommand];
  uint32_t size = Get32(in, kInfoSize);
  uint32_t index = Get32(in, kIndex);
  std::memset(out, 0, kBlockSize);
  uint8_t result = 0;
  kern_return_t kr = KERN_SUCCESS;
  auto found = sim.keys.find(keyId);
  bool exists = found != sim.keys.end() && found->second.size != 0;
  switch (command) {
    case 8:  // key at index: only the first #KEY keys are listed; the rest are hidden
      if (index >= ListedKeys()) result = 0xB8;
      else Put32(out, kKey, sim.order[index]);
      break;
    case 9:  // key info
      if (!exists) {
        result = 0x84;
      } else {
        Put32(out, kInfoSize, found->second.size);
        Put32(out, kInfoType, found->second.type);
        out[kInfoAttributes] = found->second.attributes;
      }
      break;
    case 5:  // read bytes
      if (!exists || found->second.vanished) result = 0x84;
      else if (found->second.failure != KERN_SUCCESS) kr = found->second.failure;
      else if (found->second.unreadable != 0) result = found->second.unreadable;
      else if (size != found->second.size) result = 0x87;
      else std::memcpy(out + kBytes, found->second.bytes.data(), size);
      break;
    default:
      result = 0x82;
  }
  out[kResult] = result;
  Log("call command=%u key=%s size=%u index=%u -> kr=0x%08X result=0x%02X", command,
      command == 8 ? "----" : KeyName(keyId).c_str(), size, index, static_cast<uint32_t>(kr), result);
  return kr;
}

}  // extern "C"
