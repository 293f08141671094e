// Device selection for models (options.device 'auto' | 'cpu' | 'cuda', options.deviceIndex) and
// the CUDA facts `varjepa doctor` prints.
//
// Both models run on the CUDA backend: every buffer their ops touch is in the backend's memory
// and the host reads results only through copies.
#include "napi/device.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include "engine/cuda_loader.h"
#include "engine/error.h"

namespace vj {
namespace napi {

// Test hook: with VARJEPA_STAGED_DEVICE=1 in the environment, device 'cpu' gives a model a
// copy of the CPU backend that declares its memory not host-addressable (on_device), so the
// model takes every device path (uploads of inputs, index lists and host-drawn noise, read-backs
// of losses and outputs) while the ops still run on the CPU. Results must equal the plain CPU
// backend bit for bit (test/model-staged.test.ts); this is how the device paths are tested on
// machines without a GPU.
static const Backend& staged(const Backend& b) {
  static std::mutex mu;
  static std::map<std::string, Backend> copies;  // node-stable addresses
  std::lock_guard<std::mutex> lock(mu);
  auto it = copies.find(b.name);
  if (it == copies.end()) {
    Backend t = b;
    t.on_device = true;
    it = copies.emplace(b.name, t).first;
  }
  return it->second;
}

DeviceChoice choose_device(const std::string& device, int device_index, const std::string& isa) {
  DeviceChoice c;
  if (device == "cuda") {
    c.backend = &cuda_backend(device_index);  // throws naming the cause
    c.device = "cuda";
    c.reason = "requested";
    return c;
  }
  if (device == "auto" && !isa.empty() && isa != "auto") {
    // an explicit instruction set names a CPU backend
    c.reason = "auto: isa '" + isa + "' selects a CPU backend";
  } else if (device == "auto") {
    try {
      c.backend = &cuda_backend(device_index);
      c.device = "cuda";
      c.reason = "auto: the CUDA backend loaded and passed its self-test";
      return c;
    } catch (const Error& e) {
      c.reason = std::string("auto: ") + e.what();
    }
  } else if (device != "cpu") {
    throw_range("Expected one of 'auto', 'cpu', 'cuda' for device but received '" + device + "'");
  } else {
    c.reason = "requested";
  }
  c.backend = &cpu_backend(isa.c_str());
  c.device = "cpu";
  const char* st = std::getenv("VARJEPA_STAGED_DEVICE");
  if (st && std::string(st) == "1") {
    c.backend = &staged(*c.backend);
    c.reason += " (staged device paths: VARJEPA_STAGED_DEVICE=1)";
  }
  return c;
}

Napi::Object cuda_report(Napi::Env env, int device_index) {
  const CudaProbe p = cuda_probe(device_index);
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", p.available);
  if (!p.available) o.Set("reason", p.reason);
  o.Set("library", p.library_loaded ? Napi::Value(Napi::String::New(env, p.library)) : env.Null());
  if (p.library_loaded) {
    o.Set("architectures", p.architectures);
    auto version = [&](int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); };
    o.Set("runtime", version(p.runtime));
    if (p.driver > 0) o.Set("driver", version(p.driver));
    if (p.devices >= 0) o.Set("devices", p.devices);
  }
  if (p.available) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", device_index);
    d.Set("name", p.device_name);
    d.Set("computeCapability", std::to_string(p.cc_major) + "." + std::to_string(p.cc_minor));
    d.Set("memoryBytes", static_cast<double>(p.memory));
    o.Set("device", d);
  }
  return o;
}

}  // namespace napi
}  // namespace vj
