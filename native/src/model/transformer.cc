#include "model/transformer.h"

#include <cstring>

#include "engine/error.h"
#include "engine/threadpool.h"

namespace vj {

void StackScratch::reserve(int64_t n, const Backend& be) {
  for (auto* v : {&a, &b, &c, &d, &e}) v->reserve(be, n);
}

void TransformerStack::declare(ParamSet& ps, const std::string& name, int layers, int C, int NH, int F,
                               float dropout, Tail tail) {
  if (C % NH != 0) throw_range(name + ": width " + std::to_string(C) + " is not divisible by heads " + std::to_string(NH));
  C_ = C;
  NH_ = NH;
  F_ = F;
  dropout_ = dropout;
  tail_ = tail;
  for (int l = 0; l < layers; ++l) {
    std::string p = name + ".layers." + std::to_string(l);
    Layer L;
    L.wqkv = ps.add_linear(p + ".attn.qkv", C, 3 * C);
    L.wo = ps.add_linear(p + ".attn.out", C, C);
    L.ln1 = ps.add_layernorm(p + ".norm1", C);
    L.w1 = ps.add_linear(p + ".ffn.fc1", C, F);
    L.w2 = ps.add_linear(p + ".ffn.fc2", F, C);
    L.ln2 = ps.add_layernorm(p + ".norm2", C);
    layers_.push_back(L);
  }
  if (tail == Tail::EncoderTail) {
    tail_ln1_ = ps.add_layernorm(name + ".tail.norm1", C);
    tail_lin_ = ps.add_linear(name + ".tail.linear", C, C);
    tail_ln2_ = ps.add_layernorm(name + ".tail.norm2", C);
  } else {
    tail_ln1_ = ps.add_layernorm(name + ".norm", C);
  }
}

void TransformerStack::allocate(int64_t maxRows, int64_t maxBTT, const Backend* be) {
  maxRows_ = maxRows;
  maxBTT_ = maxBTT;
  const int R = static_cast<int>(maxRows), C = C_, F = F_;
  int64_t mask_bytes = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    LayerActs a;
    std::string p = "l" + std::to_string(l);
    a.qkv = arena_.add(p + ".qkv", {R, 3 * C});
    a.probs = arena_.add(p + ".probs", {static_cast<int>(maxBTT), NH_});
    a.atty = arena_.add(p + ".atty", {R, C});
    a.res1 = arena_.add(p + ".res1", {R, C});
    a.ln1 = arena_.add(p + ".ln1", {R, C});
    a.ln1_mean = arena_.add(p + ".ln1_mean", {R});
    a.ln1_rstd = arena_.add(p + ".ln1_rstd", {R});
    a.fch = arena_.add(p + ".fch", {R, F});
    a.res2 = arena_.add(p + ".res2", {R, C});
    a.ln2 = arena_.add(p + ".ln2", {R, C});
    a.ln2_mean = arena_.add(p + ".ln2_mean", {R});
    a.ln2_rstd = arena_.add(p + ".ln2_rstd", {R});
    a.drop_attn = mask_bytes;
    mask_bytes += static_cast<int64_t>(R) * C;
    a.drop_fch = mask_bytes;
    mask_bytes += static_cast<int64_t>(R) * F;
    a.drop_ffn = mask_bytes;
    mask_bytes += static_cast<int64_t>(R) * C;
    acts_.push_back(a);
  }
  t_ln1 = arena_.add("tail.ln1", {R, C});
  t_ln1_mean = arena_.add("tail.ln1_mean", {R});
  t_ln1_rstd = arena_.add("tail.ln1_rstd", {R});
  t_lin = arena_.add("tail.lin", {R, C});
  t_ln2 = arena_.add("tail.ln2", {R, C});
  t_ln2_mean = arena_.add("tail.ln2_mean", {R});
  t_ln2_rstd = arena_.add("tail.ln2_rstd", {R});
  arena_.allocate(be);
  if (dropout_ > 0.f) masks_.reserve(arena_.backend(), mask_bytes);
}

