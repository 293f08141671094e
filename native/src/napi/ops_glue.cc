// Op runner entries: the glue ops (fill, scale, row concatenation, predictor input). Dims and
// feature indices are checked here, before the op runs; a row range that does not fit its
// sequence names dims.t0.
#include <cstdint>
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

int64_t length_dim(OpCall& c) { return c.dim("n", 1, 1 << 30); }

Napi::Value fill_fwd(OpCall& c) {
  const int64_t n = length_dim(c);
  const float value = static_cast<float>(c.num("value"));
  float* out = c.buf<float>("out", n);
  c.op(&Backend::fill_forward_fn)(out, value, n);
  return c.env.Undefined();
}

Napi::Value scale_fwd(OpCall& c) {
  const int64_t n = length_dim(c);
  const float a = static_cast<float>(c.num("a"));
  float* out = c.buf<float>("out", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::scale_forward_fn)(out, inp, a, n);
  return c.env.Undefined();
}

Napi::Value scale_bwd(OpCall& c) {
  const int64_t n = length_dim(c);
  const float a = static_cast<float>(c.num("a"));
  float* dinp = c.opt<float>("dinp", n);
  const float* dout = c.buf<float>("dout", n);
  c.op(&Backend::scale_backward_fn)(dinp, dout, a, n);
  return c.env.Undefined();
}

// ---- concat_rows ------------------------------------------------------------------------------

ConcatDims concat_dims(OpCall& c) {
  ConcatDims d{c.dim("B"), c.dim("n"), c.dim("T"), c.dim("t0", 0), c.dim("C"), c.dim("shared", 0, 1)};
  if (d.t0 + d.n > d.T)
    throw Napi::RangeError::New(c.env, "Expected dims.t0 + dims.n <= dims.T (" + std::to_string(d.T) + ") but received dims.t0 " +
                                           std::to_string(d.t0) + " with dims.n " + std::to_string(d.n));
  return d;
}
int64_t concat_inp_len(const ConcatDims& d) { return static_cast<int64_t>(d.shared ? 1 : d.B) * d.n * d.C; }

Napi::Value concat_fwd(OpCall& c) {
  ConcatDims d = concat_dims(c);
  float* out = c.buf<float>("out", static_cast<int64_t>(d.B) * d.T * d.C);
  const float* inp = c.buf<float>("inp", concat_inp_len(d));
  c.op(&Backend::concat_rows_forward_fn)(out, inp, d);
  return c.env.Undefined();
}

Napi::Value concat_bwd(OpCall& c) {
  ConcatDims d = concat_dims(c);
  float* dinp = c.opt<float>("dinp", concat_inp_len(d));
  const float* dout = c.buf<float>("dout", static_cast<int64_t>(d.B) * d.T * d.C);
  c.op(&Backend::concat_rows_backward_fn)(dinp, dout, d);
  return c.env.Undefined();
}

// ---- predictor_input --------------------------------------------------------------------------

PredInDims pred_dims(OpCall& c) {
  return PredInDims{c.dim("K"), c.dim("B"), c.dim("Mc"), c.dim("Mt", 0), c.dim("D"), c.dim("C")};
}

void check_features(OpCall& c, const char* name, const int32_t* p, int64_t n, int D) {
  for (int64_t i = 0; i < n; ++i)
    if (p[i] < 0 || p[i] >= D)
      throw Napi::RangeError::New(c.env, "Expected values in [0, " + std::to_string(D) + ") in buffers." + name +
                                             " but received " + std::to_string(p[i]) + " at index " + std::to_string(i));
}

Napi::Value pred_fwd(OpCall& c) {
  PredInDims d = pred_dims(c);
  const int64_t S = static_cast<int64_t>(d.K) * d.B, C = d.C;
  float* seq = c.buf<float>("seq", S * (d.Mc + d.Mt) * C);
  const float* cx = c.buf<float>("cx", static_cast<int64_t>(d.B) * d.Mc * C);
  const float* cz = c.buf<float>("cz", static_cast<int64_t>(d.B) * C);
  const int32_t* ctx = c.buf<int32_t>("ctx", static_cast<int64_t>(d.B) * d.Mc);
  const int32_t* trg = c.buf<int32_t>("trg", S * d.Mt);
  const float* mask = c.buf<float>("mask", C);
  const float* pe = c.buf<float>("pe", static_cast<int64_t>(d.D) * C);
  check_features(c, "ctx", ctx, static_cast<int64_t>(d.B) * d.Mc, d.D);
  check_features(c, "trg", trg, S * d.Mt, d.D);
  c.op(&Backend::predictor_input_forward_fn)(seq, cx, cz, ctx, trg, mask, pe, d);
  return c.env.Undefined();
}

Napi::Value pred_bwd(OpCall& c) {
  PredInDims d = pred_dims(c);
  const int64_t S = static_cast<int64_t>(d.K) * d.B, C = d.C;
  float* dcx = c.opt<float>("dcx", static_cast<int64_t>(d.B) * d.Mc * C);
  float* dcz = c.opt<float>("dcz", static_cast<int64_t>(d.B) * C);
  float* dmask = c.opt<float>("dmask", C);
  const float* dseq = c.buf<float>("dseq", S * (d.Mc + d.Mt) * C);
  c.op(&Backend::predictor_input_backward_fn)(dcx, dcz, dmask, dseq, d);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(fill_forward, fill_fwd);
VJ_REGISTER_OP(scale_forward, scale_fwd);
VJ_REGISTER_OP(scale_backward, scale_bwd);
VJ_REGISTER_OP(concat_rows_forward, concat_fwd);
VJ_REGISTER_OP(concat_rows_backward, concat_bwd);
VJ_REGISTER_OP(predictor_input_forward, pred_fwd);
VJ_REGISTER_OP(predictor_input_backward, pred_bwd);

}  // namespace napi
}  // namespace vj
