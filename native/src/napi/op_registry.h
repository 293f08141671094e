// The op runner used by the op test suite and benchmarks: callOp(isa, op, buffers, dims) runs
// one backend op on caller-owned typed arrays (zero-copy). Each family of ops registers its
// entries from its own file (ops_<family>.cc) with VJ_REGISTER_OP, by the op's name in the list
// (engine/backend_ops.inc); the table is filled while the addon loads and never changes
// afterwards.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "engine/backend.h"
#include "napi/args.h"

namespace vj {
namespace napi {

// A caller buffer copied to a device backend (the CUDA op suite): the op runs on the device
// copy, which sits between guard bands; call_op copies it back and checks the guards.
struct Staged {
  std::string name;
  char* host;
  char* dev;  // guard bytes, then the buffer, then guard bytes
  int64_t bytes;
};

struct OpCall {
  Napi::Env env;
  Napi::Object buffers;
  Napi::Object dims;
  const Backend& be;
  std::string op_name;
  std::vector<Staged>* staged = nullptr;  // set when be.on_device

  static constexpr int64_t kGuard = 256;     // bytes on each side of a device copy
  static constexpr int kGuardByte = 0xA5;

  // buffers.<name>, a typed array of exactly `expected` elements (any length when < 0). Always
  // the host pointer (runners validate contents through it); see need() for device backends.
  template <class T>
  T* buf(const char* name, int64_t expected) {
    T* p = typed<T>(buffers.Get(name), expected, "buffers." + std::string(name));
    if (staged) stage(name, p, static_cast<int64_t>(buffers.Get(name).As<Napi::TypedArray>().ByteLength()));
    return p;
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
  // The backend's function `member` (&Backend::<op>_fn) as a callable, or an error naming the op
  // when the backend does not provide it. On a device backend the callable swaps every pointer
  // into a staged host buffer for its device copy.
  template <class Fn>
  struct Bound {
    OpCall* call;
    Fn fn;
    template <class... A>
    decltype(auto) operator()(A... args) {
      return fn(call->be.context, call->map(args)...);
    }
  };
  template <class Fn>
  Bound<Fn> op(Fn Backend::*member) {
    Fn fn = be.*member;
    if (!fn) throw Napi::Error::New(env, "op '" + op_name + "' is not provided by the '" + be.name + "' backend");
    return Bound<Fn>{this, fn};
  }

  template <class T>
  T map(T v) {
    return v;
  }
  template <class T>
  T* map(T* p) {
    if (!staged || !p) return p;
    const char* c = reinterpret_cast<const char*>(p);
    for (const Staged& s : *staged)
      if (c >= s.host && c < s.host + (s.bytes > 0 ? s.bytes : 1))
        return reinterpret_cast<T*>(s.dev + kGuard + (c - s.host));
    return p;
  }
  void stage(const char* name, const void* host, int64_t bytes);
};

using OpFn = Napi::Value (*)(OpCall&);

struct OpRegistrar {
  OpRegistrar(const char* name, OpFn fn);
};

// Registers the runner fn of the op `name`, an entry of engine/backend_ops.inc (a name that is
// not in the list does not compile); every op of the list must have one (checked on first use).
#define VJ_REGISTER_OP(name, fn)                                   \
  using vj_op_in_list_##name = decltype(&::vj::Backend::name##_fn); \
  static ::vj::napi::OpRegistrar vj_op_reg_##name(#name, fn)

// JS: callOp(isa: string, op: string, buffers: object, dims: object) -> undefined | number
Napi::Value call_op(const Napi::CallbackInfo& info);
// JS: opNames() -> string[], in the order of the op list
Napi::Value op_names(const Napi::CallbackInfo& info);

}  // namespace napi
}  // namespace vj
