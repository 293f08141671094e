// Fast CPU Gaussian pieces of the loss (docs/model.md, section 5), compiled per instruction set:
// log-variance clamp, reparameterised sampling, the closed-form KLs and the Gaussian
// likelihood with one global log-variance. Elementwise work and rows are split across threads;
// the one cross-element reduction (the log-variance gradient) sums fixed chunks in order.
#include <math.h>

#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

static constexpr int64_t kGrain = 8192;
static constexpr float kLog2Pi = 1.83787706640934548f;

static inline int64_t row_grain(int C) { return C >= 2048 ? 1 : 2048 / C; }

// out (n) = clamp(inp, lo, hi) (NaN stays NaN, as the reference)
void clamp_forward(float* out, const float* inp, float lo, float hi, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      store_k(out + i, min(set1(hi), max(set1(lo), load_k(inp + i, k))), k);
    });
  });
}

// backward of out = clamp(inp, lo, hi): dinp += dout strictly inside (lo, hi)
void clamp_backward(float* dinp, const float* dout, const float* inp, float lo, float hi,
                    int64_t n) {
  if (!dinp) return;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf x = load_k(inp + i, k);
      vm inside = mask_and(cmp_gt(x, set1(lo)), cmp_lt(x, set1(hi)));
      store_k(dinp + i, add(load_k(dinp + i, k), select(inside, load_k(dout + i, k), zero())), k);
    });
  });
}

// out (n) = mu + exp(0.5 * logvar) * eps
void reparam_forward(float* out, const float* mu, const float* logvar, const float* eps,
                     int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf sd = exp_approx(mul(set1(0.5f), load_k(logvar + i, k)));
      store_k(out + i, fmadd(sd, load_k(eps + i, k), load_k(mu + i, k)), k);
    });
  });
}

// backward of out = mu + exp(0.5 logvar) eps: dmu += dout; dlogvar += dout * eps * 0.5 exp(0.5 logvar)
void reparam_backward(float* dmu, float* dlogvar, const float* dout, const float* logvar,
                      const float* eps, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf g = load_k(dout + i, k);
      if (dmu) store_k(dmu + i, add(load_k(dmu + i, k), g), k);
      if (dlogvar) {
        vf half_sd = mul(set1(0.5f), exp_approx(mul(set1(0.5f), load_k(logvar + i, k))));
        store_k(dlogvar + i, fmadd(mul(g, load_k(eps + i, k)), half_sd, load_k(dlogvar + i, k)), k);
      }
    });
  });
}

// loss (M) = sum over C of 0.5 * (exp(lv) + mu^2 - lv - 1); mu, logvar (M, C)
void kl_std_forward(float* loss, const float* mu, const float* logvar, const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* u = mu + m * C;
      const float* lv = logvar + m * C;
      vf acc = zero();
      for_lanes(0, C, [&](int64_t c, int k) {
        vf x = load_k(u + c, k), l = load_k(lv + c, k);
        vf t = sub(fmadd(x, x, exp_approx(l)), add(l, set1(1.0f)));
        acc = add(acc, first_n(t, k));
      });
      loss[m] = 0.5f * reduce_add(acc);
    }
  });
}

// backward of the KL above: dmu += dloss * mu; dlogvar += dloss * 0.5 * (exp(lv) - 1)
void kl_std_backward(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                     const float* logvar, const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const vf g = set1(dloss[m]), half_g = set1(0.5f * dloss[m]);
      const int64_t r = m * C;
      for_lanes(0, C, [&](int64_t c, int k) {
        if (dmu) store_k(dmu + r + c, fmadd(g, load_k(mu + r + c, k), load_k(dmu + r + c, k)), k);
        if (dlogvar) {
          vf t = sub(exp_approx(load_k(logvar + r + c, k)), set1(1.0f));
          store_k(dlogvar + r + c, fmadd(half_g, t, load_k(dlogvar + r + c, k)), k);
        }
      });
    }
  });
}

// loss (M) = sum over C of 0.5 * (vq/vp + (mp - mq)^2 / vp + log(vp/vq) - 1), v = exp(lv)
void kl_gauss_forward(float* loss, const float* mu_q, const float* logvar_q, const float* mu_p,
                      const float* logvar_p, const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t r = m * C;
      vf acc = zero();
      for_lanes(0, C, [&](int64_t c, int k) {
        vf lq = load_k(logvar_q + r + c, k), lp = load_k(logvar_p + r + c, k);
        vf dm = sub(load_k(mu_p + r + c, k), load_k(mu_q + r + c, k));
        vf ratio = exp_approx(sub(lq, lp)), inv_vp = exp_approx(sub(zero(), lp));
        vf t = fmadd(mul(dm, dm), inv_vp, ratio);
        t = add(t, sub(sub(lp, lq), set1(1.0f)));
        acc = add(acc, first_n(t, k));
      });
      loss[m] = 0.5f * reduce_add(acc);
    }
  });
}

