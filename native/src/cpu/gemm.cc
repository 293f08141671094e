// Packed, register-blocked single-precision matrix multiply (see gemm.h), compiled per ISA.
//
// The output C is cut into MR x NR register tiles (NR = NV vectors). The micro-kernel holds one
// tile in MR * NV vector accumulators and, for each step p of the reduction, loads NV vectors of
// op(B) row p and broadcasts MR values of op(A) column p. Operands are read where they lie when
// their layout already suits the kernel:
//   op(A): any layout (the kernel takes a row stride and a column stride);
//   op(B): row p must hold the NR panel columns contiguously, which a non-transposed B does.
// A transposed B (the linear forward's weight) or a small B reused by many rows is packed once
// per call into zero-padded NR-wide panels; a large non-transposed B (the weight gradient's
// input, K = batch x tokens) is read in place and only its ragged last panel is packed. Packing
// happens on the calling thread, into a thread_local buffer grown on demand and kept.
#include "cpu/gemm.h"

#include <cstdlib>

#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {
namespace {

using namespace simd;

// KC: the reduction chunk; fixed per ISA, so the summation order is too
#if defined(VJ_ISA_AVX512)
constexpr int MR = 6, NV = 4;  // 24 accumulators + 4 B vectors + 1 broadcast of 32 zmm
constexpr int KC = 256;
#else
constexpr int MR = 6, NV = 2;  // 12 accumulators + 2 B vectors + 1 broadcast of 16 ymm
constexpr int KC = 128;
#endif
constexpr int NR = NV * W;
constexpr int MC = 16 * MR;  // most rows of C in one block of work

// One register tile: C[r, 0:ncols] (+)= sum_p a(r, p) * b(p, 0:ncols), r < R.
struct Tile {
  int kc;
  const float* a;  // a(r, p) = a[r * a_rs + p * a_cs]
  int64_t a_rs, a_cs;
  const float* b;  // b(p, j) = b[p * b_cs + j], NV * W readable columns per row
  int64_t b_cs;
  float* c;  // c[r * ldc + j], j < ncols
  int64_t ldc;
  int ncols;
  bool load_c;        // add to C (else overwrite)
  const float* bias;  // (ncols) added on overwrite, or null
  // epilogue of the last reduction chunk, on the finished sum: ReLU, then + res[r * ldc + j]
  bool relu;
  const float* res;  // or null
  // on every chunk, before C is added to: the product times gate_scale where gate[r * ldc + j] > 0,
  // else 0 (linear, so gating each chunk's partial sum gates the total)
  const float* gate;  // or null
  float gate_scale;
};
using KernelFn = void (*)(const Tile&);

template <int R, int V>
void kernel(const Tile& t) {
  vf acc[R][V];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = zero();
  // C is added to at the end: start fetching its 64-byte lines now (rows of a large C are far
  // apart, and the hardware prefetchers do not see them coming)
  if (t.load_c)
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < t.ncols; j += 16) prefetch(t.c + r * t.ldc + j);
  if (t.res)  // the residual too
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < t.ncols; j += 16) prefetch(t.res + r * t.ldc + j);
  const float* a = t.a;
  const float* b = t.b;
  const int64_t rs = t.a_rs, cs = t.a_cs, bs = t.b_cs;
  for (int p = 0; p < t.kc; ++p) {
    vf bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) bv[v] = load(b + v * W);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const vf ar = set1(a[r * rs]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = fmadd(ar, bv[v], acc[r][v]);
    }
    a += cs;
    b += bs;
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const int n = t.ncols - v * W;
      if (n <= 0) break;
      vf x = acc[r][v];
      if (n >= W) {
        if (t.gate) x = select(cmp_gt(load(t.gate + r * t.ldc + v * W), zero()), mul(x, set1(t.gate_scale)), zero());
        if (t.load_c) x = add(load(c + v * W), x);
        if (t.bias) x = add(x, load(t.bias + v * W));
        if (t.relu) x = select(cmp_gt(x, zero()), x, zero());
        if (t.res) x = add(x, load(t.res + r * t.ldc + v * W));
        store(c + v * W, x);
      } else {
        if (t.gate) x = select(cmp_gt(load_n(t.gate + r * t.ldc + v * W, n), zero()), mul(x, set1(t.gate_scale)), zero());
        if (t.load_c) x = add(load_n(c + v * W, n), x);
        if (t.bias) x = add(x, load_n(t.bias + v * W, n));
        if (t.relu) x = select(cmp_gt(x, zero()), x, zero());
        if (t.res) x = add(x, load_n(t.res + r * t.ldc + v * W, n));
        store_n(c + v * W, x, n);
      }
    }
  }
}

