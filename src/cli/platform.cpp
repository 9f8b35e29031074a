// The few operating-system services the CLI needs (POSIX and Linux /proc).
#include "platform.hpp"

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

uint64_t peak_resident_bytes() {
  FILE *f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long kib = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      std::sscanf(line + 6, "%llu", &kib);
      break;
    }
  }
  std::fclose(f);
  return (uint64_t)kib * 1024u;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace spcli
