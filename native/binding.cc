// The N-API face of the SMC primitives in smc.h, the host counters in host.h, the sysctls in
// sysctl.h (and readRegistry, from ioregistry_binding.cc): an SmcConnection class whose methods return raw key info and raw bytes;
// readVmStatistics(), which returns vm_statistics64 as an object of numbers with the kernel's field
// names (or throws HOST_UNSUPPORTED / HOST_CALL_FAILED with the raw `kernReturn`); and readSysctls(),
// which returns { memsize, swap: { total, avail, used, pagesize, encrypted } } (or throws
// HOST_UNSUPPORTED / HOST_CALL_FAILED with the `sysctl` that failed and its `errno`). SMC errors
// are thrown as JS Errors with a `code` (SMC_UNSUPPORTED, SMC_NO_SERVICE, SMC_RESULT,
// SMC_CALL_FAILED, SMC_SHORT_REPLY) and the raw `smcCode`; agent/smc/addon.ts turns them into
// messages. "Key not found" is not an error: it returns undefined, because keys legitimately come
// and go.
#include <napi.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "binding_kernel.h"
#include "host.h"
#include "ioregistry_napi.h"
#include "smc.h"
#include "sysctl.h"

namespace {

bool ToFourCC(const Napi::Value& value, uint32_t* out) {
  if (!value.IsString()) return false;
  std::u16string text = value.As<Napi::String>().Utf16Value();
  if (text.size() != 4) return false;
  uint32_t code = 0;
  for (char16_t c : text) {
    if (c > 0xFF) return false;
    code = (code << 8) | static_cast<uint32_t>(c);
  }
  *out = code;
  return true;
}

Napi::String FromFourCC(Napi::Env env, uint32_t code) {
  char16_t text[4];
  for (int i = 0; i < 4; i++) text[i] = static_cast<char16_t>((code >> (24 - 8 * i)) & 0xFF);
  return Napi::String::New(env, text, 4);
}

void ThrowTypeError(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
}

void ThrowResult(Napi::Env env, const std::string& what, smc::Result result) {
  const char* code = "SMC_RESULT";
  char detail[96];
  switch (result.status) {
    case smc::Status::smcError:
    case smc::Status::notFound:
      std::snprintf(detail, sizeof detail, "SMC result 0x%02X", result.code);
      break;
    case smc::Status::callFailed:
      code = "SMC_CALL_FAILED";
      std::snprintf(detail, sizeof detail, "IOKit returned 0x%08X", result.code);
      break;
    case smc::Status::shortReply:
      code = "SMC_SHORT_REPLY";
      std::snprintf(detail, sizeof detail, "reply of %u bytes instead of 80", result.code);
      break;
    case smc::Status::noService:
      code = "SMC_NO_SERVICE";
      std::snprintf(detail, sizeof detail, "no AppleSMCKeysEndpoint or AppleSMC service");
      break;
    case smc::Status::unsupported:
      code = "SMC_UNSUPPORTED";
      std::snprintf(detail, sizeof detail, "SMC is only available on macOS");
      break;
    case smc::Status::ok:
      std::snprintf(detail, sizeof detail, "no error");
      break;
  }
  Napi::Error error = Napi::Error::New(env, what + ": " + detail);
  error.Value().Set("code", Napi::String::New(env, code));
  error.Value().Set("smcCode", Napi::Number::New(env, result.code));
  error.ThrowAsJavaScriptException();
}

class SmcConnection : public Napi::ObjectWrap<SmcConnection> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SmcConnection", {
      InstanceMethod<&SmcConnection::KeyCount>("keyCount"),
      InstanceMethod<&SmcConnection::KeyAtIndex>("keyAtIndex"),
      InstanceMethod<&SmcConnection::KeyInfo>("keyInfo"),
      InstanceMethod<&SmcConnection::Read>("read"),
      InstanceMethod<&SmcConnection::Close>("close"),
    });
  }

  explicit SmcConnection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SmcConnection>(info) {
    const char* service = nullptr;
    smc::Result result = smc::Open(&connection_, &service);
    if (result.status != smc::Status::ok) {
      ThrowResult(info.Env(), "cannot open the SMC", result);
      return;
    }
    info.This().As<Napi::Object>().Set("service", Napi::String::New(info.Env(), service));
  }

  ~SmcConnection() override {
    if (connection_ != nullptr) smc::Close(connection_);
  }

 private:
  bool EnsureOpen(Napi::Env env) {
    if (connection_ != nullptr) return true;
    Napi::Error::New(env, "the SMC connection is closed").ThrowAsJavaScriptException();
    return false;
  }

  Napi::Value KeyCount(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!EnsureOpen(env)) return env.Undefined();
    const uint32_t countKey = ('#' << 24) | ('K' << 16) | ('E' << 8) | 'Y';
    uint8_t bytes[4];
    smc::Result result = smc::ReadBytes(connection_, countKey, 4, bytes);
    if (result.status != smc::Status::ok) {
      ThrowResult(env, "cannot read #KEY", result);
      return env.Undefined();
    }
    uint32_t count = (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
    return Napi::Number::New(env, count);
  }

  Napi::Value KeyAtIndex(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!EnsureOpen(env)) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber() || info[0].As<Napi::Number>().DoubleValue() < 0) {
      ThrowTypeError(env, "keyAtIndex(index) takes a non-negative number");
      return env.Undefined();
    }
    uint32_t index = info[0].As<Napi::Number>().Uint32Value();
    uint32_t key = 0;
    smc::Result result = smc::KeyAtIndex(connection_, index, &key);
    if (result.status == smc::Status::notFound) return env.Undefined();
    if (result.status != smc::Status::ok) {
      ThrowResult(env, "cannot read the key at index " + std::to_string(index), result);
      return env.Undefined();
    }
    return FromFourCC(env, key);
  }

  Napi::Value KeyInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!EnsureOpen(env)) return env.Undefined();
    uint32_t key = 0;
    if (info.Length() < 1 || !ToFourCC(info[0], &key)) {
      ThrowTypeError(env, "keyInfo(key) takes a key of 4 characters");
      return env.Undefined();
    }
    smc::KeyInfo keyInfo{};
    smc::Result result = smc::ReadKeyInfo(connection_, key, &keyInfo);
    if (result.status == smc::Status::notFound) return env.Undefined();
    if (result.status != smc::Status::ok) {
      ThrowResult(env, "cannot read the info of key " + info[0].As<Napi::String>().Utf8Value(), result);
      return env.Undefined();
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("type", FromFourCC(env, keyInfo.type));
    out.Set("size", Napi::Number::New(env, keyInfo.size));
    out.Set("attributes", Napi::Number::New(env, keyInfo.attributes));
    return out;
  }

  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!EnsureOpen(env)) return env.Undefined();
    uint32_t key = 0;
    if (info.Length() < 2 || !ToFourCC(info[0], &key) || !info[1].IsNumber()) {
      ThrowTypeError(env, "read(key, size) takes a key of 4 characters and a size");
      return env.Undefined();
    }
    double size = info[1].As<Napi::Number>().DoubleValue();
    if (!(size >= 1 && size <= smc::kMaxValueBytes) || size != static_cast<uint32_t>(size)) {
      Napi::RangeError::New(env, "read(key, size): size must be a whole number from 1 to 32, the most one SMC read returns")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uint8_t bytes[smc::kMaxValueBytes];
    smc::Result result = smc::ReadBytes(connection_, key, static_cast<uint32_t>(size), bytes);
    if (result.status == smc::Status::notFound) return env.Undefined();
    if (result.status != smc::Status::ok) {
      ThrowResult(env, "cannot read key " + info[0].As<Napi::String>().Utf8Value(), result);
      return env.Undefined();
    }
    return Napi::Buffer<uint8_t>::Copy(env, bytes, static_cast<size_t>(size));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (connection_ != nullptr) {
      smc::Close(connection_);
      connection_ = nullptr;
    }
    return info.Env().Undefined();
  }

  smc::Connection* connection_ = nullptr;
};

