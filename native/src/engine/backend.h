// The backend interface (in the style of ggml): one table of ops that every backend fills in.
// CPU backends: "scalar" (native/src/ref, the plain reference and ground truth), "avx2" and
// "avx512" (native/src/cpu, the same sources compiled per instruction set). A CUDA backend fills
// the same table.
//
// Conventions (../shared/spec/STYLE.md):
// - forward: outputs, saved buffers, inputs, parameters, dims. Forward overwrites its outputs.
// - backward: input and parameter gradients (prefix d), then the output gradient, then what
//   forward saved, then dims. Backward ACCUMULATES (+=) into every gradient; a null gradient
//   pointer means "not needed" and is skipped.
// - results never depend on the thread count: work is split over independent outputs, and
//   reductions use fixed chunks summed in a fixed order.
// An op left null is not provided by that backend; Backend::require names it in the error.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "engine/dims.h"

namespace vj {

struct AdamwHparams {
  float lr, beta1, beta2, eps, weight_decay;
  int step;  // 1-based optimiser step; bias corrections are computed once per call from it
};

inline void* host_alloc(int64_t bytes);
inline void host_free(void* p);
inline void host_memset(void* dst, int value, int64_t bytes);
inline void host_copy(void* dst, const void* src, int64_t bytes);
inline void host_synchronize();
inline const char* host_last_error();

struct Backend {
  const char* name;

  // ---- linear (matmul + bias) ----------------------------------------------------------
  // out (M, N) = inp (M, K) . weight (N, K)^T + bias (N); bias may be null
  void (*linear_forward)(float* out, const float* inp, const float* weight, const float* bias,
                         const MatDims& d);
  // dinp (M, K) += dout . weight;  dweight (N, K) += dout^T . inp;  dbias (N) += sum_rows dout
  void (*linear_backward)(float* dinp, float* dweight, float* dbias, const float* dout,
                          const float* inp, const float* weight, const MatDims& d);

  // ---- normalisation and activations ---------------------------------------------------
  // out, inp (M, C); mean, rstd (M); weight, bias (C); eps 1e-5
  void (*layernorm_forward)(float* out, float* mean, float* rstd, const float* inp,
                            const float* weight, const float* bias, const RowDims& d);
  void (*layernorm_backward)(float* dinp, float* dweight, float* dbias, const float* dout,
                             const float* inp, const float* weight, const float* mean,
                             const float* rstd, const RowDims& d);
  void (*relu_forward)(float* out, const float* inp, int64_t n);
  void (*relu_backward)(float* dinp, const float* dout, const float* inp, int64_t n);
  // exact GELU: x * Phi(x)
  void (*gelu_forward)(float* out, const float* inp, int64_t n);
  void (*gelu_backward)(float* dinp, const float* dout, const float* inp, int64_t n);
  // out = a + b (residual connections)
  void (*add_forward)(float* out, const float* a, const float* b, int64_t n);
  void (*add_backward)(float* da, float* db, const float* dout, int64_t n);
  // inverted dropout: mask[i] = 1 with probability 1 - p, independently per absolute position
  // offset + i (vj::dropout_mask in engine/philox.h), out = inp * mask / (1 - p)
  void (*dropout_forward)(float* out, uint8_t* mask, const float* inp, float p, uint64_t seed,
                          uint64_t offset, int64_t n);
  void (*dropout_backward)(float* dinp, const float* dout, const uint8_t* mask, float p,
                           int64_t n);

