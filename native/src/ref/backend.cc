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
    // attention
    t.attention_forward = ref::attention_forward;
    t.attention_backward = ref::attention_backward;
    t.cross_attention_forward = ref::cross_attention_forward;
    t.cross_attention_backward = ref::cross_attention_backward;
    return t;
  }();
  return b;
}

}  // namespace vj
