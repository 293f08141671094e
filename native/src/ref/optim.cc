// Scalar reference: the optimiser on flat arenas (docs/model.md, section 6: AdamW with decoupled weight
// decay; gradient clipping by global norm through sum_squares and scale_inplace) and the T-JEPA
// EMA target encoder (section 10). Plain loops, no threads; AdamW arithmetic in double.
#include <cmath>

#include "ref/ops.h"

namespace vj {
namespace ref {

// AdamW (decoupled weight decay), params, m, v, grads, decay (n); decay null = no decay:
//   p -= lr * wd * p                         where decay[i] = 1
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
//   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps),  bc1 = 1 - beta1^step, bc2 = 1 - beta2^step
void adamw_update(float* params, float* m, float* v, const float* grads, const uint8_t* decay,
                  const AdamwHparams& h, int64_t n) {
  const double bc1 = 1.0 - std::pow(static_cast<double>(h.beta1), static_cast<double>(h.step));
  const double bc2 = 1.0 - std::pow(static_cast<double>(h.beta2), static_cast<double>(h.step));
  const double lr = h.lr, b1 = h.beta1, b2 = h.beta2, eps = h.eps, wd = h.weight_decay;
  for (int64_t i = 0; i < n; ++i) {
    double p = params[i];
    const double g = grads[i];
    if (decay && decay[i]) p -= lr * wd * p;
    const double mi = b1 * m[i] + (1.0 - b1) * g;
    const double vi = b2 * v[i] + (1.0 - b2) * g * g;
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
    p -= lr * (mi / bc1) / (std::sqrt(vi / bc2) + eps);
    params[i] = static_cast<float>(p);
  }
}

// sum over x (n) of x^2, in double
double sum_squares(const float* x, int64_t n) {
  double acc = 0.0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * x[i];
  return acc;
}

// x (n) *= s
void scale_inplace(float* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

// target (n) = momentum * target + (1 - momentum) * source (n)
void ema_update(float* target, const float* source, float momentum, int64_t n) {
  const double mo = momentum;
  for (int64_t i = 0; i < n; ++i)
    target[i] = static_cast<float>(mo * target[i] + (1.0 - mo) * source[i]);
}

}  // namespace ref
}  // namespace vj
