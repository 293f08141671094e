// Checked access to JavaScript arguments. Every typed array is checked for type, detachment and
// length, and every error names the argument, so a bad call is a TypeError or RangeError in
// JavaScript, never a crash. Typed arrays are used in place (zero-copy).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "engine/error.h"

namespace vj {
namespace napi {

std::string describe(const Napi::Value& v);  // "3 (number)", "Int32Array of length 4", ...

template <class T>
struct TypedInfo;
template <>
struct TypedInfo<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedInfo<int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedInfo<uint8_t> {
  static constexpr napi_typedarray_type type = napi_uint8_array;
  static constexpr const char* name = "Uint8Array";
};

struct Span {
  void* data;
  size_t length;  // in elements
};

// The typed array behind v, checked: type T, attached, and (when expected >= 0) exactly
// `expected` elements. `what` is the argument's name as the user wrote it.
Span typed_span(const Napi::Value& v, napi_typedarray_type type, const char* type_name,
                int64_t expected, const std::string& what);

template <class T>
T* typed(const Napi::Value& v, int64_t expected, const std::string& what, size_t* len = nullptr) {
  Span s = typed_span(v, TypedInfo<T>::type, TypedInfo<T>::name, expected, what);
  if (len) *len = s.length;
  return static_cast<T*>(s.data);
}

// an integer in [lo, hi]
int64_t integer(const Napi::Value& v, int64_t lo, int64_t hi, const std::string& what);
// a finite number
double finite(const Napi::Value& v, const std::string& what);

// Runs f and turns vj::Error and std::exception into JavaScript exceptions of the right class.
template <class F>
Napi::Value guarded(Napi::Env env, F&& f) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const vj::Error& e) {
    if (e.kind == ErrorKind::Type) throw Napi::TypeError::New(env, e.what());
    if (e.kind == ErrorKind::Range) throw Napi::RangeError::New(env, e.what());
    throw Napi::Error::New(env, e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, "varjepa: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("varjepa internal error: ") + e.what());
  }
}

}  // namespace napi
}  // namespace vj
