// Op runner entries: LayerNorm (norm.cc).
#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

RowDims row_dims(OpCall& c) { return RowDims{c.dim("M"), c.dim("C")}; }

// buffers: out, mean, rstd, inp, weight, bias; dims: M, C
Napi::Value layernorm_fwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* out = c.buf<float>("out", n);
  float* mean = c.buf<float>("mean", d.M);
  float* rstd = c.buf<float>("rstd", d.M);
  const float* inp = c.buf<float>("inp", n);
  const float* w = c.buf<float>("weight", d.C);
  const float* b = c.buf<float>("bias", d.C);
  c.op(&Backend::layernorm_forward_fn)(out, mean, rstd, inp, w, b, d);
  return c.env.Undefined();
}

// buffers: dinp?, dweight?, dbias?, dout, inp, weight, mean, rstd; dims: M, C
Napi::Value layernorm_bwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* dinp = c.opt<float>("dinp", n);
  float* dw = c.opt<float>("dweight", d.C);
  float* db = c.opt<float>("dbias", d.C);
  const float* dout = c.buf<float>("dout", n);
  const float* inp = c.buf<float>("inp", n);
  const float* w = c.buf<float>("weight", d.C);
  const float* mean = c.buf<float>("mean", d.M);
  const float* rstd = c.buf<float>("rstd", d.M);
  c.op(&Backend::layernorm_backward_fn)(dinp, dw, db, dout, inp, w, mean, rstd, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(layernorm_forward, layernorm_fwd);
VJ_REGISTER_OP(layernorm_backward, layernorm_bwd);

}  // namespace napi
}  // namespace vj
