// The fast CPU backend table for one instruction set (this file is compiled per ISA).
#include "cpu/ops.h"
#include "engine/threadpool.h"

namespace vj {
namespace VJ_NS {

#define VJ_STR2(x) #x
#define VJ_STR(x) VJ_STR2(x)

static Backend make_backend() {
  Backend t{};
  t.name = VJ_STR(VJ_NS);
  // linear
  t.linear_forward = linear_forward;
  t.linear_backward = linear_backward;
  // norm.cc
  t.layernorm_forward = layernorm_forward;
  t.layernorm_backward = layernorm_backward;
  // activation.cc
  t.relu_forward = relu_forward;
  t.relu_backward = relu_backward;
  t.gelu_forward = gelu_forward;
  t.gelu_backward = gelu_backward;
  t.add_forward = add_forward;
  t.add_backward = add_backward;
  t.dropout_forward = dropout_forward;
  t.dropout_backward = dropout_backward;
  // gaussian.cc
  t.clamp_forward = clamp_forward;
  t.clamp_backward = clamp_backward;
  t.reparam_forward = reparam_forward;
  t.reparam_backward = reparam_backward;
  t.kl_std_forward = kl_std_forward;
  t.kl_std_backward = kl_std_backward;
  t.kl_gauss_forward = kl_gauss_forward;
  t.kl_gauss_backward = kl_gauss_backward;
  t.gauss_nll_forward = gauss_nll_forward;
  t.gauss_nll_backward = gauss_nll_backward;
  // loss.cc
  t.softmax_ce_forward = softmax_ce_forward;
  t.softmax_ce_backward = softmax_ce_backward;
  t.mse_forward = mse_forward;
  t.mse_backward = mse_backward;
  // index
  t.index_select_forward = index_select_forward;
  t.index_select_backward = index_select_backward;
  t.tokenizer_forward = tokenizer_forward;
  t.tokenizer_backward = tokenizer_backward;
  // optim
  t.adamw_update = adamw_update;
  t.sum_squares = sum_squares;
  t.scale_inplace = scale_inplace;
  t.ema_update = ema_update;
  // attention
  t.attention_forward = attention_forward;
  t.attention_backward = attention_backward;
  t.cross_attention_forward = cross_attention_forward;
  t.cross_attention_backward = cross_attention_backward;
  // glue (model port)
  t.fill_forward = fill_forward;
  t.scale_forward = scale_forward;
  t.scale_backward = scale_backward;
  t.concat_rows_forward = concat_rows_forward;
  t.concat_rows_backward = concat_rows_backward;
  t.predictor_input_forward = predictor_input_forward;
  t.predictor_input_backward = predictor_input_backward;
  // host memory split over the thread pool (the arenas' zeroing and copies)
  t.mem_set = parallel_memset;
  t.copy_on_device = parallel_memcpy;
  t.copy_to_device = parallel_memcpy;
  t.copy_to_host = parallel_memcpy;
  // linear_fused.cc (issue 4 round 2, CPU performance)
  t.linear_relu_forward = linear_relu_forward;
  t.linear_residual_forward = linear_residual_forward;
  t.relu_linear_backward = relu_linear_backward;
  return t;
}

const Backend& backend() {
  static const Backend b = make_backend();
  return b;
}

}  // namespace VJ_NS
}  // namespace vj
