{
  "targets": [
    {
      "target_name": "smc",
      "sources": ["native/binding.cc", "native/binding_kernel.cc", "native/ioregistry_binding.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions"],
      "conditions": [
        ["OS=='mac'", {
          "sources": ["native/smc_iokit.cc", "native/host_mach.cc", "native/sysctl_darwin.cc",
                      "native/memory_pressure_darwin.cc", "native/ifmib_darwin.cc", "native/notify_darwin.cc",
                      "native/ioregistry_iokit.cc"],
          "link_settings": {"libraries": ["-framework IOKit", "-framework CoreFoundation"]},
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }, {
          "sources": ["native/smc_unsupported.cc", "native/host_unsupported.cc", "native/sysctl_unsupported.cc", "native/kernel_unsupported.cc", "native/ioregistry_unsupported.cc"]
        }]
      ]
    }
  ]
}
