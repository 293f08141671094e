// Fast CPU multi-head self-attention and cross-attention (attention pooling), compiled per
// instruction set. Same math and masking rules as native/src/ref/attention.cc:
//   s_ij = scale q_i . k_j,  p_ij = softmax_j(s_ij) over unmasked keys (0 for masked ones),
//   out_i = sum_j p_ij v_j;  a row whose keys are all masked gives out 0 and probs 0.
//
// Work is split over (row b, head h) pairs; each pair owns its slices of out, probs and of the
// q/k/v gradients, so any split gives the same bits. Per pair everything is fused over
// cache-resident data. Forward with many queries (self-attention) puts up to W queries in the
// lanes of a vector and loops over keys, so the softmax needs no horizontal reductions; with
// few queries (pooling) K is transposed into scratch (HS, Tp) and scores are vectorised over
// keys. Backward transposes V the same way. The weighted sums are vectorised over the head
// dimension. Blocks of R query rows (or key columns) share each load.
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

namespace {

constexpr int R = 4;  // rows (or columns) per register block

inline int padded(int n) { return (n + W - 1) / W * W; }

// the first n (1..W) lanes; a full vector takes the plain (unmasked, faster) load and store
inline vf load_upto(const float* p, int n) { return n == W ? load(p) : load_n(p, n); }
inline void store_upto(float* p, vf v, int n) {
  if (n == W) store(p, v);
  else store_n(p, v, n);
}

// Scratch memory kept per calling thread and grown on demand, so steady-state calls allocate
// nothing. `which` picks one of two independent blocks (cross-attention backward uses both).
float* thread_scratch(int which, int64_t floats) {
  static thread_local float* block[2] = {nullptr, nullptr};
  static thread_local int64_t have[2] = {0, 0};
  if (have[which] < floats) {
    float* fresh = new float[floats + 16];  // throws on the calling thread, never in a worker
    delete[] block[which];
    block[which] = fresh;
    have[which] = floats;
  }
  return block[which];
}

// One float scratch block per worker slot, 64-byte aligned, taken on the calling thread.
struct Scratch {
  float* base;
  int64_t per_slot;
  Scratch(int slots, int64_t per, int which = 0) {
    per_slot = (per + 15) / 16 * 16;
    float* raw = thread_scratch(which, slots * per_slot + 16);
    base = raw + ((16 - (reinterpret_cast<uintptr_t>(raw) / 4) % 16) % 16);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  float* slot(int64_t s) const { return base + s * per_slot; }
};

// How many worker slots a job of `tasks` independent tasks of `flops_per_task` deserves.
int slots_for(int64_t tasks, double flops_per_task) {
  const double min_flops = 2e5;  // below this per slot, threading costs more than it saves
  int64_t by_work = static_cast<int64_t>(tasks * flops_per_task / min_flops);
  int64_t n = num_threads();
  if (by_work < n) n = by_work;
  if (tasks < n) n = tasks;
  return n < 1 ? 1 : static_cast<int>(n);
}

// Runs task(t, scratch) for t in [0, tasks) over `slots` slots, each with its own scratch.
template <class F>
void run_slots(int64_t tasks, int slots, const Scratch& sc, F&& task) {
  parallel_for(slots, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      float* buf = sc.slot(s);
      for (int64_t t = tasks * s / slots; t < tasks * (s + 1) / slots; ++t) task(t, buf);
    }
  });
}

// keep (Tp) = 1 for keys that take part, 0 for masked keys and the padding past T; returns
// how many keys take part
int make_keep(float* keep, const uint8_t* mask, int T, int Tp) {
  int n = 0;
  for (int j = 0; j < Tp; ++j) {
    keep[j] = (j < T && (!mask || mask[j])) ? 1.f : 0.f;
    n += keep[j] != 0.f;
  }
  return n;
}

// t (HS, Tp) = rows x (T, x_stride) transposed, zero past T; W x W tiles in registers
void transpose_rows(float* t, const float* x, int64_t x_stride, int T, int Tp, int HS) {
  for (int j0 = 0; j0 < Tp; j0 += W)
    for (int d0 = 0; d0 < HS; d0 += W)
      transpose_tile(t + (int64_t)d0 * Tp + j0, Tp, x + j0 * x_stride + d0, x_stride,
                     T - j0 < W ? T - j0 : W, HS - d0 < W ? HS - d0 : W);
}

