// Internal error reporting: a status plus a thread-local message for sp_last_error().
#pragma once
#include "sparseprop/sparseprop.h"

namespace sp {

// Records `fmt` (printf-style) as this thread's last error and returns `status`.
sp_status fail(sp_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
// Clears the last error (a call succeeded).
void clear_error();
const char *last_error();

}  // namespace sp
