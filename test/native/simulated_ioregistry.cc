// A simulated I/O Registry for the tests: implements the IOKit and CoreFoundation calls
// native/ioregistry_iokit.cc makes, answering from a table of registry entries (written by the
// test from a real `ioreg -l` capture) instead of the kernel. Properties are handed out as
// CoreFoundation would: IORegistryEntryCreateCFProperty returns a new object the caller must
// CFRelease; the getters return objects owned by their container. Every create and release is
// appended to the log, so the tests can check that the glue releases what it creates.
//
// Environment (read at every IOServiceGetMatchingServices; the table is parsed again only when its
// path, size or modification time changed, so a long benchmark measures the agent, not the parse):
//   SIMULATED_IOREGISTRY      the table, whitespace-separated tokens:
//     entry PARENT CLASSHEX NAMEHEX N SUPERHEX*N   an entry (PARENT: index of an earlier entry, or -1);
//                                                  it also matches the N superclasses given
//     prop KEYHEX VALUE                            a property of the last entry
//     fail KR                                      IOServiceGetMatchingServices returns KR (decimal)
//   where VALUE is  s HEX | n U64 | f DOUBLE | b 0|1 | x HEX | a N VALUE*N | d N (KEYHEX VALUE)*N
//   and an empty HEX is written "-".
//   SIMULATED_IOREGISTRY_LOG  file the creates and releases are appended to
#include <CoreFoundation/CoreFoundation.h>
#include <IOKit/IOKitLib.h>

#include "simulated_matching.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

enum TypeId : CFTypeID { kString = 7, kNumber = 22, kBoolean = 21, kData = 20, kArray = 19, kDictionary = 18 };

struct Object {
  CFTypeID type = kString;
  std::string text;
  uint64_t integer = 0;
  double real = 0;
  bool isReal = false;
  bool boolean = false;
  std::vector<std::unique_ptr<Object>> items;
  std::vector<std::pair<std::unique_ptr<Object>, std::unique_ptr<Object>>> entries;

  std::unique_ptr<Object> Copy() const {
    auto out = std::make_unique<Object>();
    out->type = type;
    out->text = text;
    out->integer = integer;
    out->real = real;
    out->isReal = isReal;
    out->boolean = boolean;
    for (const auto& item : items) out->items.push_back(item->Copy());
    for (const auto& [key, value] : entries) out->entries.emplace_back(key->Copy(), value->Copy());
    return out;
  }
};

struct Entry {
  long parent = -1;
  std::string className;
  std::string name;
  std::vector<std::string> matches;
  std::vector<std::pair<std::string, std::unique_ptr<Object>>> properties;
};

struct Iterator {
  std::vector<size_t> entries;
  size_t next = 0;
};

// Handles: entry i is kEntryBase + i, iterator j is kIteratorBase + j.
constexpr io_object_t kEntryBase = 0x10000;
constexpr io_object_t kIteratorBase = 0x800000;

std::vector<Entry> entries;
std::vector<Iterator> iterators;
kern_return_t failure = KERN_SUCCESS;

void Log(const std::string& line) {
  const char* path = std::getenv("SIMULATED_IOREGISTRY_LOG");
  if (path == nullptr) return;
  FILE* file = std::fopen(path, "a");
  if (file == nullptr) return;
  std::fprintf(file, "%s\n", line.c_str());
  std::fclose(file);
}

std::string FromHex(const std::string& hex) {
  std::string out;
  if (hex == "-") return out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::strtoul(hex.substr(i, 2).c_str(), nullptr, 16)));
  return out;
}

std::unique_ptr<Object> ReadValue(std::istream& in) {
  std::string tag, token;
  in >> tag;
  auto value = std::make_unique<Object>();
  if (tag == "s" || tag == "x") {
    in >> token;
    value->type = tag == "s" ? kString : kData;
    value->text = FromHex(token);
  } else if (tag == "n") {
    in >> token;
    value->type = kNumber;
    value->integer = std::strtoull(token.c_str(), nullptr, 10);
  } else if (tag == "f") {
    in >> token;
    value->type = kNumber;
    value->isReal = true;
    value->real = std::strtod(token.c_str(), nullptr);
  } else if (tag == "b") {
    in >> token;
    value->type = kBoolean;
    value->boolean = token == "1";
  } else if (tag == "a" || tag == "d") {
    long count = 0;
    in >> count;
    value->type = tag == "a" ? kArray : kDictionary;
    for (long i = 0; i < count && in; i++) {
      if (tag == "a") {
        value->items.push_back(ReadValue(in));
      } else {
        in >> token;
        auto key = std::make_unique<Object>();
        key->text = FromHex(token);
        value->entries.emplace_back(std::move(key), ReadValue(in));
      }
    }
  } else {
    std::fprintf(stderr, "simulated ioregistry: unknown value tag %s\n", tag.c_str());
  }
  return value;
}

