// Device selection for models (options.device 'auto' | 'cpu' | 'cuda', options.deviceIndex) and
// the CUDA facts `varjepa doctor` prints.
//
// Var-T-JEPA runs on the CUDA backend: every buffer its ops touch is in the backend's memory and
// the host reads results only through copies (the model port). The T-JEPA baseline still reads
// and writes its arenas on the host, so for it 'cuda' loads and self-tests the backend (so every
// cause of failure is named), then fails with that reason, and 'auto' picks the CPU and says
// why. Flip kTJepaOnDevice when the T-JEPA model code goes through the backend's memory.
#include "napi/device.h"

#include "engine/cuda_loader.h"
#include "engine/error.h"

namespace vj {
namespace napi {

static constexpr bool kVarTJepaOnDevice = true;
static constexpr bool kTJepaOnDevice = false;
static const char* kTJepaNotPorted =
    "the T-JEPA model does not run on the CUDA backend yet (its host-side glue code is not ported); "
    "use device 'cpu'";

DeviceChoice choose_device(const std::string& device, int device_index, const std::string& isa, DeviceModel model) {
  const bool kModelOnDevice = model == DeviceModel::VarTJepa ? kVarTJepaOnDevice : kTJepaOnDevice;
  const char* kModelNotPorted = kTJepaNotPorted;
  DeviceChoice c;
  if (device == "cuda") {
    const Backend& be = cuda_backend(device_index);  // throws naming the cause
    if (!kModelOnDevice)
      throw Error("device 'cuda' is not available: the CUDA backend loaded and passed its self-test on device " +
                  std::to_string(device_index) + ", but " + kModelNotPorted);
    c.backend = &be;
    c.device = "cuda";
    c.reason = "requested";
    return c;
  }
  if (device == "auto" && kModelOnDevice) {
    try {
      c.backend = &cuda_backend(device_index);
      c.device = "cuda";
      c.reason = "auto: the CUDA backend loaded and passed its self-test";
      return c;
    } catch (const Error& e) {
      c.reason = std::string("auto: ") + e.what();
    }
  } else if (device == "auto") {
    c.reason = std::string("auto: ") + kModelNotPorted;
  } else if (device != "cpu") {
    throw_range("Expected one of 'auto', 'cpu', 'cuda' for device but received '" + device + "'");
  } else {
    c.reason = "requested";
  }
  c.backend = &cpu_backend(isa.c_str());
  c.device = "cpu";
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
  o.Set("modelSupported", kVarTJepaOnDevice);  // Var-T-JEPA
  o.Set("tjepaSupported", kTJepaOnDevice);
  return o;
}

}  // namespace napi
}  // namespace vj
