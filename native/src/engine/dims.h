// Shapes passed to ops. Fixed letters across the repo: B batch, T tokens, C width, NH heads,
// HS head size, F FFN width, D features, K target masks. All shapes are row-major.
#pragma once
#include <cstdint>

namespace vj {

// linear: out (M, N) = inp (M, K) . weight (N, K)^T + bias (N)
struct MatDims {
  int M, K, N;
};

// row-wise ops over M rows of width C (LayerNorm, KL per token, softmax over C classes)
struct RowDims {
  int M, C;
};

// fused multi-head self-attention: qkv (B, T, 3C) with C = NH * HS
struct AttnDims {
  int B, T, NH, HS;
};

// multi-head cross-attention of P learned queries over T keys per row: q (P, C), kv (B, T, 2C)
struct CrossDims {
  int B, P, T, NH, HS;
};

// index_select: out (N, C) = inp[idx[n]] with idx in [0, Nin)
struct IndexDims {
  int N, Nin, C;
};

// tokeniser of docs/model.md, section 3: B rows of D features, T tokens per row, width C
struct TokDims {
  int B, T, D, C;
};

// ---- glue ops (model port; appended) ----
// concat_rows: rows [t0, t0 + n) of each of the B sequences of out (B, T, C) are inp (B, n, C),
// or the same inp (n, C) for every sequence when shared is 1 (a learned CLS token)
struct ConcatDims {
  int B, n, T, t0, C, shared;
};

// predictor_input: K*B sequences (k-major) of Mc context then Mt query tokens of width C (dp)
// over D features
struct PredInDims {
  int K, B, Mc, Mt, D, C;
};

}  // namespace vj
