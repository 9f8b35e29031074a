/* Fuzz target: random sequences of API calls on a small network (a description decoded as in
 * fuzz_create, n <= 12), then one operation per byte group: step, run, input, set_drive,
 * set_params, get_params, record, backward, get_grads, zero_grads, rewind, save/load,
 * voltages; an operation byte from 224 on selects sp_run_until or sp_input_many (below 224
 * the byte mod 16 selects as before, so that older reproducers keep their meaning), and 143,
 * 159, 175, 207 (continuation codes no older reproducer used) a replica: creating or destroying
 * it (sp_network_replica; a new one continues as a rewound loaded copy of its parent), a
 * training sample on it (rewind, sp_input_many, record, sp_run_until, backward), and
 * sp_grads_accumulate (exact sums on success, nothing changed on failure, refused for a
 * network with itself or one sharing no parameters); and files (207: sp_save_file writes
 * sp_save's bytes, sp_load_file loads them to a network that continues bit-identically;
 * the refusals: NULL, a missing file or directory, a directory; a stale replica's
 * sp_save_file refused without touching the file; a corrupted file loads as its bytes do with
 * sp_load). The replica operations never change the parent, and a replica's saved bytes load.
 * The description may have current-based synapses (tau_syn) and model_params (fuzz_desc.h).
 *
 * After every call: a valid status; SP_ERR_NUMERIC only from a call whose header block lists
 * it; a message exactly on failure; a failed call leaves everything the API reads unchanged
 * (api_snap: the saved bytes, now(), the frame, the accumulated gradients, whether it records,
 * and the replica's saved bytes, staleness, gradients and recording), except in the cases the
 * header documents (sp_step that applied queued inputs without a spike, or whose inhibitory
 * inputs delayed its spike past inputs the tape cannot hold; sp_run and sp_run_until stopped
 * after some events); the gradients change only through sp_backward, sp_zero_grads (to 0),
 * sp_grads_accumulate and a load (0); whether it records is what the calls made it; the
 * tape holds the spikes processed while recording (sp_backward); spike times finite and
 * non-decreasing (a rewind starts again); sp_run_until stops where a spike-by-spike replay
 * on a loaded copy completes the watched set (check_run_until); whatever sp_save writes loads.
 * Every few calls (when not recording, as a recording is not saved): save -> load ->
 * bit-identical continuation. The version functions agree with the header's macros. */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200809L
#  undef _POSIX_C_SOURCE
#  define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif
#include <sys/stat.h>
#include <unistd.h>

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
  int loaded;      /* the operation replaced net with a loaded copy (op 11, op 21) */
} api_state;

static const char *op_names[] = {"sp_step",
                                 "sp_run",
                                 "sp_input",
                                 "sp_set_drive",
                                 "sp_set_params",
                                 "sp_get_params",
                                 "sp_record",
                                 "sp_backward",
                                 "sp_get_grads",
                                 "sp_zero_grads",
                                 "sp_rewind",
                                 "save/load swap",
                                 "sp_voltages",
                                 "sp_voltage",
                                 "sp_param_count",
                                 "continuation",
                                 "sp_run_until",
                                 "sp_input_many",
                                 "replica",
                                 "replica sample",
                                 "sp_grads_accumulate",
                                 "sp_save_file/sp_load_file"};
#define N_OPS 22

/* Whether the call's header block lists SP_ERR_NUMERIC (sp_step, sp_run, sp_set_drive,
 * sp_set_params, sp_backward, sp_run_until); the operations of several calls check each one
 * themselves (checked_inside). */
static const unsigned char numeric_documented[N_OPS] = {1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0,
                                                        0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0};
static const unsigned char checked_inside[N_OPS] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                    0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1};

/* The gradients of every kind, concatenated (at most FZ_MAX_SYN + ... values). */
#define FZ_MAX_GRADS (2 * FZ_MAX_SYN + 2 * FZ_MAX_N)
static size_t all_grads(const sp_network *net, double *g) {
  size_t total = 0, len;
  sp_param p;
  for (p = SP_PARAM_WEIGHTS; p <= SP_PARAM_V0; p = (sp_param)(p + 1)) {
    FUZZ_CHECK(sp_param_count(net, p, &len) == SP_OK && total + len <= FZ_MAX_GRADS, "counts");
    /* (SP_ERR_ARGUMENT only for p unknown, len not the count or out NULL: never here) */
    sp_status s = sp_get_grads(net, p, g + total, len);
    fz_check_status(s, "sp_get_grads");
    FUZZ_CHECK(s == SP_OK, "sp_get_grads(%d, %zu values): %s", p, len, sp_status_name(s));
    total += len;
  }
  return total;
}

