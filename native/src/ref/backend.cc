// The "scalar" backend: the plain reference ops, ground truth for every fast path.
#include "ref/ops.h"

namespace vj {

const Backend& backend_scalar() {
  static const Backend b = [] {
    Backend t{};
    t.name = "scalar";
    // linear
    t.linear_forward = ref::linear_forward;
    t.linear_backward = ref::linear_backward;
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
    return t;
  }();
  return b;
}

}  // namespace vj