int64_t TransformerStack::scratch_floats() const {
  return maxRows_ * (3 * C_ > F_ ? 3 * C_ : F_);
}

const float* TransformerStack::forward(const Backend& be, const ParamSet& ps, const float* x, const uint8_t* key_mask,
                                       int B, int T, bool train, NoiseStream& noise) {
  const int R = B * T, C = C_, F = F_;
  if (static_cast<int64_t>(R) > maxRows_ || static_cast<int64_t>(B) * T * T > maxBTT_)
    throw Error("internal: transformer call exceeds the arena");
  const int64_t RC = static_cast<int64_t>(R) * C, RF = static_cast<int64_t>(R) * F;
  const bool drop = train && dropout_ > 0.f;
  used_dropout_ = drop;
  const float* inp = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& L = layers_[l];
    // without training nothing reads a layer's activations after the next layer, so inference
    // alternates between two layers' buffers and keeps its working set small
    const LayerActs& a = acts_[train ? l : (l & 1)];
    float *qkv = arena_.ptr(a.qkv), *atty = arena_.ptr(a.atty), *res1 = arena_.ptr(a.res1);
    float *ln1 = arena_.ptr(a.ln1), *fch = arena_.ptr(a.fch), *res2 = arena_.ptr(a.res2), *ln2 = arena_.ptr(a.ln2);
    // attention: res1 = x + Dropout(Wo . MHA(Wqkv . x)); ln1 = LN1(res1)
    be.linear_forward(qkv, inp, ps.p(L.wqkv), ps.p(L.wqkv + 1), MatDims{R, C, 3 * C});
    be.attention_forward(atty, arena_.ptr(a.probs), qkv, key_mask, AttnDims{B, T, NH_, C / NH_});
    // (linear_residual_forward would fold the add into the GEMM when dropout is off, but measured
    // slower than the separate add on AVX2 and with K = F: bench/results/model.md)
    be.linear_forward(res1, atty, ps.p(L.wo), ps.p(L.wo + 1), MatDims{R, C, C});
    if (drop) be.dropout_forward(res1, masks_.data() + a.drop_attn, res1, dropout_, noise.seed, noise.take(RC), RC);
    be.add_forward(res1, res1, inp, RC);
    be.layernorm_forward(ln1, arena_.ptr(a.ln1_mean), arena_.ptr(a.ln1_rstd), res1, ps.p(L.ln1), ps.p(L.ln1 + 1),
                         RowDims{R, C});
    // feed-forward: res2 = ln1 + Dropout(W2 . Dropout(ReLU(W1 . ln1))); ln2 = LN2(res2)
    if (be.linear_relu_forward_fn) {  // ReLU in the GEMM epilogue
      be.linear_relu_forward(fch, ln1, ps.p(L.w1), ps.p(L.w1 + 1), MatDims{R, C, F});
    } else {
      be.linear_forward(fch, ln1, ps.p(L.w1), ps.p(L.w1 + 1), MatDims{R, C, F});
      be.relu_forward(fch, fch, RF);
    }
    if (drop) be.dropout_forward(fch, masks_.data() + a.drop_fch, fch, dropout_, noise.seed, noise.take(RF), RF);
    be.linear_forward(res2, fch, ps.p(L.w2), ps.p(L.w2 + 1), MatDims{R, F, C});
    if (drop) be.dropout_forward(res2, masks_.data() + a.drop_ffn, res2, dropout_, noise.seed, noise.take(RC), RC);
    be.add_forward(res2, res2, ln1, RC);
    be.layernorm_forward(ln2, arena_.ptr(a.ln2_mean), arena_.ptr(a.ln2_rstd), res2, ps.p(L.ln2), ps.p(L.ln2 + 1),
                         RowDims{R, C});
    inp = ln2;
  }
  float* y1 = arena_.ptr(t_ln1);
  be.layernorm_forward(y1, arena_.ptr(t_ln1_mean), arena_.ptr(t_ln1_rstd), inp, ps.p(tail_ln1_), ps.p(tail_ln1_ + 1),
                       RowDims{R, C});
  if (tail_ == Tail::LayerNorm) return y1;
  float *y2 = arena_.ptr(t_lin), *y3 = arena_.ptr(t_ln2);
  be.linear_forward(y2, y1, ps.p(tail_lin_), ps.p(tail_lin_ + 1), MatDims{R, C, C});
  be.layernorm_forward(y3, arena_.ptr(t_ln2_mean), arena_.ptr(t_ln2_rstd), y2, ps.p(tail_ln2_), ps.p(tail_ln2_ + 1),
                       RowDims{R, C});
  return y3;
}