  // ---- attention ------------------------------------------------------------------------
  // out (B, T, C), probs (B, NH, T, T), qkv (B, T, 3C) laid out [q | k | v] per token,
  // key_mask (B, T) with 1 = attend, 0 = masked out, or null for all keys
  void (*attention_forward)(float* out, float* probs, const float* qkv, const uint8_t* key_mask,
                            const AttnDims& d);
  void (*attention_backward)(float* dqkv, const float* dout, const float* qkv, const float* probs,
                             const uint8_t* key_mask, const AttnDims& d);
  // out (B, P, C), probs (B, NH, P, T), q (P, C) shared by all rows, kv (B, T, 2C) as [k | v],
  // key_mask (B, T) or null
  void (*cross_attention_forward)(float* out, float* probs, const float* q, const float* kv,
                                  const uint8_t* key_mask, const CrossDims& d);
  void (*cross_attention_backward)(float* dq, float* dkv, const float* dout, const float* q,
                                   const float* kv, const float* probs, const uint8_t* key_mask,
                                   const CrossDims& d);

  // ---- gathers, embeddings, tokeniser --------------------------------------------------
  // out (N, C) = inp (Nin, C) rows idx (N); backward scatter-adds
  void (*index_select_forward)(float* out, const float* inp, const int32_t* idx,
                               const IndexDims& d);
  void (*index_select_backward)(float* dinp, const float* dout, const int32_t* idx,
                                const IndexDims& d);
  // tokeniser (MODEL.md section 3, Eq. 27) for T tokens per row, token t of row b being
  // feature feat[b, t] in [0, D):
  //   numeric j:     out = w_num * x[b, j] + b_num[j] + e_type[0] + e_pos[j]
  //   categorical j: out = cat_table[cat_offset[j] + code] + e_type[1] + e_pos[j]
  // out (B, T, C); x (B, D) numeric values and category codes (as floats); feat (B, T);
  // w_num (C); b_num (D, C); cat_table (sum C_j, C); cat_offset (D), -1 for numeric features;
  // cat_card (D) category counts (codes must be < cat_card[j]); e_type (2, C); e_pos (D, C)
  void (*tokenizer_forward)(float* out, const float* x, const int32_t* feat, const float* w_num,
                            const float* b_num, const float* cat_table, const int32_t* cat_offset,
                            const int32_t* cat_card, const float* e_type, const float* e_pos,
                            const TokDims& d);
  void (*tokenizer_backward)(float* dw_num, float* db_num, float* dcat_table, float* de_type,
                             const float* dout, const float* x, const int32_t* feat,
                             const int32_t* cat_offset, const TokDims& d);

  // ---- Gaussian heads and likelihoods ---------------------------------------------------
  // out = clamp(inp, lo, hi); backward passes the gradient only strictly inside (lo, hi)
  void (*clamp_forward)(float* out, const float* inp, float lo, float hi, int64_t n);
  void (*clamp_backward)(float* dinp, const float* dout, const float* inp, float lo, float hi,
                         int64_t n);
  // reparameterised sample: out = mu + exp(0.5 * logvar) * eps (eps saved by the caller)
  void (*reparam_forward)(float* out, const float* mu, const float* logvar, const float* eps,
                          int64_t n);
  void (*reparam_backward)(float* dmu, float* dlogvar, const float* dout, const float* logvar,
                           const float* eps, int64_t n);
  // loss (M) = KL(N(mu, exp(logvar)) || N(0, I)) summed over C; mu, logvar (M, C)
  void (*kl_std_forward)(float* loss, const float* mu, const float* logvar, const RowDims& d);
  void (*kl_std_backward)(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                          const float* logvar, const RowDims& d);
  // loss (M) = KL(N(mu_q, exp(logvar_q)) || N(mu_p, exp(logvar_p))) summed over C
  void (*kl_gauss_forward)(float* loss, const float* mu_q, const float* logvar_q,
                           const float* mu_p, const float* logvar_p, const RowDims& d);
  void (*kl_gauss_backward)(float* dmu_q, float* dlogvar_q, float* dmu_p, float* dlogvar_p,
                            const float* dloss, const float* mu_q, const float* logvar_q,
                            const float* mu_p, const float* logvar_p, const RowDims& d);
  // loss (N) = -log N(target; pred, exp(logvar)) with one learned global logvar (1)
  void (*gauss_nll_forward)(float* loss, const float* pred, const float* target,
                            const float* logvar, int64_t n);
  void (*gauss_nll_backward)(float* dpred, float* dlogvar, const float* dloss, const float* pred,
                             const float* target, const float* logvar, int64_t n);
  // loss (M) = -log softmax(logits)[target]; probs, logits (M, C); target (M) in [0, C)
  void (*softmax_ce_forward)(float* loss, float* probs, const float* logits,
                             const int32_t* target, const RowDims& d);
  void (*softmax_ce_backward)(float* dlogits, const float* dloss, const float* probs,
                              const int32_t* target, const RowDims& d);
  // loss (M) = mean over C of (pred - target)^2 (T-JEPA latent loss, Eq. 56)
  void (*mse_forward)(float* loss, const float* pred, const float* target, const RowDims& d);
  void (*mse_backward)(float* dpred, const float* dloss, const float* pred, const float* target,
                       const RowDims& d);

