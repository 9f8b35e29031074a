/* What the fuzz targets share: reading typed values from the fuzzer's bytes, decoding a
 * network description, a counting (and capped) allocator, and the invariants every call must
 * keep. Public API only; C99. An invariant that fails prints why and aborts, which libFuzzer
 * (and the replay driver) report as a crash. */
#ifndef SP_FUZZ_COMMON_H
#define SP_FUZZ_COMMON_H

#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200112L
#  undef _POSIX_C_SOURCE
#  define _POSIX_C_SOURCE 200112L /* posix_memalign */
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparseprop/sparseprop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                               \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                                         \
      fprintf(stderr, "\n  last error: %s\n", sp_last_error());                             \
      abort();                                                                              \
    }                                                                                       \
  } while (0)

/* ---- bytes -> values ---------------------------------------------------------------- */

typedef struct fuzz_bytes {
  const uint8_t *p;
  size_t n, pos;
} fuzz_bytes;

static uint8_t fz_u8(fuzz_bytes *b) { return b->pos < b->n ? b->p[b->pos++] : 0; }
static int fz_more(const fuzz_bytes *b) { return b->pos < b->n; }
static uint32_t fz_u32(fuzz_bytes *b) {
  uint32_t v = 0;
  int i;
  for (i = 0; i < 4; ++i) v |= (uint32_t)fz_u8(b) << (8 * i);
  return v;
}
static uint64_t fz_u64(fuzz_bytes *b) {
  uint64_t v = fz_u32(b);
  return v | (uint64_t)fz_u32(b) << 32;
}

/* Values that matter at the edges of the models: thresholds, signs, non-finite values,
 * overflow and underflow. */
static const double fz_special[24] = {0.0,
                                      -0.0,
                                      1.0,
                                      -1.0,
                                      0.5,
                                      1.1,
                                      2.0,
                                      0.01,
                                      NAN,
                                      INFINITY,
                                      -INFINITY,
                                      1e308,
                                      -1e308,
                                      4.9406564584124654e-324,
                                      2.2250738585072014e-308,
                                      1e-300,
                                      1e16,
                                      1.0000000000000002,
                                      0.99999999999999989,
                                      1e-9,
                                      700.0,
                                      1e15,
                                      -0.3,
                                      3.0};

/* A double: 0-47 a special value, 48-191 a small "ordinary" one, else 8 raw bytes. */
static double fz_double(fuzz_bytes *b) {
  uint8_t c = fz_u8(b);
  if (c < 48) return fz_special[c % 24];
  if (c < 192) return ((int)fz_u8(b) - 128) / 64.0 + (c - 48) / 1024.0;
  {
    uint64_t bits = fz_u64(b);
    double v;
    memcpy(&v, &bits, 8);
    return v;
  }
}

/* ---- allocator ---------------------------------------------------------------------- */

/* Counts what is asked for, refuses beyond a cap (so that a huge request is an SP_ERR_NOMEM
 * rather than the fuzzer's out-of-memory), and can fail the k-th request. */
typedef struct fuzz_alloc {
  size_t requested;   /* bytes asked for so far */
  size_t outstanding; /* bytes not yet freed */
  size_t calls;
  size_t fail_at; /* 1-based call number that fails; 0: none */
  size_t cap;
} fuzz_alloc;

static void *fz_alloc(void *ctx, size_t size, size_t align) {
  fuzz_alloc *a = (fuzz_alloc *)ctx;
  void *p;
  FUZZ_CHECK(align && (align & (align - 1)) == 0 && align <= 64, "align = %zu", align);
  a->calls++;
  if (a->fail_at && a->calls == a->fail_at) return NULL;
  if (size > a->cap || a->outstanding + size > a->cap) return NULL;
  a->requested += size;
  if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1))
    p = NULL;
  if (p) a->outstanding += size;
  return p;
}
static void fz_free(void *ctx, void *p, size_t size) {
  fuzz_alloc *a = (fuzz_alloc *)ctx;
  FUZZ_CHECK(p != NULL, "free(NULL, %zu)", size);
  FUZZ_CHECK(a->outstanding >= size, "freeing %zu bytes, %zu outstanding", size, a->outstanding);
  a->outstanding -= size;
  free(p);
}