// s (nr, ld) = scale * x rows (nr of them, x_stride) . t (HS, Tp), for all Tp columns
void rows_dot_t(float* s, int ld, const float* x, int64_t x_stride, int nr, const float* t,
                int Tp, int HS, float scale) {
  const float* xr[R];
  for (int r = 0; r < R; ++r) xr[r] = x + (r < nr ? r : nr - 1) * x_stride;  // repeat the last
  const vf vs = set1(scale);
  for (int jv = 0; jv < Tp; jv += W) {
    vf acc[R];
    for (int r = 0; r < R; ++r) acc[r] = zero();
    for (int d = 0; d < HS; ++d) {
      const vf td = load(t + (int64_t)d * Tp + jv);
      for (int r = 0; r < R; ++r) acc[r] = fmadd(set1(xr[r][d]), td, acc[r]);
    }
    for (int r = 0; r < R; ++r)
      if (r < nr) store(s + (int64_t)r * ld + jv, mul(acc[r], vs));
  }
}

// out rows (nr, out_stride) (= or +=) sum over kept j of coef[r * ld + j] * rows_j (HS)
void mix_rows(float* out, int64_t out_stride, bool accumulate, const float* coef, int ld, int nr,
              const float* rows, int64_t rows_stride, const float* keep, int T, int HS) {
  const float* cr[R];
  for (int r = 0; r < R; ++r) cr[r] = coef + (int64_t)(r < nr ? r : nr - 1) * ld;
  for (int d0 = 0; d0 < HS; d0 += W) {
    const int nd = HS - d0 < W ? HS - d0 : W;
    vf acc[R];
    for (int r = 0; r < R; ++r) acc[r] = zero();
    for (int j = 0; j < T; ++j) {
      if (keep[j] == 0.f) continue;
      const float* xj = rows + j * rows_stride + d0;
      const vf x = load_upto(xj, nd);
      for (int r = 0; r < R; ++r) acc[r] = fmadd(set1(cr[r][j]), x, acc[r]);
    }
    for (int r = 0; r < R; ++r) {
      if (r >= nr) continue;
      float* o = out + r * out_stride + d0;
      store_upto(o, accumulate ? add(acc[r], load_upto(o, nd)) : acc[r], nd);
    }
  }
}

// For key columns j0 .. j0+nc-1, written only for kept keys (masked columns are all zero):
//   dk_j += sum over i < n of ds[i * ld_ds + j] q_i,  dv_j += sum over i < n of p[i * ld_p + j] g_i
// with dk, dv rows (dkv_stride) and q rows (q_stride), g rows (g_stride) of HS floats.
void mix_cols(float* dk, float* dv, int64_t dkv_stride, const float* ds, int ld_ds, const float* p,
              int ld_p, int j0, int nc, const float* q, int64_t q_stride, const float* g,
              int64_t g_stride, int n, const float* keep, int HS) {
  int jc[R];
  for (int r = 0; r < R; ++r) jc[r] = j0 + (r < nc ? r : nc - 1);
  for (int d0 = 0; d0 < HS; d0 += W) {
    const int nd = HS - d0 < W ? HS - d0 : W;
    vf ak[R], av[R];
    for (int r = 0; r < R; ++r) ak[r] = av[r] = zero();
    for (int i = 0; i < n; ++i) {
      const float* qi = q + i * q_stride + d0;
      const float* gi = g + i * g_stride + d0;
      const vf xq = load_upto(qi, nd), xg = load_upto(gi, nd);
      const float* dsi = ds + (int64_t)i * ld_ds;
      const float* pi = p + (int64_t)i * ld_p;
      for (int r = 0; r < R; ++r) {
        ak[r] = fmadd(set1(dsi[jc[r]]), xq, ak[r]);
        av[r] = fmadd(set1(pi[jc[r]]), xg, av[r]);
      }
    }
    for (int r = 0; r < R; ++r) {
      if (r >= nc || keep[j0 + r] == 0.f) continue;
      float* ok = dk + (j0 + r) * dkv_stride + d0;
      float* ov = dv + (j0 + r) * dkv_stride + d0;
      store_upto(ok, add(ak[r], load_upto(ok, nd)), nd);
      store_upto(ov, add(av[r], load_upto(ov, nd)), nd);
    }
  }
}

