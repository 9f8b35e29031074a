/* abi_util.h - helpers shared by the C ABI tests: a tolerance check for doubles, message
   checks for sp_last_error(), and an allocator that routes the library's allocations through
   cmocka's test_malloc (so leaks and overruns are reported) with a fail-after-N counter.
   Include after <cmocka.h>. Everything is static inline so unused helpers do not warn. */
#ifndef ABI_UTIL_H
#define ABI_UTIL_H

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

/* Prints a formatted failure and fails the current test (cmocka's fail_msg needs at least one
   variadic argument under -pedantic; this does not). */
static inline void abi_fail_at(const char *file, int line, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  print_error("%s\n", buf);
  _fail(file, line);
}

/* |a - b| <= rel * max(|a|, |b|) + abs_tol; NaN never passes. */
static inline int abi_close(double a, double b, double rel, double abs_tol) {
  double diff = fabs(a - b);
  double scale = fmax(fabs(a), fabs(b));
  return diff <= rel * scale + abs_tol;
}

static inline void abi_assert_close_at(double a, double b, double rel, double abs_tol,
                                       const char *ea, const char *eb, const char *file, int line) {
  if (!abi_close(a, b, rel, abs_tol))
    abi_fail_at(file, line, "%s = %.17g and %s = %.17g differ by %.3g (relative %.3g > %.3g)", ea,
                a, eb, b, fabs(a - b), fabs(a - b) / fmax(fabs(a), fabs(b)), rel);
}

