/* Fuzz target: sp_network_create from a description decoded from the bytes (fuzz_desc.h:
 * every model including the unsupported ones, both connectivity kinds, inputs, v0, drives,
 * t_ref, frames, extreme doubles), then a few steps and a short run.
 *
 * Invariants: sp_network_memory and sp_network_create agree (same status; on success the
 * allocator is asked for exactly the measured bytes); a refusal leaves *out NULL with a
 * message and nothing allocated; a created network runs with finite, non-decreasing spike
 * times, finite voltages (QIF's reset voltage is finite too), saves, and continues
 * bit-identically after save -> load; destroy frees everything. */
#include "fuzz_desc.h"

static double drive_of(const fuzz_desc *f, uint32_t i) {
  return f->d.drives ? f->d.drives[i] : f->d.drive;
}

/* |dV/dphi| = |G(v)| (phi in units of tau) for the phase models, 0 for LIF: a voltage read
   back from a phase is exact up to G(v) times the phase's rounding, large near an EIF or
   custom blow-up (G(3) = 5e7 for EIF's defaults). */
static double phase_rate(const fuzz_desc *f, uint32_t i, double v) {
  const sp_model_params *p = f->d.model_params;
  double drive = drive_of(f, i);
  uint64_t calls = 0;
  switch (f->d.model) {
    case SP_MODEL_QIF: return fabs(v * v + drive);
    case SP_MODEL_EIF: {
      double d_t = p ? p->delta_t : 0.1, v_t = p ? p->v_t : 1.0;
      return fabs(-v + d_t * exp((v - v_t) / d_t) + drive);
    }
    case SP_MODEL_CUSTOM: return p && p->f ? fabs(p->f(v, &calls) + drive) : 0.0;
    default: return 0.0;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes b = {data, size, 0};
  static fuzz_desc f;
  fuzz_alloc counts;
  sp_allocator a;
  sp_network *net = (sp_network *)&counts; /* must be set to NULL by a failed create */
  size_t measured = 0;
  sp_status sm, sc;
  fz_decode_desc(&b, &f, FZ_MAX_N);
  fz_trace_desc(&f.d);
  /* SP_FUZZ_LENIENT: a tiny tau makes the short run below a silence of 2^31 halvings, which
     overflows the LIF re-basing in src/core (issue 10, class 4). */
  if (fz_lenient() && !(f.d.tau >= 1e-3)) f.d.tau = 0.01;
  memset(&counts, 0, sizeof counts);
  counts.cap = (size_t)64 << 20;
  a.alloc = fz_alloc;
  a.free = fz_free;
  a.ctx = &counts;
  f.d.allocator = &a;

  sm = sp_network_memory(&f.d, &measured);
  fz_check_status_numeric(sm, "sp_network_memory");
  sc = sp_network_create(&f.d, &net);
  fz_check_status_numeric(sc, "sp_network_create");
  /* The header's two exceptions: the allocator's cap, and a phase table that fails its own
     check, which only creation builds. */
  FUZZ_CHECK(
      sc == sm || (sm == SP_OK && sc == SP_ERR_NOMEM && measured > counts.cap) ||
          (sm == SP_OK && sc == SP_ERR_UNSUPPORTED && strstr(sp_last_error(), "its own check")),
      "sp_network_memory says %s, sp_network_create %s", sp_status_name(sm), sp_status_name(sc));
  if (sc != SP_OK) {
    FUZZ_CHECK(net == NULL, "a failed create left *out set");
    FUZZ_CHECK(counts.outstanding == 0, "a failed create kept %zu bytes", counts.outstanding);
    FUZZ_CHECK(sc != SP_ERR_STATE && sc != SP_ERR_CAPACITY && sc != SP_ERR_IO &&
                   sc != SP_ERR_FORMAT,
               "create: %s", sp_status_name(sc));
    return 0;
  }
  FUZZ_CHECK(counts.calls == 1 && counts.requested == measured,
             "sp_network_memory = %zu, create asked for %zu bytes in %zu calls", measured,
             counts.requested, counts.calls);
  FUZZ_CHECK(sp_network_size(net) == f.d.n, "size");
  FUZZ_CHECK(sp_now(net) == 0.0, "now = %g at creation", sp_now(net));
  {
    uint32_t n = f.d.n, i;
    double v[FZ_MAX_N], last = -INFINITY, start;
    sp_spike spikes[32];
    size_t count = 0, k;
    sp_status s;
    uint32_t frame = sp_network_frame(net);
    FUZZ_CHECK(frame == SP_FRAME_PHASE || frame == SP_FRAME_TIME, "frame %u", frame);
    if (f.d.frame == SP_FRAME_PHASE || f.d.frame == SP_FRAME_TIME)
      FUZZ_CHECK(frame == f.d.frame, "frame %u, requested %u", frame, f.d.frame);
    fz_check_status(sp_voltages(net, v, n), "sp_voltages");
    for (i = 0; i < n; ++i) {
      /* (+inf: a blow-up model's neuron whose own spike is at now(), or a tabulated phase
         within rounding of the spike; header, sp_voltage.) */
      FUZZ_CHECK(isfinite(v[i]) || (v[i] == INFINITY &&
                                    (f.d.model == SP_MODEL_EIF || f.d.model == SP_MODEL_CUSTOM ||
                                     f.d.model == SP_MODEL_QIF)),
                 "voltage %u = %g at creation", i, v[i]);
      /* v0 is kept up to rounding (where the conversion to the co-moving state and back is
         well conditioned). */
      if (f.d.v0 && isfinite(v[i]) && fabs(f.d.v0[i]) < 1e3 && fabs(drive_of(&f, i)) < 1e3 &&
          fabs(drive_of(&f, i)) > 1e-3 && !(f.d.t_ref > 0))
        FUZZ_CHECK(fabs(v[i] - f.d.v0[i]) <=
                       1e-9 * (1 + fabs(drive_of(&f, i))) + 1e-13 * phase_rate(&f, i, f.d.v0[i]),
                   "voltage %u = %.17g, v0 = %.17g", i, v[i], f.d.v0[i]);
    }
    fz_check_continuation(net, 8);
    fz_steps(net, 16, &last);
    start = sp_now(net);
    s = sp_run(net, start + 0.02, spikes, 32, &count);
    fz_check_status_numeric(s, "sp_run");
    if (s == SP_OK)
      for (k = 0; k < count; ++k) fz_check_spike(&spikes[k], n, start, &last);
    fz_check_continuation(net, 8);
  }
  sp_network_destroy(net);
  FUZZ_CHECK(counts.outstanding == 0, "destroy left %zu bytes", counts.outstanding);
  return 0;
}
