// Op runner entries: clamp, reparameterisation, KL divergences, Gaussian likelihood
// (gaussian.cc). Elementwise ops take dims.n, per-row ops dims.M and dims.C.
#include <string>

#include "napi/op_registry.h"

namespace vj {
namespace napi {
namespace {

int64_t count(OpCall& c) { return c.dim("n"); }
RowDims row_dims(OpCall& c) { return RowDims{c.dim("M"), c.dim("C")}; }

struct Bounds {
  float lo, hi;
};

// dims.lo < dims.hi, both finite
Bounds clamp_bounds(OpCall& c) {
  double lo = c.num("lo"), hi = c.num("hi");
  if (!(static_cast<float>(lo) < static_cast<float>(hi)))
    throw Napi::RangeError::New(c.env, "Expected dims.lo < dims.hi but received lo " +
                                           describe(c.dims.Get("lo")) + " and hi " +
                                           describe(c.dims.Get("hi")));
  return Bounds{static_cast<float>(lo), static_cast<float>(hi)};
}

Napi::Value clamp_fwd(OpCall& c) {
  int64_t n = count(c);
  Bounds b = clamp_bounds(c);
  float* out = c.buf<float>("out", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::clamp_forward_fn)(out, inp, b.lo, b.hi, n);
  return c.env.Undefined();
}

Napi::Value clamp_bwd(OpCall& c) {
  int64_t n = count(c);
  Bounds b = clamp_bounds(c);
  float* dinp = c.opt<float>("dinp", n);
  const float* dout = c.buf<float>("dout", n);
  const float* inp = c.buf<float>("inp", n);
  c.op(&Backend::clamp_backward_fn)(dinp, dout, inp, b.lo, b.hi, n);
  return c.env.Undefined();
}

// buffers: out, mu, logvar, eps; dims: n
Napi::Value reparam_fwd(OpCall& c) {
  int64_t n = count(c);
  float* out = c.buf<float>("out", n);
  const float* mu = c.buf<float>("mu", n);
  const float* lv = c.buf<float>("logvar", n);
  const float* eps = c.buf<float>("eps", n);
  c.op(&Backend::reparam_forward_fn)(out, mu, lv, eps, n);
  return c.env.Undefined();
}

// buffers: dmu?, dlogvar?, dout, logvar, eps; dims: n
Napi::Value reparam_bwd(OpCall& c) {
  int64_t n = count(c);
  float* dmu = c.opt<float>("dmu", n);
  float* dlv = c.opt<float>("dlogvar", n);
  const float* dout = c.buf<float>("dout", n);
  const float* lv = c.buf<float>("logvar", n);
  const float* eps = c.buf<float>("eps", n);
  c.op(&Backend::reparam_backward_fn)(dmu, dlv, dout, lv, eps, n);
  return c.env.Undefined();
}

// buffers: loss (M), mu, logvar (M, C); dims: M, C
Napi::Value kl_std_fwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* loss = c.buf<float>("loss", d.M);
  const float* mu = c.buf<float>("mu", n);
  const float* lv = c.buf<float>("logvar", n);
  c.op(&Backend::kl_std_forward_fn)(loss, mu, lv, d);
  return c.env.Undefined();
}

Napi::Value kl_std_bwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* dmu = c.opt<float>("dmu", n);
  float* dlv = c.opt<float>("dlogvar", n);
  const float* dloss = c.buf<float>("dloss", d.M);
  const float* mu = c.buf<float>("mu", n);
  const float* lv = c.buf<float>("logvar", n);
  c.op(&Backend::kl_std_backward_fn)(dmu, dlv, dloss, mu, lv, d);
  return c.env.Undefined();
}

// buffers: loss (M), mu_q, logvar_q, mu_p, logvar_p (M, C); dims: M, C
Napi::Value kl_gauss_fwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* loss = c.buf<float>("loss", d.M);
  const float* mq = c.buf<float>("mu_q", n);
  const float* lq = c.buf<float>("logvar_q", n);
  const float* mp = c.buf<float>("mu_p", n);
  const float* lp = c.buf<float>("logvar_p", n);
  c.op(&Backend::kl_gauss_forward_fn)(loss, mq, lq, mp, lp, d);
  return c.env.Undefined();
}

Napi::Value kl_gauss_bwd(OpCall& c) {
  RowDims d = row_dims(c);
  const int64_t n = (int64_t)d.M * d.C;
  float* dmq = c.opt<float>("dmu_q", n);
  float* dlq = c.opt<float>("dlogvar_q", n);
  float* dmp = c.opt<float>("dmu_p", n);
  float* dlp = c.opt<float>("dlogvar_p", n);
  const float* dloss = c.buf<float>("dloss", d.M);
  const float* mq = c.buf<float>("mu_q", n);
  const float* lq = c.buf<float>("logvar_q", n);
  const float* mp = c.buf<float>("mu_p", n);
  const float* lp = c.buf<float>("logvar_p", n);
  c.op(&Backend::kl_gauss_backward_fn)(dmq, dlq, dmp, dlp, dloss, mq, lq, mp, lp, d);
  return c.env.Undefined();
}

// buffers: loss, pred, target (n), logvar (1); dims: n
Napi::Value gauss_nll_fwd(OpCall& c) {
  int64_t n = count(c);
  float* loss = c.buf<float>("loss", n);
  const float* pred = c.buf<float>("pred", n);
  const float* target = c.buf<float>("target", n);
  const float* lv = c.buf<float>("logvar", 1);
  c.op(&Backend::gauss_nll_forward_fn)(loss, pred, target, lv, n);
  return c.env.Undefined();
}

// buffers: dpred? (n), dlogvar? (1), dloss, pred, target (n), logvar (1); dims: n
Napi::Value gauss_nll_bwd(OpCall& c) {
  int64_t n = count(c);
  float* dpred = c.opt<float>("dpred", n);
  float* dlv = c.opt<float>("dlogvar", 1);
  const float* dloss = c.buf<float>("dloss", n);
  const float* pred = c.buf<float>("pred", n);
  const float* target = c.buf<float>("target", n);
  const float* lv = c.buf<float>("logvar", 1);
  c.op(&Backend::gauss_nll_backward_fn)(dpred, dlv, dloss, pred, target, lv, n);
  return c.env.Undefined();
}

}  // namespace

VJ_REGISTER_OP(clamp_forward, clamp_fwd);
VJ_REGISTER_OP(clamp_backward, clamp_bwd);
VJ_REGISTER_OP(reparam_forward, reparam_fwd);
VJ_REGISTER_OP(reparam_backward, reparam_bwd);
VJ_REGISTER_OP(kl_std_forward, kl_std_fwd);
VJ_REGISTER_OP(kl_std_backward, kl_std_bwd);
VJ_REGISTER_OP(kl_gauss_forward, kl_gauss_fwd);
VJ_REGISTER_OP(kl_gauss_backward, kl_gauss_bwd);
VJ_REGISTER_OP(gauss_nll_forward, gauss_nll_fwd);
VJ_REGISTER_OP(gauss_nll_backward, gauss_nll_bwd);

}  // namespace napi
}  // namespace vj