/* Whether a recording is in progress, read without changing anything: sp_backward with a
 * count no tape of this harness holds (its sp_record calls ask for at most 39 spikes) is
 * refused with SP_ERR_STATE "when nothing is being recorded", else with SP_ERR_ARGUMENT
 * ("n_spikes not the number recorded"), and "On failure: nothing is accumulated and the
 * recording is kept". (A stale replica refuses to differentiate with SP_ERR_STATE; a compact
 * network refuses sp_backward with SP_ERR_UNSUPPORTED and never records.) */
#define PROBE_SPIKES 64
static sp_status recording_probe(sp_network *net) {
  static const double zeros[PROBE_SPIKES];
  return sp_backward(net, zeros, PROBE_SPIKES, NULL);
}

/* What the public API reads of a network beyond its saved bytes, which leave out the
 * accumulated gradients and a recording in progress: the gradients of every kind
 * (sp_get_grads), whether it records (recording_probe), now() and the frame; and of the
 * replica, if any, whether it saves (a stale one does not), its saved bytes, gradients and
 * recording. (The public API has no event counter: the spikes a run processed are its count,
 * the number recorded is checked by sp_backward, op 7.) */
typedef struct api_snap {
  unsigned char *bytes;
  size_t len;
  double now;
  uint32_t frame;
  size_t n_grads;
  double grads[FZ_MAX_GRADS];
  sp_status recording;
  int has_rep;
  sp_status rep_save;
  unsigned char *rep_bytes;
  size_t rep_len, rep_n_grads;
  double rep_grads[FZ_MAX_GRADS];
  sp_status rep_recording;
} api_snap;

static void snap_take(const api_state *st, api_snap *sn) {
  sn->bytes = fz_save(st->net, &sn->len);
  sn->now = sp_now(st->net);
  sn->frame = sp_network_frame(st->net);
  sn->n_grads = all_grads(st->net, sn->grads);
  sn->recording = recording_probe(st->net);
  sn->has_rep = st->rep != NULL;
  sn->rep_bytes = NULL;
  sn->rep_len = sn->rep_n_grads = 0;
  if (st->rep) {
    size_t need = 0;
    sn->rep_save = sp_save(st->rep, NULL, 0, &need);
    if (sn->rep_save == SP_OK) sn->rep_bytes = fz_save(st->rep, &sn->rep_len);
    sn->rep_n_grads = all_grads(st->rep, sn->rep_grads);
    sn->rep_recording = recording_probe(st->rep);
  }
}

static void snap_free(api_snap *sn) {
  free(sn->bytes);
  free(sn->rep_bytes);
  sn->bytes = sn->rep_bytes = NULL;
}

static int same_doubles(const double *a, const double *b, size_t n) {
  return memcmp(a, b, n * sizeof(double)) == 0;
}

/* The parent's part of two snapshots is the same: bytes, now, frame, gradients, recording. */
static void snap_same_net(const api_snap *a, const api_snap *b, const char *op, const char *why) {
  FUZZ_CHECK(a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0,
             "%s %s but changed the network's saved bytes", op, why);
  FUZZ_CHECK(a->now == b->now && a->frame == b->frame,
             "%s %s but moved now %.17g -> %.17g or the frame %u -> %u", op, why, a->now, b->now,
             a->frame, b->frame);
  FUZZ_CHECK(a->n_grads == b->n_grads && same_doubles(a->grads, b->grads, a->n_grads),
             "%s %s but changed the accumulated gradients", op, why);
  FUZZ_CHECK(a->recording == b->recording, "%s %s but the recording probe went %s -> %s", op, why,
             sp_status_name(a->recording), sp_status_name(b->recording));
}

/* The replica's part is the same (a call on the parent that failed changed no parameter, so
 * the replica is as stale or current as before). */