  // ---- optimiser -------------------------------------------------------------------------
  // AdamW on a flat arena; decay (n) is 1 where weight decay applies (never biases, norms,
  // embeddings)
  void (*adamw_update)(float* params, float* m, float* v, const float* grads,
                       const uint8_t* decay, const AdamwHparams& h, int64_t n);
  // sum of squares in double, in fixed chunks (thread-count independent)
  double (*sum_squares)(const float* x, int64_t n);
  void (*scale_inplace)(float* x, float s, int64_t n);
  // target = momentum * target + (1 - momentum) * source (T-JEPA EMA target encoder)
  void (*ema_update)(float* target, const float* source, float momentum, int64_t n);

  // ---- fused linear epilogues (issue 4 round 2, CPU performance; appended) -------------------
  // Fusions of linear_forward with what follows it, computed while the output tile is in
  // registers; may be null (callers then run the unfused ops). The forward fusions' gradients are
  // those of the unfused chain: relu_backward on the saved out, then linear_backward (resp.
  // linear_backward and add_backward into dres); relu_linear_backward fuses the ReLU's backward
  // into the next linear layer's backward.
  // out (M, N) = ReLU(inp (M, K) . weight (N, K)^T + bias (N))
  void (*linear_relu_forward)(float* out, const float* inp, const float* weight, const float* bias,
                              const MatDims& d);
  // out (M, N) = inp (M, K) . weight (N, K)^T + bias (N) + res (M, N); res must not overlap out
  void (*linear_residual_forward)(float* out, const float* inp, const float* weight, const float* bias,
                                  const float* res, const MatDims& d);
  // Backward of out = inp . weight^T + bias taken on through the ReLU (and dropout scale) that
  // made inp = scale' * ReLU(pre) (dropped entries 0): inp (M, K) is that saved activation.
  //   dpre (M, K) += [inp > 0] * scale * (dout (M, N) . weight (N, K))
  //   dweight (N, K) += dout^T . inp;  dbias (N) += sum_rows dout   (as linear_backward)
  // The input gradient's mask and scale are applied in the GEMM epilogue: no separate pass over
  // (M, K) for relu_backward and the dropout scale, and no zeroed intermediate. May be null.
  void (*relu_linear_backward)(float* dpre, float* dweight, float* dbias, const float* dout,
                               const float* inp, const float* weight, float scale, const MatDims& d);

  // ---- memory (CUDA backend issue; appended) ----------------------------------------------
  // Where a backend's buffers live. CPU backends keep the host defaults below (aligned_alloc,
  // memset, memcpy); the CUDA backend points them at cudaMalloc'd memory on its stream. Buffers
  // passed to the ops above must come from mem_alloc of the same backend. Ops never throw (the
  // CUDA backend lives in a separately loaded library): a failure is recorded and read back
  // through last_error, which stays set until clear_error.
  void* (*mem_alloc)(int64_t bytes) = host_alloc;  // 64-byte aligned; null on failure
  void (*mem_free)(void* p) = host_free;
  void (*mem_set)(void* dst, int value, int64_t bytes) = host_memset;
  void (*copy_to_device)(void* dst, const void* src, int64_t bytes) = host_copy;  // host -> backend
  void (*copy_to_host)(void* dst, const void* src, int64_t bytes) = host_copy;    // backend -> host
  void (*copy_on_device)(void* dst, const void* src, int64_t bytes) = host_copy;  // backend -> backend
  void (*synchronize)() = host_synchronize;  // waits for every queued op
  const char* (*last_error)() = host_last_error;  // null when nothing failed
  void (*clear_error)() = host_synchronize;
  bool on_device = false;  // buffers are not host-addressable