// Softmax over kept keys of nr score rows s (row stride Tp), in place; the first T entries of
// row r are also written to probs row r (stride T). Needs at least one kept key. The rows go
// through each phase together so their dependency chains overlap.
void softmax_rows(float* s, float* probs, int nr, const float* keep, int T, int Tp) {
  const vf neg_inf = set1(-__builtin_inff());
  vf m[R], sum[R];
  for (int r = 0; r < R; ++r) m[r] = neg_inf, sum[r] = zero();
  for (int jv = 0; jv < Tp; jv += W) {
    const vf k = load(keep + jv);
    for (int r = 0; r < R; ++r)
      if (r < nr) m[r] = max(m[r], select_nz(k, load(s + r * Tp + jv), neg_inf));
  }
  for (int r = 0; r < R; ++r) m[r] = set1(reduce_max(m[r]));
  for (int jv = 0; jv < Tp; jv += W) {
    const vf k = load(keep + jv);
    for (int r = 0; r < R; ++r) {
      if (r >= nr) continue;
      const vf e = select_nz(k, vexp(sub(load(s + r * Tp + jv), m[r])), zero());
      store(s + r * Tp + jv, e);
      sum[r] = add(sum[r], e);
    }
  }
  for (int r = 0; r < R; ++r) sum[r] = set1(1.f / reduce_add(sum[r]));
  for (int jv = 0; jv < Tp; jv += W) {
    for (int r = 0; r < R; ++r) {
      if (r >= nr) continue;
      const vf p = mul(load(s + r * Tp + jv), sum[r]);
      store(s + r * Tp + jv, p);
      store_upto(probs + (int64_t)r * T + jv, p, T - jv < W ? T - jv : W);
    }
  }
}

// One (row, head) pair: nq query rows q (q_stride), T keys and values k, v (kv_stride).
struct Head {
  const float* q;
  int64_t q_stride;
  int nq;
  const float* k;
  const float* v;
  int64_t kv_stride;
  int T, HS;
  const uint8_t* mask;  // (T) or null
};

// Rows layout (few queries, e.g. the P pooling queries): keys in lanes, R query rows per block.
// out rows (nq, out_stride), probs (nq, T). scratch: (1 + HS + R) * Tp floats.
void head_forward_rows(float* out, int64_t out_stride, float* probs, const Head& h, float scale,
                       float* scratch) {
  const int T = h.T, Tp = padded(T);
  float* keep = scratch;
  float* kt = keep + Tp;               // (HS, Tp)
  float* s = kt + (int64_t)h.HS * Tp;  // (R, Tp)
  transpose_rows(kt, h.k, h.kv_stride, T, Tp, h.HS);
  for (int i0 = 0; i0 < h.nq; i0 += R) {
    const int nr = h.nq - i0 < R ? h.nq - i0 : R;
    rows_dot_t(s, Tp, h.q + i0 * h.q_stride, h.q_stride, nr, kt, Tp, h.HS, scale);
    softmax_rows(s, probs + (int64_t)i0 * T, nr, keep, T, Tp);
    mix_rows(out + i0 * out_stride, out_stride, false, s, Tp, nr, h.v, h.kv_stride, keep, T, h.HS);
  }
}

// st (T, W): for each kept key j, st[j] = scale * k_j . (query columns of qt (HS, W)), four
// keys at a time so four FMA chains overlap; masked rows of st are left alone (never read).
// Returns the lane-wise maximum over kept keys.
vf key_scores(float* st, const float* qt, const Head& h, const float* keep, float scale) {
  vf m = set1(-__builtin_inff());
  const vf vs = set1(scale);
  int grp[R];
  int ng = 0;
  for (int j = 0; j <= h.T; ++j) {
    if (j < h.T && keep[j] != 0.f) grp[ng++] = j;
    if (ng == R || (j == h.T && ng > 0)) {
      const float* kr[R];
      for (int g = 0; g < R; ++g) kr[g] = h.k + (int64_t)grp[g < ng ? g : ng - 1] * h.kv_stride;
      vf acc[R];
      for (int g = 0; g < R; ++g) acc[g] = zero();
      for (int d = 0; d < h.HS; ++d) {
        const vf qd = load(qt + (int64_t)d * W);
        for (int g = 0; g < R; ++g) acc[g] = fmadd(set1(kr[g][d]), qd, acc[g]);
      }
      for (int g = 0; g < ng; ++g) {
        const vf sg = mul(acc[g], vs);
        store(st + (int64_t)grp[g] * W, sg);
        m = max(m, sg);
      }
      ng = 0;
    }
  }
  return m;
}

