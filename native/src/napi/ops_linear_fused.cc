// Op runner entries: linear layers with a fused epilogue (forward only).
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
  c.need(c.be.linear_relu_forward, "linear_relu_forward")(out, inp, w, b, d);
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
  c.need(c.be.linear_residual_forward, "linear_residual_forward")(out, inp, w, b, res, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP("linear_relu_forward", linear_relu_fwd);
VJ_REGISTER_OP("linear_residual_forward", linear_residual_fwd);

}  // namespace napi
}  // namespace vj
