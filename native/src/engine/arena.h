// One contiguous, 64-byte aligned block of floats with named views into it. A size table is
// filled first (add), then the block is taken once (allocate); nothing is allocated afterwards.
// Parameters, gradients, optimiser moments and activations each live in one arena. The block is
// taken through a backend's memory functions (host memory by default, device memory for CUDA),
// so the same views serve either; on a device backend data() is not host-addressable.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/host_memory.h"

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
  ~Arena() {
    if (host_base_) host_free(host_base_, host_bytes_);
    else if (data_ && !borrowed_) be_->mem_free(data_);
  }

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

  // takes the block once from the backend's memory (host memory when be is null), zeroed
  void allocate(const Backend* be = nullptr) {
    if (be) be_ = be;
    const int64_t bytes = (total_ > 0 ? total_ : 16) * static_cast<int64_t>(sizeof(float));
    if (!be_->on_device) {
      // zero pages from the kernel (engine/host_memory.h): a model sized for its largest step
      // costs nothing until a page is first used (writing zeros over the whole block took
      // seconds and counted every page as resident)
      host_base_ = host_alloc_zeroed(bytes);
      if (!host_base_) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes on the host");
      host_bytes_ = bytes;
      data_ = static_cast<float*>(host_base_);
      return;
    }
    data_ = static_cast<float*>(be_->mem_alloc(bytes));
    if (!data_) {
      const char* why = be_->last_error();
      std::string msg = std::string("out of memory allocating ") + std::to_string(bytes) + " bytes on the " +
                        be_->name + " backend" + (why ? std::string(": ") + why : std::string());
      if (why) be_->clear_error();
      throw Error(msg);
    }
    be_->mem_set(data_, 0, bytes);
  }

  // uses other's block instead of taking one: the same views (same sizes, same order) over
  // memory other owns and must outlive this arena (a model's inference replicas read their
  // base's parameters this way)
  void alias(const Arena& other) {
    if (data_) throw Error("internal: arena aliased after allocation");
    if (other.total_ != total_ || !other.data_) throw Error("internal: arena aliased to a different layout");
    be_ = other.be_;
    data_ = other.data_;
    borrowed_ = true;
  }

  void zero() {
    if (data_) be_->mem_set(data_, 0, total_ * static_cast<int64_t>(sizeof(float)));
  }

  float* ptr(int i) const { return data_ + views_[static_cast<size_t>(i)].offset; }
  const View& view(int i) const { return views_[static_cast<size_t>(i)]; }
  const std::vector<View>& views() const { return views_; }
  float* data() const { return data_; }
  int64_t total() const { return total_; }
  const Backend& backend() const { return *be_; }
  // host copies of n floats at float offset `at` (the whole arena by default)
  void read(float* host, int64_t at, int64_t n) const {
    be_->copy_to_host(host, data_ + at, n * static_cast<int64_t>(sizeof(float)));
  }
  void write(const float* host, int64_t at, int64_t n) {
    be_->copy_to_device(data_ + at, host, n * static_cast<int64_t>(sizeof(float)));
  }

 private:
  std::vector<View> views_;
  int64_t total_ = 0;
  float* data_ = nullptr;
  void* host_base_ = nullptr;  // the host block behind data_ (host_alloc_zeroed)
  int64_t host_bytes_ = 0;
  bool borrowed_ = false;      // data_ belongs to another arena (alias)
  const Backend* be_ = &host_backend_memory();
};

}  // namespace vj