std::string loadedTable;

std::string ModifiedAt(const struct stat& info) {
#ifdef __APPLE__
  const struct timespec& at = info.st_mtimespec;
#else
  const struct timespec& at = info.st_mtim;
#endif
  return std::to_string(at.tv_sec) + "." + std::to_string(at.tv_nsec);
}

void LoadTable() {
  iterators.clear();
  const char* path = std::getenv("SIMULATED_IOREGISTRY");
  struct stat info {};
  std::string key;
  if (path != nullptr && stat(path, &info) == 0) {
    key = std::string(path) + ":" + std::to_string(info.st_size) + ":" + ModifiedAt(info);
  }
  if (!key.empty() && key == loadedTable) return;
  loadedTable = key;
  entries.clear();
  failure = KERN_SUCCESS;
  if (path == nullptr) return;
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string directive, token;
  while (text >> directive) {
    if (directive == "entry") {
      Entry entry;
      long count = 0;
      text >> entry.parent >> token;
      entry.className = FromHex(token);
      text >> token >> count;
      entry.name = FromHex(token);
      entry.matches.push_back(entry.className);
      for (long i = 0; i < count; i++) {
        text >> token;
        entry.matches.push_back(FromHex(token));
      }
      entries.push_back(std::move(entry));
    } else if (directive == "prop" && !entries.empty()) {
      text >> token;
      entries.back().properties.emplace_back(FromHex(token), ReadValue(text));
    } else if (directive == "fail") {
      text >> failure;
    } else {
      std::fprintf(stderr, "simulated ioregistry: unknown directive %s\n", directive.c_str());
      return;
    }
  }
}

Entry* EntryOf(io_object_t handle) {
  if (handle < kEntryBase || handle - kEntryBase >= entries.size()) return nullptr;
  return &entries[handle - kEntryBase];
}

io_iterator_t NewIterator(std::vector<size_t> matched) {
  iterators.push_back(Iterator{std::move(matched), 0});
  return kIteratorBase + static_cast<io_object_t>(iterators.size() - 1);
}

const Object* AsObject(CFTypeRef cf) { return static_cast<const Object*>(cf); }

}  // namespace

