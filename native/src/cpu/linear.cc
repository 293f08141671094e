// Fast CPU linear layer (matmul + bias), compiled per instruction set. The three products are
// packed GEMMs (cpu/gemm.cc); only the bias gradient, a column sum, is done here.
#include "cpu/gemm.h"
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

using namespace simd;

// out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d) {
  sgemm(d.M, d.N, d.K, inp, d.K, false, weight, d.K, true, out, d.N, false, bias);
}

// Per-thread scratch for the bias gradient's block sums, grown on demand (on the calling thread).
static float* block_sums(int64_t floats) {
  static thread_local float* buf = nullptr;
  static thread_local int64_t have = 0;
  if (have < floats) {
    float* fresh = new float[floats];
    delete[] buf;
    buf = fresh;
    have = floats;
  }
  return buf;
}

// s[v] = sum over `rows` rows (stride N) of vector v of the row, v < NV, in row order
template <int NV>
static inline void sum_rows(vf* s, const float* x, int64_t N, int rows) {
  vf acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = zero();
  for (int m = 0; m < rows; ++m, x += N)
    for (int v = 0; v < NV; ++v) acc[v] = add(acc[v], load(x + v * W));
  for (int v = 0; v < NV; ++v) s[v] = acc[v];
}

// dbias (N) += sum over rows of dout (M, N). Each column is summed in float over fixed blocks of
// BLOCK rows, in row order, and the block sums are added to the column total in block order:
// the same arithmetic for any thread count. Threads take (block, group of G vectors) pieces, so
// G independent chains of adds run side by side and whole rows are read at once.
static void bias_grad(float* dbias, const float* dout, int M, int N) {
  constexpr int BLOCK = 256;  // rows summed in float before joining the column total
  constexpr int G = 8;        // vectors (chains of adds) per piece: sum_rows<1..8>
  const int nvec = (N + W - 1) / W, ngrp = (nvec + G - 1) / G, nblk = (M + BLOCK - 1) / BLOCK;
  const int64_t ld = (int64_t)nvec * W;  // a block's sums: (nblk, ld)
  float* sums = block_sums((int64_t)nblk * ld);
  parallel_for((int64_t)nblk * ngrp, 1 + (1 << 16) / ((int64_t)BLOCK * G * W), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int blk = (int)(t / ngrp), g = (int)(t % ngrp);
      const int m0 = blk * BLOCK, m1 = M - m0 < BLOCK ? M : m0 + BLOCK;
      const int v0 = g * G, nv = nvec - v0 < G ? nvec - v0 : G;
      const int ntail = v0 + nv == nvec ? N - (nvec - 1) * W : W;  // width of the group's last vector
      vf s[G];
      const float* rows = dout + (int64_t)m0 * N + v0 * W;
      if (ntail == W) {
        switch (nv) {
          case 1: sum_rows<1>(s, rows, N, m1 - m0); break;
          case 2: sum_rows<2>(s, rows, N, m1 - m0); break;
          case 3: sum_rows<3>(s, rows, N, m1 - m0); break;
          case 4: sum_rows<4>(s, rows, N, m1 - m0); break;
          case 5: sum_rows<5>(s, rows, N, m1 - m0); break;
          case 6: sum_rows<6>(s, rows, N, m1 - m0); break;
          case 7: sum_rows<7>(s, rows, N, m1 - m0); break;
          default: sum_rows<8>(s, rows, N, m1 - m0); break;
        }
      } else {  // a ragged last vector (N not a multiple of W)
        for (int v = 0; v < nv; ++v) s[v] = zero();
        for (int m = 0; m < m1 - m0; ++m)
          for (int v = 0; v < nv; ++v) {
            const float* x = rows + (int64_t)m * N + v * W;
            s[v] = add(s[v], v == nv - 1 ? load_n(x, ntail) : load(x));
          }
      }
      for (int v = 0; v < nv; ++v) store(sums + blk * ld + (v0 + v) * W, s[v]);
    }
  });
  for (int v = 0; v < nvec; ++v) {
    const int j = v * W, n = N - j < W ? N - j : W;
    vf total = zero();
    for (int blk = 0; blk < nblk; ++blk) total = add(total, load(sums + blk * ld + j));
    store_n(dbias + j, add(load_n(dbias + j, n), total), n);
  }
}

// Gradients of out = inp . weight^T + bias:
//   dinp (M, K) += dout (M, N) . weight (N, K)
//   dweight (N, K) += dout^T . inp (M, K), a reduction over the M rows in fixed chunks
//   dbias (N) += column sums of dout
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d) {
  if (dinp) sgemm(d.M, d.K, d.N, dout, d.N, false, weight, d.K, false, dinp, d.K, true);
  if (dweight) sgemm(d.N, d.K, d.M, dout, d.N, true, inp, d.K, false, dweight, d.K, true);
  if (dbias) bias_grad(dbias, dout, d.M, d.N);
}

}  // namespace VJ_NS
}  // namespace vj
