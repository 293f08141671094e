// Op runner entries: linear.
#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

MatDims mat_dims(OpCall& c) { return MatDims{c.dim("M"), c.dim("K"), c.dim("N")}; }

Napi::Value linear_fwd(OpCall& c) {
  MatDims d = mat_dims(c);
  float* out = c.buf<float>("out", (int64_t)d.M * d.N);
  const float* inp = c.buf<float>("inp", (int64_t)d.M * d.K);
  const float* w = c.buf<float>("weight", (int64_t)d.N * d.K);
  const float* b = c.opt<float>("bias", d.N);
  c.op(&Backend::linear_forward_fn)(out, inp, w, b, d);
  return c.env.Undefined();
}

Napi::Value linear_bwd(OpCall& c) {
  MatDims d = mat_dims(c);
  float* dinp = c.opt<float>("dinp", (int64_t)d.M * d.K);
  float* dw = c.opt<float>("dweight", (int64_t)d.N * d.K);
  float* db = c.opt<float>("dbias", d.N);
  const float* dout = c.buf<float>("dout", (int64_t)d.M * d.N);
  const float* inp = c.buf<float>("inp", (int64_t)d.M * d.K);
  const float* w = c.buf<float>("weight", (int64_t)d.N * d.K);
  c.op(&Backend::linear_backward_fn)(dinp, dw, db, dout, inp, w, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(linear_forward, linear_fwd);
VJ_REGISTER_OP(linear_backward, linear_bwd);

}  // namespace napi
}  // namespace vj
