// The only file that reads the I/O Registry: matches services by class, and copies the properties
// asked for out of CoreFoundation into plain values. The tests compile this same file against a
// simulated registry answering from a real `ioreg -l` (test/native/), so keep every IOKit and
// CoreFoundation call in here and nothing else.
#include "ioregistry.h"

#include <CoreFoundation/CoreFoundation.h>
#include <IOKit/IOKitLib.h>

namespace ioregistry {
namespace {

// Deeper than any registry property nests; past it a value is left out rather than recursed into.
constexpr int kMaxDepth = 32;

std::string StringOf(CFStringRef string) {
  CFIndex length = CFStringGetLength(string);
  CFIndex capacity = CFStringGetMaximumSizeForEncoding(length, kCFStringEncodingUTF8) + 1;
  std::string out(static_cast<size_t>(capacity), '\0');
  if (!CFStringGetCString(string, &out[0], capacity, kCFStringEncodingUTF8)) return std::string();
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

/** Copies `object` into `out`; false for a type the registry's properties do not use (CFSet, CFDate). */
bool ValueOf(CFTypeRef object, int depth, Value* out) {
  if (object == nullptr || depth > kMaxDepth) return false;
  CFTypeID type = CFGetTypeID(object);
  if (type == CFStringGetTypeID()) {
    out->kind = Value::Kind::string;
    out->text = StringOf(static_cast<CFStringRef>(object));
  } else if (type == CFNumberGetTypeID()) {
    CFNumberRef number = static_cast<CFNumberRef>(object);
    if (CFNumberIsFloatType(number)) {
      out->kind = Value::Kind::real;
      CFNumberGetValue(number, kCFNumberDoubleType, &out->real);
    } else {
      int64_t value = 0;
      CFNumberGetValue(number, kCFNumberSInt64Type, &value);
      out->kind = Value::Kind::integer;
      out->integer = static_cast<uint64_t>(value);
    }
  } else if (type == CFBooleanGetTypeID()) {
    out->kind = Value::Kind::boolean;
    out->boolean = CFBooleanGetValue(static_cast<CFBooleanRef>(object));
  } else if (type == CFDataGetTypeID()) {
    CFDataRef data = static_cast<CFDataRef>(object);
    out->kind = Value::Kind::data;
    const UInt8* bytes = CFDataGetBytePtr(data);
    if (bytes != nullptr) out->text.assign(reinterpret_cast<const char*>(bytes), static_cast<size_t>(CFDataGetLength(data)));
  } else if (type == CFArrayGetTypeID()) {
    CFArrayRef array = static_cast<CFArrayRef>(object);
    out->kind = Value::Kind::array;
    CFIndex count = CFArrayGetCount(array);
    for (CFIndex i = 0; i < count; i++) {
      Value item;
      if (ValueOf(CFArrayGetValueAtIndex(array, i), depth + 1, &item)) out->items.push_back(std::move(item));
    }
  } else if (type == CFDictionaryGetTypeID()) {
    CFDictionaryRef dictionary = static_cast<CFDictionaryRef>(object);
    out->kind = Value::Kind::dictionary;
    CFIndex count = CFDictionaryGetCount(dictionary);
    std::vector<const void*> keys(static_cast<size_t>(count));
    std::vector<const void*> values(static_cast<size_t>(count));
    CFDictionaryGetKeysAndValues(dictionary, keys.data(), values.data());
    for (CFIndex i = 0; i < count; i++) {
      if (keys[i] == nullptr || CFGetTypeID(keys[i]) != CFStringGetTypeID()) continue;
      Value item;
      if (ValueOf(values[i], depth + 1, &item)) out->entries.emplace_back(StringOf(static_cast<CFStringRef>(keys[i])), std::move(item));
    }
  } else {
    return false;
  }
  return true;
}

Entry EntryOf(io_registry_entry_t service, const std::vector<std::string>& keys) {
  Entry entry;
  io_name_t name;
  if (IOObjectGetClass(service, name) == KERN_SUCCESS) entry.className = name;
  if (IORegistryEntryGetName(service, name) == KERN_SUCCESS) entry.name = name;
  for (const std::string& key : keys) {
    CFStringRef cfKey = CFStringCreateWithCString(kCFAllocatorDefault, key.c_str(), kCFStringEncodingUTF8);
    if (cfKey == nullptr) continue;
    CFTypeRef property = IORegistryEntryCreateCFProperty(service, cfKey, kCFAllocatorDefault, 0);
    CFRelease(cfKey);
    if (property == nullptr) continue;
    Value value;
    if (ValueOf(property, 0, &value)) entry.properties.emplace_back(key, std::move(value));
    CFRelease(property);
  }
  return entry;
}

}  // namespace

Result ReadEntries(const std::string& className, const std::vector<std::string>& keys,
                   const std::vector<std::string>& childKeys, std::vector<Entry>* out) {
  io_iterator_t services = IO_OBJECT_NULL;
  // IOServiceGetMatchingServices consumes the matching dictionary.
  kern_return_t kr = IOServiceGetMatchingServices(MACH_PORT_NULL, IOServiceMatching(className.c_str()), &services);
  if (kr != KERN_SUCCESS) return {Status::callFailed, kr};
  for (io_object_t service = IOIteratorNext(services); service != IO_OBJECT_NULL; service = IOIteratorNext(services)) {
    Entry entry = EntryOf(service, keys);
    io_iterator_t children = IO_OBJECT_NULL;
    if (!childKeys.empty() && IORegistryEntryGetChildIterator(service, kIOServicePlane, &children) == KERN_SUCCESS) {
      for (io_object_t child = IOIteratorNext(children); child != IO_OBJECT_NULL; child = IOIteratorNext(children)) {
        entry.children.push_back(EntryOf(child, childKeys));
        IOObjectRelease(child);
      }
      IOObjectRelease(children);
    }
    out->push_back(std::move(entry));
    IOObjectRelease(service);
  }
  IOObjectRelease(services);
  return {Status::ok, 0};
}

}  // namespace ioregistry
