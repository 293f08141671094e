// Model configuration, copied once from validated JavaScript options. Field names match the
// TypeScript option names (lib/model/options.ts); the ranges of the numeric fields are listed
// once, in model/config_fields.inc. Op code never sees Napi types.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vj {

struct ModelConfig {
  // schema: cardinality per feature, 0 for numeric (category counts include code 0)
  std::vector<int> cardinalities;
  // encoders (context encoder, target posterior)
  int d = 64, layers = 8, heads = 4, ff = 256;
  float dropout = 0.001f;
  // predictor (conditional prior)
  int dP = 16, layersP = 2, headsP = 4, ffP = 256;
  float dropoutP = 0.002f;
  int pool = 4;     // P learned pooling queries
  int masks = 4;    // K target masks per row
  float ctxMin = 0.1f, ctxMax = 0.3f, trgMin = 0.1f, trgMax = 0.6f;
  float logvarMin = -10.f, logvarMax = 10.f;
  float posBase = 100.f;         // encoder sinusoid base (T-JEPA)
  float predPosBase = 10000.f;   // predictor sin-cos base
  int batchSize = 512;           // rows per step the activation arenas are sized for
  // Var-T-JEPA on a host backend: a training step of more rows runs in pieces of this many rows,
  // forward and backward on per-piece replicas in parallel, the piece gradients then summed in
  // piece order (the same mean-loss gradient up to summation order); 0 = one pass [decision].
  // A full batch makes at most 16 pieces: larger batches take pieces of batchSize / 16 rows.
  int trainPieceRows = 64;
  uint64_t seed = 0;
  // optimiser (AdamW); lr and loss weights arrive per step in the schedule
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weightDecay = 0.f, clipNorm = 1.f;
  int deviceIndex = 0;  // the CUDA device the model runs on (with device 'cuda' or 'auto')

  int D() const { return static_cast<int>(cardinalities.size()); }
  int max_ctx() const;   // largest M_ctx a mask draw can give
  int max_trg() const;   // largest M_trg
};

// The mask sizes of one step (docs/model.md, section 2), drawn in TypeScript from a seeded generator.
struct StepMasks {
  int Mc = 0, Mt = 0;
  const int32_t* ctx = nullptr;  // (B, Mc) feature indices, no repeats within a row
  const int32_t* trg = nullptr;  // (K, B, Mt) feature indices not in the row's context, k-major
};

// Per-step schedule: learning rate and loss weights (KL weights already annealed).
struct StepSchedule {
  float lr = 1e-3f;
  float aRec = 0.1f, aGen = 1.f, aSx = 1e-4f, aZ = 1e-6f, aSy = 1e-5f;
  uint64_t noiseSeed = 0;  // seeds the reparameterisation noise and dropout of this step
};

// The five terms of the ELBO (docs/model.md, Eq. 10), the weighted total and the gradient norm.
struct LossTerms {
  double rec = 0, gen = 0, klSx = 0, klZ = 0, klSy = 0, total = 0, gradNorm = 0;
};

}  // namespace vj
