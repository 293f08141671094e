#include "model/config.h"

#include <cmath>

namespace vj {

static int bound_count(int D, float frac) {
  int m = static_cast<int>(std::lround(static_cast<double>(D) * frac));
  if (m < 1) m = 1;
  if (m > D - 1) m = D - 1 > 0 ? D - 1 : 1;
  return m;
}

int ModelConfig::max_ctx() const { return bound_count(D(), ctxMax); }
int ModelConfig::max_trg() const { return bound_count(D(), trgMax); }

}  // namespace vj
