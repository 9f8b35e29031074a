// The few operating-system services the CLI needs (POSIX and Linux /proc).
#include "platform.hpp"

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace spcli {

double monotonic_seconds() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double process_cpu_seconds() {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint64_t proc_kib(const char *path, const char *key) {
  FILE *f = std::fopen(path, "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kib = 0;
  size_t len = std::strlen(key);
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, key, len) == 0) {
      std::sscanf(line + len, "%llu", &kib);
      break;
    }
  }
  std::fclose(f);
  return (uint64_t)kib;
}

uint64_t peak_resident_bytes() { return proc_kib("/proc/self/status", "VmHWM:") * 1024u; }

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

HugeBlock::HugeBlock(size_t bytes) {
  constexpr size_t kHuge = size_t(2) << 20;
  if (bytes == 0) return;
  mapped_ = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;  // room to align to a 2 MiB boundary
  void *p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    mapped_ = 0;
    return;
  }
  base_ = p;
  uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~uintptr_t(kHuge - 1);
  aligned_ = reinterpret_cast<void *>(a);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  madvise(aligned_, mapped_ - (a - reinterpret_cast<uintptr_t>(p)), MADV_HUGEPAGE);  // advice only
#endif
}

HugeBlock::~HugeBlock() {
  if (base_) munmap(base_, mapped_);
}

}  // namespace spcli
