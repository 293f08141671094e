#include "napi/op_registry.h"

#include <map>

#include "engine/error.h"

namespace vj {
namespace napi {
namespace {

std::map<std::string, OpFn>& registrations() {
  static std::map<std::string, OpFn> r;
  return r;
}

// The registrations, checked once against the op list: every op has a runner.
const std::map<std::string, OpFn>& registry() {
  static const bool complete = [] {
    std::string missing;
#define VJ_OP(ret, name, params) \
  if (!registrations().count(#name)) missing += std::string(missing.empty() ? "" : ", ") + #name;
#include "engine/backend_ops.inc"
#undef VJ_OP
    if (!missing.empty()) throw Error("internal: the op runner has no entry for " + missing);
    return true;
  }();
  (void)complete;
  return registrations();
}

}  // namespace

OpRegistrar::OpRegistrar(const char* name, OpFn fn) { registrations()[name] = fn; }

void OpCall::stage(const char* name, const void* host, int64_t bytes) {
  char* dev = static_cast<char*>(be.mem_alloc(bytes + 2 * kGuard));
  if (!dev) check_backend(be, "allocating a device copy of a buffer");
  staged->push_back(Staged{name, static_cast<char*>(const_cast<void*>(host)), dev, bytes});
  be.mem_set(dev, kGuardByte, kGuard);
  be.mem_set(dev + kGuard + bytes, kGuardByte, kGuard);
  be.copy_to_device(dev + kGuard, host, bytes);
}

namespace {

// Device copies of the caller's buffers for one call: copied back (outputs and gradients) and
// their guard bands checked when the op has run, freed in every case.
struct Staging {
  const Backend& be;
  std::vector<Staged> list;
  ~Staging() {
    for (Staged& s : list) be.mem_free(s.dev);
  }
  void finish(const std::string& op) {
    be.synchronize();
    check_backend(be, op.c_str());
    std::vector<unsigned char> guard(static_cast<size_t>(OpCall::kGuard));
    for (Staged& s : list) {
      be.copy_to_host(s.host, s.dev + OpCall::kGuard, s.bytes);
      for (int side = 0; side < 2; ++side) {
        be.copy_to_host(guard.data(), side == 0 ? s.dev : s.dev + OpCall::kGuard + s.bytes, OpCall::kGuard);
        for (unsigned char g : guard)
          if (g != OpCall::kGuardByte)
            throw Error("op '" + op + "' on the " + be.name + " backend wrote outside buffers." + s.name);
      }
    }
    check_backend(be, op.c_str());
  }
};

}  // namespace

Napi::Value call_op(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsObject() ||
        !info[3].IsObject())
      throw Napi::TypeError::New(env, "callOp(isa: string, op: string, buffers: object, dims: object)");
    std::string isa = info[0].As<Napi::String>().Utf8Value();
    std::string op = info[1].As<Napi::String>().Utf8Value();
    auto it = registry().find(op);
    if (it == registry().end())
      throw Napi::RangeError::New(env, "Unknown op '" + op + "' for op");
    // "cuda" or "cuda:<index>" runs the op on the CUDA backend through device copies
    const bool cuda = isa == "cuda" || isa.rfind("cuda:", 0) == 0;
    const Backend& be = cuda ? cuda_backend(isa.size() > 5 ? std::stoi(isa.substr(5)) : 0) : cpu_backend(isa.c_str());
    OpCall call{env, info[2].As<Napi::Object>(), info[3].As<Napi::Object>(), be, op};
    if (!be.on_device) return it->second(call);
    Staging staging{be, {}};
    call.staged = &staging.list;
    Napi::Value result = it->second(call);
    staging.finish(op);
    return result;
  });
}

Napi::Value op_names(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    registry();
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
#define VJ_OP(ret, name, params) out.Set(i++, Napi::String::New(env, #name));
#include "engine/backend_ops.inc"
#undef VJ_OP
    return out;
  });
}

}  // namespace napi
}  // namespace vj