Napi::Value ReadVmStatistics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  host::VmStatistics s{};
  host::Result result = host::ReadVmStatistics(&s);
  if (result.status != host::Status::ok) {
    const bool unsupported = result.status == host::Status::unsupported;
    char message[96];
    if (unsupported) std::snprintf(message, sizeof message, "host_statistics64 is only available on macOS");
    else std::snprintf(message, sizeof message, "host_statistics64(HOST_VM_INFO64) returned kern_return_t %d", result.code);
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, unsupported ? "HOST_UNSUPPORTED" : "HOST_CALL_FAILED"));
    error.Set("kernReturn", Napi::Number::New(env, result.code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  // Doubles hold every count exactly up to 2^53 pages; the TypeScript side checks for more.
  const auto set = [&](const char* name, uint64_t value) { out.Set(name, Napi::Number::New(env, static_cast<double>(value))); };
  set("page_size", s.page_size);
  set("free_count", s.free_count);
  set("active_count", s.active_count);
  set("inactive_count", s.inactive_count);
  set("wire_count", s.wire_count);
  set("zero_fill_count", s.zero_fill_count);
  set("reactivations", s.reactivations);
  set("pageins", s.pageins);
  set("pageouts", s.pageouts);
  set("faults", s.faults);
  set("cow_faults", s.cow_faults);
  set("purges", s.purges);
  set("purgeable_count", s.purgeable_count);
  set("speculative_count", s.speculative_count);
  set("decompressions", s.decompressions);
  set("compressions", s.compressions);
  set("swapins", s.swapins);
  set("swapouts", s.swapouts);
  set("compressor_page_count", s.compressor_page_count);
  set("throttled_count", s.throttled_count);
  set("external_page_count", s.external_page_count);
  set("internal_page_count", s.internal_page_count);
  set("total_uncompressed_pages_in_compressor", s.total_uncompressed_pages_in_compressor);
  return out;
}

Napi::Value ReadSysctls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  host::Sysctls s{};
  host::SysctlResult result = host::ReadSysctls(&s);
  if (result.status != host::SysctlStatus::ok) {
    char message[160];
    switch (result.status) {
      case host::SysctlStatus::callFailed:
        std::snprintf(message, sizeof message, "sysctlbyname(\"%s\") failed: errno %d (%s)", result.name, result.code, std::strerror(result.code));
        break;
      case host::SysctlStatus::wrongSize:
        std::snprintf(message, sizeof message, "sysctlbyname(\"%s\") answered %d bytes, not the size of its type", result.name, result.code);
        break;
      default:
        std::snprintf(message, sizeof message, "hw.memsize and vm.swapusage are only available on macOS");
        break;
    }
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, result.status == host::SysctlStatus::unsupported ? "HOST_UNSUPPORTED" : "HOST_CALL_FAILED"));
    if (result.name != nullptr) error.Set("sysctl", Napi::String::New(env, result.name));
    if (result.status == host::SysctlStatus::callFailed) error.Set("errno", Napi::Number::New(env, result.code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Doubles hold every byte count exactly up to 8 PiB; the TypeScript side checks for more.
  const auto number = [&](uint64_t value) { return Napi::Number::New(env, static_cast<double>(value)); };
  Napi::Object swap = Napi::Object::New(env);
  swap.Set("total", number(s.xsu_total));
  swap.Set("avail", number(s.xsu_avail));
  swap.Set("used", number(s.xsu_used));
  swap.Set("pagesize", number(s.xsu_pagesize));
  swap.Set("encrypted", Napi::Boolean::New(env, s.xsu_encrypted));
  Napi::Object out = Napi::Object::New(env);
  out.Set("memsize", number(s.memsize));
  out.Set("swap", swap);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("SmcConnection", SmcConnection::Define(env));
  exports.Set("readVmStatistics", Napi::Function::New(env, ReadVmStatistics, "readVmStatistics"));
  exports.Set("readSysctls", Napi::Function::New(env, ReadSysctls, "readSysctls"));
  ExportKernelReaders(env, exports);
  exports.Set("readRegistry", Napi::Function::New(env, ioregistry::ReadRegistry, "readRegistry"));
  return exports;
}

}  // namespace

NODE_API_MODULE(smc, Init)
