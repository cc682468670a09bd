// Entries of the I/O Registry with their properties as raw values: what `ioreg -r -c CLASS -l`
// prints, read without running ioreg. Two implementations: ioregistry_iokit.cc on macOS,
// ioregistry_unsupported.cc elsewhere. What the values mean is TypeScript (agent/parsers/ioreg-*.ts).
#ifndef MACOS_AGENT_IOREGISTRY_H
#define MACOS_AGENT_IOREGISTRY_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ioregistry {

/** A property value as CoreFoundation holds it; `text` carries a string's UTF-8 or data's bytes. */
struct Value {
  enum class Kind { string, integer, real, boolean, data, array, dictionary };
  Kind kind = Kind::integer;
  std::string text;
  /** The integer's 64 bits, unsigned as ioreg prints them. */
  uint64_t integer = 0;
  double real = 0;
  bool boolean = false;
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> entries;
};

struct Entry {
  std::string className;
  std::string name;
  /** The properties asked for that the entry has, in the order asked. */
  std::vector<std::pair<std::string, Value>> properties;
  /** The entry's children in the service plane, with the child properties asked for. */
  std::vector<Entry> children;
};

enum class Status {
  ok,
  /** IOServiceGetMatchingServices failed; `code` holds its kern_return_t. */
  callFailed,
  /** Not macOS: there is no I/O Registry. */
  unsupported,
};

struct Result {
  Status status;
  int32_t code;
};

/**
 * Every service of class `className` (or a subclass), with the properties `keys` and, for each of
 * its children, `childKeys` (none: children are not read).
 */
Result ReadEntries(const std::string& className, const std::vector<std::string>& keys,
                   const std::vector<std::string>& childKeys, std::vector<Entry>* out);

}  // namespace ioregistry

#endif