/* ---- invariants --------------------------------------------------------------------- */

/* Known defects outside the loader, left to their owners: with SP_FUZZ_LENIENT=1 in the
 * environment, the checks that would report them again are relaxed (each use says which),
 * so that a fuzzing run can look past them. Off by default: the harnesses are strict. */
static int fz_lenient(void) {
  static int v = -1;
  if (v < 0) {
    const char *e = getenv("SP_FUZZ_LENIENT");
    v = e && e[0] == '1';
  }
  return v;
}

/* SP_FUZZ_LENIENT: whether a refused load names a non-finite value (a network that ran into
 * non-finite states, or a NaN next spike time after sp_set_drive with a huge drive, saves
 * bytes that do not load: issue 10, classes 2 and 3, src/core). */
static int fz_lenient_nonfinite(void) {
  const char *m = sp_last_error();
  return fz_lenient() && (strstr(m, "= inf") || strstr(m, "= -inf") || strstr(m, "= nan") ||
                          strstr(m, "= -nan") || strstr(m, "is NaN"));
}

/* A valid status; a message exactly when the call failed; SP_ERR_NUMERIC only from a call whose
 * header block lists it (numeric_documented): sp_step, sp_run, sp_run_until, sp_set_drive,
 * sp_set_params, sp_backward, sp_grads_accumulate, sp_network_memory, sp_network_create. */
static void fz_check_status_n(sp_status s, const char *call, int numeric_documented) {
  FUZZ_CHECK(s != SP_ERR_NUMERIC || numeric_documented,
             "%s returned SP_ERR_NUMERIC, which its header block does not list", call);
  FUZZ_CHECK((int)s >= SP_OK && (int)s <= SP_ERR_NUMERIC, "%s returned %d", call, (int)s);
  FUZZ_CHECK(strcmp(sp_status_name(s), "SP_UNKNOWN_STATUS") != 0, "%s", call);
  if (s != SP_OK)
    FUZZ_CHECK(sp_last_error()[0] != '\0', "%s failed with %s and no message", call,
               sp_status_name(s));
  else
    FUZZ_CHECK(sp_last_error()[0] == '\0', "%s succeeded but left the message '%s'", call,
               sp_last_error());
}
/* The same for a call whose header block does not list SP_ERR_NUMERIC. */
static void fz_check_status(sp_status s, const char *call) { fz_check_status_n(s, call, 0); }
/* The same for a call whose header block lists SP_ERR_NUMERIC. */
static void fz_check_status_numeric(sp_status s, const char *call) {
  fz_check_status_n(s, call, 1);
}

/* The version functions agree with the header's macros ("Compare with SP_VERSION_NUMBER to
 * detect a header/library mismatch"), and, returning no sp_status, leave sp_last_error() as it
 * is ("the other functions leave it as it is"). */
