// One contiguous, 64-byte aligned block of floats with named views into it. A size table is
// filled first (add), then the block is taken once (allocate); nothing is allocated afterwards.
// Parameters, gradients, optimiser moments and activations each live in one arena.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/error.h"

namespace vj {

struct View {
  std::string name;
  int64_t offset;  // in floats, a multiple of 16 (64 bytes)
  int64_t size;    // in floats
  std::vector<int> shape;
};

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { std::free(data_); }

  // registers a view; returns its index
  int add(const std::string& name, const std::vector<int>& shape) {
    if (data_) throw Error("internal: arena '" + name + "' added after allocation");
    int64_t n = 1;
    for (int s : shape) n *= s;
    View v{name, total_, n, shape};
    total_ += (n + 15) / 16 * 16;
    views_.push_back(v);
    return static_cast<int>(views_.size()) - 1;
  }

  void allocate() {
    size_t bytes = static_cast<size_t>(total_ > 0 ? total_ : 16) * sizeof(float);
    data_ = static_cast<float*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
    if (!data_) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes");
    std::memset(data_, 0, bytes);
  }

  void zero() {
    if (data_) std::memset(data_, 0, static_cast<size_t>(total_) * sizeof(float));
  }

  float* ptr(int i) const { return data_ + views_[static_cast<size_t>(i)].offset; }
  const View& view(int i) const { return views_[static_cast<size_t>(i)]; }
  const std::vector<View>& views() const { return views_; }
  float* data() const { return data_; }
  int64_t total() const { return total_; }

 private:
  std::vector<View> views_;
  int64_t total_ = 0;
  float* data_ = nullptr;
};

}  // namespace vj
