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
  // attention
  t.attention_forward = attention_forward;
  t.attention_backward = attention_backward;
  t.cross_attention_forward = cross_attention_forward;
  t.cross_attention_backward = cross_attention_backward;
  return t;
}

const Backend& backend() {
  static const Backend b = make_backend();
  return b;
}

}  // namespace VJ_NS
}  // namespace vj
