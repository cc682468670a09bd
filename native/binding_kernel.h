// Registers the functions of binding_kernel.cc (memory pressure, the interface MIB, thermal
// pressure) on the addon's exports.
#ifndef MACOS_AGENT_BINDING_KERNEL_H
#define MACOS_AGENT_BINDING_KERNEL_H

#include <napi.h>

void ExportKernelReaders(Napi::Env env, Napi::Object exports);

#endif