// Columns layout (self-attention, where queries are as many as keys): up to W queries in the
// lanes of one vector, keys looped over. Scores, the row maximum, exp and the row sum are then
// lane-wise operations down the keys, with no horizontal reductions; one register transpose per
// W keys turns the (key, query) probabilities into probs rows.
// out rows (nq, out_stride), probs (nq, T). scratch: Tp + max((HS + T) * W, (HS + R) * Tp).
void head_forward_cols(float* out, int64_t out_stride, float* probs, const Head& h, float scale,
                       float* scratch) {
  const int T = h.T, Tp = padded(T);
  float* keep = scratch;
  float* qt = keep + Tp;               // (HS, W): a block of queries, transposed
  float* st = qt + (int64_t)h.HS * W;  // (T, W): scores, then probabilities, key-major
  for (int i0 = 0; i0 < h.nq; i0 += W) {
    const int nb = h.nq - i0 < W ? h.nq - i0 : W;
    if (2 * nb < W) {  // a short last block (T = 20 on AVX-512): the rows layout wastes less
      Head rest = h;
      rest.q = h.q + i0 * h.q_stride;
      rest.nq = nb;
      head_forward_rows(out + i0 * out_stride, out_stride, probs + (int64_t)i0 * T, rest, scale,
                        scratch);
      return;
    }
    for (int d0 = 0; d0 < h.HS; d0 += W)
      transpose_tile(qt + (int64_t)d0 * W, W, h.q + i0 * h.q_stride + d0, h.q_stride, nb,
                     h.HS - d0 < W ? h.HS - d0 : W);
    const vf m = key_scores(st, qt, h, keep, scale);
    vf sum = zero();
    for (int j = 0; j < T; ++j) {
      if (keep[j] == 0.f) continue;
      const vf e = vexp(sub(load(st + (int64_t)j * W), m));
      store(st + (int64_t)j * W, e);
      sum = add(sum, e);
    }
    const vf inv = div(set1(1.f), sum);  // padding lanes (no query) may hold anything
    // probs rows i0 .. i0+nb: W keys at a time, transposed in registers
    for (int j0 = 0; j0 < T; j0 += W) {
      const int nj = T - j0 < W ? T - j0 : W;
      vf r[W];
      for (int j = 0; j < W; ++j)
        r[j] = (j < nj && keep[j0 + j] != 0.f) ? mul(load(st + (int64_t)(j0 + j) * W), inv) : zero();
      transpose_regs(r);
      for (int i = 0; i < nb; ++i) store_upto(probs + (int64_t)(i0 + i) * T + j0, r[i], nj);
    }
    for (int r0 = 0; r0 < nb; r0 += R) {
      const int nr = nb - r0 < R ? nb - r0 : R;
      mix_rows(out + (i0 + r0) * out_stride, out_stride, false, probs + (int64_t)(i0 + r0) * T, T,
               nr, h.v, h.kv_stride, keep, T, h.HS);
    }
  }
}

// Picks the layout: queries in lanes once they fill at least half a vector.
inline bool use_cols(int nq) { return 2 * nq >= W; }
inline int64_t forward_scratch(int nq, int T, int HS) {
  const int64_t rows = (int64_t)(HS + R) * padded(T), cols = (int64_t)(HS + T) * W;
  return padded(T) + (use_cols(nq) && cols > rows ? cols : rows);
}

// out rows (nq, out_stride), probs (nq, T); scratch: forward_scratch(nq, T, HS) floats.
void head_forward(float* out, int64_t out_stride, float* probs, const Head& h, float scale,
                  float* scratch) {
  const int T = h.T, Tp = padded(T);
  if (make_keep(scratch, h.mask, T, Tp) == 0) {  // every key masked: zeros, by definition
    for (int i = 0; i < h.nq; ++i) {
      for (int d = 0; d < h.HS; ++d) out[i * out_stride + d] = 0.f;
      for (int j = 0; j < T; ++j) probs[(int64_t)i * T + j] = 0.f;
    }
    return;
  }
  if (use_cols(h.nq))
    head_forward_cols(out, out_stride, probs, h, scale, scratch);
  else
    head_forward_rows(out, out_stride, probs, h, scale, scratch);
}

