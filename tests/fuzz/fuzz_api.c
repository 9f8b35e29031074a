/* Fuzz target: random sequences of API calls on a small network (a description decoded as in
 * fuzz_create, n <= 12), then one operation per byte group: step, run, input, set_drive,
 * set_params, get_params, record, backward, get_grads, zero_grads, rewind, save/load,
 * voltages; an operation byte from 224 on selects sp_run_until or sp_input_many (below 224
 * the byte mod 16 selects as before, so that older reproducers keep their meaning), and 143,
 * 159, 175 (continuation codes no older reproducer used) a replica: creating or destroying
 * it (sp_network_replica; a new one continues as a rewound loaded copy of its parent), a
 * training sample on it (rewind, sp_input_many, record, sp_run_until, backward), and
 * sp_grads_accumulate (exact sums on success, nothing changed on failure, refused for a
 * network with itself or one sharing no parameters). The replica operations never change the
 * parent's saved bytes, and a replica's saved bytes load. The description may have
 * current-based synapses (tau_syn) and model_params (fuzz_desc.h).
 *
 * After every call: a valid status; a message exactly on failure; a failed call leaves the
 * saved bytes (sp_save) unchanged, except in the cases the header documents (sp_step that
 * applied queued inputs without a spike, or whose inhibitory inputs delayed its spike past
 * inputs the tape cannot hold; sp_run and sp_run_until stopped after some events); spike times finite and non-decreasing (a rewind starts again); whatever sp_save
 * writes loads. Every few calls (when not recording, as a recording is not saved): save ->
 * load -> bit-identical continuation. */
#include "fuzz_desc.h"

#define MAX_OPS 48

typedef struct api_state {
  sp_network *net;
  sp_network *rep; /* a replica of net (sp_network_replica), or NULL; destroyed before net */
  uint32_t n, n_inputs;
  double tau; /* the description's (bounds the calls that count spikes without a buffer) */
  int recording;
  size_t recorded; /* spikes since sp_record */
  double last;     /* last spike time since the last rewind/load */
} api_state;

static const char *op_names[] = {"sp_step",       "sp_run",         "sp_input",
                                 "sp_set_drive",  "sp_set_params",  "sp_get_params",
                                 "sp_record",     "sp_backward",    "sp_get_grads",
                                 "sp_zero_grads", "sp_rewind",      "save/load swap",
                                 "sp_voltages",   "sp_voltage",     "sp_param_count",
                                 "continuation",  "sp_run_until",   "sp_input_many",
                                 "replica",       "replica sample", "sp_grads_accumulate"};

/* The gradients of every kind, concatenated (at most FZ_MAX_SYN + ... values). */
#define FZ_MAX_GRADS (2 * FZ_MAX_SYN + 2 * FZ_MAX_N)
static size_t all_grads(const sp_network *net, double *g) {
  size_t total = 0, len;
  sp_param p;
  for (p = SP_PARAM_WEIGHTS; p <= SP_PARAM_V0; p = (sp_param)(p + 1)) {
    FUZZ_CHECK(sp_param_count(net, p, &len) == SP_OK && total + len <= FZ_MAX_GRADS, "counts");
    fz_check_status(sp_get_grads(net, p, g + total, len), "sp_get_grads");
    total += len;
  }
  return total;
}

/* A replica starts as sp_rewind leaves its parent: it continues bit-identically with a loaded,
 * rewound copy of the parent (which shares no memory with it). */
static void check_replica_start(sp_network *parent, sp_network *rep) {
  size_t len = 0;
  unsigned char *buf = fz_save(parent, &len);
  sp_network *copy = NULL;
  sp_status s = sp_load(buf, len, NULL, &copy);
  int k;
  free(buf);
  FUZZ_CHECK(s == SP_OK, "a saved network does not load: %s", sp_last_error());
  FUZZ_CHECK(sp_rewind(copy) == SP_OK, "rewind of a loaded copy: %s", sp_last_error());
  FUZZ_CHECK(sp_now(rep) == 0.0 && sp_network_size(rep) == sp_network_size(parent) &&
                 sp_network_frame(rep) == sp_network_frame(copy),
             "a new replica: now %g, frame %u (the rewound copy's %u)", sp_now(rep),
             sp_network_frame(rep), sp_network_frame(copy));
  for (k = 0; k < 8; ++k) {
    sp_spike a, b;
    sp_status xa, xb;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    xa = sp_step(rep, &a);
    xb = sp_step(copy, &b);
    FUZZ_CHECK(xa == xb, "step %d: %s replica, %s rewound copy", k, sp_status_name(xa),
               sp_status_name(xb));
    if (xa != SP_OK) break;
    FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0,
               "step %d: neuron %u at %.17g replica, %u at %.17g copy", k, a.neuron, a.t, b.neuron,
               b.t);
  }
  sp_network_destroy(copy);
  FUZZ_CHECK(sp_rewind(rep) == SP_OK, "rewind of a replica: %s", sp_last_error());
}

