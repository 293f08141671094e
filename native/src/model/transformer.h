// A stack of post-norm transformer encoder layers (docs/model.md, section 4):
//   x1 = LN1(x + Dropout(Wo . MHA(Wqkv . x)))
//   x2 = LN2(x1 + Dropout(W2 . Dropout(ReLU(W1 . x1))))
// followed by a tail: the encoder tail LN -> Linear(C, C) -> LN (T-JEPA), or one LN
// (predictor). Activations are sized once for at most maxRows = B*T rows and maxSeqs
// attention entries (max over calls of B * T * T); each call uses a prefix.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/arena.h"
#include "engine/backend.h"
#include "engine/device_array.h"
#include "model/params.h"

namespace vj {

enum class Tail { EncoderTail, LayerNorm };

// A counter into the Philox stream for dropout masks: each use takes a fresh stretch.
struct NoiseStream {
  uint64_t seed = 0, offset = 0;
  uint64_t take(int64_t n) {
    uint64_t o = offset;
    offset += static_cast<uint64_t>(n);
    return o;
  }
};

// Gradient scratch shared by every stack of a model (one stack runs backward at a time), in
// the backend's memory.
struct StackScratch {
  DeviceArray<float> a, b, c, d, e;  // each maxRows * max(3C, F)
  void reserve(int64_t n, const Backend& be = host_backend_memory());
  int64_t bytes() const { return (a.size() + b.size() + c.size() + d.size() + e.size()) * static_cast<int64_t>(sizeof(float)); }
};

class TransformerStack {
 public:
  void declare(ParamSet& ps, const std::string& name, int layers, int C, int NH, int F, float dropout, Tail tail);
  // activations (and dropout masks) in be's memory (host memory when null)
  void allocate(int64_t maxRows, int64_t maxBTT, const Backend* be = nullptr);
  int64_t scratch_floats() const;
  // bytes of its activations and dropout masks (sized by allocate)
  int64_t bytes() const { return arena_.total() * static_cast<int64_t>(sizeof(float)) + masks_.size(); }

  // x (B, T, C) -> returns out (B, T, C), owned by the stack; key_mask (B, T) or null
  const float* forward(const Backend& be, const ParamSet& ps, const float* x, const uint8_t* key_mask, int B, int T,
                       bool train, NoiseStream& noise);
  // dout (B, T, C) -> dx (B, T, C) += ..., parameter gradients += ...
  void backward(const Backend& be, ParamSet& ps, float* dx, const float* dout, const float* x,
                const uint8_t* key_mask, int B, int T, StackScratch& s);

  int C() const { return C_; }

 private:
  struct Layer {
    int wqkv, wo, ln1, w1, w2, ln2;  // parameter ids (bias = id + 1)
  };
  struct LayerActs {
    int qkv, probs, atty, res1, ln1, ln1_mean, ln1_rstd, fch, res2, ln2, ln2_mean, ln2_rstd;
    int64_t drop_attn, drop_fch, drop_ffn;  // byte offsets of the dropout masks
  };
  std::vector<Layer> layers_;
  std::vector<LayerActs> acts_;
  int tail_ln1_ = -1, tail_lin_ = -1, tail_ln2_ = -1;
  int t_ln1, t_ln1_mean, t_ln1_rstd, t_lin, t_ln2, t_ln2_mean, t_ln2_rstd;
  Tail tail_ = Tail::LayerNorm;
  int C_ = 0, NH_ = 1, F_ = 0;
  float dropout_ = 0.f;
  int64_t maxRows_ = 0, maxBTT_ = 0;
  Arena arena_;
  DeviceArray<uint8_t> masks_;  // dropout masks of every layer (byte offsets in LayerActs)
  bool used_dropout_ = false;
};

}  // namespace vj
