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
// The fewest significant digits (at most 17) with which "%.*g" prints x so that it reads back
// as x: a value refused near its bound is told apart from the bound in the message (the double
// just below 1e-100 is not "1e-100"), and other values stay short ("1e+200").
int exact_digits(double x);
// Puts `prefix` before this thread's last error (cut at the end to fit) and returns `status`:
// a refusal seen from a caller with more context, without a copy of the message on the stack.
sp_status fail_prefixed(sp_status status, const char *prefix);
// Clears the last error (a call succeeded).
void clear_error();
const char *last_error();

}  // namespace sp
