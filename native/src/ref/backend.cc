// The "scalar" backend: the plain reference ops, ground truth for every fast path.
#include "engine/threadpool.h"
#include "ref/ops.h"

namespace vj {

const Backend& backend_scalar() {
  static const Backend b = [] {
    Backend t{};
    t.name = "scalar";
    // linear
    t.linear_forward = ref::linear_forward;
    t.linear_backward = ref::linear_backward;
    // norm.cc
    t.layernorm_forward = ref::layernorm_forward;
    t.layernorm_backward = ref::layernorm_backward;
    // activation.cc
    t.relu_forward = ref::relu_forward;
    t.relu_backward = ref::relu_backward;
    t.gelu_forward = ref::gelu_forward;
    t.gelu_backward = ref::gelu_backward;
    t.add_forward = ref::add_forward;
    t.add_backward = ref::add_backward;
    t.dropout_forward = ref::dropout_forward;
    t.dropout_backward = ref::dropout_backward;
    // gaussian.cc
    t.clamp_forward = ref::clamp_forward;
    t.clamp_backward = ref::clamp_backward;
    t.reparam_forward = ref::reparam_forward;
    t.reparam_backward = ref::reparam_backward;
    t.kl_std_forward = ref::kl_std_forward;
    t.kl_std_backward = ref::kl_std_backward;
    t.kl_gauss_forward = ref::kl_gauss_forward;
    t.kl_gauss_backward = ref::kl_gauss_backward;
    t.gauss_nll_forward = ref::gauss_nll_forward;
    t.gauss_nll_backward = ref::gauss_nll_backward;
    // loss.cc
    t.softmax_ce_forward = ref::softmax_ce_forward;
    t.softmax_ce_backward = ref::softmax_ce_backward;
    t.mse_forward = ref::mse_forward;
    t.mse_backward = ref::mse_backward;
    // index
    t.index_select_forward = ref::index_select_forward;
    t.index_select_backward = ref::index_select_backward;
    t.tokenizer_forward = ref::tokenizer_forward;
    t.tokenizer_backward = ref::tokenizer_backward;
    // optim
    t.adamw_update = ref::adamw_update;
    t.sum_squares = ref::sum_squares;
    t.scale_inplace = ref::scale_inplace;
    t.ema_update = ref::ema_update;
    // attention
    t.attention_forward = ref::attention_forward;
    t.attention_backward = ref::attention_backward;
    t.cross_attention_forward = ref::cross_attention_forward;
    t.cross_attention_backward = ref::cross_attention_backward;
    // glue (model port)
    t.fill_forward = ref::fill_forward;
    t.scale_forward = ref::scale_forward;
    t.scale_backward = ref::scale_backward;
    t.concat_rows_forward = ref::concat_rows_forward;
    t.concat_rows_backward = ref::concat_rows_backward;
    t.predictor_input_forward = ref::predictor_input_forward;
    t.predictor_input_backward = ref::predictor_input_backward;
    // host memory split over the thread pool (the arenas' zeroing and copies)
    t.mem_set = parallel_memset;
    t.copy_on_device = parallel_memcpy;
    t.copy_to_device = parallel_memcpy;
    t.copy_to_host = parallel_memcpy;
    // linear_fused.cc (issue 4 round 2, CPU performance)
    t.linear_relu_forward = ref::linear_relu_forward;
    t.linear_residual_forward = ref::linear_residual_forward;
    t.relu_linear_backward = ref::relu_linear_backward;
    return t;
  }();
  return b;
}

}  // namespace vj
