// Op runner entries: softmax cross-entropy and mean squared error (loss.cc). Class targets are
// checked here, before the op runs: ops never throw inside a parallel region.
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

RowDims row_dims(OpCall& c) { return RowDims{c.dim("M"), c.dim("C")}; }

// buffers.target (M), every entry a class index in [0, C)
const int32_t* class_targets(OpCall& c, const RowDims& d) {
  const int32_t* t = c.buf<int32_t>("target", d.M);
  for (int m = 0; m < d.M; ++m)
    if (t[m] < 0 || t[m] >= d.C)
      throw Napi::RangeError::New(c.env, "Expected class indices between 0 and " +
                                             std::to_string(d.C - 1) + " in buffers.target but received " +
                                             std::to_string(t[m]) + " at index " + std::to_string(m));
  return t;
}

// buffers: loss (M), probs (M, C), logits (M, C), target (M, Int32Array); dims: M, C
Napi::Value softmax_ce_fwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* loss = c.buf<float>("loss", d.M);
  float* probs = c.buf<float>("probs", n);
  const float* logits = c.buf<float>("logits", n);
  const int32_t* target = class_targets(c, d);
  c.op(&Backend::softmax_ce_forward_fn)(loss, probs, logits, target, d);
  return c.env.Undefined();
}

// buffers: dlogits? (M, C), dloss (M), probs (M, C), target (M); dims: M, C
Napi::Value softmax_ce_bwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* dlogits = c.opt<float>("dlogits", n);
  const float* dloss = c.buf<float>("dloss", d.M);
  const float* probs = c.buf<float>("probs", n);
  const int32_t* target = class_targets(c, d);
  c.op(&Backend::softmax_ce_backward_fn)(dlogits, dloss, probs, target, d);
  return c.env.Undefined();
}

// buffers: loss (M), pred, target (M, C); dims: M, C
Napi::Value mse_fwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* loss = c.buf<float>("loss", d.M);
  const float* pred = c.buf<float>("pred", n);
  const float* target = c.buf<float>("target", n);
  c.op(&Backend::mse_forward_fn)(loss, pred, target, d);
  return c.env.Undefined();
}

// buffers: dpred? (M, C), dloss (M), pred, target (M, C); dims: M, C
Napi::Value mse_bwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* dpred = c.opt<float>("dpred", n);
  const float* dloss = c.buf<float>("dloss", d.M);
  const float* pred = c.buf<float>("pred", n);
  const float* target = c.buf<float>("target", n);
  c.op(&Backend::mse_backward_fn)(dpred, dloss, pred, target, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(softmax_ce_forward, softmax_ce_fwd);
VJ_REGISTER_OP(softmax_ce_backward, softmax_ce_bwd);
VJ_REGISTER_OP(mse_forward, mse_fwd);
VJ_REGISTER_OP(mse_backward, mse_bwd);

}  // namespace napi
}  // namespace vj
