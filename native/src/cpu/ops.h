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

const Backend& backend();

}  // namespace VJ_NS
}  // namespace vj