#define assert_close(a, b, rel) \
  abi_assert_close_at((a), (b), (rel), 0.0, #a, #b, __FILE__, __LINE__)
#define assert_close_abs(a, b, rel, abs_tol) \
  abi_assert_close_at((a), (b), (rel), (abs_tol), #a, #b, __FILE__, __LINE__)

/* Bitwise equality of two doubles (NaN == NaN with the same payload, -0 != +0). */
static inline int abi_same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

#define assert_status(call, expected)                                                        \
  do {                                                                                       \
    sp_status abi_st_ = (call);                                                              \
    if (abi_st_ != (expected))                                                               \
      abi_fail_at(__FILE__, __LINE__, "%s returned %s, expected %s (message \"%s\")", #call, \
                  sp_status_name(abi_st_), sp_status_name(expected), sp_last_error());       \
  } while (0)

#define assert_sp_ok(call) assert_status(call, SP_OK)

static inline int abi_is_ident(int c) { return isalnum((unsigned char)c) || c == '_'; }

/* Case-insensitive search for needle in hay; with whole_word, the match must not be preceded
   or followed by an identifier character ([A-Za-z0-9_]), so "n" matches "n = 0" and
   "desc.n" but not "neuron"; "drives[3]" matches "drives[3] is NaN". */
static inline int abi_contains(const char *hay, const char *needle, int whole_word) {
  size_t hn = strlen(hay), nn = strlen(needle), i, j;
  if (nn == 0) return 1;
  for (i = 0; i + nn <= hn; i++) {
    for (j = 0; j < nn; j++)
      if (tolower((unsigned char)hay[i + j]) != tolower((unsigned char)needle[j])) break;
    if (j < nn) continue;
    if (!whole_word) return 1;
    if (abi_is_ident(needle[0]) && i > 0 && abi_is_ident(hay[i - 1])) continue;
    if (abi_is_ident(needle[nn - 1]) && i + nn < hn && abi_is_ident(hay[i + nn])) continue;
    return 1;
  }
  return 0;
}

/* alternatives is "a|b|c": true when any alternative is contained (see abi_contains). */
static inline int abi_contains_any(const char *hay, const char *alternatives, int whole_word) {
  char buf[256];
  const char *p = alternatives;
  while (*p) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    if (abi_contains(hay, buf, whole_word)) return 1;
    if (!bar) break;
    p = bar + 1;
  }
  return 0;
}

/* The last error message copied out (the library's pointer is valid only until its next
   call). */
typedef struct abi_msg {
  char text[1024];
} abi_msg;

static inline abi_msg abi_last_error(void) {
  abi_msg m;
  const char *e = sp_last_error();
  if (e == NULL) {
    strcpy(m.text, "<sp_last_error() returned NULL>");
    return m;
  }
  strncpy(m.text, e, sizeof m.text - 1);
  m.text[sizeof m.text - 1] = '\0';
  return m;
}

/* Checks that a failure message is non-empty, names `word` (whole word, '|' for
   alternatives), contains `sub` (substring) and `value` (substring); NULL skips a check.
   `what` names the case in the failure output. */
static inline void abi_check_message_at(const char *file, int line, const char *what,
                                        const abi_msg *m, const char *word, const char *sub,
                                        const char *value) {
  /* ABI_SHOW_MESSAGES=1 lists every checked message on stderr (outside the TAP stream). */
  if (getenv("ABI_SHOW_MESSAGES")) fprintf(stderr, "%-40s %s\n", what, m->text);
  if (m->text[0] == '\0')
    abi_fail_at(file, line, "%s: sp_last_error() is empty after a failure", what);
  if (word && !abi_contains_any(m->text, word, 1))
    abi_fail_at(file, line, "%s: message \"%s\" does not name the field \"%s\"", what, m->text,
                word);
  if (sub && !abi_contains_any(m->text, sub, 0))
    abi_fail_at(file, line, "%s: message \"%s\" does not mention \"%s\"", what, m->text, sub);
  if (value && !abi_contains_any(m->text, value, 0))
    abi_fail_at(file, line, "%s: message \"%s\" does not give the value \"%s\"", what, m->text,
                value);
}

#define abi_check_message(what, m, word, sub, value) \
  abi_check_message_at(__FILE__, __LINE__, (what), (m), (word), (sub), (value))

/* ---------------------------------------------------------------------------------------- */
/* A test allocator: every block comes from test_malloc (cmocka reports leaks and overruns),
   alignment and the sized free are checked against the sp_allocator contract, and
   fail_after >= 0 makes the (fail_after+1)-th call fail. */

typedef struct abi_alloc_state {
  size_t calls;     /* alloc calls so far (successful or not) */
  size_t requested; /* sum of sizes passed to successful allocs */
  size_t live;      /* blocks allocated and not yet freed */
  long fail_after;  /* -1: never fail */
} abi_alloc_state;

typedef struct abi_block_header {
  void *raw;
  size_t size;
} abi_block_header;

static inline void *abi_alloc(void *ctx, size_t size, size_t align) {
  abi_alloc_state *st = (abi_alloc_state *)ctx;
  unsigned char *raw;
  uintptr_t p;
  size_t a = align;
  if (align == 0 || (align & (align - 1)) != 0 || align > 64)
    abi_fail_at(__FILE__, __LINE__,
                "allocator called with alignment %lu (must be a power of "
                "two <= 64)",
                (unsigned long)align);
  if (st->fail_after >= 0 && st->calls >= (size_t)st->fail_after) {
    st->calls++;
    return NULL;
  }
  st->calls++;
  if (a < sizeof(abi_block_header)) a = sizeof(abi_block_header);
  raw = (unsigned char *)test_malloc(size + a + sizeof(abi_block_header));
  if (raw == NULL) return NULL;
  p = ((uintptr_t)(raw + sizeof(abi_block_header)) + (a - 1)) & ~(uintptr_t)(a - 1);
  {
    abi_block_header h;
    h.raw = raw;
    h.size = size;
    memcpy((unsigned char *)p - sizeof h, &h, sizeof h);
  }
  st->requested += size;
  st->live++;
  return (void *)p;
}

static inline void abi_free(void *ctx, void *ptr, size_t size) {
  abi_alloc_state *st = (abi_alloc_state *)ctx;
  abi_block_header h;
  if (ptr == NULL) return;
  memcpy(&h, (unsigned char *)ptr - sizeof h, sizeof h);
  if (h.size != size)
    abi_fail_at(__FILE__, __LINE__, "free called with size %lu for a block of %lu bytes",
                (unsigned long)size, (unsigned long)h.size);
  st->live--;
  test_free(h.raw);
}

static inline sp_allocator abi_allocator(abi_alloc_state *st) {
  sp_allocator a;
  st->calls = 0;
  st->requested = 0;
  st->live = 0;
  st->fail_after = -1;
  a.alloc = abi_alloc;
  a.free = abi_free;
  a.ctx = st;
  return a;
}

#endif /* ABI_UTIL_H */
