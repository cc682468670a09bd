// readRegistry(className, keys, childKeys): the N-API face of ioregistry.h, in its own file so
// binding.cc only registers it.
#ifndef MACOS_AGENT_IOREGISTRY_NAPI_H
#define MACOS_AGENT_IOREGISTRY_NAPI_H

#include <napi.h>

namespace ioregistry {

/**
 * Returns [{ className, name, properties, children: [{ className, name, properties }] }] with the
 * raw values: strings, numbers (a BigInt past 2^53 - 1, the 64 bits read unsigned as ioreg prints
 * them), booleans, Buffers, arrays and objects. Throws HOST_UNSUPPORTED off macOS and
 * HOST_CALL_FAILED (with `kernReturn`) when the registry cannot be asked.
 */
Napi::Value ReadRegistry(const Napi::CallbackInfo& info);

}  // namespace ioregistry

#endif
