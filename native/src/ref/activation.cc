// Scalar reference: elementwise activations, the residual add and inverted dropout.
#include <cmath>

#include "engine/philox.h"
#include "ref/ops.h"

namespace vj {
namespace ref {

// out (n) = max(inp, 0)
void relu_forward(float* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

// backward of out = max(inp, 0): dinp += dout where inp > 0
void relu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  if (!dinp) return;
  for (int64_t i = 0; i < n; ++i)
    if (inp[i] > 0.0f) dinp[i] += dout[i];
}

// Phi(x), the standard normal CDF, without cancellation for negative x
static inline double norm_cdf(double x) { return 0.5 * std::erfc(-x * 0.70710678118654752440); }

// exact GELU: out (n) = inp * Phi(inp)
void gelu_forward(float* out, const float* inp, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double x = inp[i];
    out[i] = static_cast<float>(x * norm_cdf(x));
  }
}

// backward of out = x Phi(x): dinp += dout * (Phi(x) + x phi(x)), phi the normal density
void gelu_backward(float* dinp, const float* dout, const float* inp, int64_t n) {
  if (!dinp) return;
  for (int64_t i = 0; i < n; ++i) {
    double x = inp[i];
    double pdf = 0.39894228040143267794 * std::exp(-0.5 * x * x);
    dinp[i] += static_cast<float>(dout[i] * (norm_cdf(x) + x * pdf));
  }
}

// out (n) = a + b
void add_forward(float* out, const float* a, const float* b, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

// backward of out = a + b: da += dout, db += dout
void add_backward(float* da, float* db, const float* dout, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (da) da[i] += dout[i];
    if (db) db[i] += dout[i];
  }
}

// inverted dropout: mask (n) from vj::dropout_mask (Bernoulli(1 - p) per absolute position
// offset + i), out (n) = inp * mask / (1 - p)
void dropout_forward(float* out, uint8_t* mask, const float* inp, float p, uint64_t seed,
                     uint64_t offset, int64_t n) {
  const float scale = 1.0f / (1.0f - p);
  dropout_mask(mask, n, p, seed, offset, false);
  for (int64_t i = 0; i < n; ++i) out[i] = inp[i] * (static_cast<float>(mask[i]) * scale);
}

// backward of out = inp * mask / (1 - p): dinp += dout * mask / (1 - p)
void dropout_backward(float* dinp, const float* dout, const uint8_t* mask, float p, int64_t n) {
  if (!dinp) return;
  const float scale = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i)
    if (mask[i]) dinp[i] += dout[i] * scale;
}

}  // namespace ref
}  // namespace vj