void TransformerStack::backward(const Backend& be, ParamSet& ps, float* dx, const float* dout, const float* x,
                                const uint8_t* key_mask, int B, int T, StackScratch& s) {
  const int R = B * T, C = C_, F = F_;
  const int64_t RC = static_cast<int64_t>(R) * C, RF = static_cast<int64_t>(R) * F;
  const bool drop = used_dropout_;
  auto zero = [&be](float* p, int64_t n) { be.mem_set(p, 0, n * static_cast<int64_t>(sizeof(float))); };
  const float* top = layers_.empty() ? x : arena_.ptr(acts_.back().ln2);
  // tail: the gradient w.r.t. the last layer's output lands in s.a
  float* dcur = s.a.data();
  zero(dcur, RC);
  if (tail_ == Tail::EncoderTail) {
    // y3 = LN(y2), y2 = Linear(y1), y1 = LN(top)
    float* dy2 = s.b.data();
    zero(dy2, RC);
    be.layernorm_backward(dy2, ps.g(tail_ln2_), ps.g(tail_ln2_ + 1), dout, arena_.ptr(t_lin), ps.p(tail_ln2_),
                          arena_.ptr(t_ln2_mean), arena_.ptr(t_ln2_rstd), RowDims{R, C});
    float* dy1 = s.c.data();
    zero(dy1, RC);
    be.linear_backward(dy1, ps.g(tail_lin_), ps.g(tail_lin_ + 1), dy2, arena_.ptr(t_ln1), ps.p(tail_lin_),
                       MatDims{R, C, C});
    be.layernorm_backward(dcur, ps.g(tail_ln1_), ps.g(tail_ln1_ + 1), dy1, top, ps.p(tail_ln1_),
                          arena_.ptr(t_ln1_mean), arena_.ptr(t_ln1_rstd), RowDims{R, C});
  } else {
    be.layernorm_backward(dcur, ps.g(tail_ln1_), ps.g(tail_ln1_ + 1), dout, top, ps.p(tail_ln1_),
                          arena_.ptr(t_ln1_mean), arena_.ptr(t_ln1_rstd), RowDims{R, C});
  }
  if (layers_.empty()) {
    be.add_backward(dx, nullptr, dcur, RC);
    return;
  }
  // Scratch roles: s.a holds the gradient w.r.t. the current layer's output and is overwritten
  // with the gradient w.r.t. its input (the output gradient of the layer below); s.b d res1 of
  // the bottom layer; s.c d ln1; s.d and s.e are (R, max(3C, F)) buffers for d fch, d atty and
  // d qkv.
  float* dres = s.b.data();
  float* dln1 = s.c.data();
  for (int l = static_cast<int>(layers_.size()) - 1; l >= 0; --l) {
    const Layer& L = layers_[static_cast<size_t>(l)];
    const LayerActs& a = acts_[static_cast<size_t>(l)];
    const float* inp = l == 0 ? x : arena_.ptr(acts_[static_cast<size_t>(l) - 1].ln2);
    float* big1 = s.d.data();
    float* big2 = s.e.data();
    // ln2 = LN2(res2), res2 = ln1 + Dropout(lin2): d res2 is the residual part of d ln1, so it
    // is written straight into dln1 (read below as d lin2 before the FFN adds to it)
    zero(dln1, RC);
    be.layernorm_backward(dln1, ps.g(L.ln2), ps.g(L.ln2 + 1), dcur, arena_.ptr(a.res2), ps.p(L.ln2),
                          arena_.ptr(a.ln2_mean), arena_.ptr(a.ln2_rstd), RowDims{R, C});
    const float* dlin2 = dln1;
    if (drop) {
      zero(big2, RC);
      be.dropout_backward(big2, dln1, masks_.data() + a.drop_ffn, dropout_, RC);
      dlin2 = big2;
    }
    // lin2 = W2 . fch, fch = Dropout(ReLU(W1 . ln1)). The stored fch is the dropped ReLU output:
    // it is positive exactly where ReLU passes a gradient that dropout kept, so the gradient of
    // both is d fch * [fch > 0] * 1 / (1 - p): ReLU's backward on fch, then the dropout scale (the
    // same products as dropout_backward followed by relu_backward).
    const float keep_scale = drop ? 1.0f / (1.0f - dropout_) : 1.0f;
    float *dpre, *spare;
    if (be.relu_linear_backward_fn) {  // mask and scale applied in the GEMM epilogue
      dpre = big1;
      spare = big2;
      zero(dpre, RF);
      be.relu_linear_backward(dpre, ps.g(L.w2), ps.g(L.w2 + 1), dlin2, arena_.ptr(a.fch), ps.p(L.w2), keep_scale,
                              MatDims{R, F, C});
    } else {
      zero(big1, RF);
      be.linear_backward(big1, ps.g(L.w2), ps.g(L.w2 + 1), dlin2, arena_.ptr(a.fch), ps.p(L.w2), MatDims{R, F, C});
      dpre = big2;
      spare = big1;
      zero(dpre, RF);
      be.relu_backward(dpre, big1, arena_.ptr(a.fch), RF);
      if (drop) be.scale_inplace(dpre, keep_scale, RF);
    }
    // lin1 = W1 . ln1
    be.linear_backward(dln1, ps.g(L.w1), ps.g(L.w1 + 1), dpre, arena_.ptr(a.ln1), ps.p(L.w1), MatDims{R, C, F});
    // ln1 = LN1(res1), res1 = inp + Dropout(Wo . atty): the input gradient starts with the
    // residual part d res1. Below the top layer it is written straight into din = dcur (the
    // output gradient there is no longer needed; d res1 is read from it as d lin1' before the
    // attention adds to it); the bottom layer adds it to the caller's dx.
    float* din = l == 0 ? dx : dcur;
    float* dres1 = l == 0 ? dres : dcur;
    zero(dres1, RC);
    be.layernorm_backward(dres1, ps.g(L.ln1), ps.g(L.ln1 + 1), dln1, arena_.ptr(a.res1), ps.p(L.ln1),
                          arena_.ptr(a.ln1_mean), arena_.ptr(a.ln1_rstd), RowDims{R, C});
    if (l == 0) be.add_backward(dx, nullptr, dres, RC);
    const float* dlin1 = dres1;
    if (drop) {
      zero(dln1, RC);  // d ln1 is no longer needed
      be.dropout_backward(dln1, dres1, masks_.data() + a.drop_attn, dropout_, RC);
      dlin1 = dln1;
    }
    // lin1' = Wo . atty
    float* datty = spare;
    zero(datty, RC);
    be.linear_backward(datty, ps.g(L.wo), ps.g(L.wo + 1), dlin1, arena_.ptr(a.atty), ps.p(L.wo), MatDims{R, C, C});
    // atty = MHA(qkv)
    float* dqkv = dpre;  // free now
    zero(dqkv, 3 * RC);
    be.attention_backward(dqkv, datty, arena_.ptr(a.qkv), arena_.ptr(a.probs), key_mask, AttnDims{B, T, NH_, C / NH_});
    // qkv = Wqkv . inp
    be.linear_backward(din, ps.g(L.wqkv), ps.g(L.wqkv + 1), dqkv, inp, ps.p(L.wqkv), MatDims{R, C, 3 * C});
  }
}

}  // namespace vj
