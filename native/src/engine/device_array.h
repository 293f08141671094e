// A typed buffer in a backend's memory (device memory for CUDA, host memory for the CPU
// backends): per-step inputs of a model (index lists, masks, noise, category codes) and small
// constant tables. Taken through the backend's memory functions and grown only when a larger
// upload arrives (never in the steady state of a training loop), so the ops always receive
// pointers of the same backend.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/host_memory.h"

namespace vj {

template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { release(); }

  // at least n elements in be's memory, zeroed when (re)taken; contents are lost on growth
  void reserve(const Backend& be, int64_t n) {
    if (be_ == &be && n <= cap_) return;
    release();
    be_ = &be;
    const int64_t bytes = (n > 0 ? n : 1) * static_cast<int64_t>(sizeof(T));
    const int64_t cap = n > 0 ? n : 1;
    if (!be.on_device) {  // zero pages from the kernel, like Arena: untouched pages cost nothing
      host_base_ = host_alloc_zeroed(bytes);
      if (!host_base_) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes on the host");
      host_bytes_ = bytes;
      data_ = static_cast<T*>(host_base_);
      cap_ = cap;
      return;
    }
    data_ = static_cast<T*>(be.mem_alloc(bytes));
    if (!data_) {
      const char* why = be.last_error();
      std::string msg = "out of memory allocating " + std::to_string(bytes) + " bytes on the " + be.name + " backend" +
                        (why ? std::string(": ") + why : std::string());
      if (why) be.clear_error();
      throw Error(msg);
    }
    be.mem_set(data_, 0, bytes);
    cap_ = cap;
  }
  // copies host[0, n) in (growing first when needed); returns the backend pointer
  T* upload(const Backend& be, const T* host, int64_t n) {
    reserve(be, n);
    be.copy_to_device(data_, host, n * static_cast<int64_t>(sizeof(T)));
    return data_;
  }
  void download(T* host, int64_t n) const {
    if (be_) be_->copy_to_host(host, data_, n * static_cast<int64_t>(sizeof(T)));
  }
  T* data() const { return data_; }
  int64_t size() const { return cap_; }

 private:
  void release() {
    if (host_base_) host_free(host_base_, host_bytes_);
    else if (data_) be_->mem_free(data_);
    host_base_ = nullptr;
    host_bytes_ = 0;
    data_ = nullptr;
    cap_ = 0;
  }
  const Backend* be_ = nullptr;
  T* data_ = nullptr;
  void* host_base_ = nullptr;  // the host block behind data_ (host_alloc_zeroed)
  int64_t host_bytes_ = 0;
  int64_t cap_ = 0;
};

// The pointer an op of `be` should read for host data: the host pointer itself on a host
// backend (no copy, so CPU results are unchanged), else its upload into buf.
template <class T>
const T* on_backend(const Backend& be, DeviceArray<T>& buf, const T* host, int64_t n) {
  if (!be.on_device) return host;
  return buf.upload(be, host, n);
}

// Host-readable values of a backend buffer: the pointer itself on a host backend, else a copy
// in scratch.
template <class T>
const T* on_host(const Backend& be, const T* p, int64_t n, std::vector<T>& scratch) {
  if (!be.on_device) return p;
  if (static_cast<int64_t>(scratch.size()) < n) scratch.resize(static_cast<size_t>(n));
  be.copy_to_host(scratch.data(), p, n * static_cast<int64_t>(sizeof(T)));
  return scratch.data();
}

}  // namespace vj