static void snap_same_rep(const api_snap *a, const api_snap *b, const char *op, const char *why) {
  if (!a->has_rep || !b->has_rep) return;
  FUZZ_CHECK(a->rep_save == b->rep_save, "%s %s but the replica's sp_save went %s -> %s", op, why,
             sp_status_name(a->rep_save), sp_status_name(b->rep_save));
  FUZZ_CHECK(a->rep_len == b->rep_len &&
                 (a->rep_len == 0 || memcmp(a->rep_bytes, b->rep_bytes, a->rep_len) == 0),
             "%s %s but changed the replica's saved bytes", op, why);
  FUZZ_CHECK(a->rep_n_grads == b->rep_n_grads &&
                 same_doubles(a->rep_grads, b->rep_grads, a->rep_n_grads),
             "%s %s but changed the replica's gradients", op, why);
  FUZZ_CHECK(a->rep_recording == b->rep_recording,
             "%s %s but the replica's recording probe went %s -> %s", op, why,
             sp_status_name(a->rep_recording), sp_status_name(b->rep_recording));
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

/* ---- files (sp_save_file, sp_load_file) ---- */

/* A directory of this process's own for the files, made at the first use and removed at exit
 * (the file names below are fixed; each operation removes its files). */
static char tmp_dir[256];
static const char *const tmp_names[] = {"net.sp", "replica.sp", "marker.sp"};
static void tmp_path(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", tmp_dir, name);
}
static void tmp_cleanup(void) {
  char p[320];
  size_t k;
  for (k = 0; k < sizeof tmp_names / sizeof tmp_names[0]; ++k) {
    tmp_path(p, sizeof p, tmp_names[k]);
    remove(p);
  }
  rmdir(tmp_dir);
}
static void tmp_init(void) {
  const char *t = getenv("TMPDIR");
  if (tmp_dir[0]) return;
  snprintf(tmp_dir, sizeof tmp_dir, "%s/sp-fuzz-XXXXXX", t && t[0] && strlen(t) < 200 ? t : "/tmp");
  FUZZ_CHECK(mkdtemp(tmp_dir) != NULL, "mkdtemp %s", tmp_dir);
  atexit(tmp_cleanup);
}

static int file_exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* A file's bytes (malloc'd) and length. */
static unsigned char *file_read(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf;
  long size;
  FUZZ_CHECK(f != NULL, "cannot open %s", path);
  FUZZ_CHECK(fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0,
             "cannot size %s", path);
  buf = (unsigned char *)malloc(size ? (size_t)size : 1);
  FUZZ_CHECK(buf && fread(buf, 1, (size_t)size, f) == (size_t)size, "cannot read %s", path);
  fclose(f);
  *len = (size_t)size;
  return buf;
}

static void file_write(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  FUZZ_CHECK(f != NULL && fwrite(buf, 1, len, f) == len && fclose(f) == 0, "cannot write %s", path);
}

/* sp_save_file of the replica: the bytes sp_save writes ("write sp_save's bytes to a file"),
 * or, for a stale replica (sp_save refuses it with SP_ERR_STATE), SP_ERR_STATE ("a replica
 * whose parent's parameters changed since its last sp_rewind") and no file: "after the other
 * errors it is not opened" (neither created nor, if it exists, truncated). */
static void check_replica_file(sp_network *rep) {
  char path[320], marker[320];
  static const char text[] = "not a network: must stay as it is";
  size_t need = 0, len = 0, flen = 0;
  sp_status s0 = sp_save(rep, NULL, 0, &need), s;
  unsigned char *bytes, *fbytes;
  tmp_path(path, sizeof path, "replica.sp");
  tmp_path(marker, sizeof marker, "marker.sp");
  remove(path);
  s = sp_save_file(rep, path);
  fz_check_status(s, "sp_save_file (replica)");
  if (s0 == SP_ERR_STATE) {
    FUZZ_CHECK(s == SP_ERR_STATE, "sp_save_file of a stale replica: %s", sp_status_name(s));
    FUZZ_CHECK(!file_exists(path), "sp_save_file refused a stale replica but created %s", path);
    file_write(marker, text, sizeof text);
    s = sp_save_file(rep, marker);
    fz_check_status(s, "sp_save_file (replica, over a file)");
    FUZZ_CHECK(s == SP_ERR_STATE, "sp_save_file of a stale replica: %s", sp_status_name(s));
    fbytes = file_read(marker, &flen);
    FUZZ_CHECK(flen == sizeof text && memcmp(fbytes, text, flen) == 0,
               "sp_save_file refused a stale replica but wrote the file (%zu bytes now)", flen);
    free(fbytes);
    remove(marker);
    return;
  }
  FUZZ_CHECK(s0 == SP_OK && s == SP_OK, "replica: sp_save %s, sp_save_file %s", sp_status_name(s0),
             sp_status_name(s));
  bytes = fz_save(rep, &len);
  fbytes = file_read(path, &flen);
  FUZZ_CHECK(flen == len && memcmp(bytes, fbytes, len) == 0,
             "sp_save_file of the replica wrote %zu bytes, not sp_save's %zu", flen, len);
  free(bytes);
  free(fbytes);
  remove(path);
}

