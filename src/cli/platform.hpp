// The few operating-system services the CLI needs: a monotonic clock, peak memory, a tty test,
// memory on 2 MiB pages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace spcli {

// Seconds on CLOCK_MONOTONIC.
double monotonic_seconds();
// CPU seconds used by this process (CLOCK_PROCESS_CPUTIME_ID): shows contention when it
// falls well below the wall time.
double process_cpu_seconds();
// The number after `key` (e.g. "VmRSS:") in a /proc file that lists sizes in KiB, such as
// /proc/self/status or /proc/meminfo; 0 when unavailable.
uint64_t proc_kib(const char *path, const char *key);
// Peak resident set size in bytes (VmHWM in /proc/self/status); 0 when unavailable.
uint64_t peak_resident_bytes();
// Whether standard error is a terminal.
bool stderr_is_terminal();

// A zeroed block of memory on 2 MiB pages where the system gives them (Linux: aligned, with
// MADV_HUGEPAGE), as the library's own arrays are: a probe that compares itself with the
// engine must not pay TLB misses the engine does not. Empty (data() NULL) if the memory is
// not available.
class HugeBlock {
 public:
  explicit HugeBlock(size_t bytes);
  ~HugeBlock();
  HugeBlock(const HugeBlock &) = delete;
  HugeBlock &operator=(const HugeBlock &) = delete;
  void *data() const { return aligned_; }

 private:
  void *base_ = nullptr, *aligned_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace spcli
