// Carves one allocation into the network's arrays. The same layout code runs twice: once to
// measure (sp_network_memory must be exact) and once to hand out pointers.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

class Arena {
 public:
  // A cache line per array start. (64-bit: as a size_t, ~(kAlign - 1) would clear the high half
  // of the offsets on a 32-bit machine, and sizes beyond 4 GiB wrap instead of overflowing.)
  static constexpr uint64_t kAlign = 64;

  explicit Arena(unsigned char *base = nullptr) : base_(base) {}

  template <class T>
  T *take(uint64_t count) {
    offset_ = (offset_ + kAlign - 1) & ~(kAlign - 1);
    T *p = base_ ? reinterpret_cast<T *>(base_ + offset_) : nullptr;
    uint64_t bytes = count * sizeof(T);
    if (count != 0 && bytes / count != sizeof(T)) overflow_ = true;
    if (offset_ + bytes < offset_) overflow_ = true;
    offset_ += bytes;
    return count ? p : nullptr;
  }
  uint64_t size() const { return (offset_ + kAlign - 1) & ~(kAlign - 1); }
  bool overflow() const { return overflow_ || size() > SIZE_MAX / 2; }

 private:
  unsigned char *base_;
  uint64_t offset_ = 0;
  bool overflow_ = false;
};

}  // namespace sp