extern "C" {

const CFAllocatorRef kCFAllocatorDefault = nullptr;

kern_return_t IOServiceGetMatchingServices(mach_port_t mainPort, CFDictionaryRef matching, io_iterator_t* existing) {
  LoadTable();
  auto* dictionary = reinterpret_cast<SimulatedMatching*>(const_cast<__CFDictionary*>(matching));
  std::string name = dictionary->name;
  delete dictionary;  // the real call consumes the dictionary
  if (mainPort != MACH_PORT_NULL) return static_cast<kern_return_t>(0xE00002C2);
  if (failure != KERN_SUCCESS) return failure;
  std::vector<size_t> matched;
  for (size_t i = 0; i < entries.size(); i++) {
    for (const std::string& c : entries[i].matches) {
      if (c == name) {
        matched.push_back(i);
        break;
      }
    }
  }
  Log("IOServiceGetMatchingServices " + name + " -> " + std::to_string(matched.size()));
  *existing = NewIterator(std::move(matched));
  return KERN_SUCCESS;
}

io_object_t IOIteratorNext(io_iterator_t iterator) {
  if (iterator < kIteratorBase || iterator - kIteratorBase >= iterators.size()) return IO_OBJECT_NULL;
  Iterator& it = iterators[iterator - kIteratorBase];
  if (it.next >= it.entries.size()) return IO_OBJECT_NULL;
  return kEntryBase + static_cast<io_object_t>(it.entries[it.next++]);
}

kern_return_t IOObjectGetClass(io_object_t object, io_name_t className) {
  Entry* entry = EntryOf(object);
  if (entry == nullptr) return static_cast<kern_return_t>(0xE00002C2);
  std::snprintf(className, sizeof(io_name_t), "%s", entry->className.c_str());
  return KERN_SUCCESS;
}

kern_return_t IORegistryEntryGetName(io_registry_entry_t object, io_name_t name) {
  Entry* entry = EntryOf(object);
  if (entry == nullptr) return static_cast<kern_return_t>(0xE00002C2);
  std::snprintf(name, sizeof(io_name_t), "%s", entry->name.c_str());
  return KERN_SUCCESS;
}

kern_return_t IORegistryEntryGetChildIterator(io_registry_entry_t object, const io_name_t plane, io_iterator_t* iterator) {
  if (EntryOf(object) == nullptr || std::strcmp(plane, kIOServicePlane) != 0) return static_cast<kern_return_t>(0xE00002C2);
  std::vector<size_t> children;
  long parent = static_cast<long>(object - kEntryBase);
  for (size_t i = 0; i < entries.size(); i++) if (entries[i].parent == parent) children.push_back(i);
  *iterator = NewIterator(std::move(children));
  return KERN_SUCCESS;
}

CFTypeRef IORegistryEntryCreateCFProperty(io_registry_entry_t object, CFStringRef key, CFAllocatorRef, IOOptionBits) {
  Entry* entry = EntryOf(object);
  if (entry == nullptr || key == nullptr) return nullptr;
  for (const auto& [name, value] : entry->properties) {
    if (name == AsObject(key)->text) {
      Log("create property " + name);
      return value->Copy().release();
    }
  }
  return nullptr;
}

CFTypeID CFGetTypeID(CFTypeRef cf) { return AsObject(cf)->type; }

void CFRelease(CFTypeRef cf) {
  Log("release");
  delete AsObject(cf);
}

CFTypeID CFStringGetTypeID(void) { return kString; }
CFTypeID CFNumberGetTypeID(void) { return kNumber; }
CFTypeID CFBooleanGetTypeID(void) { return kBoolean; }
CFTypeID CFDataGetTypeID(void) { return kData; }
CFTypeID CFArrayGetTypeID(void) { return kArray; }
CFTypeID CFDictionaryGetTypeID(void) { return kDictionary; }

CFStringRef CFStringCreateWithCString(CFAllocatorRef, const char* cStr, CFStringEncoding) {
  auto* string = new Object();
  string->text = cStr;
  Log("create string");
  return reinterpret_cast<CFStringRef>(string);
}

// UTF-8 throughout: the length in bytes stands in for CoreFoundation's UTF-16 units, and the
// maximum size for the encoding is that length (each unit at most 1 byte here).
CFIndex CFStringGetLength(CFStringRef string) { return static_cast<CFIndex>(AsObject(string)->text.size()); }
CFIndex CFStringGetMaximumSizeForEncoding(CFIndex length, CFStringEncoding) { return length; }

Boolean CFStringGetCString(CFStringRef string, char* buffer, CFIndex bufferSize, CFStringEncoding) {
  const std::string& text = AsObject(string)->text;
  if (static_cast<CFIndex>(text.size()) + 1 > bufferSize) return false;
  std::memcpy(buffer, text.c_str(), text.size() + 1);
  return true;
}

Boolean CFNumberIsFloatType(CFNumberRef number) { return AsObject(number)->isReal; }

Boolean CFNumberGetValue(CFNumberRef number, CFNumberType theType, void* valuePtr) {
  const Object* n = AsObject(number);
  if (theType == kCFNumberDoubleType) {
    double v = n->isReal ? n->real : static_cast<double>(n->integer);
    std::memcpy(valuePtr, &v, sizeof v);
  } else {
    int64_t v = n->isReal ? static_cast<int64_t>(n->real) : static_cast<int64_t>(n->integer);
    std::memcpy(valuePtr, &v, sizeof v);
  }
  return true;
}

Boolean CFBooleanGetValue(CFBooleanRef boolean) { return AsObject(boolean)->boolean; }

CFIndex CFDataGetLength(CFDataRef data) { return static_cast<CFIndex>(AsObject(data)->text.size()); }
const UInt8* CFDataGetBytePtr(CFDataRef data) { return reinterpret_cast<const UInt8*>(AsObject(data)->text.data()); }

CFIndex CFArrayGetCount(CFArrayRef array) { return static_cast<CFIndex>(AsObject(array)->items.size()); }
const void* CFArrayGetValueAtIndex(CFArrayRef array, CFIndex idx) { return AsObject(array)->items[static_cast<size_t>(idx)].get(); }

CFIndex CFDictionaryGetCount(CFDictionaryRef dictionary) {
  return static_cast<CFIndex>(reinterpret_cast<const Object*>(dictionary)->entries.size());
}

void CFDictionaryGetKeysAndValues(CFDictionaryRef dictionary, const void** keys, const void** values) {
  const auto& all = reinterpret_cast<const Object*>(dictionary)->entries;
  for (size_t i = 0; i < all.size(); i++) {
    keys[i] = all[i].first.get();
    values[i] = all[i].second.get();
  }
}

}  // extern "C"
