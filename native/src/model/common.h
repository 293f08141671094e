// Pieces both models compose (Var-T-JEPA and the T-JEPA baseline, docs/model.md, sections 3, 6, 10):
// the feature tokeniser of Eq. 27 with its CLS token, the fixed sinusoid tables, the step-size
// checks of a mask draw, and the optimiser step (global-norm clipping, AdamW).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/device_array.h"
#include "model/config.h"
#include "model/params.h"

namespace vj {

// parameter ids of one tokeniser (Eq. 27)
struct TokParams {
  int w_num, b_num, cat, type, cls;
};

// The fixed tables a tokeniser reads: cat_offset (D) row of feature j in the concatenated
// category embeddings (-1 numeric), cat_card (D), pos (D, C) the encoder sinusoid. The vectors
// are the host copies; offset_b, card_b, pos_b the same tables in the backend's memory (the
// vectors themselves on a host backend), which is what the ops read.
struct TokTables {
  std::vector<int32_t> cat_offset, cat_card;
  std::vector<float> pos;
  int D = 0, C = 0;
  const int32_t *offset_b = nullptr, *card_b = nullptr;
  const float* pos_b = nullptr;
  void build(const std::vector<int>& cardinalities, int C, float pos_base, const Backend& be);

 private:
  DeviceArray<int32_t> offset_dev_, card_dev_;
  DeviceArray<float> pos_dev_;
};

// fixed sinusoid over the feature index: pe[j, 2i] = sin(j / base^(2i/C)), pe[j, 2i+1] = cos(...)
std::vector<float> sinusoid(int D, int C, float base);

// registers "<name>.tok.*" and "<name>.cls" (W_num, b_j, E_j, e_type, CLS)
TokParams declare_tokenizer(ParamSet& ps, const std::string& name, const std::vector<int>& cardinalities, int C);

// Encoder input [CLS, t_j for the M features of each row]: seq (B, 1+M, C); tok (B*M, C) the
// tokens (saved for nothing, scratch of the same size); x (B, D); feat (B*M) feature ids. Every
// pointer is in the backend's memory.
void encoder_input_forward(const Backend& be, const ParamSet& ps, const TokParams& t, const TokTables& tab, float* seq,
                           float* tok, const float* x, const int32_t* feat, int B, int M);
// Backward of the above: dcls += sum over rows of dseq[b, 0]; dtok (B*M, C) is overwritten with
// dseq[b, 1..M] (zeroed, then accumulated); the tokeniser parameter gradients accumulate.
void encoder_input_backward(const Backend& be, ParamSet& ps, const TokParams& t, const TokTables& tab, float* dtok,
                            const float* dseq, const float* x, const int32_t* feat, int B, int M);

// Throws a RangeError unless 1 <= B <= batchSize and the mask sizes fit the config.
void check_step_sizes(const ModelConfig& cfg, int B, int Mc, int Mt);

// A step run in pieces (ModelConfig::trainPieceRows): rows per piece, at most 16 pieces of a
// full batch (each piece keeps a gradient copy), fixed per model so the arithmetic never depends
// on the thread count; a step of more rows than this runs in pieces.
int piece_rows(const ModelConfig& cfg);
// The masks of rows [r0, r0 + n) of a step's masks m (B rows, K target sets, k-major); the
// piece's target lists are gathered into trg.
StepMasks piece_masks(const StepMasks& m, int K, int B, int r0, int n, std::vector<int32_t>& trg);
// out.grads = sum_i w[i] * g[i], added in
// piece order for every element (host memory), and the gradient norm of the result.
double sum_piece_grads(const Backend& be, ParamSet& out, const std::vector<const float*>& g, const std::vector<float>& w);

// One optimiser step on ps with gradient norm grad_norm (docs/model.md, section 6): throws (without
// updating) when the loss or gradient is not finite, clips to cfg.clipNorm, then AdamW at 1-based
// step `step`.
void clip_and_adamw(const Backend& be, ParamSet& ps, const ModelConfig& cfg, double loss, double grad_norm, float lr,
                    int64_t step);

}  // namespace vj