// Backward of one pair, differentiating out_i = sum_j p_ij v_j with p_i = softmax(scale q_i.k_j):
//   dp_ij = dout_i . v_j,  ds_ij = scale p_ij (dp_ij - sum_j' p_ij' dp_ij')
//   dq_i += sum_j ds_ij k_j,  dk_j += sum_i ds_ij q_i,  dv_j += sum_i p_ij dout_i
// dq rows (nq, dq_stride) or null; dk, dv rows (T, dkv_stride) or null (together).
// scratch: (1 + HS + nq) * Tp floats.
void head_backward(float* dq, int64_t dq_stride, float* dk, float* dv, int64_t dkv_stride,
                   const float* dout, int64_t dout_stride, const float* probs, const Head& h,
                   float scale, float* scratch) {
  const int T = h.T, Tp = padded(T), nq = h.nq;
  float* keep = scratch;
  float* vt = keep + Tp;               // (HS, Tp)
  float* ds = vt + (int64_t)h.HS * Tp;  // (nq, Tp)
  if (make_keep(keep, h.mask, T, Tp) == 0) return;  // all probabilities 0: no gradient
  transpose_rows(vt, h.v, h.kv_stride, T, Tp, h.HS);
  for (int i0 = 0; i0 < nq; i0 += R) {
    const int nr = nq - i0 < R ? nq - i0 : R;
    rows_dot_t(ds + (int64_t)i0 * Tp, Tp, dout + i0 * dout_stride, dout_stride, nr, vt, Tp,
               h.HS, 1.f);
  }
  const vf vs = set1(scale);
  for (int i = 0; i < nq; ++i) {
    float* dsi = ds + (int64_t)i * Tp;
    const float* pi = probs + (int64_t)i * T;
    vf acc = zero();
    for (int jv = 0; jv < Tp; jv += W) {
      // masked keys: dp forced to 0 (their v is never trusted), and p is 0 there
      const vf dp = select_nz(load(keep + jv), load(dsi + jv), zero());
      store(dsi + jv, dp);
      acc = fmadd(load_upto(pi + jv, T - jv < W ? T - jv : W), dp, acc);
    }
    const vf pdp = set1(reduce_add(acc));
    for (int jv = 0; jv < Tp; jv += W) {
      const vf p = load_upto(pi + jv, T - jv < W ? T - jv : W);
      store(dsi + jv, mul(mul(p, sub(load(dsi + jv), pdp)), vs));
    }
  }
  if (dq) {
    for (int i0 = 0; i0 < nq; i0 += R) {
      const int nr = nq - i0 < R ? nq - i0 : R;
      mix_rows(dq + i0 * dq_stride, dq_stride, true, ds + (int64_t)i0 * Tp, Tp, nr, h.k,
               h.kv_stride, keep, T, h.HS);
    }
  }
  if (dk) {
    for (int j0 = 0; j0 < T; j0 += R) {
      const int nc = T - j0 < R ? T - j0 : R;
      mix_cols(dk, dv, dkv_stride, ds, Tp, probs, T, j0, nc, h.q, h.q_stride, dout, dout_stride,
               nq, keep, h.HS);
    }
  }
}

inline float head_scale(int HS) { return 1.f / __builtin_sqrtf(static_cast<float>(HS)); }

}  // namespace

// out (B, T, C), probs (B, NH, T, T), qkv (B, T, 3C) as [q | k | v], key_mask (B, T) or null
void attention_forward(float* out, float* probs, const float* qkv, const uint8_t* key_mask,
                       const AttnDims& d) {
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T, tasks = (int64_t)d.B * d.NH;
  const int slots = slots_for(tasks, 4.0 * T * T * d.HS);
  Scratch sc(slots, forward_scratch(d.T, d.T, d.HS));
  const float scale = head_scale(d.HS);
  run_slots(tasks, slots, sc, [&](int64_t t, float* buf) {
    const int64_t b = t / d.NH, hh = t % d.NH;
    const float* row = qkv + b * T * 3 * C + hh * d.HS;
    Head h{row, 3 * C, d.T, row + C, row + 2 * C, 3 * C, d.T, d.HS,
           key_mask ? key_mask + b * T : nullptr};
    head_forward(out + b * T * C + hh * d.HS, C, probs + t * T * T, h, scale, buf);
  });
}

