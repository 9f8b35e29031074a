/* Fuzz target: sp_load on arbitrary bytes.
 *
 * Input: one flag byte, then the bytes to load. The checksum rejects almost every mutation
 * before the loader's semantic checks run, so with flag bit 0 the harness first repairs the
 * header's payload length and the checksum (src/io/FORMAT.md), and with bit 1 it also writes
 * the magic and version 1, or 2 with bit 2: the validation behind the checksum is what gets
 * fuzzed. The seed corpus holds real saved networks of both versions (*-v1: version 1). Bits 4-7
 * (if non-zero) make that allocation (1-15) fail, to exercise the out-of-memory paths.
 *
 * A load must either fail cleanly (a valid status, a message, nothing allocated left over,
 * no network) or give a network that keeps every invariant a created one does: it runs
 * (spike times finite and non-decreasing), saves, and its saved bytes load and continue
 * bit-identically. */
#include "fuzz_common.h"
#include "../io/format_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_alloc counts;
  sp_allocator a;
  sp_network *net = NULL;
  unsigned char *buf;
  size_t len;
  uint8_t flags;
  sp_status s;
  if (size < 1) return 0;
  flags = data[0];
  len = size - 1;
  /* An exact-size copy, so that any read past the end is caught by AddressSanitizer. */
  buf = (unsigned char *)malloc(len ? len : 1);
  if (!buf) return 0;
  if (len) memcpy(buf, data + 1, len);
  if ((flags & 2) && len >= 16) {
    static const unsigned char magic[8] = {'S', 'P', 'N', 'E', 'T', 'W', 'K', 0x1a};
    memcpy(buf, magic, 8);
    fmt_put_le(buf + 8, (flags & 4) ? 2 : 1, 4);
    fmt_put_le(buf + 12, 0, 4);
  }
  if ((flags & 1) && len >= 32) {
    fmt_put_le(buf + 16, (uint64_t)(len - 32), 8);
    fmt_reseal(buf, len);
  }
  memset(&counts, 0, sizeof counts);
  counts.cap = (size_t)64 << 20;
  counts.fail_at = flags >> 4;
  a.alloc = fz_alloc;
  a.free = fz_free;
  a.ctx = &counts;

  fz_check_version();
  s = sp_load(buf, len, &a, &net);
  fz_check_status(s, "sp_load");
  if (s != SP_OK) {
    FUZZ_CHECK(net == NULL, "failed load returned a network");
    FUZZ_CHECK(counts.outstanding == 0, "failed load leaked %zu bytes", counts.outstanding);
    FUZZ_CHECK(s == SP_ERR_FORMAT || s == SP_ERR_NOMEM, "sp_load: %s", sp_status_name(s));
    free(buf);
    return 0;
  }
  FUZZ_CHECK(net != NULL, "sp_load OK without a network");
  if (fz_lenient()) {
    /* SP_FUZZ_LENIENT: the LIF re-basing in src/core overflows an int on an event far
       (2^31 halvings) after t0 (issue 10, class 4): do not run networks that may get there
       (tau is the f64 at file offset 32; t0 >= 0, so now - t0 <= now). */
    double tau;
    uint64_t bits = 0;
    int k;
    for (k = 7; k >= 0; --k) bits = bits << 8 | buf[32 + k];
    memcpy(&tau, &bits, 8);
    if (!(tau >= 1e-3) || !(sp_now(net) / tau < 1e6)) {
      sp_network_destroy(net);
      free(buf);
      return 0;
    }
  }
  {
    double last = -INFINITY;
    uint32_t n = sp_network_size(net), i;
    double *v = (double *)malloc(sizeof(double) * n);
    size_t count = 0, k;
    sp_spike spikes[32];
    double start;
    uint32_t frame = sp_network_frame(net);
    FUZZ_CHECK(frame == SP_FRAME_PHASE || frame == SP_FRAME_TIME, "frame %u", frame);
    FUZZ_CHECK(isfinite(sp_now(net)), "now = %g", sp_now(net));
    FUZZ_CHECK(v != NULL, "malloc");
    s = sp_voltages(net, v, n);
    fz_check_status(s, "sp_voltages");
    for (i = 0; i < n; ++i) FUZZ_CHECK(!isnan(v[i]), "loaded voltage %u is NaN", i);
    free(v);
    fz_check_continuation(net, 24);
    fz_steps(net, 16, &last);
    /* A short run (capped, so that a network spiking at a huge rate returns). */
    start = sp_now(net);
    s = sp_run(net, start + 0.01, spikes, 32, &count);
    fz_check_status_numeric(s, "sp_run");
    if (s == SP_OK)
      for (k = 0; k < count; ++k) fz_check_spike(&spikes[k], n, start, &last);
    fz_check_continuation(net, 8);
  }
  sp_network_destroy(net);
  FUZZ_CHECK(counts.outstanding == 0, "destroy left %zu bytes", counts.outstanding);
  free(buf);
  return 0;
}
