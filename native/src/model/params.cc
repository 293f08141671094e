#include "model/params.h"

#include "engine/philox.h"

namespace vj {

void ParamSet::allocate(const Backend* be) {
  values.allocate(be);
  grads.allocate(be);
  const int total = static_cast<int>(values.total());
  m.add("m", {total});
  v.add("v", {total});
  m.allocate(be);
  v.allocate(be);
  std::vector<uint8_t> decay(static_cast<size_t>(total), 0);
  train_mask.assign(static_cast<size_t>(total), 0);
  for (size_t i = 0; i < info.size(); ++i) {
    const View& vw = values.view(static_cast<int>(i));
    for (int64_t k = 0; k < vw.size; ++k) {
      decay[static_cast<size_t>(vw.offset + k)] = info[i].decay ? 1 : 0;
      train_mask[static_cast<size_t>(vw.offset + k)] = info[i].trainable ? 1 : 0;
    }
  }
  decay_mask.upload(values.backend(), decay.data(), total);
}

void ParamSet::initialise(uint64_t seed) {
  std::vector<float> host(static_cast<size_t>(values.total()), 0.f);
  values.read(host.data(), 0, values.total());  // keeps Fixed tensors
  for (size_t i = 0; i < info.size(); ++i) {
    const View& vw = values.view(static_cast<int>(i));
    float* x = host.data() + vw.offset;
    // each tensor draws from its own stretch of the Philox stream (offset by its arena offset)
    uint64_t base = static_cast<uint64_t>(vw.offset) * 2;
    switch (info[i].init) {
      case Init::Zero:
        for (int64_t k = 0; k < vw.size; ++k) x[k] = 0.f;
        break;
      case Init::One:
        for (int64_t k = 0; k < vw.size; ++k) x[k] = 1.f;
        break;
      case Init::Uniform:
        for (int64_t k = 0; k < vw.size; ++k)
          x[k] = info[i].scale * (2.f * philox_uniform(seed, base + static_cast<uint64_t>(k)) - 1.f);
        break;
      case Init::Normal:
        for (int64_t k = 0; k < vw.size; ++k)
          x[k] = info[i].scale * philox_normal(seed, base + static_cast<uint64_t>(k));
        break;
      case Init::Fixed:  // filled by the model (e.g. sinusoidal position tables)
        break;
    }
  }
  values.write(host.data(), 0, values.total());
}

}  // namespace vj