static void fz_check_version(void) {
  char want[64], msg[256];
  const char *v;
  sp_network *out = NULL;
  FUZZ_CHECK(SP_VERSION_NUMBER ==
                 SP_VERSION_MAJOR * 10000 + SP_VERSION_MINOR * 100 + SP_VERSION_PATCH,
             "SP_VERSION_NUMBER %d", SP_VERSION_NUMBER);
  snprintf(want, sizeof want, "%d.%d.%d", SP_VERSION_MAJOR, SP_VERSION_MINOR, SP_VERSION_PATCH);
  FUZZ_CHECK(strcmp(want, SP_VERSION_STRING) == 0, "SP_VERSION_STRING '%s', macros say '%s'",
             SP_VERSION_STRING, want);
  /* A failure first, so that a message is there to be kept. */
  FUZZ_CHECK(sp_load(NULL, 0, NULL, &out) == SP_ERR_ARGUMENT && out == NULL, "sp_load(NULL)");
  snprintf(msg, sizeof msg, "%s", sp_last_error());
  FUZZ_CHECK(msg[0] != '\0', "sp_load(NULL) left no message");
  FUZZ_CHECK(sp_version_number() == (uint32_t)SP_VERSION_NUMBER,
             "sp_version_number() = %u, SP_VERSION_NUMBER = %d", sp_version_number(),
             SP_VERSION_NUMBER);
  v = sp_version_string();
  FUZZ_CHECK(v != NULL && strcmp(v, SP_VERSION_STRING) == 0,
             "sp_version_string() = '%s', SP_VERSION_STRING = '%s'", v ? v : "(null)",
             SP_VERSION_STRING);
  FUZZ_CHECK(strcmp(sp_last_error(), msg) == 0,
             "the version functions changed the message from '%s' to '%s'", msg, sp_last_error());
}

/* sp_save into a fresh malloc'd buffer (NULL if saving failed, which must not happen). */
static unsigned char *fz_save(const sp_network *net, size_t *len) {
  unsigned char *buf;
  size_t need = 0, got = 0;
  sp_status s = sp_save(net, NULL, 0, &need);
  fz_check_status(s, "sp_save(NULL)");
  FUZZ_CHECK(s == SP_OK && need > 32, "sp_save size %zu", need);
  buf = (unsigned char *)malloc(need);
  FUZZ_CHECK(buf != NULL, "malloc %zu", need);
  if (need > 1) {
    s = sp_save(net, buf, need - 1, &got);
    FUZZ_CHECK(s == SP_ERR_CAPACITY, "sp_save with cap one short: %s", sp_status_name(s));
  }
  s = sp_save(net, buf, need, &got);
  fz_check_status(s, "sp_save");
  FUZZ_CHECK(s == SP_OK && got == need, "sp_save wrote %zu of %zu", got, need);
  *len = need;
  return buf;
}

/* Spike times: finite, not before the previous spike or the time the call started, in the
 * network. *last is the previous spike's time (-inf: none). */
static void fz_check_spike(const sp_spike *sp, uint32_t n, double start, double *last) {
  FUZZ_CHECK(isfinite(sp->t), "spike time %g of neuron %u", sp->t, sp->neuron);
  FUZZ_CHECK(sp->neuron < n, "spike of neuron %u, n = %u", sp->neuron, n);
  FUZZ_CHECK(sp->t >= start, "spike at %.17g before the call's start %.17g", sp->t, start);
  FUZZ_CHECK(sp->t >= *last, "spike at %.17g after one at %.17g", sp->t, *last);
  FUZZ_CHECK((sp->flags & ~(uint32_t)(SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED)) == 0 &&
                 (sp->flags == 0 || (sp->flags & SP_SPIKE_TRIGGERED)),
             "flags = %u", sp->flags);
  *last = sp->t;
}

/* One spike: sp_step, or with SP_FUZZ_LENIENT a run capped at one spike and one second (the
 * LIF re-basing in src/core overflows an int on an event far after t0, such as an input
 * queued far ahead: issue 10, class 4). */
static sp_status fz_step1(sp_network *net, sp_spike *sp) {
  size_t count = 0;
  sp_status s;
  if (!fz_lenient()) return sp_step(net, sp);
  s = sp_run(net, sp_now(net) + 1.0, sp, 1, &count);
  if (s == SP_OK && count == 0) return SP_ERR_STATE;
  return s;
}

