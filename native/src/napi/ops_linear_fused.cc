// Op runner entries: linear layers with a fused epilogue.
#include <cmath>
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

MatDims mat_dims(OpCall& c) { return MatDims{c.dim("M"), c.dim("K"), c.dim("N")}; }

Napi::Value linear_relu_fwd(OpCall& c) {
  MatDims d = mat_dims(c);
  float* out = c.buf<float>("out", (int64_t)d.M * d.N);
  const float* inp = c.buf<float>("inp", (int64_t)d.M * d.K);
  const float* w = c.buf<float>("weight", (int64_t)d.N * d.K);
  const float* b = c.opt<float>("bias", d.N);
  c.op(&Backend::linear_relu_forward_fn)(out, inp, w, b, d);
  return c.env.Undefined();
}

Napi::Value linear_residual_fwd(OpCall& c) {
  MatDims d = mat_dims(c);
  float* out = c.buf<float>("out", (int64_t)d.M * d.N);
  const float* inp = c.buf<float>("inp", (int64_t)d.M * d.K);
  const float* w = c.buf<float>("weight", (int64_t)d.N * d.K);
  const float* b = c.opt<float>("bias", d.N);
  const float* res = c.buf<float>("res", (int64_t)d.M * d.N);
  const int64_t n = (int64_t)d.M * d.N;
  if (n > 0 && res < out + n && out < res + n)
    throw Napi::RangeError::New(c.env, "Expected buffers.res not to overlap buffers.out");
  c.op(&Backend::linear_residual_forward_fn)(out, inp, w, b, res, d);
  return c.env.Undefined();
}

Napi::Value relu_linear_bwd(OpCall& c) {
  MatDims d = mat_dims(c);
  float* dpre = c.opt<float>("dpre", (int64_t)d.M * d.K);
  float* dw = c.opt<float>("dweight", (int64_t)d.N * d.K);
  float* db = c.opt<float>("dbias", d.N);
  const float* dout = c.buf<float>("dout", (int64_t)d.M * d.N);
  const float* inp = c.buf<float>("inp", (int64_t)d.M * d.K);
  const float* w = c.buf<float>("weight", (int64_t)d.N * d.K);
  const double sd = c.num("scale");
  const float scale = static_cast<float>(sd);
  if (!std::isfinite(scale))
    throw Napi::RangeError::New(c.env, "Expected a finite float32 for dims.scale but received " + std::to_string(sd));
  c.op(&Backend::relu_linear_backward_fn)(dpre, dw, db, dout, inp, w, scale, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(linear_relu_forward, linear_relu_fwd);
VJ_REGISTER_OP(linear_residual_forward, linear_residual_fwd);
VJ_REGISTER_OP(relu_linear_backward, relu_linear_bwd);

}  // namespace napi
}  // namespace vj