// kernel<r, v> for 1 <= r <= MR, 1 <= v <= NV
template <int R, int V>
KernelFn pick_v(int v) {
  if constexpr (V == 0) {
    return nullptr;
  } else {
    return v == V ? kernel<R, V> : pick_v<R, V - 1>(v);
  }
}
template <int R>
KernelFn pick(int r, int v) {
  if constexpr (R == 0) {
    return nullptr;
  } else {
    return r == R ? pick_v<R, NV>(v) : pick<R - 1>(r, v);
  }
}

// A raw 64-byte aligned buffer per thread, grown on demand, freed at thread exit.
struct PackBuffer {
  float* data = nullptr;
  size_t cap = 0;
  ~PackBuffer() { std::free(data); }
  float* reserve(size_t n) {
    if (n > cap) {
      std::free(data);
      size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      cap = data ? n : 0;
    }
    return data;
  }
};
thread_local PackBuffer t_pack;

struct Plan {
  int M, N, K, npan;
  const float* A;
  int64_t lda;
  bool transA;
  const float* B;  // non-transposed B read in place (full panels), when !pack_all
  int64_t ldb;
  const float* packed;  // pack_all: chunk pc0, panel jp at pc0 * npan * NR + jp * kcs * NR;
  int kcs;              // min(K, KC): the panel stride in rows
  bool pack_all;        // else the last panel only, chunk pc0 at pc0 * NR
  float* C;
  int64_t ldc;
  bool accumulate;
  const float* bias;
  bool relu;
  const float* res;  // (M, N) with row stride ldc, or null
  const float* gate;  // (M, N) with row stride ldc, or null
  float gate_scale;
};

// packs op(B) rows [0, K) of panel jp (columns jp * NR ...) into dst (K, NR), zero-padded
void pack_panel(float* dst, int64_t dst_chunk_stride, const float* B, int64_t ldb, bool transB,
                int K, int N, int jp) {
  const int j0 = jp * NR, ncols = N - j0 < NR ? N - j0 : NR;
  for (int pc0 = 0; pc0 < K; pc0 += KC) {
    const int kc = K - pc0 < KC ? K - pc0 : KC;
    float* d = dst + (int64_t)(pc0 / KC) * dst_chunk_stride;
    if (transB) {
      // W x W blocks: rows of B (columns of op(B)) in, transposed, rows of the panel out
      for (int jj0 = 0; jj0 < ncols; jj0 += W) {
        const int nr = ncols - jj0 < W ? ncols - jj0 : W;
        for (int p0 = 0; p0 < kc; p0 += W) {
          const int np = kc - p0 < W ? kc - p0 : W;
          vf r[W];
          for (int i = 0; i < W; ++i) r[i] = zero();
          for (int i = 0; i < nr; ++i) {
            const float* s = B + (int64_t)(j0 + jj0 + i) * ldb + pc0 + p0;
            r[i] = np == W ? load(s) : load_n(s, np);
          }
          transpose_regs(r);
          for (int q = 0; q < np; ++q) store(d + (int64_t)(p0 + q) * NR + jj0, r[q]);
        }
      }
    } else {
      for (int p = 0; p < kc; ++p) {
        const float* s = B + (int64_t)(pc0 + p) * ldb + j0;
        for (int v = 0; v < NV; ++v) {
          const int n = ncols - v * W;
          const vf x = n >= W ? load(s + v * W) : n > 0 ? load_n(s + v * W, n) : zero();
          store(d + (int64_t)p * NR + v * W, x);
        }
      }
    }
  }
}