  // ---- glue (model port; appended): row moves the models need on any backend --------------
  // (backend_op_count counts from here to the end of the struct: append only op pointers)
  // out (n) = value
  void (*fill_forward)(float* out, float value, int64_t n);
  // out (n) = a * inp;  dinp += a * dout
  void (*scale_forward)(float* out, const float* inp, float a, int64_t n);
  void (*scale_backward)(float* dinp, const float* dout, float a, int64_t n);
  // out (B, T, C)[b, t0 + i] = inp (B, n, C)[b, i] (inp (n, C) for every b when d.shared);
  // backward: dinp[b, i] += dout[b, t0 + i] (shared: summed over b in order)
  void (*concat_rows_forward)(float* out, const float* inp, const ConcatDims& d);
  void (*concat_rows_backward)(float* dinp, const float* dout, const ConcatDims& d);
  // Predictor input (MODEL.md Eq. 42-44) for sequence s = k * B + b of seq (K*B, Mc+Mt, C):
  //   context t: (cx[b, t] + cz[b]) + pe[ctx[b, t]];  query u: (mask + cz[b]) + pe[trg[s, u]]
  // cx (B*Mc, C), cz (B, C), ctx (B, Mc), trg (K*B, Mt) in [0, D), mask (C), pe (D, C).
  // backward: dcx, dcz, dmask += the matching sums of dseq (over k, then tokens, in order)
  void (*predictor_input_forward)(float* seq, const float* cx, const float* cz, const int32_t* ctx,
                                  const int32_t* trg, const float* mask, const float* pe,
                                  const PredInDims& d);
  void (*predictor_input_backward)(float* dcx, float* dcz, float* dmask, const float* dseq,
                                   const PredInDims& d);
};

// The host memory functions (the defaults above).
inline void* host_alloc(int64_t bytes) {
  const size_t n = static_cast<size_t>(bytes > 0 ? bytes : 64);
  return std::aligned_alloc(64, (n + 63) / 64 * 64);
}
inline void host_free(void* p) { std::free(p); }
inline void host_memset(void* dst, int value, int64_t bytes) {
  if (bytes > 0) std::memset(dst, value, static_cast<size_t>(bytes));
}
inline void host_copy(void* dst, const void* src, int64_t bytes) {
  if (bytes > 0 && dst != src) std::memmove(dst, src, static_cast<size_t>(bytes));
}
inline void host_synchronize() {}
inline const char* host_last_error() { return nullptr; }
// A table with only the host memory functions (no ops): the default memory of an Arena.
inline const Backend& host_backend_memory() {
  static const Backend b = [] {
    Backend t{};
    t.name = "host";
    return t;
  }();
  return b;
}

// The backend for an instruction set. Throws vj::Error if the CPU lacks it.
const Backend& cpu_backend(const char* isa_name_or_null);
const Backend& backend_scalar();
// Which ops a backend provides (non-null); used by tests and doctor.
int backend_op_count(const Backend& b);
// The CUDA backend for a device (engine/cuda_loader.cc): loads varjepa_cuda.so beside the addon
// on first use and runs its self-test. Throws vj::Error naming the cause (no library, no driver,
// no device, out of memory, failed self-test).
const Backend& cuda_backend(int device_index);
// Throws vj::Error with the backend's last error (and clears it) when an op failed.
void check_backend(const Backend& b, const char* what);

}  // namespace vj
