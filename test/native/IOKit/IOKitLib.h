// Test-only stand-in for <IOKit/IOKitLib.h>: just the declarations native/smc_iokit.cc and
// native/ioregistry_iokit.cc use, with the macOS signatures, so that the same glue compiles on
// Linux against the simulated AppleSMC in simulated_smc.cc and the simulated registry in
// simulated_ioregistry.cc.
#ifndef SIMULATED_IOKIT_IOKITLIB_H
#define SIMULATED_IOKIT_IOKITLIB_H

#include <CoreFoundation/CoreFoundation.h>

#include <cstddef>
#include <cstdint>

typedef int kern_return_t;
typedef unsigned int mach_port_t;
typedef mach_port_t io_object_t;
typedef io_object_t io_service_t;
typedef io_object_t io_connect_t;
typedef mach_port_t task_port_t;
typedef io_object_t io_iterator_t;
typedef io_object_t io_registry_entry_t;
typedef char io_name_t[128];
typedef uint32_t IOOptionBits;

#define KERN_SUCCESS 0
#define MACH_PORT_NULL 0
#define IO_OBJECT_NULL 0
#define kIOServicePlane "IOService"

extern "C" {
CFMutableDictionaryRef IOServiceMatching(const char* name);
io_service_t IOServiceGetMatchingService(mach_port_t mainPort, CFDictionaryRef matching);
kern_return_t IOServiceOpen(io_service_t service, task_port_t owningTask, uint32_t type, io_connect_t* connect);
kern_return_t IOServiceClose(io_connect_t connect);
kern_return_t IOObjectRelease(io_object_t object);
kern_return_t IOConnectCallStructMethod(mach_port_t connection, uint32_t selector, const void* inputStruct,
                                        size_t inputStructCnt, void* outputStruct, size_t* outputStructCnt);
kern_return_t IOServiceGetMatchingServices(mach_port_t mainPort, CFDictionaryRef matching, io_iterator_t* existing);
io_object_t IOIteratorNext(io_iterator_t iterator);
kern_return_t IOObjectGetClass(io_object_t object, io_name_t className);
kern_return_t IORegistryEntryGetName(io_registry_entry_t entry, io_name_t name);
kern_return_t IORegistryEntryGetChildIterator(io_registry_entry_t entry, const io_name_t plane, io_iterator_t* iterator);
CFTypeRef IORegistryEntryCreateCFProperty(io_registry_entry_t entry, CFStringRef key, CFAllocatorRef allocator, IOOptionBits options);
}

#endif
