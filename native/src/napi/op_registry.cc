#include "napi/op_registry.h"

#include <map>

namespace vj {
namespace napi {
namespace {

std::map<std::string, OpFn>& registry() {
  static std::map<std::string, OpFn> r;
  return r;
}

}  // namespace

OpRegistrar::OpRegistrar(const char* name, OpFn fn) { registry()[name] = fn; }

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
    const Backend& be = cpu_backend(isa.c_str());
    OpCall call{env, info[2].As<Napi::Object>(), info[3].As<Napi::Object>(), be, op};
    return it->second(call);
  });
}

Napi::Value op_names(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  uint32_t i = 0;
  for (auto& kv : registry()) out.Set(i++, Napi::String::New(info.Env(), kv.first));
  return out;
}

}  // namespace napi
}  // namespace vj