static double dt_of(fuzz_bytes *b) {
  double dt = fz_double(b);
  /* SP_FUZZ_LENIENT: times far ahead overflow the re-basing in src/core (issue 10, class 4). */
  if (fz_lenient() && !(fabs(dt) <= 1e3)) dt = 1e-3;
  return dt;
}

static sp_param param_of(fuzz_bytes *b) {
  uint8_t p = fz_u8(b);
  return (sp_param)(p < 250 ? p % 6 : p); /* 0, 5 and 250+ are invalid */
}

/* Runs one operation; returns its status. */
static sp_status one_op(api_state *st, uint8_t op, fuzz_bytes *b, int *documented_change) {
  sp_status s = SP_OK;
  sp_network *net = st->net;
  double start = sp_now(net);
  *documented_change = 0;
  switch (op) {
    case 0: {
      sp_spike sp;
      size_t queued_before = 0;
      (void)queued_before;
      s = sp_step(net, &sp);
      if (s == SP_OK) {
        fz_check_spike(&sp, st->n, start, &st->last);
        if (st->recording) st->recorded++;
      }
      /* Documented: queued inputs applied without a spike. */
      if (s == SP_ERR_STATE) *documented_change = 1;
      /* Documented: inhibitory inputs that delayed the spike past further inputs the tape
         cannot hold leave those before them applied. The step checked room for its spike and
         the inputs due before it first (that refusal, "... would not fit", changes nothing), so
         the only refusal after a change is the tape's own for an event beyond those: "the tape
         is full: N events recorded". (One for a spike, "N spikes recorded", is a defect: the
         step did not reserve its spike.) */
      if (s == SP_ERR_CAPACITY) {
        const char *m = sp_last_error();
        unsigned long long events;
        char rest;
        if (sscanf(m, "the tape is full: %llu events recorded%c", &events, &rest) == 1)
          *documented_change = 1;
      }
      break;
    }
    case 1: {
      sp_spike buf[16];
      size_t cap = 1 + fz_u8(b) % 16, count = 99, k;
      double t_end = start + dt_of(b);
      s = sp_run(net, t_end, buf, cap, &count);
      if (s == SP_OK || s == SP_ERR_CAPACITY) {
        FUZZ_CHECK(count <= cap, "count %zu > cap %zu", count, cap);
        for (k = 0; k < count; ++k) fz_check_spike(&buf[k], st->n, start, &st->last);
        if (st->recording) st->recorded += count;
        if (s == SP_OK && count < cap)
          FUZZ_CHECK(sp_now(net) == t_end, "run returned at %.17g before t_end %.17g", sp_now(net),
                     t_end);
      } else {
        FUZZ_CHECK(count == 99 || count == 0, "failed run wrote count %zu", count);
      }
      /* The header's exception: a run stopped by a full tape keeps the events it processed
         (spikes, counted, or inputs applied before an inhibited spike, not counted). */
      if (s == SP_ERR_CAPACITY && (count > 0 || st->recording || fz_lenient()))
        *documented_change = 1;
      break;
    }
    case 2: {
      /* The channel's byte first, then the time's: two reads in one call's arguments would be
         made in an unspecified order (clang left to right, gcc right to left), and an input
         would mean different calls in different builds. */
      uint32_t channel = fz_u8(b) % (st->n_inputs + 1);
      s = sp_input(net, channel, start + dt_of(b));
      break;
    }
    case 3: {
      uint32_t i = fz_u8(b) % (st->n + 1);
      double drive = fz_double(b);
      s = sp_set_drive(net, i, drive);
      if (getenv("SP_FUZZ_TRACE")) fprintf(stderr, "trace: drive[%u] = %.17g\n", i, drive);
      break;
    }
    case 4: {
      double v[FZ_MAX_SYN + 8];
      size_t len = 0, k;
      sp_param p = param_of(b);
      if (sp_param_count(net, p, &len) != SP_OK || len > FZ_MAX_SYN) len = fz_u8(b) % 4;
      if (fz_u8(b) == 7) len = (len + 1) % (FZ_MAX_SYN + 8); /* a wrong length */
      for (k = 0; k < len; ++k) v[k] = fz_double(b);
      s = sp_set_params(net, p, len ? v : NULL, len);
      if (getenv("SP_FUZZ_TRACE"))
        for (k = 0; k < len; ++k) fprintf(stderr, "trace: param %d[%zu] = %.17g\n", p, k, v[k]);
      break;
    }
    case 5: {
      double v[FZ_MAX_SYN + 8];
      size_t len = 0, k;
      sp_param p = param_of(b);
      if (sp_param_count(net, p, &len) != SP_OK || len > FZ_MAX_SYN) len = fz_u8(b) % 4;
      s = sp_get_params(net, p, len ? v : NULL, len);
      if (s == SP_OK)
        for (k = 0; k < len; ++k) FUZZ_CHECK(isfinite(v[k]), "param %d[%zu] = %g", p, k, v[k]);
      break;
    }
    case 6:
      s = sp_record(net, fz_u8(b) % 40);
      if (s == SP_OK) {
        st->recording = 1;
        st->recorded = 0;
      }
      break;
    case 7: {
      double dl_dt[16 * MAX_OPS + 64], dl_dv[FZ_MAX_N];
      size_t count = st->recorded, k;
      uint8_t mode = fz_u8(b);
      if (mode & 1) count = (count + 1 + fz_u8(b) % 3) % (sizeof dl_dt / sizeof dl_dt[0]);
      if (count > sizeof dl_dt / sizeof dl_dt[0]) count = 0;
      for (k = 0; k < count; ++k) dl_dt[k] = k < 8 ? fz_double(b) : 0.5;
      for (k = 0; k < st->n; ++k) dl_dv[k] = fz_double(b);
      s = sp_backward(net, count ? dl_dt : NULL, count, (mode & 2) ? dl_dv : NULL);
      if (s == SP_OK) {
        st->recording = 0;
        /* Finite seeds give finite gradients (or SP_ERR_NUMERIC). */
        int finite_seeds = 1;
        sp_param p;
        for (k = 0; k < count; ++k) finite_seeds = finite_seeds && isfinite(dl_dt[k]);
        if (mode & 2)
          for (k = 0; k < st->n; ++k) finite_seeds = finite_seeds && isfinite(dl_dv[k]);
        for (p = SP_PARAM_WEIGHTS; p <= SP_PARAM_V0; p = (sp_param)(p + 1)) {
          double g[FZ_MAX_SYN];
          size_t len = 0, j;
          if (sp_param_count(net, p, &len) != SP_OK || len > FZ_MAX_SYN) continue;
          fz_check_status(sp_get_grads(net, p, g, len), "sp_get_grads");
          if (finite_seeds)
            for (j = 0; j < len; ++j)
              FUZZ_CHECK(isfinite(g[j]), "gradient %d[%zu] = %g after SP_OK", p, j, g[j]);
        }
      }
      break;
    }
    case 8: {
      double g[FZ_MAX_SYN];
      size_t len = 0;
      sp_param p = param_of(b);
      if (sp_param_count(net, p, &len) != SP_OK || len > FZ_MAX_SYN) len = fz_u8(b) % 4;
      s = sp_get_grads(net, p, len ? g : NULL, len);
      break;
    }
    case 9: s = sp_zero_grads(net); break;
    case 10:
      s = sp_rewind(net);
      if (s == SP_OK) {
        FUZZ_CHECK(sp_now(net) == 0.0, "now = %g after rewind", sp_now(net));
        st->recording = 0;
        st->last = -INFINITY;
      }
      break;
    case 11: {
      /* Carry on with a loaded copy (the recording is not saved); a replica goes first. */
      size_t len = 0;
      unsigned char *buf = fz_save(net, &len);
      sp_network *copy = NULL;
      s = sp_load(buf, len, NULL, &copy);
      fz_check_status(s, "sp_load");
      if (s != SP_OK && fz_lenient_nonfinite()) {
        free(buf);
        *documented_change = 1;
        return s;
      }
      FUZZ_CHECK(s == SP_OK, "a saved network does not load: %s", sp_last_error());
      free(buf);
      if (st->rep) sp_network_destroy(st->rep);
      st->rep = NULL;
      sp_network_destroy(st->net);
      st->net = copy;
      st->recording = 0;
      break;
    }
    case 12: {
      double v[FZ_MAX_N + 1];
      uint32_t i;
      size_t n = fz_u8(b) == 3 ? st->n + 1 : st->n;
      s = sp_voltages(net, v, n);
      if (s == SP_OK)
        for (i = 0; i < st->n; ++i) FUZZ_CHECK(!isnan(v[i]), "voltage %u = %g", i, v[i]);
      break;
    }
    case 13: {
      double v;
      s = sp_voltage(net, fz_u8(b) % (st->n + 1), &v);
      break;
    }
    case 14: {
      size_t len;
      s = sp_param_count(net, param_of(b), &len);
      break;
    }
    case 16: {
      /* sp_run_until: up to 3 watched neurons (n itself is out of range), a buffer of 0-16. */
      sp_spike buf[16];
      uint32_t watch[3];
      size_t n_watch = 1 + fz_u8(b) % 3, cap = fz_u8(b) % 17, count = 99, k, w;
      double t_end = start + dt_of(b);
      for (w = 0; w < n_watch; ++w) watch[w] = fz_u8(b) % (st->n + 1);
      /* Counting only (cap 0), a call runs until the set completes or t_end: a watched neuron
         that never spikes and t_end 1e228 s ahead is a legitimate run of ~1e230 spikes (as
         sp_run would be; it was a libFuzzer timeout). Such a call gets at most 1e-6 tau: with
         free periods of at least 2^-30 tau (the numeric range), ~1100 spikes per neuron. */
      if (cap == 0 && !(t_end - start <= 1e-6 * st->tau)) t_end = start + 1e-6 * st->tau;
      if (getenv("SP_FUZZ_TRACE"))
        fprintf(stderr, "trace: run_until t_end %.17g, cap %zu, watching %zu (first %u)\n", t_end,
                cap, n_watch, watch[0]);
      s = sp_run_until(net, t_end, watch, n_watch, cap ? buf : NULL, cap, &count);
      if (s == SP_OK || s == SP_ERR_CAPACITY || s == SP_ERR_NUMERIC) {
        FUZZ_CHECK(cap == 0 || count <= cap, "count %zu > cap %zu", count, cap);
        for (k = 0; k < count && k < cap; ++k) fz_check_spike(&buf[k], st->n, start, &st->last);
        if (st->recording) st->recorded += count;
        FUZZ_CHECK(sp_now(net) <= t_end, "run_until went past t_end");
        if (s == SP_OK && sp_now(net) < t_end && cap && count < cap) {
          /* The set completed: every watched neuron spiked, the last spike completed it. */
          FUZZ_CHECK(count > 0 && buf[count - 1].t == sp_now(net), "stopped before t_end");
          for (w = 0; w < n_watch; ++w) {
            int seen = 0;
            for (k = 0; k < count; ++k) seen |= buf[k].neuron == watch[w];
            FUZZ_CHECK(seen, "watched neuron %u did not spike", watch[w]);
          }
        }
        /* The header: the spikes processed before a refusal or a full buffer stay processed. */
        if (s != SP_OK) *documented_change = 1;
      } else {
        FUZZ_CHECK(count == 99, "failed run_until wrote count %zu", count);
      }
      break;
    }
    case 17: {
      /* sp_input_many: 0-4 events; one mode passes NULL arrays. */
      uint32_t channels[4];
      double times[4];
      size_t n = fz_u8(b) % 5, k;
      uint8_t mode = fz_u8(b);
      for (k = 0; k < n; ++k) {
        channels[k] = fz_u8(b) % (st->n_inputs + 1);
        times[k] = start + dt_of(b);
      }
      s = sp_input_many(net, mode == 1 ? NULL : channels, mode == 2 ? NULL : times, n);
      break;
    }
    case 18: {
      /* A replica of the network (checked against a rewound copy), or destroying it. */
      if (st->rep) {
        sp_network_destroy(st->rep);
        st->rep = NULL;
        break;
      }
      s = sp_network_replica(net, &st->rep);
      if (s == SP_OK)
        check_replica_start(net, st->rep);
      else
        FUZZ_CHECK(st->rep == NULL, "a failed replica left *out set");
      break;
    }
    case 19: {
      /* A training sample on the replica: [rewind], inputs, [record], run until a watched
         neuron spikes (16 spikes at most), [backward]. Each call's status is checked; a run
         refused (argument, state) changes nothing; spikes are finite and in order. The parent
         is only read (checked by the caller). */
      sp_network *r = st->rep;
      uint8_t mode = fz_u8(b);
      uint32_t channels[3], watch;
      double times[3], seeds[16], r_start, last = -INFINITY;
      size_t n_in = fz_u8(b) % 4, k, count = 0;
      sp_spike buf[16];
      int recorded = 0;
      if (!r) break;
      if (mode & 1) {
        s = sp_rewind(r);
        fz_check_status(s, "sp_rewind (replica)");
      }
      {
        /* A replica whose parent's parameters changed since its last rewind refuses to be
           saved, as to run or report voltages, until it is rewound. */
        size_t need = 0;
        double v[FZ_MAX_N];
        s = sp_save(r, NULL, 0, &need);
        fz_check_status(s, "sp_save(NULL) (replica)");
        if (s != SP_OK) {
          FUZZ_CHECK(s == SP_ERR_STATE, "sp_save of a replica: %s", sp_status_name(s));
          s = sp_voltages(r, v, st->n);
          FUZZ_CHECK(s == SP_ERR_STATE, "a replica that cannot be saved reports voltages: %s",
                     sp_status_name(s));
          break;
        }
      }
      r_start = sp_now(r);
      for (k = 0; k < n_in; ++k) {
        channels[k] = fz_u8(b) % (st->n_inputs + 1);
        times[k] = r_start + dt_of(b);
      }
      s = sp_input_many(r, channels, times, n_in);
      fz_check_status(s, "sp_input_many (replica)");
      if (mode & 2) {
        s = sp_record(r, 1 + fz_u8(b) % 32);
        fz_check_status(s, "sp_record (replica)");
        recorded = s == SP_OK;
      }
      watch = fz_u8(b) % (st->n + 1);
      {
        double t_end = r_start + dt_of(b);
        size_t len0 = 0, len1 = 0;
        unsigned char *b0 = fz_save(r, &len0), *b1;
        s = sp_run_until(r, t_end, &watch, 1, buf, 16, &count);
        fz_check_status(s, "sp_run_until (replica)");
        b1 = fz_save(r, &len1);
        if (s == SP_ERR_ARGUMENT || s == SP_ERR_STATE)
          FUZZ_CHECK(len0 == len1 && memcmp(b0, b1, len0) == 0,
                     "sp_run_until on a replica failed with %s but changed it", sp_status_name(s));
        {
          /* A replica's saved bytes load as an ordinary network. */
          sp_network *copy = NULL;
          sp_status ls = sp_load(b1, len1, NULL, &copy);
          FUZZ_CHECK(ls == SP_OK, "a replica's saved bytes do not load: %s", sp_last_error());
          sp_network_destroy(copy);
        }
        free(b0);
        free(b1);
      }
      if (s == SP_OK || s == SP_ERR_CAPACITY || s == SP_ERR_NUMERIC)
        for (k = 0; k < count && k < 16; ++k) fz_check_spike(&buf[k], st->n, r_start, &last);
      if (recorded && (mode & 4)) {
        size_t m = count < 16 ? count : 16;
        for (k = 0; k < m; ++k) seeds[k] = 0.5;
        s = sp_backward(r, m ? seeds : NULL, m, NULL);
        fz_check_status(s, "sp_backward (replica)");
      }
      s = SP_OK; /* (each call checked above) */
      break;
    }
    case 20: {
      /* sp_grads_accumulate: parent += replica, replica += parent, a network with itself or
         with one that shares no parameters (refused). On success dst's gradients are exactly
         the sums, on failure unchanged; src's are unchanged. */
      static double d0[FZ_MAX_GRADS], s0[FZ_MAX_GRADS], d1[FZ_MAX_GRADS], s1[FZ_MAX_GRADS];
      uint8_t mode = fz_u8(b) % 4;
      sp_network *dst = net, *src = st->rep, *other = NULL;
      size_t nd, ns, k;
      if (mode == 1) dst = st->rep, src = net;
      if (mode == 2) src = net;
      if (mode == 3) {
        size_t len = 0;
        unsigned char *buf = fz_save(net, &len);
        FUZZ_CHECK(sp_load(buf, len, NULL, &other) == SP_OK, "load: %s", sp_last_error());
        free(buf);
        src = other;
      }
      if (!dst || !src) break;
      nd = all_grads(dst, d0);
      ns = all_grads(src, s0);
      s = sp_grads_accumulate(dst, src);
      fz_check_status(s, "sp_grads_accumulate");
      if (mode >= 2)
        FUZZ_CHECK(s == SP_ERR_ARGUMENT, "accumulate mode %u: %s", mode, sp_status_name(s));
      FUZZ_CHECK(all_grads(dst, d1) == nd && all_grads(src, s1) == ns, "counts changed");
      for (k = 0; k < ns; ++k)
        FUZZ_CHECK(memcmp(&s0[k], &s1[k], 8) == 0, "src gradient %zu changed", k);
      for (k = 0; k < nd; ++k) {
        double want = s == SP_OK ? d0[k] + s0[k] : d0[k];
        FUZZ_CHECK(memcmp(&want, &d1[k], 8) == 0 || (want == 0 && d1[k] == 0),
                   "dst gradient %zu: %.17g, expected %.17g (%s)", k, d1[k], want,
                   sp_status_name(s));
      }
      if (other) sp_network_destroy(other);
      break;
    }
    default:
      if (!st->recording) fz_check_continuation(net, 6);
      s = SP_OK;
      break;
  }
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_bytes b = {data, size, 0};
  static fuzz_desc f;
  api_state st;
  int ops, stopped = 0;
  fz_decode_desc(&b, &f, 12);
  /* SP_FUZZ_LENIENT: see dt_of. */
  if (fz_lenient() && !(f.d.tau >= 1e-3)) f.d.tau = 0.01;
  memset(&st, 0, sizeof st);
  fz_trace_desc(&f.d);
  if (sp_network_create(&f.d, &st.net) != SP_OK) return 0;
  st.n = f.d.n;
  st.n_inputs = f.d.n_inputs;
  st.tau = f.d.tau;
  st.last = -INFINITY;
  for (ops = 0; ops < MAX_OPS && fz_more(&b); ++ops) {
    uint8_t code = fz_u8(&b), op = code < 224 ? code % 16 : 16 + code % 2;
    /* Three codes of op 15 (continuation) that no older reproducer used select the replica
       operations. */
    if (code == 143 || code == 159 || code == 175) op = (uint8_t)(18 + (code - 143) / 16);
    size_t before_len = 0, after_len = 0;
    unsigned char *before = fz_save(st.net, &before_len), *after;
    double now_before = sp_now(st.net);
    int documented = 0;
    sp_network *probe = NULL;
    sp_status s = one_op(&st, op, &b, &documented);
    if (getenv("SP_FUZZ_TRACE")) /* what a reproducer does, call by call */
      fprintf(stderr, "trace: %s -> %s, now %.17g\n", op_names[op], sp_status_name(s),
              sp_now(st.net));
    /* (15, 19 and 20 are several calls, each checked) */
    if (op != 15 && op != 19 && op != 20) fz_check_status(s, op_names[op]);
    after = fz_save(st.net, &after_len);
    if (s != SP_OK && !documented)
      FUZZ_CHECK(before_len == after_len && memcmp(before, after, before_len) == 0,
                 "%s failed with %s but changed the network", op_names[op], sp_status_name(s));
    if (op != 10) FUZZ_CHECK(sp_now(st.net) >= now_before, "%s moved now back", op_names[op]);
    if (op >= 18) /* the replica operations only read the parent */
      FUZZ_CHECK(before_len == after_len && memcmp(before, after, before_len) == 0,
                 "%s changed the parent network", op_names[op]);
    /* Everything sp_save writes loads. */
    s = sp_load(after, after_len, NULL, &probe);
    fz_check_status(s, "sp_load");
    if (s != SP_OK && fz_lenient_nonfinite()) {
      free(before);
      free(after);
      stopped = 1;
      break;
    }
    if (s != SP_OK && getenv("SP_FUZZ_DUMP")) {
      FILE *df = fopen(getenv("SP_FUZZ_DUMP"), "wb");
      if (df) {
        fwrite(after, 1, after_len, df);
        fclose(df);
      }
    }
    FUZZ_CHECK(s == SP_OK, "after %s the saved network does not load: %s", op_names[op],
               sp_last_error());
    sp_network_destroy(probe);
    free(before);
    free(after);
  }
  if (!st.recording && !stopped) fz_check_continuation(st.net, 6);
  if (st.rep) sp_network_destroy(st.rep);
  sp_network_destroy(st.net);
  return 0;
}