// rows [i0, i1) x panels [jp0, jp1) of C, every reduction chunk in order
void run_block(const Plan& P, int i0, int i1, int jp0, int jp1) {
  const KernelFn full = kernel<MR, NV>;
  for (int pc0 = 0; pc0 < P.K; pc0 += KC) {
    const int kc = P.K - pc0 < KC ? P.K - pc0 : KC;
    Tile t;
    t.kc = kc;
    t.ldc = P.ldc;
    t.load_c = P.accumulate || pc0 > 0;
    t.a_rs = P.transA ? 1 : P.lda;
    t.a_cs = P.transA ? P.lda : 1;
    t.gate_scale = P.gate_scale;
    for (int jp = jp0; jp < jp1; ++jp) {
      const int j0 = jp * NR;
      t.ncols = P.N - j0 < NR ? P.N - j0 : NR;
      const int nv = (t.ncols + W - 1) / W;
      t.bias = (pc0 == 0 && !P.accumulate && P.bias) ? P.bias + j0 : nullptr;
      const bool last = pc0 + kc == P.K;
      t.relu = last && P.relu;
      if (P.pack_all) {
        t.b = P.packed + (int64_t)pc0 * P.npan * NR + (int64_t)jp * P.kcs * NR;
        t.b_cs = NR;
      } else if (t.ncols == NR) {
        t.b = P.B + (int64_t)pc0 * P.ldb + j0;
        t.b_cs = P.ldb;
      } else {
        t.b = P.packed + (int64_t)pc0 * NR;
        t.b_cs = NR;
      }
      for (int i = i0; i < i1; i += MR) {
        const int mr = i1 - i < MR ? i1 - i : MR;
        t.a = P.transA ? P.A + (int64_t)pc0 * P.lda + i : P.A + (int64_t)i * P.lda + pc0;
        t.c = P.C + (int64_t)i * P.ldc + j0;
        t.res = last && P.res ? P.res + (int64_t)i * P.ldc + j0 : nullptr;
        t.gate = P.gate ? P.gate + (int64_t)i * P.ldc + j0 : nullptr;
        (mr == MR && nv == NV ? full : pick<MR>(mr, nv))(t);
      }
    }
  }
}

// Plain loops for when no pack buffer can be had (out of memory); same contract, slower.
void sgemm_unpacked(int M, int N, int K, const float* A, int64_t lda, bool transA,
                    const float* B, int64_t ldb, bool transB, float* C, int64_t ldc,
                    bool accumulate, const float* bias, bool relu, const float* res,
                    const float* gate, float gate_scale) {
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float s = 0.f;
      for (int p = 0; p < K; ++p)
        s += (transA ? A[(int64_t)p * lda + i] : A[(int64_t)i * lda + p]) *
             (transB ? B[(int64_t)j * ldb + p] : B[(int64_t)p * ldb + j]);
      float& c = C[(int64_t)i * ldc + j];
      if (gate) s = gate[(int64_t)i * ldc + j] > 0.f ? s * gate_scale : 0.f;
      float x = accumulate ? c + s : (bias ? s + bias[j] : s);
      if (relu && !(x > 0.f)) x = 0.f;
      c = res ? x + res[(int64_t)i * ldc + j] : x;
    }
}

}  // namespace

