// Scalar reference: row gathers (index_select) and the feature tokeniser (docs/model.md, section 3,
// Eq. 27). Plain loops, no threads. Scatter-adds run over tokens in order (the fast path does the
// same per column, so both give the same sums); reductions over tokens accumulate in double.
#include <vector>

#include "ref/ops.h"

namespace vj {
namespace ref {

// out (N, C) = inp (Nin, C) rows idx (N), idx in [0, Nin)
void index_select_forward(float* out, const float* inp, const int32_t* idx, const IndexDims& d) {
  for (int n = 0; n < d.N; ++n) {
    const float* src = inp + (int64_t)idx[n] * d.C;
    float* dst = out + (int64_t)n * d.C;
    for (int c = 0; c < d.C; ++c) dst[c] = src[c];
  }
}

// d/d(inp) of out[n] = inp[idx[n]]: dinp (Nin, C) rows idx[n] += dout (N, C) rows n, n in order
void index_select_backward(float* dinp, const float* dout, const int32_t* idx, const IndexDims& d) {
  if (!dinp) return;
  for (int n = 0; n < d.N; ++n) {
    const float* g = dout + (int64_t)n * d.C;
    float* dst = dinp + (int64_t)idx[n] * d.C;
    for (int c = 0; c < d.C; ++c) dst[c] += g[c];
  }
}

// Eq. 27, token t of row b being feature j = feat[b, t]:
//   numeric j:     out[b, t] = w_num * x[b, j] + b_num[j] + e_type[0] + e_pos[j]
//   categorical j: out[b, t] = cat_table[cat_offset[j] + x[b, j]] + e_type[1] + e_pos[j]
// out (B, T, C); x (B, D); feat (B, T); w_num (C); b_num (D, C); cat_table (sum C_j, C);
// cat_offset (D), -1 for numeric features; e_type (2, C); e_pos (D, C).
// cat_card (D) is what the caller validated codes against; the op trusts its inputs.
void tokenizer_forward(float* out, const float* x, const int32_t* feat, const float* w_num,
                       const float* b_num, const float* cat_table, const int32_t* cat_offset,
                       const int32_t* cat_card, const float* e_type, const float* e_pos,
                       const TokDims& d) {
  const int C = d.C;
  for (int b = 0; b < d.B; ++b)
    for (int t = 0; t < d.T; ++t) {
      const int j = feat[(int64_t)b * d.T + t];
      const float xv = x[(int64_t)b * d.D + j];
      const float* pos = e_pos + (int64_t)j * C;
      float* o = out + ((int64_t)b * d.T + t) * C;
      if (cat_offset[j] < 0) {
        const float* bias = b_num + (int64_t)j * C;
        for (int c = 0; c < C; ++c)
          o[c] = static_cast<float>(static_cast<double>(w_num[c]) * xv + bias[c] + e_type[c] + pos[c]);
      } else {
        const float* row = cat_table + ((int64_t)cat_offset[j] + static_cast<int32_t>(xv)) * C;
        for (int c = 0; c < C; ++c)
          o[c] = static_cast<float>(static_cast<double>(row[c]) + e_type[C + c] + pos[c]);
      }
    }
}

// Backward of Eq. 27 (e_pos is fixed, x carries no gradient):
//   dw_num (C)            += sum over numeric tokens of dout[b, t] * x[b, j]
//   db_num (D, C)  row j  += dout[b, t] for numeric tokens of feature j
//   dcat_table     row cat_offset[j] + code += dout[b, t] for categorical tokens
//   de_type (2, C) row 0  += numeric tokens' dout, row 1 += categorical tokens' dout
void tokenizer_backward(float* dw_num, float* db_num, float* dcat_table, float* de_type,
                        const float* dout, const float* x, const int32_t* feat,
                        const int32_t* cat_offset, const TokDims& d) {
  const int C = d.C;
  std::vector<double> acc_w(C, 0.0), acc_type(2 * static_cast<std::size_t>(C), 0.0);
  for (int b = 0; b < d.B; ++b)
    for (int t = 0; t < d.T; ++t) {
      const int j = feat[(int64_t)b * d.T + t];
      const float xv = x[(int64_t)b * d.D + j];
      const float* g = dout + ((int64_t)b * d.T + t) * C;
      if (cat_offset[j] < 0) {
        for (int c = 0; c < C; ++c) {
          acc_w[c] += static_cast<double>(g[c]) * xv;
          acc_type[c] += g[c];
        }
        if (db_num)
          for (int c = 0; c < C; ++c) db_num[(int64_t)j * C + c] += g[c];
      } else {
        for (int c = 0; c < C; ++c) acc_type[C + c] += g[c];
        if (dcat_table) {
          float* row = dcat_table + ((int64_t)cat_offset[j] + static_cast<int32_t>(xv)) * C;
          for (int c = 0; c < C; ++c) row[c] += g[c];
        }
      }
    }
  if (dw_num)
    for (int c = 0; c < C; ++c) dw_num[c] += static_cast<float>(acc_w[c]);
  if (de_type)
    for (int c = 0; c < 2 * C; ++c) de_type[c] += static_cast<float>(acc_type[c]);
}

}  // namespace ref
}  // namespace vj
