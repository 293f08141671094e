// Device selection for models and the CUDA part of the doctor report (napi/device.cc).
#pragma once
#include <napi.h>

#include <string>

#include "engine/backend.h"

namespace vj {
namespace napi {

struct DeviceChoice {
  const Backend* backend = nullptr;
  std::string device;  // "cpu" or "cuda"
  std::string reason;  // why this device
};

// device: "auto" | "cpu" | "cuda". 'cuda' throws vj::Error naming the cause when it cannot be
// used and never falls back; 'auto' falls back to the CPU and records why.
DeviceChoice choose_device(const std::string& device, int device_index, const std::string& isa);

// info().cuda: library, driver, runtime, device name, compute capability, architectures, or why
// CUDA is unavailable. Never throws.
Napi::Object cuda_report(Napi::Env env, int device_index);

}  // namespace napi
}  // namespace vj