/* sp_run_until against a replay of the same events spike by spike: sp_run with room for one
 * spike ("stops after the cap-th spike (now() is its time, nothing is lost)") on ref, a loaded
 * copy of the network as it was before the call. The header: "stops right after the spike that
 * completes the watched set (each of watch[0 .. n_watch) has spiked at least once during this
 * call; repeats in watch count once): now() is its time, and any other event at that instant
 * is left for the next call. Without that, it stops as sp_run at t_end (now() = t_end)";
 * "SP_ERR_CAPACITY when buf filled (cap spikes) before the set completed: the cap spikes stay
 * processed"; "SP_ERR_NUMERIC as sp_run"; count "the number of spikes processed (and written to
 * buf)". So the call's status, count, spikes (bit for bit), now() and saved bytes are the
 * replay's at its stop. A recording network can also be stopped by its tape (SP_ERR_CAPACITY
 * with count < cap), which the unrecorded copy does not have: then only the spikes are
 * compared, and the completing spike must not be among them. */
static void check_run_until(const api_state *st, sp_network *ref, double t_end,
                            const uint32_t *watch, size_t n_watch, const sp_spike *buf, size_t cap,
                            sp_status s, size_t count) {
  sp_network *net = st->net;
  int strict = !(st->recording && s == SP_ERR_CAPACITY), complete = 0, ran_on = 0;
  int seen[3] = {0, 0, 0};
  size_t limit = strict ? count + 1 : count, k = 0, w;
  sp_status want = SP_OK;
  sp_spike sp, last;
  memset(&last, 0, sizeof last);
  for (;;) {
    size_t c = 0;
    sp_status r;
    if (cap && k == cap) {
      want = SP_ERR_CAPACITY;
      break;
    }
    if (k == limit) {
      ran_on = 1;
      break;
    }
    memset(&sp, 0, sizeof sp);
    r = sp_run(ref, t_end, &sp, 1, &c);
    fz_check_status_numeric(r, "sp_run (replay of sp_run_until)");
    if (r == SP_ERR_NUMERIC) {
      FUZZ_CHECK(c == 0, "replay: SP_ERR_NUMERIC after %zu spikes of 1", c);
      want = r;
      break;
    }
    FUZZ_CHECK(r == SP_OK, "replay: sp_run(cap 1) of an unrecorded copy: %s", sp_status_name(r));
    if (c == 0) {
      FUZZ_CHECK(sp_now(ref) == t_end, "replay: sp_run ended at %.17g, t_end %.17g", sp_now(ref),
                 t_end);
      break;
    }
    if (k < count && k < cap)
      FUZZ_CHECK(memcmp(&sp, &buf[k], sizeof sp) == 0,
                 "sp_run_until spike %zu: neuron %u at %.17g flags %u; the replay's: neuron %u "
                 "at %.17g flags %u",
                 k, buf[k].neuron, buf[k].t, buf[k].flags, sp.neuron, sp.t, sp.flags);
    for (w = 0; w < n_watch; ++w) seen[w] |= watch[w] == sp.neuron;
    last = sp;
    ++k;
    complete = 1;
    for (w = 0; w < n_watch; ++w) complete &= seen[w];
    if (complete) break;
  }
  if (getenv("SP_FUZZ_TRACE"))
    fprintf(stderr, "trace: run_until replay: %s after %zu spikes%s%s\n", sp_status_name(want), k,
            complete ? ", the set completed" : "", ran_on ? ", going on" : "");
  if (!strict) {
    /* A full tape: the count spikes are the replay's first ones, and none completed the set. */
    FUZZ_CHECK(k == count && !complete,
               "sp_run_until stopped by the tape after %zu spikes; the replay %s after %zu", count,
               complete ? "completed the set" : "stopped", k);
    return;
  }
  FUZZ_CHECK(!ran_on,
             "sp_run_until returned %s after %zu spikes (now %.17g, t_end %.17g) before the "
             "watched set completed; the replay goes on past them",
             sp_status_name(s), count, sp_now(net), t_end);
  FUZZ_CHECK(s == want && count == k,
             "sp_run_until returned %s with count %zu; the replay stops with %s after %zu spikes%s",
             sp_status_name(s), count, sp_status_name(want), k,
             complete ? " (the last completes the set)" : "");
  if (want == SP_OK && complete)
    FUZZ_CHECK(sp_now(net) == last.t && last.t < t_end,
               "the set completed at %.17g, now() = %.17g (t_end %.17g)", last.t, sp_now(net),
               t_end);
  if (want == SP_OK && !complete)
    FUZZ_CHECK(sp_now(net) == t_end, "the set did not complete, now() = %.17g, t_end %.17g",
               sp_now(net), t_end);
  {
    /* The stop point: the same state as the replay's (other events of the instant left). */
    size_t la = 0, lb = 0;
    unsigned char *a = fz_save(net, &la), *bb = fz_save(ref, &lb);
    FUZZ_CHECK(sp_now(net) == sp_now(ref) && la == lb && memcmp(a, bb, la) == 0,
               "sp_run_until (%s, %zu spikes) stopped at now %.17g in another state than the "
               "replay at %.17g",
               sp_status_name(s), count, sp_now(net), sp_now(ref));
    free(a);
    free(bb);
  }
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
         the inputs due before it first (that refusal, "no room on the tape ...", changes nothing), so
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
      /* "After SP_ERR_CAPACITY or SP_ERR_NUMERIC, *count still gives the spikes processed and
         written, and the events before the refused one stay processed." */
      if (s == SP_OK || s == SP_ERR_CAPACITY || s == SP_ERR_NUMERIC) {
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
      if (s == SP_ERR_NUMERIC) *documented_change = 1;
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
      {
        /* The tape holds exactly the spikes this harness saw processed while recording (each
           run's count, each step's spike): "SP_ERR_STATE when nothing is being recorded",
           "SP_ERR_ARGUMENT: n_spikes not the number recorded, dl_dt NULL with n_spikes > 0, a
           value of dl_dt or dl_dv_end not finite", "SP_ERR_NUMERIC when a gradient is not
           finite". */
        int finite = 1;
        for (k = 0; k < count; ++k) finite = finite && isfinite(dl_dt[k]);
        if (mode & 2)
          for (k = 0; k < st->n; ++k) finite = finite && isfinite(dl_dv[k]);
        if (!st->recording) /* (a compact network refuses sp_backward: SP_ERR_UNSUPPORTED) */
          FUZZ_CHECK(s == SP_ERR_STATE || s == SP_ERR_UNSUPPORTED,
                     "sp_backward with no recording: %s", sp_status_name(s));
        else if (count != st->recorded)
          FUZZ_CHECK(s == SP_ERR_ARGUMENT,
                     "sp_backward with n_spikes %zu, %zu spikes processed while recording: %s",
                     count, st->recorded, sp_status_name(s));
        else if (finite)
          FUZZ_CHECK(s == SP_OK || s == SP_ERR_NUMERIC,
                     "sp_backward with n_spikes %zu, the spikes processed while recording, and "
                     "finite seeds: %s",
                     count, sp_status_name(s));
        else
          FUZZ_CHECK(s == SP_ERR_ARGUMENT, "sp_backward with a non-finite seed: %s",
                     sp_status_name(s));
      }
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
    case 9:
      /* "Returns: SP_OK (SP_ERR_ARGUMENT only for a NULL net)" */
      s = sp_zero_grads(net);
      FUZZ_CHECK(s == SP_OK, "sp_zero_grads: %s", sp_status_name(s));
      break;
    case 10:
      s = sp_rewind(net);
      FUZZ_CHECK(s == SP_OK, "sp_rewind: %s", sp_status_name(s)); /* (the same) */
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
      st->loaded = 1;
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
      /* sp_run_until: up to 3 watched neurons (n itself is out of range), a buffer of 0-16;
         checked against a replay (check_run_until) on a loaded copy of the network as it
         was before the call. */
      sp_spike buf[16];
      uint32_t watch[3];
      size_t n_watch = 1 + fz_u8(b) % 3, cap = fz_u8(b) % 17, count = 99, k, w, len0 = 0;
      double t_end = start + dt_of(b);
      unsigned char *b0;
      sp_network *ref = NULL;
      for (w = 0; w < n_watch; ++w) watch[w] = fz_u8(b) % (st->n + 1);
      /* Counting only (cap 0), a call runs until the set completes or t_end: a watched neuron
         that never spikes and t_end 1e228 s ahead is a legitimate run of ~1e230 spikes (as
         sp_run would be; it was a libFuzzer timeout). Such a call gets at most 1e-6 tau: with
         free periods of at least 2^-30 tau (the numeric range), ~1100 spikes per neuron. */
      if (cap == 0 && !(t_end - start <= 1e-6 * st->tau)) t_end = start + 1e-6 * st->tau;
      if (getenv("SP_FUZZ_TRACE"))
        fprintf(stderr, "trace: run_until t_end %.17g, cap %zu, watching %zu (first %u)\n", t_end,
                cap, n_watch, watch[0]);
      b0 = fz_save(net, &len0);
      if (sp_load(b0, len0, NULL, &ref) != SP_OK) {
        /* (the main loop reports bytes that do not load) */
        FUZZ_CHECK(fz_lenient_nonfinite(), "a saved network does not load: %s", sp_last_error());
        ref = NULL;
      }
      free(b0);
      s = sp_run_until(net, t_end, watch, n_watch, cap ? buf : NULL, cap, &count);
      fz_check_status_numeric(s, "sp_run_until");
      if (s == SP_OK || s == SP_ERR_CAPACITY || s == SP_ERR_NUMERIC) {
        FUZZ_CHECK(cap == 0 || count <= cap, "count %zu > cap %zu", count, cap);
        for (k = 0; k < count && k < cap; ++k) fz_check_spike(&buf[k], st->n, start, &st->last);
        FUZZ_CHECK(sp_now(net) <= t_end, "run_until went past t_end");
        if (ref) check_run_until(st, ref, t_end, watch, n_watch, buf, cap, s, count);
        if (st->recording) st->recorded += count;
        /* The header: the spikes processed before a refusal or a full buffer stay processed. */
        if (s != SP_OK) *documented_change = 1;
      } else {
        FUZZ_CHECK(count == 99, "failed run_until wrote count %zu", count);
      }
      sp_network_destroy(ref);
      /* (its status was checked above; the replay called the library since) */
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
      fz_check_status(s, "sp_network_replica");
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
        fz_check_status_numeric(s, "sp_run_until (replica)");
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
        fz_check_status_numeric(s, "sp_backward (replica)");
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
      fz_check_status_numeric(s, "sp_grads_accumulate");
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
    case 21: {
      /* Files. Mode % 3: 0 sp_save_file, sp_load_file, and the loaded network continues
         (mode & 4: carries on as the network, as op 11); 1 refusals; 2 a corrupted file. With
         a replica: check_replica_file first. */
      uint8_t mode = fz_u8(b);
      char path[320], other[320];
      size_t len = 0, flen = 0;
      unsigned char *bytes, *fbytes;
      sp_network *copy = (sp_network *)st, *mem = NULL; /* (a failed load must set NULL) */
      tmp_init();
      tmp_path(path, sizeof path, "net.sp");
      remove(path);
      if (st->rep) check_replica_file(st->rep);
      if (getenv("SP_FUZZ_TRACE")) fprintf(stderr, "trace: file mode %u\n", mode);
      if (mode % 3 == 0) {
        /* "sp_save_file - write sp_save's bytes to a file"; failures: path NULL, a replica, an
           input_capacity above 2^24, the allocator, the file: none of them here. */
        s = sp_save_file(net, path);
        fz_check_status(s, "sp_save_file");
        FUZZ_CHECK(s == SP_OK, "sp_save_file to %s: %s", path, sp_status_name(s));
        bytes = fz_save(net, &len);
        fbytes = file_read(path, &flen);
        FUZZ_CHECK(flen == len && memcmp(bytes, fbytes, len) == 0,
                   "sp_save_file wrote %zu bytes, not sp_save's %zu", flen, len);
        free(fbytes);
        s = sp_load_file(path, &copy);
        fz_check_status(s, "sp_load_file");
        if (s != SP_OK && fz_lenient_nonfinite()) {
          free(bytes);
          remove(path);
          *documented_change = 1;
          return s;
        }
        FUZZ_CHECK(s == SP_OK && copy != NULL, "sp_load_file of sp_save_file's file: %s",
                   sp_status_name(s));
        fbytes = fz_save(copy, &flen);
        FUZZ_CHECK(flen == len && memcmp(bytes, fbytes, len) == 0,
                   "the network loaded from the file saves to other bytes");
        free(fbytes);
        free(bytes);
        remove(path);
        if (mode & 4) {
          if (st->rep) sp_network_destroy(st->rep);
          st->rep = NULL;
          sp_network_destroy(st->net);
          st->net = copy;
          st->recording = 0;
          st->loaded = 1;
        } else {
          /* Like the in-memory path: the same course (not while recording: the steps would be
             recorded). */
          if (!st->recording) fz_check_same_course(net, copy, 6, "loaded from the file");
          sp_network_destroy(copy);
        }
        s = SP_OK;
      } else if (mode % 3 == 1) {
        /* Refusals. sp_load_file: "SP_ERR_ARGUMENT: path or out NULL; SP_ERR_IO: the file
           cannot be opened or read, or is not a regular file (e.g. a directory)"; "On failure:
           *out == NULL". sp_save_file: "SP_ERR_ARGUMENT: path NULL", "SP_ERR_IO: the file
           could not be opened, written or closed"; "On failure: the network is unchanged"
           (the last refusal's status goes to the main loop, which compares the snapshots). */
        s = sp_load_file(NULL, &copy);
        fz_check_status(s, "sp_load_file(NULL)");
        FUZZ_CHECK(s == SP_ERR_ARGUMENT && copy == NULL, "sp_load_file(NULL): %s",
                   sp_status_name(s));
        s = sp_load_file(path, NULL);
        fz_check_status(s, "sp_load_file(out NULL)");
        FUZZ_CHECK(s == SP_ERR_ARGUMENT, "sp_load_file(out NULL): %s", sp_status_name(s));
        tmp_path(other, sizeof other, "missing.sp");
        copy = (sp_network *)st;
        s = sp_load_file(other, &copy);
        fz_check_status(s, "sp_load_file(missing)");
        FUZZ_CHECK(s == SP_ERR_IO && copy == NULL, "sp_load_file of a missing file: %s",
                   sp_status_name(s));
        copy = (sp_network *)st;
        s = sp_load_file(tmp_dir, &copy);
        fz_check_status(s, "sp_load_file(directory)");
        FUZZ_CHECK(s == SP_ERR_IO && copy == NULL, "sp_load_file of a directory: %s",
                   sp_status_name(s));
        s = sp_save_file(net, NULL);
        fz_check_status(s, "sp_save_file(NULL)");
        FUZZ_CHECK(s == SP_ERR_ARGUMENT, "sp_save_file(NULL): %s", sp_status_name(s));
        tmp_path(other, sizeof other, "no-such-directory/net.sp");
        s = sp_save_file(net, other);
        fz_check_status(s, "sp_save_file(no such directory)");
        FUZZ_CHECK(s == SP_ERR_IO, "sp_save_file into a missing directory: %s", sp_status_name(s));
        s = sp_save_file(net, tmp_dir);
        fz_check_status(s, "sp_save_file(directory)");
        FUZZ_CHECK(s == SP_ERR_IO, "sp_save_file to a directory: %s", sp_status_name(s));
      } else {
        /* A corrupted file (one byte changed, or cut short) loads as its bytes do with sp_load:
           "SP_ERR_FORMAT, SP_ERR_NOMEM: as sp_load", "every value checked as sp_load checks
           it". */
        sp_status sm;
        size_t pos;
        uint8_t x;
        bytes = fz_save(net, &len);
        pos = fz_u8(b); /* (two statements: the order of reads in one is unspecified) */
        pos = (pos | (size_t)fz_u8(b) << 8) % len;
        x = fz_u8(b);
        if (x) bytes[pos] ^= x;
        flen = x ? len : pos;
        file_write(path, bytes, flen);
        sm = sp_load(bytes, flen, NULL, &mem);
        fz_check_status(sm, "sp_load (corrupted)");
        s = sp_load_file(path, &copy);
        fz_check_status(s, "sp_load_file (corrupted)");
        if (getenv("SP_FUZZ_TRACE"))
          fprintf(stderr, "trace: %s byte %zu of %zu: sp_load %s, sp_load_file %s\n",
                  x ? "changed" : "cut at", pos, len, sp_status_name(sm), sp_status_name(s));
        FUZZ_CHECK(s == sm, "%s byte %zu of %zu: sp_load %s, sp_load_file %s",
                   x ? "changed" : "cut at", pos, len, sp_status_name(sm), sp_status_name(s));
        if (s == SP_OK) {
          size_t l1 = 0, l2 = 0;
          unsigned char *b1 = fz_save(mem, &l1), *b2 = fz_save(copy, &l2);
          FUZZ_CHECK(l1 == l2 && memcmp(b1, b2, l1) == 0,
                     "the same bytes load to other networks from memory and from a file");
          free(b1);
          free(b2);
          sp_network_destroy(copy);
          sp_network_destroy(mem);
        } else {
          FUZZ_CHECK(copy == NULL && mem == NULL, "a failed load left *out set");
        }
        free(bytes);
        remove(path);
        s = SP_OK;
      }
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
  static api_snap before, after;
  api_state st;
  int ops, stopped = 0;
  fz_check_version();
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
    /* Codes of op 15 (continuation) that no older reproducer used select the replica
       operations (143, 159, 175) and the files (207; 191 is in three reproducers). */
    if (code == 143 || code == 159 || code == 175) op = (uint8_t)(18 + (code - 143) / 16);
    if (code == 207) op = 21;
    double now_before;
    int documented = 0;
    sp_network *probe = NULL;
    sp_status s;
    snap_take(&st, &before);
    now_before = before.now;
    st.loaded = 0;
    s = one_op(&st, op, &b, &documented);
    if (getenv("SP_FUZZ_TRACE")) /* what a reproducer does, call by call */
      fprintf(stderr, "trace: %s (code %u) -> %s, now %.17g\n", op_names[op], code,
              sp_status_name(s), sp_now(st.net));
    /* (the operations of several calls check each one themselves) */
    if (!checked_inside[op]) fz_check_status_n(s, op_names[op], numeric_documented[op]);
    snap_take(&st, &after);
    /* Failed calls change nothing the API can read (except the documented cases). */
    if (s != SP_OK && !documented) {
      snap_same_net(&before, &after, op_names[op], "failed");
      snap_same_rep(&before, &after, op_names[op], "failed");
    }
    if (op != 10) FUZZ_CHECK(sp_now(st.net) >= now_before, "%s moved now back", op_names[op]);
    if (op >= 18 && op <= 19) /* the replica operations only read the parent */
      snap_same_net(&before, &after, op_names[op], "(a replica operation)");
    if (op == 20) /* (sp_grads_accumulate checks the gradients itself) */
      FUZZ_CHECK(before.len == after.len && memcmp(before.bytes, after.bytes, before.len) == 0,
                 "%s changed the parent network", op_names[op]);
    /* Whether it records: sp_record starts, a successful sp_backward and sp_rewind end it; a
       loaded network does not record. */
    FUZZ_CHECK(st.recording
                   ? after.recording == SP_ERR_ARGUMENT
                   : after.recording == SP_ERR_STATE || after.recording == SP_ERR_UNSUPPORTED,
               "after %s (%s) the recording probe gives %s; the harness expects %s", op_names[op],
               sp_status_name(s), sp_status_name(after.recording),
               st.recording ? "a recording" : "none");
    /* Gradients: "The gradients accumulate over sp_backward calls until sp_zero_grads"
       (sp_get_grads); sp_rewind: "Parameters, gradients and connectivity are kept"; sp_load:
       "no recording, zero gradients". Other calls leave them alone. */
    if (op == 9 || st.loaded) {
      size_t k;
      for (k = 0; k < after.n_grads; ++k)
        FUZZ_CHECK(after.grads[k] == 0.0, "gradient %zu = %g after %s", k, after.grads[k],
                   op == 9 ? "sp_zero_grads" : "a load");
    } else if (op != 7 && op != 20) {
      FUZZ_CHECK(before.n_grads == after.n_grads &&
                     same_doubles(before.grads, after.grads, before.n_grads),
                 "%s (%s) changed the accumulated gradients", op_names[op], sp_status_name(s));
    }
    /* Everything sp_save writes loads. */
    s = sp_load(after.bytes, after.len, NULL, &probe);
    fz_check_status(s, "sp_load");
    if (s != SP_OK && fz_lenient_nonfinite()) {
      snap_free(&before);
      snap_free(&after);
      stopped = 1;
      break;
    }
    if (s != SP_OK && getenv("SP_FUZZ_DUMP")) {
      FILE *df = fopen(getenv("SP_FUZZ_DUMP"), "wb");
      if (df) {
        fwrite(after.bytes, 1, after.len, df);
        fclose(df);
      }
    }
    FUZZ_CHECK(s == SP_OK, "after %s the saved network does not load: %s", op_names[op],
               sp_last_error());
    sp_network_destroy(probe);
    snap_free(&before);
    snap_free(&after);
  }
  if (!st.recording && !stopped) fz_check_continuation(st.net, 6);
  if (st.rep) sp_network_destroy(st.rep);
  sp_network_destroy(st.net);
  return 0;
}
