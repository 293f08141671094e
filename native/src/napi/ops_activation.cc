// Op runner entries: activations, residual add and dropout (activation.cc). Elementwise ops
// take dims.n; dropout also dims.p in [0, 1), dims.seed and dims.offset.
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

int64_t count(OpCall& c) { return c.dim("n"); }

// dims.p: the drop probability, a finite number in [0, 1)
float drop_p(OpCall& c) {
  double p = c.num("p");
  if (p < 0.0 || !(static_cast<float>(p) < 1.0f))  // 1 - 1e-9 rounds to 1 in float
    throw Napi::RangeError::New(c.env, "Expected a number in [0, 1) for dims.p but received " +
                                           describe(c.dims.Get("p")));
  return static_cast<float>(p);
}

Napi::Value relu_fwd(OpCall& c) {
  int64_t n = count(c);
  float* out = c.buf<float>("out", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::relu_forward_fn)(out, inp, n);
  return c.env.Undefined();
}

Napi::Value relu_bwd(OpCall& c) {
  int64_t n = count(c);
  float* dinp = c.opt<float>("dinp", n);
  const float* dout = c.buf<float>("dout", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::relu_backward_fn)(dinp, dout, inp, n);
  return c.env.Undefined();
}

Napi::Value gelu_fwd(OpCall& c) {
  int64_t n = count(c);
  float* out = c.buf<float>("out", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::gelu_forward_fn)(out, inp, n);
  return c.env.Undefined();
}

Napi::Value gelu_bwd(OpCall& c) {
  int64_t n = count(c);
  float* dinp = c.opt<float>("dinp", n);
  const float* dout = c.buf<float>("dout", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::gelu_backward_fn)(dinp, dout, inp, n);
  return c.env.Undefined();
}

Napi::Value add_fwd(OpCall& c) {
  int64_t n = count(c);
  float* out = c.buf<float>("out", n);
  const float* a = c.buf<float>("a", n);
  const float* b = c.buf<float>("b", n);
  c.op(&Backend::add_forward_fn)(out, a, b, n);
  return c.env.Undefined();
}

Napi::Value add_bwd(OpCall& c) {
  int64_t n = count(c);
  float* da = c.opt<float>("da", n);
  float* db = c.opt<float>("db", n);
  const float* dout = c.buf<float>("dout", n);
  c.op(&Backend::add_backward_fn)(da, db, dout, n);
  return c.env.Undefined();
}

// buffers: out, mask (Uint8Array), inp; dims: n, p, seed, offset
Napi::Value dropout_fwd(OpCall& c) {
  int64_t n = count(c);
  float p = drop_p(c);
  uint64_t seed = c.seed("seed"), offset = c.seed("offset");
  float* out = c.buf<float>("out", n);
  uint8_t* mask = c.buf<uint8_t>("mask", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::dropout_forward_fn)(out, mask, inp, p, seed, offset, n);
  return c.env.Undefined();
}

// buffers: dinp?, dout, mask; dims: n, p
Napi::Value dropout_bwd(OpCall& c) {
  int64_t n = count(c);
  float p = drop_p(c);
  float* dinp = c.opt<float>("dinp", n);
  const float* dout = c.buf<float>("dout", n);
  const uint8_t* mask = c.buf<uint8_t>("mask", n);
  c.op(&Backend::dropout_backward_fn)(dinp, dout, mask, p, n);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(relu_forward, relu_fwd);
VJ_REGISTER_OP(relu_backward, relu_bwd);
VJ_REGISTER_OP(gelu_forward, gelu_fwd);
VJ_REGISTER_OP(gelu_backward, gelu_bwd);
VJ_REGISTER_OP(add_forward, add_fwd);
VJ_REGISTER_OP(add_backward, add_bwd);
VJ_REGISTER_OP(dropout_forward, dropout_fwd);
VJ_REGISTER_OP(dropout_backward, dropout_bwd);

}  // namespace napi
}  // namespace vj
