// Built on every OS but macOS: there is no I/O Registry to read.
#include "ioregistry.h"

namespace ioregistry {

Result ReadEntries(const std::string&, const std::vector<std::string>&, const std::vector<std::string>&, std::vector<Entry>*) {
  return {Status::unsupported, 0};
}

}  // namespace ioregistry