/* Steps a network up to `steps` times checking every spike; returns how many spikes came. */
static size_t fz_steps(sp_network *net, int steps, double *last) {
  int k;
  size_t spikes = 0;
  uint32_t n = sp_network_size(net);
  for (k = 0; k < steps; ++k) {
    sp_spike sp;
    double start = sp_now(net);
    sp_status s = fz_step1(net, &sp);
    if (s != SP_ERR_STATE || !fz_lenient()) fz_check_status_numeric(s, "sp_step");
    if (s != SP_OK) break;
    fz_check_spike(&sp, n, start, last);
    FUZZ_CHECK(sp_now(net) == sp.t || fz_lenient(), "now %.17g after a spike at %.17g", sp_now(net),
               sp.t);
    ++spikes;
  }
  return spikes;
}

/* Steps two networks that must be the same `steps` times: the spikes must be bit-identical (and
 * so must the voltages before and after). */
static void fz_check_same_course(sp_network *a, sp_network *b, int steps, const char *what) {
  uint32_t n = sp_network_size(a), i;
  double *va, *vb;
  int k;
  FUZZ_CHECK(sp_now(a) == sp_now(b) && sp_network_frame(a) == sp_network_frame(b) &&
                 sp_network_size(b) == n,
             "%s differs", what);
  va = (double *)malloc(sizeof(double) * n);
  vb = (double *)malloc(sizeof(double) * n);
  FUZZ_CHECK(va && vb, "malloc");
  for (k = 0; k <= steps; ++k) {
    sp_spike sa, sb;
    sp_status xa, xb;
    fz_check_status(sp_voltages(a, va, n), "sp_voltages");
    fz_check_status(sp_voltages(b, vb, n), "sp_voltages");
    for (i = 0; i < n; ++i)
      FUZZ_CHECK(memcmp(&va[i], &vb[i], 8) == 0 || (isnan(va[i]) && isnan(vb[i])),
                 "step %d: voltage %u: %.17g original, %.17g %s", k, i, va[i], vb[i], what);
    if (k == steps) break;
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    xa = fz_step1(a, &sa);
    xb = fz_step1(b, &sb);
    if (xb != SP_ERR_STATE || !fz_lenient()) fz_check_status_numeric(xb, "sp_step");
    FUZZ_CHECK(xa == xb, "step %d: %s original, %s %s", k, sp_status_name(xa), sp_status_name(xb),
               what);
    if (xa != SP_OK) break;
    FUZZ_CHECK(memcmp(&sa, &sb, sizeof sa) == 0 && sp_now(a) == sp_now(b),
               "step %d: neuron %u at %.17g original, %u at %.17g %s", k, sa.neuron, sa.t,
               sb.neuron, sb.t, what);
  }
  free(va);
  free(vb);
}

/* Saves a network, loads the bytes and steps both `steps` times: the spikes must be
 * bit-identical (and so must the voltages before and after), and the copy's own save must
 * load. The original keeps running from where it was (it is stepped too). */
static void fz_check_continuation(sp_network *a, int steps) {
  size_t len = 0, len2 = 0;
  unsigned char *buf = fz_save(a, &len), *buf2;
  sp_network *b = NULL;
  sp_status s = sp_load(buf, len, NULL, &b);
  if (s != SP_OK && getenv("SP_FUZZ_DUMP")) {
    /* For debugging: the bytes that did not load. */
    FILE *f = fopen(getenv("SP_FUZZ_DUMP"), "wb");
    if (f) {
      fwrite(buf, 1, len, f);
      fclose(f);
    }
  }
  fz_check_status(s, "sp_load of sp_save's bytes");
  if (s != SP_OK && fz_lenient_nonfinite()) {
    free(buf);
    return;
  }
  FUZZ_CHECK(s == SP_OK, "a saved network does not load: %s", sp_last_error());
  /* The copy saves to the same bytes. */
  buf2 = fz_save(b, &len2);
  FUZZ_CHECK(len == len2 && memcmp(buf, buf2, len) == 0, "save(load(x)) != x");
  free(buf2);
  fz_check_same_course(a, b, steps, "loaded");
  free(buf);
  sp_network_destroy(b);
}

#endif
