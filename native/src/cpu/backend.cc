// The fast CPU backend table for one instruction set (this file is compiled per ISA).
#include "cpu/ops.h"

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
  return t;
}

const Backend& backend() {
  static const Backend b = make_backend();
  return b;
}

}  // namespace VJ_NS
}  // namespace vj
