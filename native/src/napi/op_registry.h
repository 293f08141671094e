// The op runner used by the op test suite and benchmarks: callOp(isa, op, buffers, dims) runs
// one backend op on caller-owned typed arrays (zero-copy). Each family of ops registers its
// entries from its own file (ops_<family>.cc) with VJ_REGISTER_OP; the table is filled while
// the addon loads and never changes afterwards.
#pragma once
#include <napi.h>

#include <string>

#include "engine/backend.h"
#include "napi/args.h"

namespace vj {
namespace napi {

struct OpCall {
  Napi::Env env;
  Napi::Object buffers;
  Napi::Object dims;
  const Backend& be;
  std::string op;

  // buffers.<name>, a typed array of exactly `expected` elements (any length when < 0)
  template <class T>
  T* buf(const char* name, int64_t expected) {
    return typed<T>(buffers.Get(name), expected, "buffers." + std::string(name));
  }
  // like buf, but null when buffers.<name> is absent, undefined or null
  template <class T>
  T* opt(const char* name, int64_t expected) {
    Napi::Value v = buffers.Get(name);
    if (v.IsUndefined() || v.IsNull()) return nullptr;
    return buf<T>(name, expected);
  }
  int dim(const char* name, int lo = 1, int hi = 1 << 24) {
    return static_cast<int>(integer(dims.Get(name), lo, hi, "dims." + std::string(name)));
  }
  double num(const char* name) { return finite(dims.Get(name), "dims." + std::string(name)); }
  uint64_t seed(const char* name) {
    return static_cast<uint64_t>(integer(dims.Get(name), 0, (int64_t(1) << 53) - 1, "dims." + std::string(name)));
  }
  // the backend's implementation of an op, or an error naming it
  template <class Fn>
  Fn need(Fn fn, const char* name) {
    if (!fn) throw Napi::Error::New(env, std::string("op '") + name + "' is not provided by the '" + be.name + "' backend");
    return fn;
  }
};

using OpFn = Napi::Value (*)(OpCall&);

struct OpRegistrar {
  OpRegistrar(const char* name, OpFn fn);
};

#define VJ_REGISTER_OP(name, fn) static ::vj::napi::OpRegistrar vj_op_reg_##fn(name, fn)

// JS: callOp(isa: string, op: string, buffers: object, dims: object) -> undefined | number
Napi::Value call_op(const Napi::CallbackInfo& info);
// JS: opNames() -> string[]
Napi::Value op_names(const Napi::CallbackInfo& info);

}  // namespace napi
}  // namespace vj
