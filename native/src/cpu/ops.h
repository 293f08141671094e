// Declarations of the fast CPU ops (native/src/cpu), one copy per instruction set (VJ_NS).
// Signatures mirror Backend.
#pragma once
#include <cstdint>

#include "cpu/simd.h"
#include "engine/backend.h"

namespace vj {
namespace VJ_NS {

// linear.cc
void linear_forward(float* out, const float* inp, const float* weight, const float* bias,
                    const MatDims& d);
void linear_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                     const float* inp, const float* weight, const MatDims& d);

// norm.cc
void layernorm_forward(float* out, float* mean, float* rstd, const float* inp,
                       const float* weight, const float* bias, const RowDims& d);
void layernorm_backward(float* dinp, float* dweight, float* dbias, const float* dout,
                        const float* inp, const float* weight, const float* mean,
                        const float* rstd, const RowDims& d);

// activation.cc
void relu_forward(float* out, const float* inp, int64_t n);
void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n);
void gelu_forward(float* out, const float* inp, int64_t n);
void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n);
void add_forward(float* out, const float* a, const float* b, int64_t n);
void add_backward(float* da, float* db, const float* dout, int64_t n);
void dropout_forward(float* out, uint8_t* mask, const float* inp, float p, uint64_t seed,
                     uint64_t offset, int64_t n);
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, float p, int64_t n);

// gaussian.cc
void clamp_forward(float* out, const float* inp, float lo, float hi, int64_t n);
void clamp_backward(float* dinp, const float* dout, const float* inp, float lo, float hi,
                    int64_t n);
void reparam_forward(float* out, const float* mu, const float* logvar, const float* eps,
                     int64_t n);
void reparam_backward(float* dmu, float* dlogvar, const float* dout, const float* logvar,
                      const float* eps, int64_t n);
void kl_std_forward(float* loss, const float* mu, const float* logvar, const RowDims& d);
void kl_std_backward(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                     const float* logvar, const RowDims& d);
void kl_gauss_forward(float* loss, const float* mu_q, const float* logvar_q, const float* mu_p,
                      const float* logvar_p, const RowDims& d);
void kl_gauss_backward(float* dmu_q, float* dlogvar_q, float* dmu_p, float* dlogvar_p,
                       const float* dloss, const float* mu_q, const float* logvar_q,
                       const float* mu_p, const float* logvar_p, const RowDims& d);
void gauss_nll_forward(float* loss, const float* pred, const float* target, const float* logvar,
                       int64_t n);
void gauss_nll_backward(float* dpred, float* dlogvar, const float* dloss, const float* pred,
                        const float* target, const float* logvar, int64_t n);

// loss.cc
void softmax_ce_forward(float* loss, float* probs, const float* logits, const int32_t* target,
                        const RowDims& d);
void softmax_ce_backward(float* dlogits, const float* dloss, const float* probs,
                         const int32_t* target, const RowDims& d);
void mse_forward(float* loss, const float* pred, const float* target, const RowDims& d);
void mse_backward(float* dpred, const float* dloss, const float* pred, const float* target,
                  const RowDims& d);
// index.cc
void index_select_forward(float* out, const float* inp, const int32_t* idx, const IndexDims& d);
void index_select_backward(float* dinp, const float* dout, const int32_t* idx, const IndexDims& d);
void tokenizer_forward(float* out, const float* x, const int32_t* feat, const float* w_num,
                       const float* b_num, const float* cat_table, const int32_t* cat_offset,
                       const int32_t* cat_card, const float* e_type, const float* e_pos,
                       const TokDims& d);
void tokenizer_backward(float* dw_num, float* db_num, float* dcat_table, float* de_type,
                        const float* dout, const float* x, const int32_t* feat,
                        const int32_t* cat_offset, const TokDims& d);

// optim.cc
void adamw_update(float* params, float* m, float* v, const float* grads, const uint8_t* decay,
                  const AdamwHparams& h, int64_t n);
double sum_squares(const float* x, int64_t n);
void scale_inplace(float* x, float s, int64_t n);
void ema_update(float* target, const float* source, float momentum, int64_t n);
// attention.cc
void attention_forward(float* out, float* probs, const float* qkv, const uint8_t* key_mask,
                       const AttnDims& d);
void attention_backward(float* dqkv, const float* dout, const float* qkv, const float* probs,
                        const uint8_t* key_mask, const AttnDims& d);
void cross_attention_forward(float* out, float* probs, const float* q, const float* kv,
                             const uint8_t* key_mask, const CrossDims& d);
void cross_attention_backward(float* dq, float* dkv, const float* dout, const float* q,
                              const float* kv, const float* probs, const uint8_t* key_mask,
                              const CrossDims& d);

const Backend& backend();

}  // namespace VJ_NS
}  // namespace vj
