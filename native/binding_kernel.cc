// The N-API face of kernel.h, registered by binding.cc beside the SMC, host and sysctl functions:
//   readMemoryPressure()  -> { vmPressureLevel, memorystatusLevel }
//   readInterfaceMibs()   -> [{ index, mib: Buffer }] for every interface index that exists
//   readThermalPressure() -> the notify state, a number
// Errors are thrown with a `code`: HOST_UNSUPPORTED when this machine cannot answer at all (not
// macOS, or a kernel without the sysctl: ENOENT), so the source runs its command instead;
// HOST_CALL_FAILED for anything else, with the call and its errno or notify status.
#include "binding_kernel.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "kernel.h"

namespace {

/** More interfaces than any Mac has: the bound on the MIB walk. */
constexpr uint32_t kMaxInterfaces = 4096;

void ThrowSysctl(Napi::Env env, const host::SysctlResult& result, const char* what) {
  char message[192];
  bool unsupported = result.status == host::SysctlStatus::unsupported;
  switch (result.status) {
    case host::SysctlStatus::callFailed:
      unsupported = result.code == ENOENT;
      std::snprintf(message, sizeof message, "sysctl %s failed: errno %d (%s)", result.name, result.code, std::strerror(result.code));
      break;
    case host::SysctlStatus::wrongSize:
      std::snprintf(message, sizeof message, "sysctl %s answered %d bytes, not the size of its type", result.name, result.code);
      break;
    default:
      std::snprintf(message, sizeof message, "%s only available on macOS", what);
      break;
  }
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, unsupported ? "HOST_UNSUPPORTED" : "HOST_CALL_FAILED"));
  if (result.name != nullptr) error.Set("sysctl", Napi::String::New(env, result.name));
  if (result.status == host::SysctlStatus::callFailed) error.Set("errno", Napi::Number::New(env, result.code));
  error.ThrowAsJavaScriptException();
}

Napi::Value ReadMemoryPressure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  host::MemoryPressure pressure{};
  host::SysctlResult result = host::ReadMemoryPressure(&pressure);
  if (result.status != host::SysctlStatus::ok) {
    ThrowSysctl(env, result, "kern.memorystatus_vm_pressure_level and kern.memorystatus_level are");
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("vmPressureLevel", Napi::Number::New(env, pressure.vm_pressure_level));
  out.Set("memorystatusLevel", Napi::Number::New(env, pressure.memorystatus_level));
  return out;
}

Napi::Value ReadInterfaceMibs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count = 0;
  host::SysctlResult result = host::ReadInterfaceCount(&count);
  if (result.status == host::SysctlStatus::ok && count > kMaxInterfaces) {
    result = {host::SysctlStatus::wrongSize, "net.link.generic.system.ifcount", static_cast<int32_t>(count)};
  }
  if (result.status != host::SysctlStatus::ok) {
    ThrowSysctl(env, result, "the interface MIB is");
    return env.Undefined();
  }
  Napi::Array rows = Napi::Array::New(env);
  uint32_t n = 0;
  uint8_t bytes[host::kMaxIfmibBytes];
  for (uint32_t index = 1; index <= count; index++) {
    size_t size = 0;
    result = host::ReadInterfaceMib(index, bytes, &size);
    if (result.status == host::SysctlStatus::callFailed && result.code == ENOENT) continue;
    if (result.status != host::SysctlStatus::ok) {
      ThrowSysctl(env, result, "the interface MIB is");
      return env.Undefined();
    }
    Napi::Object row = Napi::Object::New(env);
    row.Set("index", Napi::Number::New(env, index));
    row.Set("mib", Napi::Buffer<uint8_t>::Copy(env, bytes, size));
    rows.Set(n++, row);
  }
  return rows;
}

Napi::Value ReadThermalPressure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t state = 0;
  host::NotifyResult result = host::ReadThermalPressure(&state);
  if (result.status != host::NotifyStatus::ok) {
    const bool unsupported = result.status == host::NotifyStatus::unsupported;
    char message[160];
    if (unsupported) std::snprintf(message, sizeof message, "com.apple.system.thermalpressurelevel (notify) is only available on macOS");
    else std::snprintf(message, sizeof message, "%s(\"com.apple.system.thermalpressurelevel\") returned notify status %u", result.call, result.code);
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, unsupported ? "HOST_UNSUPPORTED" : "HOST_CALL_FAILED"));
    error.Set("notifyStatus", Napi::Number::New(env, result.code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // A double holds every state up to 2^53; the TypeScript side rejects anything but 0..4.
  return Napi::Number::New(env, static_cast<double>(state));
}

}  // namespace

void ExportKernelReaders(Napi::Env env, Napi::Object exports) {
  exports.Set("readMemoryPressure", Napi::Function::New(env, ReadMemoryPressure, "readMemoryPressure"));
  exports.Set("readInterfaceMibs", Napi::Function::New(env, ReadInterfaceMibs, "readInterfaceMibs"));
  exports.Set("readThermalPressure", Napi::Function::New(env, ReadThermalPressure, "readThermalPressure"));
}
