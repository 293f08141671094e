#include "napi/args.h"

#include <cmath>
#include <cstring>

namespace vj {
namespace napi {

static const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "TypedArray";
  }
}

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    return std::string(typed_array_name(t.TypedArrayType())) + " of length " +
           std::to_string(t.ElementLength());
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    std::string s = std::isfinite(d) ? Napi::Value(v).ToString().Utf8Value()
                                     : (std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"));
    return s + " (number)";
  }
  if (v.IsString()) return "'" + v.As<Napi::String>().Utf8Value() + "' (string)";
  if (v.IsBoolean()) return std::string(v.As<Napi::Boolean>().Value() ? "true" : "false") + " (boolean)";
  if (v.IsArray()) return "Array";
  if (v.IsFunction()) return "function";
  return "object";
}

// "a Float32Array", "an Int32Array"
static std::string with_article(const char* type_name) {
  return std::string(type_name[0] == 'I' ? "an " : "a ") + type_name;
}

Span typed_span(const Napi::Value& v, napi_typedarray_type type, const char* type_name,
                int64_t expected, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throw Napi::TypeError::New(v.Env(), "Expected " + with_article(type_name) + " for " + what +
                                            " but received " + describe(v));
  Napi::TypedArray t = v.As<Napi::TypedArray>();
  Napi::ArrayBuffer buf = t.ArrayBuffer();
  if (buf.IsDetached())
    throw Napi::TypeError::New(v.Env(), std::string("Expected an attached ") + type_name + " for " +
                                            what + " but its ArrayBuffer is detached");
  size_t len = t.ElementLength();
  if (expected >= 0 && static_cast<int64_t>(len) != expected)
    throw Napi::RangeError::New(v.Env(), "Expected " + with_article(type_name) + " of length " +
                                             std::to_string(expected) + " for " + what +
                                             " but received length " + std::to_string(len));
  void* data = static_cast<uint8_t*>(buf.Data()) + t.ByteOffset();
  return Span{data, len};
}

int64_t integer(const Napi::Value& v, int64_t lo, int64_t hi, const std::string& what) {
  bool ok = v.IsNumber();
  double d = ok ? v.As<Napi::Number>().DoubleValue() : 0;
  if (!ok || !std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(lo) ||
      d > static_cast<double>(hi))
    throw Napi::RangeError::New(v.Env(), "Expected an integer between " + std::to_string(lo) +
                                             " and " + std::to_string(hi) + " for " + what +
                                             " but received " + describe(v));
  return static_cast<int64_t>(d);
}

double finite(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber() || !std::isfinite(v.As<Napi::Number>().DoubleValue()))
    throw Napi::RangeError::New(v.Env(), "Expected a finite number for " + what + " but received " +
                                             describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace napi
}  // namespace vj
