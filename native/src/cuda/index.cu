// CUDA: row gathers (index_select) and the feature tokeniser (ref/index.cc, docs/model.md, Eq. 27).
// Forward: one thread per output element. Backward scatter-adds are deterministic without
// atomics: one thread per column walks the rows in order, so every sum is taken in the same
// order as the reference (its results are bit-identical to it). The cost is serial in the row
// count; a sort-based version is left for when profiles show it matters.
#include "cuda/common.cuh"
#include "cuda/ops.h"

namespace vj {
namespace cuda {
namespace {

__global__ void gather_kernel(float* out, const float* inp, const int32_t* idx, int64_t n, int C) {
  VJ_GRID_LOOP(i, n) {
    const int64_t r = i / C;
    out[i] = inp[static_cast<int64_t>(idx[r]) * C + i % C];
  }
}

// dinp rows idx[n] += dout rows n, n in order, one thread per column
__global__ void scatter_add_kernel(float* dinp, const float* dout, const int32_t* idx, int N, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  for (int n = 0; n < N; ++n) dinp[static_cast<int64_t>(idx[n]) * C + c] += dout[static_cast<int64_t>(n) * C + c];
}

// Eq. 27 per output element (b, t, c)
__global__ void tok_fwd(float* out, const float* x, const int32_t* feat, const float* w_num, const float* b_num,
                        const float* cat_table, const int32_t* cat_offset, const float* e_type, const float* e_pos,
                        int64_t n, int T, int D, int C) {
  VJ_GRID_LOOP(i, n) {
    const int c = static_cast<int>(i % C);
    const int64_t bt = i / C;
    const int64_t b = bt / T;
    const int j = feat[bt];
    const float xv = x[b * D + j];
    const float pos = e_pos[static_cast<int64_t>(j) * C + c];
    if (cat_offset[j] < 0)
      out[i] = static_cast<float>(static_cast<double>(w_num[c]) * xv + b_num[static_cast<int64_t>(j) * C + c] + e_type[c] +
                                  pos);
    else
      out[i] = static_cast<float>(
          static_cast<double>(cat_table[(static_cast<int64_t>(cat_offset[j]) + static_cast<int32_t>(xv)) * C + c]) +
          e_type[C + c] + pos);
  }
}

// backward of Eq. 27, one thread per column c, tokens in order (as the reference)
__global__ void tok_bwd(float* dw_num, float* db_num, float* dcat_table, float* de_type, const float* dout,
                        const float* x, const int32_t* feat, const int32_t* cat_offset, int B, int T, int D, int C) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double acc_w = 0.0, acc_num = 0.0, acc_cat = 0.0;
  for (int b = 0; b < B; ++b)
    for (int t = 0; t < T; ++t) {
      const int64_t bt = static_cast<int64_t>(b) * T + t;
      const int j = feat[bt];
      const float xv = x[static_cast<int64_t>(b) * D + j];
      const float g = dout[bt * C + c];
      if (cat_offset[j] < 0) {
        acc_w += static_cast<double>(g) * xv;
        acc_num += g;
        if (db_num) db_num[static_cast<int64_t>(j) * C + c] += g;
      } else {
        acc_cat += g;
        if (dcat_table) dcat_table[(static_cast<int64_t>(cat_offset[j]) + static_cast<int32_t>(xv)) * C + c] += g;
      }
    }
  if (dw_num) dw_num[c] += static_cast<float>(acc_w);
  if (de_type) {
    de_type[c] += static_cast<float>(acc_num);
    de_type[C + c] += static_cast<float>(acc_cat);
  }
}

}  // namespace

// out (N, C) = inp (Nin, C) rows idx (N)
void index_select_forward(float* out, const float* inp, const int32_t* idx, const IndexDims& d) {
  const int64_t n = static_cast<int64_t>(d.N) * d.C;
  if (n <= 0) return;
  gather_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(out, inp, idx, n, d.C);
  check_launch("index_select_forward");
}

// dinp (Nin, C) rows idx[n] += dout (N, C) rows n
void index_select_backward(float* dinp, const float* dout, const int32_t* idx, const IndexDims& d) {
  if (!dinp || d.N <= 0 || d.C <= 0) return;
  scatter_add_kernel<<<(d.C + 63) / 64, 64, 0, stream()>>>(dinp, dout, idx, d.N, d.C);
  check_launch("index_select_backward");
}

// out (B, T, C); x (B, D); feat (B, T); see engine/backend.h for the rest
void tokenizer_forward(float* out, const float* x, const int32_t* feat, const float* w_num, const float* b_num,
                       const float* cat_table, const int32_t* cat_offset, const int32_t* cat_card,
                       const float* e_type, const float* e_pos, const TokDims& d) {
  const int64_t n = static_cast<int64_t>(d.B) * d.T * d.C;
  if (n <= 0) return;
  tok_fwd<<<blocks_for(n), kThreads, 0, stream()>>>(out, x, feat, w_num, b_num, cat_table, cat_offset, e_type, e_pos,
                                                    n, d.T, d.D, d.C);
  check_launch("tokenizer_forward");
}

void tokenizer_backward(float* dw_num, float* db_num, float* dcat_table, float* de_type, const float* dout,
                        const float* x, const int32_t* feat, const int32_t* cat_offset, const TokDims& d) {
  if (d.B <= 0 || d.T <= 0 || d.C <= 0) return;
  tok_bwd<<<(d.C + 63) / 64, 64, 0, stream()>>>(dw_num, db_num, dcat_table, de_type, dout, x, feat, cat_offset, d.B,
                                                d.T, d.D, d.C);
  check_launch("tokenizer_backward");
}

}  // namespace cuda
}  // namespace vj