// dqkv (B, T, 3C) += gradient of out = attention(qkv) (see head_backward), dout (B, T, C)
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* probs,
                        const uint8_t* key_mask, const AttnDims& d) {
  if (!dqkv) return;
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T, tasks = (int64_t)d.B * d.NH;
  const int slots = slots_for(tasks, 8.0 * T * T * d.HS);
  Scratch sc(slots, (int64_t)(1 + d.HS + d.T) * padded(d.T));
  const float scale = head_scale(d.HS);
  run_slots(tasks, slots, sc, [&](int64_t t, float* buf) {
    const int64_t b = t / d.NH, hh = t % d.NH, off = b * T * 3 * C + hh * d.HS;
    Head h{qkv + off, 3 * C, d.T, qkv + off + C, qkv + off + 2 * C, 3 * C, d.T, d.HS,
           key_mask ? key_mask + b * T : nullptr};
    head_backward(dqkv + off, 3 * C, dqkv + off + C, dqkv + off + 2 * C, 3 * C,
                  dout + b * T * C + hh * d.HS, C, probs + t * T * T, h, scale, buf);
  });
}

// out (B, P, C), probs (B, NH, P, T), q (P, C), kv (B, T, 2C) as [k | v], key_mask (B, T) or null
void cross_attention_forward(float* out, float* probs, const float* q, const float* kv,
                             const uint8_t* key_mask, const CrossDims& d) {
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T, P = d.P, tasks = (int64_t)d.B * d.NH;
  const int slots = slots_for(tasks, 4.0 * P * T * d.HS);
  Scratch sc(slots, forward_scratch(d.P, d.T, d.HS));
  const float scale = head_scale(d.HS);
  run_slots(tasks, slots, sc, [&](int64_t t, float* buf) {
    const int64_t b = t / d.NH, hh = t % d.NH;
    const float* row = kv + b * T * 2 * C + hh * d.HS;
    Head h{q + hh * d.HS, C, d.P, row, row + C, 2 * C, d.T, d.HS,
           key_mask ? key_mask + b * T : nullptr};
    head_forward(out + b * P * C + hh * d.HS, C, probs + t * P * T, h, scale, buf);
  });
}

// dq (P, C) += sum over rows b of d/dq, dkv (B, T, 2C) += d/dkv of out = cross_attention(q, kv).
// Each row's dq contribution goes to its own slice of a (B, P, C) buffer; the slices are then
// summed over b in order, one output element at a time, whatever the thread count.
void cross_attention_backward(float* dq, float* dkv, const float* dout, const float* q,
                              const float* kv, const float* probs, const uint8_t* key_mask,
                              const CrossDims& d) {
  if (!dq && !dkv) return;
  const int64_t C = (int64_t)d.NH * d.HS, T = d.T, P = d.P, tasks = (int64_t)d.B * d.NH;
  const int slots = slots_for(tasks, 8.0 * P * T * d.HS);
  const int64_t per = (int64_t)(1 + d.HS + d.P) * padded(d.T);
  Scratch sc(slots, per);
  Scratch part(dq ? 1 : 0, dq ? d.B * P * C : 0, 1);  // (B, P, C) per-row dq contributions
  if (dq)
    for (int64_t i = 0; i < d.B * P * C; ++i) part.base[i] = 0.f;
  const float scale = head_scale(d.HS);
  run_slots(tasks, slots, sc, [&](int64_t t, float* buf) {
    const int64_t b = t / d.NH, hh = t % d.NH, off = b * T * 2 * C + hh * d.HS;
    Head h{q + hh * d.HS, C, d.P, kv + off, kv + off + C, 2 * C, d.T, d.HS,
           key_mask ? key_mask + b * T : nullptr};
    head_backward(dq ? part.base + b * P * C + hh * d.HS : nullptr, C, dkv ? dkv + off : nullptr,
                  dkv ? dkv + off + C : nullptr, 2 * C, dout + b * P * C + hh * d.HS, C,
                  probs + t * P * T, h, scale, buf);
  });
  if (!dq) return;
  const float* pb = part.base;
  parallel_for((P * C + W - 1) / W, 8, [&](int64_t v0, int64_t v1) {
    for (int64_t e = v0 * W; e < v1 * W && e < P * C; e += W) {
      const int n = P * C - e < W ? static_cast<int>(P * C - e) : W;
      vf acc = zero();
      for (int64_t b = 0; b < d.B; ++b) acc = add(acc, load_upto(pb + b * P * C + e, n));
      store_upto(dq + e, add(load_upto(dq + e, n), acc), n);
    }
  });
}

}  // namespace VJ_NS
}  // namespace vj
