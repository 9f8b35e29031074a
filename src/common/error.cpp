// The thread-local last-error message: with QIF's vector-math choice (qif_batch.cpp), the
// library's only mutable global state.
#include "common/error.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sp {
namespace {
thread_local char g_message[512];
}

sp_status fail(sp_status status, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(g_message, sizeof g_message, fmt, args);
  va_end(args);
  return status;
}

sp_status fail_prefixed(sp_status status, const char *prefix) {
  const size_t cap = sizeof g_message, add = std::strlen(prefix);
  if (add >= cap) return status;  // (never: the prefixes are short literals)
  size_t keep = std::strlen(g_message);
  if (keep > cap - 1 - add) keep = cap - 1 - add;
  std::memmove(g_message + add, g_message, keep);
  std::memcpy(g_message, prefix, add);
  g_message[add + keep] = '\0';
  return status;
}

int exact_digits(double x) {
  if (!std::isfinite(x)) return 6;
  char text[40];
  for (int digits = 1; digits < 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, x);
    if (std::strtod(text, nullptr) == x) return digits;
  }
  return 17;
}

void clear_error() { g_message[0] = '\0'; }
const char *last_error() { return g_message; }

}  // namespace sp
