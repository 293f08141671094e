// Parameters of a model: one arena of values, one of gradients (same layout), the AdamW
// moments, and a per-element weight-decay mask, all in the backend's memory (device memory for
// CUDA: the host reads and writes them only through Arena::read / Arena::write). Tensors are registered by name with their
// shape, initialiser and whether weight decay applies, then allocated once.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/arena.h"
#include "engine/device_array.h"

namespace vj {

enum class Init { Zero, One, Uniform, Normal, Fixed };

struct ParamInfo {
  Init init;
  float scale;  // bound for Uniform, std for Normal
  bool decay;   // AdamW weight decay applies (linear weights only)
  bool trainable;
};

class ParamSet {
 public:
  // registers a tensor; returns its id (the same index in values and grads)
  int add(const std::string& name, const std::vector<int>& shape, Init init, float scale, bool decay,
          bool trainable = true) {
    int id = values.add(name, shape);
    grads.add(name, shape);
    info.push_back(ParamInfo{init, scale, decay, trainable});
    return id;
  }
  // a Linear(in, out) layer: weight (out, in) with PyTorch's default uniform bound 1/sqrt(in),
  // bias (out); returns the weight id, the bias id is weight id + 1
  int add_linear(const std::string& name, int in, int out) {
    float bound = 1.0f / std::sqrt(static_cast<float>(in));
    int w = add(name + ".weight", {out, in}, Init::Uniform, bound, true);
    add(name + ".bias", {out}, Init::Uniform, bound, false);
    return w;
  }
  // LayerNorm(C): weight ones, bias zeros; returns the weight id (bias = id + 1)
  int add_layernorm(const std::string& name, int C) {
    int w = add(name + ".weight", {C}, Init::One, 0.f, false);
    add(name + ".bias", {C}, Init::Zero, 0.f, false);
    return w;
  }

  // values, grads, moments, decay mask, in be's memory (host when null)
  void allocate(const Backend* be = nullptr);
  // values read from other's memory (the same registrations), and gradients of its own when
  // with_grads: no moments or masks, so such a set serves forward (and backward) passes but no
  // optimiser step; other must outlive it
  void share_values(const ParamSet& other, bool with_grads = false) {
    values.alias(other.values);
    if (with_grads) grads.allocate(&other.values.backend());
  }
  void initialise(uint64_t seed);     // fills values from the registered initialisers (drawn on
                                      // the host, then copied to the backend)
  float* p(int id) const { return values.ptr(id); }
  float* g(int id) const { return grads.ptr(id); }
  int64_t size() const { return values.total(); }

  Arena values, grads;
  std::vector<ParamInfo> info;
  Arena m, v;                         // AdamW moments (one view of size() each)
  DeviceArray<uint8_t> decay_mask;    // (size()) 1 where weight decay applies
  std::vector<uint8_t> train_mask;    // (size()) 1 where the optimiser updates; host only
};

}  // namespace vj