void sgemm(int M, int N, int K, const float* A, int64_t lda, bool transA, const float* B,
           int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate,
           const float* bias, bool relu, const float* res, const float* gate, float gate_scale) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) {
        float& c = C[(int64_t)i * ldc + j];
        float x = accumulate ? c : (bias ? bias[j] : 0.f);
        if (relu && !(x > 0.f)) x = 0.f;
        c = res ? x + res[(int64_t)i * ldc + j] : x;
      }
    return;
  }
  Plan P;
  P.M = M, P.N = N, P.K = K, P.npan = (N + NR - 1) / NR;
  P.A = A, P.lda = lda, P.transA = transA;
  P.B = B, P.ldb = ldb;
  P.C = C, P.ldc = ldc, P.accumulate = accumulate, P.bias = bias;
  P.relu = relu, P.res = res, P.gate = gate, P.gate_scale = gate_scale;
  // op(B) is packed whole when transposed, or when its K rows are few next to the M rows of
  // C that reuse it (packing then costs little and saves strided reads)
  P.kcs = K < KC ? K : KC;
  P.pack_all = transB || 4LL * K <= M;
  const bool ragged = N % NR != 0;
  float* buf = nullptr;
  if (P.pack_all || ragged) {
    const int64_t nchunks = (K + KC - 1) / KC;
    const int64_t chunk_floats = (int64_t)P.kcs * (P.pack_all ? P.npan : 1) * NR;
    buf = t_pack.reserve((size_t)(nchunks * chunk_floats));
    if (!buf) {
      sgemm_unpacked(M, N, K, A, lda, transA, B, ldb, transB, C, ldc, accumulate, bias, relu, res, gate, gate_scale);
      return;
    }
    if (P.pack_all) {
      for (int jp = 0; jp < P.npan; ++jp)
        pack_panel(buf + (int64_t)jp * P.kcs * NR, chunk_floats, B, ldb, transB, K, N, jp);
    } else {
      pack_panel(buf, chunk_floats, B, ldb, false, K, N, P.npan - 1);
    }
  }
  P.packed = buf;

  // Blocks of C for the threads; never the reduction. With more rows than columns, blocks of
  // rows across all panels (each thread then reads all of op(B) and its share of op(A)): many
  // blocks of at most MC rows when op(B) is packed (small, cached), else one block per thread,
  // so that each thread streams the large in-place op(B) once. Otherwise single panels, cut
  // into row blocks only as far as the threads need to come out even.
  const int nthreads = num_threads();
  const int nmr = (M + MR - 1) / MR;
  const bool by_rows = M >= N || P.npan < 2;
  const int pblocks = by_rows ? 1 : P.npan;
  int rblocks = 1;
  if (by_rows && P.pack_all) {
    rblocks = (nmr + MC / MR - 1) / (MC / MR);
    if (rblocks < 8 * nthreads) rblocks = nmr < 8 * nthreads ? nmr : 8 * nthreads;
  } else if (by_rows) {
    rblocks = nmr < nthreads ? nmr : nthreads;
  } else {
    while (rblocks < nmr && (rblocks * pblocks) % nthreads != 0 && rblocks * pblocks < 4 * nthreads)
      ++rblocks;
  }
  const int mrb = (nmr + rblocks - 1) / rblocks;  // micro-rows per block
  rblocks = (nmr + mrb - 1) / mrb;
  const int nblocks = rblocks * pblocks;
  const int64_t flops = 2LL * M * N * K;
  int64_t parts = flops / (1 << 21);  // ~2 MFLOP per thread at least
  if (parts > num_threads()) parts = num_threads();
  if (parts > nblocks) parts = nblocks;
  int next = 0;
  auto work = [&](int64_t, int64_t) {
    for (;;) {
      const int blk = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
      if (blk >= nblocks) return;
      const int rb = blk / pblocks, pb = blk % pblocks;
      const int i0 = rb * mrb * MR, i1 = (rb + 1) * mrb * MR < M ? (rb + 1) * mrb * MR : M;
      if (by_rows)
        run_block(P, i0, i1, 0, P.npan);
      else
        run_block(P, i0, i1, pb, pb + 1);
    }
  };
  if (parts <= 1)
    work(0, 1);
  else
    parallel_for(parts, 1, [&](int64_t b, int64_t e) { work(b, e); });
}

}  // namespace VJ_NS
}  // namespace vj
