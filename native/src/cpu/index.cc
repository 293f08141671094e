// Fast CPU row gathers (index_select) and the feature tokeniser (docs/model.md, section 3, Eq. 27),
// compiled per instruction set. Forward passes split over output rows; the scatter-adds of the
// backward passes split over blocks of W columns, each block walking every row in order, so each
// gradient element sees the same additions in the same order for any thread count.
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

// W floats, or the first len < W of them
static inline vf ld(const float* p, int len) { return len == W ? load(p) : load_n(p, len); }
static inline void st(float* p, vf v, int len) {
  if (len == W)
    store(p, v);
  else
    store_n(p, v, len);
}
static inline void add_to(float* p, vf v, int len) { st(p, add(ld(p, len), v), len); }

// out (N, C) = inp (Nin, C) rows idx (N), idx in [0, Nin)
void index_select_forward(float* out, const float* inp, const int32_t* idx, const IndexDims& d) {
  const int C = d.C;
  parallel_for(d.N, 64, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* src = inp + (int64_t)idx[n] * C;
      float* dst = out + n * C;
      for (int c = 0; c < C; c += W) {
        const int len = C - c < W ? C - c : W;
        st(dst + c, ld(src + c, len), len);
      }
    }
  });
}

// d/d(inp) of out[n] = inp[idx[n]]: dinp (Nin, C) rows idx[n] += dout (N, C) rows n, n in order
void index_select_backward(float* dinp, const float* dout, const int32_t* idx, const IndexDims& d) {
  if (!dinp) return;
  const int C = d.C;
  const int64_t blocks = (C + W - 1) / W;
  parallel_for(blocks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t n = 0; n < d.N; ++n) {
      const float* g = dout + n * C;
      float* dst = dinp + (int64_t)idx[n] * C;
      for (int64_t k = k0; k < k1; ++k) {
        const int c = static_cast<int>(k * W), len = C - c < W ? C - c : W;
        add_to(dst + c, ld(g + c, len), len);
      }
    }
  });
}

// Eq. 27, token t of row b being feature j = feat[b, t]:
//   numeric j:     out[b, t] = w_num * x[b, j] + b_num[j] + e_type[0] + e_pos[j]
//   categorical j: out[b, t] = cat_table[cat_offset[j] + x[b, j]] + e_type[1] + e_pos[j]
// out (B, T, C); x (B, D); feat (B, T); w_num (C); b_num (D, C); cat_table (sum C_j, C);
// cat_offset (D), -1 for numeric features; e_type (2, C); e_pos (D, C); codes pre-validated
void tokenizer_forward(float* out, const float* x, const int32_t* feat, const float* w_num,
                       const float* b_num, const float* cat_table, const int32_t* cat_offset,
                       const int32_t* cat_card, const float* e_type, const float* e_pos,
                       const TokDims& d) {
  const int C = d.C;
  parallel_for((int64_t)d.B * d.T, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / d.T;
      const int j = feat[r];
      const float xv = x[b * d.D + j];
      const float* pos = e_pos + (int64_t)j * C;
      float* o = out + r * C;
      if (cat_offset[j] < 0) {
        const float* bias = b_num + (int64_t)j * C;
        const vf xs = set1(xv);
        for (int c = 0; c < C; c += W) {
          const int len = C - c < W ? C - c : W;
          const vf s = fmadd(xs, ld(w_num + c, len), ld(bias + c, len));
          st(o + c, add(add(s, ld(e_type + c, len)), ld(pos + c, len)), len);
        }
      } else {
        const float* row = cat_table + ((int64_t)cat_offset[j] + static_cast<int32_t>(xv)) * C;
        for (int c = 0; c < C; c += W) {
          const int len = C - c < W ? C - c : W;
          st(o + c, add(add(ld(row + c, len), ld(e_type + C + c, len)), ld(pos + c, len)), len);
        }
      }
    }
  });
}

// Backward of Eq. 27 (e_pos is fixed, x carries no gradient):
//   dw_num (C)            += sum over numeric tokens of dout[b, t] * x[b, j]
//   db_num (D, C)  row j  += dout[b, t] for numeric tokens of feature j
//   dcat_table     row cat_offset[j] + code += dout[b, t] for categorical tokens
//   de_type (2, C) row 0  += numeric tokens' dout, row 1 += categorical tokens' dout
// The sums for dw_num and de_type run in float over chunks of kChunk tokens, chunk totals added
// in token order.
void tokenizer_backward(float* dw_num, float* db_num, float* dcat_table, float* de_type,
                        const float* dout, const float* x, const int32_t* feat,
                        const int32_t* cat_offset, const TokDims& d) {
  constexpr int kChunk = 256;
  const int C = d.C;
  const int64_t rows = (int64_t)d.B * d.T;
  const int64_t blocks = (C + W - 1) / W;
  parallel_for(blocks, 1, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      const int c = static_cast<int>(k * W), len = C - c < W ? C - c : W;
      vf tot_w = zero(), tot_num = zero(), tot_cat = zero();
      for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
        const int64_t r1 = rows - r0 < kChunk ? rows : r0 + kChunk;
        vf acc_w = zero(), acc_num = zero(), acc_cat = zero();
        for (int64_t r = r0; r < r1; ++r) {
          const int j = feat[r];
          const float xv = x[(r / d.T) * d.D + j];
          const vf g = ld(dout + r * C + c, len);
          if (cat_offset[j] < 0) {
            acc_w = fmadd(g, set1(xv), acc_w);
            acc_num = add(acc_num, g);
            if (db_num) add_to(db_num + (int64_t)j * C + c, g, len);
          } else {
            acc_cat = add(acc_cat, g);
            if (dcat_table)
              add_to(dcat_table + ((int64_t)cat_offset[j] + static_cast<int32_t>(xv)) * C + c, g, len);
          }
        }
        tot_w = add(tot_w, acc_w);
        tot_num = add(tot_num, acc_num);
        tot_cat = add(tot_cat, acc_cat);
      }
      if (dw_num) add_to(dw_num + c, tot_w, len);
      if (de_type) {
        add_to(de_type + c, tot_num, len);
        add_to(de_type + C + c, tot_cat, len);
      }
    }
  });
}

}  // namespace VJ_NS
}  // namespace vj