// backward of the KL above, r = vq/vp and dm = mp - mq:
//   dmu_q += -dloss * dm / vp          dmu_p += dloss * dm / vp
//   dlogvar_q += dloss * 0.5 * (r - 1)  dlogvar_p += dloss * 0.5 * (1 - r - dm^2 / vp)
void kl_gauss_backward(float* dmu_q, float* dlogvar_q, float* dmu_p, float* dlogvar_p,
                       const float* dloss, const float* mu_q, const float* logvar_q,
                       const float* mu_p, const float* logvar_p, const RowDims& d) {
  const int C = d.C;
  parallel_for(d.M, row_grain(C), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const int64_t r = m * C;
      const vf g = set1(dloss[m]), half_g = set1(0.5f * dloss[m]);
      for_lanes(0, C, [&](int64_t c, int k) {
        const int64_t i = r + c;
        vf lq = load_k(logvar_q + i, k), lp = load_k(logvar_p + i, k);
        vf dm = sub(load_k(mu_p + i, k), load_k(mu_q + i, k));
        vf ratio = exp_approx(sub(lq, lp)), inv_vp = exp_approx(sub(zero(), lp));
        vf gm = mul(g, mul(dm, inv_vp));
        if (dmu_q) store_k(dmu_q + i, sub(load_k(dmu_q + i, k), gm), k);
        if (dmu_p) store_k(dmu_p + i, add(load_k(dmu_p + i, k), gm), k);
        if (dlogvar_q)
          store_k(dlogvar_q + i, fmadd(half_g, sub(ratio, set1(1.0f)), load_k(dlogvar_q + i, k)), k);
        if (dlogvar_p) {
          vf t = sub(fnmadd(mul(dm, dm), inv_vp, set1(1.0f)), ratio);
          store_k(dlogvar_p + i, fmadd(half_g, t, load_k(dlogvar_p + i, k)), k);
        }
      });
    }
  });
}

// loss (n) = 0.5 * (log(2 pi) + lv + (target - pred)^2 * exp(-lv)), one global lv = logvar[0]
void gauss_nll_forward(float* loss, const float* pred, const float* target, const float* logvar,
                       int64_t n) {
  const float lv = logvar[0];
  const vf inv_var = set1(expf(-lv)), base = set1(kLog2Pi + lv), half = set1(0.5f);
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for_lanes(b, e, [&](int64_t i, int k) {
      vf r = sub(load_k(target + i, k), load_k(pred + i, k));
      store_k(loss + i, mul(half, fmadd(mul(r, r), inv_var, base)), k);
    });
  });
}

// The log-variance gradient sums over all n: fixed chunks (their size depends on n only), each
// summed in order, then the chunk sums added in order, so 1 and 8 threads agree bit for bit.
static constexpr int64_t kMaxChunks = 256;
static inline int64_t nll_chunk(int64_t n) {
  int64_t c = (n + kMaxChunks - 1) / kMaxChunks;
  c = (c + 1023) / 1024 * 1024;
  return c < 4096 ? 4096 : c;
}

// backward of the loss above, r = target - pred:
//   dpred += -dloss * r * exp(-lv);  dlogvar (1) += sum over n of dloss * 0.5 * (1 - r^2 exp(-lv))
void gauss_nll_backward(float* dpred, float* dlogvar, const float* dloss, const float* pred,
                        const float* target, const float* logvar, int64_t n) {
  const float iv = expf(-logvar[0]);
  const vf inv_var = set1(iv), one = set1(1.0f);
  const int64_t chunk = nll_chunk(n), chunks = (n + chunk - 1) / chunk;
  float partial[kMaxChunks];
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const int64_t b = c * chunk, e = b + chunk < n ? b + chunk : n;
      vf acc = zero();
      for_lanes(b, e, [&](int64_t i, int k) {
        vf g = load_k(dloss + i, k);
        vf r = sub(load_k(target + i, k), load_k(pred + i, k));
        if (dpred) store_k(dpred + i, fnmadd(mul(g, r), inv_var, load_k(dpred + i, k)), k);
        acc = fmadd(g, fnmadd(mul(r, r), inv_var, one), acc);  // 0 in tail lanes (g = 0)
      });
      partial[c] = 0.5f * reduce_add(acc);
    }
  });
  if (dlogvar) {
    double s = 0.0;
    for (int64_t c = 0; c < chunks; ++c) s += partial[c];
    dlogvar[0] += static_cast<float>(s);
  }
}

}  // namespace VJ_NS
}  // namespace vj
