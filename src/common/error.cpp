// The thread-local last-error message: the library's only mutable global state.
#include "common/error.hpp"

#include <cstdarg>
#include <cstdio>

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

void clear_error() { g_message[0] = '\0'; }
const char *last_error() { return g_message; }

}  // namespace sp
