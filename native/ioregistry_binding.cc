// Converts ioregistry::Entry values into JavaScript, property for property, decoding nothing:
// agent/native/ioregistry.ts and agent/parsers/ioreg-*.ts do that.
#include "ioregistry_napi.h"

#include <cstdio>

#include "ioregistry.h"

namespace ioregistry {
namespace {

// Doubles hold every integer exactly up to 2^53 - 1; past it the value goes out as a BigInt.
constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

Napi::Value ToJs(Napi::Env env, const Value& value);

Napi::Object ToJsDictionary(Napi::Env env, const std::vector<std::pair<std::string, Value>>& entries) {
  Napi::Object out = Napi::Object::New(env);
  // Defined, not assigned, so that a key such as "__proto__" is an ordinary property.
  for (const auto& [key, item] : entries) {
    out.DefineProperty(Napi::PropertyDescriptor::Value(Napi::String::New(env, key), ToJs(env, item), napi_default_jsproperty));
  }
  return out;
}

Napi::Value ToJs(Napi::Env env, const Value& value) {
  switch (value.kind) {
    case Value::Kind::string:
      return Napi::String::New(env, value.text);
    case Value::Kind::integer:
      if (value.integer <= kMaxSafeInteger) return Napi::Number::New(env, static_cast<double>(value.integer));
      return Napi::BigInt::New(env, value.integer);
    case Value::Kind::real:
      return Napi::Number::New(env, value.real);
    case Value::Kind::boolean:
      return Napi::Boolean::New(env, value.boolean);
    case Value::Kind::data:
      return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(value.text.data()), value.text.size());
    case Value::Kind::array: {
      Napi::Array out = Napi::Array::New(env, value.items.size());
      for (size_t i = 0; i < value.items.size(); i++) out.Set(static_cast<uint32_t>(i), ToJs(env, value.items[i]));
      return out;
    }
    case Value::Kind::dictionary:
      return ToJsDictionary(env, value.entries);
  }
  return env.Undefined();
}

Napi::Object EntryToJs(Napi::Env env, const Entry& entry) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("className", Napi::String::New(env, entry.className));
  out.Set("name", Napi::String::New(env, entry.name));
  out.Set("properties", ToJsDictionary(env, entry.properties));
  Napi::Array children = Napi::Array::New(env, entry.children.size());
  for (size_t i = 0; i < entry.children.size(); i++) children.Set(static_cast<uint32_t>(i), EntryToJs(env, entry.children[i]));
  out.Set("children", children);
  return out;
}

bool ToStrings(const Napi::Value& value, std::vector<std::string>* out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) return false;
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return true;
}

}  // namespace

Napi::Value ReadRegistry(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> keys;
  std::vector<std::string> childKeys;
  if (info.Length() < 3 || !info[0].IsString() || !ToStrings(info[1], &keys) || !ToStrings(info[2], &childKeys)) {
    Napi::TypeError::New(env, "readRegistry(className, keys, childKeys) takes a class name and two arrays of property names")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string className = info[0].As<Napi::String>().Utf8Value();
  std::vector<Entry> entries;
  Result result = ReadEntries(className, keys, childKeys, &entries);
  if (result.status != Status::ok) {
    const bool unsupported = result.status == Status::unsupported;
    char message[160];
    if (unsupported) std::snprintf(message, sizeof message, "the I/O Registry is only available on macOS");
    else std::snprintf(message, sizeof message, "IOServiceGetMatchingServices(%s) returned kern_return_t 0x%08X", className.c_str(), static_cast<uint32_t>(result.code));
    Napi::Error error = Napi::Error::New(env, message);
    error.Set("code", Napi::String::New(env, unsupported ? "HOST_UNSUPPORTED" : "HOST_CALL_FAILED"));
    error.Set("kernReturn", Napi::Number::New(env, result.code));
    error.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env, entries.size());
  for (size_t i = 0; i < entries.size(); i++) out.Set(static_cast<uint32_t>(i), EntryToJs(env, entries[i]));
  return out;
}

}  // namespace ioregistry
