/* Saving and loading: load + run continues bit-identically to the original run, for both
 * models, both frames, explicit and procedural connectivity, queued inputs and refractory
 * periods; every truncation and every single-byte flip of a saved network is refused with
 * SP_ERR_FORMAT, and so is a well-formed file whose queue keys contradict its states (the suite
 * also runs under AddressSanitizer in CI). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparseprop/sparseprop.h"

#include "format_bytes.h"

#define N 40
#define SPIKES 3000

static uint64_t row_ptr[N + 1];
static uint32_t targets[N * 6];
static double weights[N * 6];
static uint64_t in_row_ptr[3] = {0, 5, 10};
static uint32_t in_targets[10] = {0, 3, 7, 9, 12, 1, 2, 30, 31, 39};
static double drives[N];

typedef struct variant {
  const char *name;
  uint32_t model, frame, procedural, inputs;
  double t_ref;
} variant;

static sp_network *make(const variant *v) {
  sp_network_desc d;
  sp_network *net = NULL;
  uint32_t i, j;
  for (i = 0; i < N; ++i) {
    row_ptr[i] = 6 * i;
    for (j = 0; j < 6; ++j) {
      targets[6 * i + j] = (i * 7 + j * 11 + 1) % N;
      weights[6 * i + j] = 0.05 * ((int)((i + j) % 5) - 3);
    }
    drives[i] = v->model == SP_MODEL_LIF ? 1.05 + 0.01 * (i % 7) : 0.2 + 0.01 * (i % 7);
  }
  row_ptr[N] = 6 * N;
  sp_network_desc_init(&d, sizeof d);
  d.model = v->model;
  d.n = N;
  d.frame = v->frame;
  d.t_ref = v->t_ref;
  d.init_seed = 5;
  if (v->frame == SP_FRAME_PHASE)
    d.drive = drives[0];
  else
    d.drives = drives;
  if (v->procedural) {
    d.recurrent.k = 6;
    d.recurrent.seed = 77;
    d.recurrent.weight = -0.03;
  } else {
    d.recurrent.row_ptr = row_ptr;
    d.recurrent.targets = targets;
    d.recurrent.weights = weights;
  }
  if (v->inputs) {
    d.n_inputs = 2;
    d.inputs.row_ptr = in_row_ptr;
    d.inputs.targets = in_targets;
    d.inputs.weight = 0.2;
    d.input_capacity = 64;
  }
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  return net;
}

static void queue_some_inputs(sp_network *net, const variant *v) {
  int k;
  if (!v->inputs) return;
  for (k = 0; k < 20; ++k)
    assert_int_equal(sp_input(net, (uint32_t)(k % 2), sp_now(net) + 0.001 * (k / 3)), SP_OK);
}

static unsigned char *save(const sp_network *net, size_t *len) {
  unsigned char *buf;
  size_t need = 0, got = 0;
  assert_int_equal(sp_save(net, NULL, 0, &need), SP_OK);
  buf = malloc(need);
  assert_non_null(buf);
  assert_int_equal(sp_save(net, buf, need - 1, &got), SP_ERR_CAPACITY);
  assert_int_equal(sp_save(net, buf, need, &got), SP_OK);
  assert_int_equal(got, need);
  *len = need;
  return buf;
}

static const variant variants[] = {
    {"lif-phase-procedural", SP_MODEL_LIF, SP_FRAME_PHASE, 1, 0, 0.0},
    {"lif-time-explicit-inputs", SP_MODEL_LIF, SP_FRAME_TIME, 0, 1, 0.002},
    {"qif-phase-explicit", SP_MODEL_QIF, SP_FRAME_PHASE, 0, 0, 0.0},
    {"qif-time-procedural-inputs", SP_MODEL_QIF, SP_FRAME_TIME, 1, 1, 0.001},
};

/* Run, save mid-run (with inputs queued and partly consumed), then compare the original and the
 * loaded copy over the next spikes: bit-identical times and neurons, and equal voltages. */
static void test_continuation_is_bit_identical(void **state) {
  size_t v;
  (void)state;
  for (v = 0; v < sizeof variants / sizeof variants[0]; ++v) {
    sp_network *a = make(&variants[v]), *b = NULL;
    sp_spike sa, sb;
    size_t len, s, count;
    unsigned char *buf;
    double va[N], vb[N];
    static sp_spike ra[SPIKES], rb[SPIKES];
    uint32_t i;
    queue_some_inputs(a, &variants[v]);
    for (s = 0; s < 500; ++s) assert_int_equal(sp_step(a, &sa), SP_OK);
    queue_some_inputs(a, &variants[v]);
    buf = save(a, &len);
    assert_int_equal(sp_load(buf, len, NULL, &b), SP_OK);
    assert_non_null(b);
    assert_true(sp_now(a) == sp_now(b));
    assert_int_equal(sp_network_frame(a), sp_network_frame(b));
    for (s = 0; s < SPIKES; ++s) {
      assert_int_equal(sp_step(a, &sa), SP_OK);
      assert_int_equal(sp_step(b, &sb), SP_OK);
      assert_true(sa.t == sb.t);
      assert_int_equal(sa.neuron, sb.neuron);
    }
    assert_int_equal(sp_voltages(a, va, N), SP_OK);
    assert_int_equal(sp_voltages(b, vb, N), SP_OK);
    for (i = 0; i < N; ++i) assert_true(va[i] == vb[i] || (isnan(va[i]) && isnan(vb[i])));
    /* sp_run to a time agrees too, and so does a rewind of the copy. */
    assert_int_equal(sp_run(a, sp_now(a) + 0.5, ra, SPIKES, &count), SP_OK);
    assert_int_equal(sp_run(b, sp_now(b) + 0.5, rb, SPIKES, &s), SP_OK);
    assert_int_equal(count, s);
    assert_memory_equal(ra, rb, count * sizeof ra[0]);
    assert_int_equal(sp_rewind(a), SP_OK);
    assert_int_equal(sp_rewind(b), SP_OK);
    for (s = 0; s < 200; ++s) {
      assert_int_equal(sp_step(a, &sa), SP_OK);
      assert_int_equal(sp_step(b, &sb), SP_OK);
      assert_true(sa.t == sb.t && sa.neuron == sb.neuron);
    }
    print_message("# %-28s %zu bytes (%.1f per neuron)\n", variants[v].name, len, (double)len / N);
    free(buf);
    sp_network_destroy(a);
    sp_network_destroy(b);
  }
}

/* Every truncation length and every single-byte change is refused with SP_ERR_FORMAT. */
static void test_every_truncation_and_flip_is_refused(void **state) {
  size_t v;
  (void)state;
  for (v = 0; v < sizeof variants / sizeof variants[0]; ++v) {
    sp_network *a = make(&variants[v]), *b = NULL;
    size_t len, cut, pos;
    unsigned char *buf, *copy;
    sp_spike sp;
    int bit;
    queue_some_inputs(a, &variants[v]);
    assert_int_equal(sp_step(a, &sp), SP_OK);
    buf = save(a, &len);
    copy = malloc(len);
    assert_non_null(copy);
    for (cut = 0; cut < len; ++cut) {
      memcpy(copy, buf, cut);
      assert_int_equal(sp_load(copy, cut, NULL, &b), SP_ERR_FORMAT);
      assert_null(b);
    }
    for (pos = 0; pos < len; ++pos) {
      for (bit = 0; bit < 8; bit += 3) {
        memcpy(copy, buf, len);
        copy[pos] ^= (unsigned char)(1u << bit);
        assert_int_equal(sp_load(copy, len, NULL, &b), SP_ERR_FORMAT);
        assert_null(b);
        assert_true(strlen(sp_last_error()) > 0);
      }
    }
    free(copy);
    free(buf);
    sp_network_destroy(a);
  }
}

static void test_magic_version_and_files(void **state) {
  variant v = variants[1];
  sp_network *a = make(&v), *b = NULL;
  size_t len;
  unsigned char *buf;
  char path[] = "test_save_load.spnet";
  sp_spike sa, sb;
  int s;
  (void)state;
  buf = save(a, &len);
  /* A future format version: refused with a message that says so (before the checksum). */
  assert_int_equal(buf[8], 2); /* (the version sp_save writes) */
  buf[8] = 5;
  assert_int_equal(sp_load(buf, len, NULL, &b), SP_ERR_FORMAT);
  assert_non_null(strstr(sp_last_error(), "version 5"));
  buf[8] = 2;
  buf[0] = 'X';
  assert_int_equal(sp_load(buf, len, NULL, &b), SP_ERR_FORMAT);
  assert_non_null(strstr(sp_last_error(), "magic"));
  buf[0] = 'S';
  assert_int_equal(sp_load(NULL, len, NULL, &b), SP_ERR_ARGUMENT);
  assert_int_equal(sp_load(buf, len, NULL, NULL), SP_ERR_ARGUMENT);
  /* Files. */
  assert_int_equal(sp_save_file(a, path), SP_OK);
  assert_int_equal(sp_load_file(path, &b), SP_OK);
  for (s = 0; s < 300; ++s) {
    assert_int_equal(sp_step(a, &sa), SP_OK);
    assert_int_equal(sp_step(b, &sb), SP_OK);
    assert_true(sa.t == sb.t && sa.neuron == sb.neuron);
  }
  sp_network_destroy(b);
  b = NULL;
  remove(path);
  assert_int_equal(sp_load_file(path, &b), SP_ERR_IO);
  assert_non_null(strstr(sp_last_error(), path));
  /* The message says why (the OS's reason), before the path. */
  assert_non_null(strstr(sp_last_error(), "no such file or directory"));
  assert_null(b);
  assert_int_equal(sp_save_file(a, "/nonexistent-directory/x.spnet"), SP_ERR_IO);
  assert_non_null(strstr(sp_last_error(), "no such file or directory"));
  assert_non_null(strstr(sp_last_error(), "/nonexistent-directory/x.spnet"));
  /* A directory: the reason differs. */
  assert_int_equal(sp_save_file(a, "."), SP_ERR_IO);
  assert_non_null(strstr(sp_last_error(), "is a directory"));
  /* A write that fails (Linux's /dev/full: every write is ENOSPC). */
  {
    FILE *full = fopen("/dev/full", "wb");
    if (full) {
      fclose(full);
      assert_int_equal(sp_save_file(a, "/dev/full"), SP_ERR_IO);
      assert_non_null(strstr(sp_last_error(), "no space left on device"));
    }
  }
  free(buf);
  sp_network_destroy(a);
}

/* A file whose checksum is right but whose phase-frame queue key disagrees with its neuron's
 * state (and is not the due key) is refused: the queue would run in a wrong order. */
static void test_inconsistent_queue_key_is_refused(void **state) {
  variant v = variants[0]; /* LIF, phase frame, no inputs */
  sp_network *a = make(&v), *b = NULL;
  size_t len, keys;
  unsigned char *buf;
  uint64_t bits;
  double key;
  sp_spike sp;
  int s;
  (void)state;
  for (s = 0; s < 200; ++s) assert_int_equal(sp_step(a, &sp), SP_OK);
  buf = save(a, &len);
  /* The keys are the last n f64 before the input queue (u32 count, u64 sequence, no entries)
   * and the checksum. */
  keys = len - 8 - 12 - 8 * N;
  bits = 0;
  for (s = 7; s >= 0; --s) bits = bits << 8 | buf[keys + 8 * 5 + (size_t)s];
  memcpy(&key, &bits, 8);
  key *= 1.5;
  memcpy(&bits, &key, 8);
  fmt_put_le(buf + keys + 8 * 5, bits, 8);
  fmt_reseal(buf, len);
  assert_int_equal(sp_load(buf, len, NULL, &b), SP_ERR_FORMAT);
  assert_non_null(strstr(sp_last_error(), "queue key"));
  assert_null(b);
  free(buf);
  sp_network_destroy(a);
}

/* A QIF neuron with a tiny drive beside a fast one: every re-base (one per 64 radians of the
   fast neuron's phase) rounds the slow neuron's phase, and one ulp of it is worth 7e-10 s, so
   after a hundred re-bases its kept time-frame key is 2e-8 s from the spike time recomputed
   from the phase. Such a file, written by sp_save, loads and continues bit-identically; a key
   further off than the re-bases' rounding can explain (3 ms) is still refused. (An outside API
   fuzzer's finding: the loader allowed 1e-9 relative and refused the bytes sp_save wrote.) */
static void test_qif_tiny_drive_keys_survive_rebases(void **state) {
  sp_network_desc d;
  sp_network *a = NULL, *b = NULL;
  double qdrives[2] = {1e-17, 1e9}, v0[2] = {1.5561207651502433, 0.0};
  unsigned char *buf;
  size_t len, count = 0, keys;
  uint64_t bits;
  double key;
  int k, i;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_QIF;
  d.n = 2;
  d.tau = 0.01;
  d.drives = qdrives;
  d.v0 = v0;
  assert_int_equal(sp_network_create(&d, &a), SP_OK);
  assert_int_equal(sp_run(a, 0.001, NULL, 0, &count), SP_OK);
  assert_true(count > 1000); /* the fast neuron: a re-base every 64 radians of its phase */
  assert_int_equal(sp_network_frame(a), SP_FRAME_TIME);
  buf = save(a, &len);
  if (sp_load(buf, len, NULL, &b) != SP_OK) fail_msg("sp_load: %s", sp_last_error());
  for (k = 0; k < 3000; ++k) {
    sp_spike sa, sb;
    assert_int_equal(sp_step(a, &sa), SP_OK);
    assert_int_equal(sp_step(b, &sb), SP_OK);
    if (sa.neuron != sb.neuron || memcmp(&sa.t, &sb.t, sizeof sa.t) != 0)
      fail_msg("spike %d after load: neuron %u at %.17g, loaded copy neuron %u at %.17g", k,
               sa.neuron, sa.t, sb.neuron, sb.t);
  }
  sp_network_destroy(b);
  b = NULL;
  /* The slow neuron's key (next spike about 0.0064 s) moved 0.003 s later:
   * the keys are the last two f64 before the empty input queue (u32 count, u64 sequence), the
   * same-instant flags (a byte per neuron) and the checksum. */
  keys = len - 8 - 2 - 12 - 8 * 2;
  bits = 0;
  for (i = 7; i >= 0; --i) bits = bits << 8 | buf[keys + (size_t)i];
  memcpy(&key, &bits, 8);
  assert_true(key > 0.006 && key < 0.007);
  key += 0.003;
  memcpy(&bits, &key, 8);
  fmt_put_le(buf + keys, bits, 8);
  fmt_reseal(buf, len);
  assert_int_equal(sp_load(buf, len, NULL, &b), SP_ERR_FORMAT);
  assert_non_null(strstr(sp_last_error(), "queue key[0]"));
  assert_null(b);
  free(buf);
  sp_network_destroy(a);
}

/* The same-instant rule survives a save: a LIF neuron whose free period is below the resolution
   of now() spikes once at an instant and is then refused (SP_ERR_NUMERIC) rather than spiking
   there again. It gets there held down by inhibitory inputs while now() grows to 2^24 tau (its
   period, 2^-29.5 tau, is then below an ulp of now()). Saved right after such a spike, with or
   without inputs queued at that instant (to it and to a neighbour it projects to), the loaded
   copy must go on exactly as the original: the same statuses, spikes and saved bytes at every
   step. */
static int same_bytes(const sp_network *a, const sp_network *b) {
  size_t la, lb;
  unsigned char *pa = save(a, &la), *pb = save(b, &lb);
  int same = la == lb && memcmp(pa, pb, la) == 0;
  free(pa);
  free(pb);
  return same;
}

static void test_same_instant_rule_survives_load(void **state) {
  int queued; /* inputs queued at the instant before saving: 0, 1 (channel 1) or 2 */
  (void)state;
  for (queued = 0; queued <= 2; ++queued) {
    sp_network_desc d;
    sp_network *a = NULL, *b = NULL;
    uint64_t rp[3] = {0, 1, 1}, irp[3] = {0, 1, 3};
    uint32_t tg[1] = {1}, itg[3] = {0, 0, 1};
    double w[1] = {0.3}, iw[3] = {-1e100, 0.2, 0.9}, v0[2] = {0.0, 0.0};
    double dr[2];
    sp_spike e;
    unsigned char *buf;
    size_t len;
    double t;
    int k, refused = 0, spikes = 0;
    sp_status st;
    dr[0] = pow(2.0, 29.5);
    dr[1] = 0.5;
    sp_network_desc_init(&d, sizeof d);
    d.model = SP_MODEL_LIF;
    d.n = 2;
    d.tau = 1.0;
    d.drives = dr;
    d.v0 = v0;
    d.recurrent.row_ptr = rp;
    d.recurrent.targets = tg;
    d.recurrent.weights = w;
    d.n_inputs = 2;
    d.inputs.row_ptr = irp;
    d.inputs.targets = itg;
    d.inputs.weights = iw;
    d.input_capacity = 8;
    assert_int_equal(sp_network_create(&d, &a), SP_OK);
    assert_int_equal(sp_input(a, 0, 0.0), SP_OK);
    for (t = 150; t < 0x1p24; t += 150) { /* recovery from -1e100 takes ~230 tau */
      size_t count = 1;
      assert_int_equal(sp_input(a, 0, t), SP_OK);
      assert_int_equal(sp_run(a, t, NULL, 0, &count), SP_OK);
      assert_int_equal(count, 0);
    }
    /* Step until the refusal: the last spike was at now(), by neuron 0. */
    while ((st = sp_step(a, &e)) == SP_OK) ++spikes;
    assert_int_equal(st, SP_ERR_NUMERIC);
    assert_true(spikes >= 1);
    assert_int_equal(e.neuron, 0);
    assert_true(e.t == sp_now(a));
    if (queued >= 1) assert_int_equal(sp_input(a, 1, sp_now(a)), SP_OK);
    if (queued >= 2) assert_int_equal(sp_input(a, 1, sp_now(a)), SP_OK);
    buf = save(a, &len);
    assert_int_equal(sp_load(buf, len, NULL, &b), SP_OK);
    free(buf);
    assert_true(same_bytes(a, b));
    for (k = 0; k < 6; ++k) {
      sp_spike ea, eb;
      sp_status sa = sp_step(a, &ea), sb = sp_step(b, &eb);
      if (sa != sb)
        fail_msg("%d queued, step %d: %s original, %s loaded", queued, k, sp_status_name(sa),
                 sp_status_name(sb));
      if (sa == SP_OK && (ea.neuron != eb.neuron || memcmp(&ea.t, &eb.t, sizeof ea.t) != 0))
        fail_msg("%d queued, step %d: spike (%u, %.17g) original, (%u, %.17g) loaded", queued, k,
                 ea.neuron, ea.t, eb.neuron, eb.t);
      if (sa == SP_ERR_NUMERIC) ++refused;
      if (!same_bytes(a, b)) fail_msg("%d queued, step %d: saved bytes differ", queued, k);
    }
    assert_true(refused > 0); /* the rule was exercised */
    sp_network_destroy(b);
    sp_network_destroy(a);
  }
}

/* A network whose input queue is larger than a saved network may have (2^24 inputs, the
 * loader's bound) would save to bytes sp_load refuses: sp_save, measuring or writing, and
 * sp_save_file refuse it instead, naming the field, and write nothing. At the bound it saves
 * and loads. */
static sp_network *make_with_input_capacity(uint32_t capacity) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_network_desc_init(&d, sizeof d);
  d.n = 3;
  d.drive = 1.2;
  d.n_inputs = 1;
  d.inputs.k = 1;
  d.inputs.weight = 0.1;
  d.input_capacity = capacity;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  return net;
}

static void test_save_refuses_an_input_queue_load_would_refuse(void **state) {
  char path[] = "test_save_load_capacity.spnet";
  unsigned char bytes[64];
  size_t len = 12345, n;
  FILE *f;
  sp_network *net = make_with_input_capacity((1u << 24) + 1), *b = NULL;
  unsigned char *buf;
  (void)state;
  assert_int_equal(sp_save(net, NULL, 0, &len), SP_ERR_UNSUPPORTED);
  assert_non_null(strstr(sp_last_error(), "input_capacity = 16777217"));
  assert_int_equal(len, 12345);
  memset(bytes, 0xab, sizeof bytes);
  assert_int_equal(sp_save(net, bytes, sizeof bytes, &len), SP_ERR_UNSUPPORTED);
  for (n = 0; n < sizeof bytes; ++n) assert_int_equal(bytes[n], 0xab);
  assert_int_equal(len, 12345);
  remove(path);
  assert_int_equal(sp_save_file(net, path), SP_ERR_UNSUPPORTED);
  assert_non_null(strstr(sp_last_error(), "input_capacity = 16777217"));
  f = fopen(path, "rb");
  assert_null(f); /* not even created */
  sp_network_destroy(net);

  net = make_with_input_capacity(1u << 24);
  assert_int_equal(sp_input(net, 0, 0.001), SP_OK);
  buf = save(net, &len);
  assert_int_equal(sp_load(buf, len, NULL, &b), SP_OK);
  sp_network_destroy(b);
  assert_int_equal(sp_save_file(net, path), SP_OK);
  assert_int_equal(sp_load_file(path, &b), SP_OK);
  remove(path);
  sp_network_destroy(b);
  sp_network_destroy(net);
  free(buf);
}

/* Two networks in one state save the same bytes: a network run and rewound, a copy of it loaded
 * and rewound, and a replica of it, each at t = 0 as created. The cached clock's value, stale
 * once its time is none (NaN, as a rewind leaves it), was written as it stood, and the three
 * differed there alone (an outside client's finding); it is written as 0 now. */
static void test_same_state_saves_same_bytes(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof variants / sizeof variants[0]; ++i) {
    sp_network *a = make(&variants[i]), *fresh = make(&variants[i]), *copy = NULL, *rep = NULL;
    unsigned char *bytes, *fresh_bytes, *copy_bytes, *rep_bytes;
    size_t len, fresh_len, copy_len, rep_len;
    sp_spike sp;
    int k;
    for (k = 0; k < 200; ++k) assert_int_equal(sp_step(a, &sp), SP_OK);
    bytes = save(a, &len);
    assert_int_equal(sp_load(bytes, len, NULL, &copy), SP_OK);
    assert_int_equal(sp_rewind(a), SP_OK);
    assert_int_equal(sp_rewind(copy), SP_OK);
    assert_int_equal(sp_network_replica(a, &rep), SP_OK);
    free(bytes);
    bytes = save(a, &len);
    fresh_bytes = save(fresh, &fresh_len);
    copy_bytes = save(copy, &copy_len);
    rep_bytes = save(rep, &rep_len);
    if (len != fresh_len || memcmp(bytes, fresh_bytes, len) != 0 || len != copy_len ||
        memcmp(bytes, copy_bytes, len) != 0 || len != rep_len || memcmp(bytes, rep_bytes, len) != 0)
      fail_msg("%s: a rewound network, a fresh one, a rewound copy and a replica save different "
               "bytes",
               variants[i].name);
    free(bytes);
    free(fresh_bytes);
    free(copy_bytes);
    free(rep_bytes);
    sp_network_destroy(rep);
    sp_network_destroy(copy);
    sp_network_destroy(fresh);
    sp_network_destroy(a);
  }
}

/* LIF in the time frame keeps a far neuron's next spike time, flagged stale, when an input of
 * negative weight only delays it, and computes the new key when the queue reaches the neuron;
 * a loaded copy starts with every key computed. Inputs too small to change a voltage (weights
 * -1e-300 and -1e-14) leave keys whose recomputation after a re-base of the clock may round
 * an ulp below the stale one: the copy continues bit-identically only if a refreshed key is the
 * one computed from the state alone, never the larger of the two. (An outside tester's finding
 * against an earlier version of the stale keys: spikes an ulp apart after a few hundred.) */
static void test_lif_stale_keys_continue_after_load(void **state) {
  enum { kN = 300, kInputs = 1000 };
  static const double ws[] = {-1e-300, -1e-14, -0.01};
  static const double saves[] = {5.3, 31.1, 63.3};
  static double lif_drives[kN];
  static uint32_t all[kN];
  uint64_t rows[2] = {0, kN};
  size_t w, k, len;
  uint32_t i;
  (void)state;
  for (i = 0; i < kN; ++i) {
    lif_drives[i] = 1.1 + 0.9 * i / kN; /* differing drives: the time frame */
    all[i] = i;
  }
  for (w = 0; w < sizeof ws / sizeof ws[0]; ++w)
    for (k = 0; k < sizeof saves / sizeof saves[0]; ++k) {
      sp_network_desc d;
      sp_network *a = NULL, *b = NULL;
      unsigned char *buf;
      sp_spike sa, sb;
      double ti = 0.13;
      long s;
      sp_network_desc_init(&d, sizeof d);
      d.model = SP_MODEL_LIF;
      d.n = kN;
      d.tau = 1.0;
      d.drives = lif_drives;
      d.n_inputs = 1;
      d.inputs.row_ptr = rows;
      d.inputs.targets = all;
      d.inputs.weight = ws[w];
      d.input_capacity = kInputs;
      assert_int_equal(sp_network_create(&d, &a), SP_OK);
      assert_int_equal(sp_network_frame(a), SP_FRAME_TIME);
      for (; ti < saves[k]; ti += 0.13) assert_int_equal(sp_input(a, 0, ti), SP_OK);
      assert_int_equal(sp_run(a, saves[k], NULL, 0, NULL), SP_OK);
      buf = save(a, &len);
      assert_int_equal(sp_load(buf, len, NULL, &b), SP_OK);
      free(buf);
      for (; ti < 100.0; ti += 0.13) {
        assert_int_equal(sp_input(a, 0, ti), SP_OK);
        assert_int_equal(sp_input(b, 0, ti), SP_OK);
      }
      for (s = 0; sp_now(a) < 100.0; ++s) {
        assert_int_equal(sp_step(a, &sa), SP_OK);
        assert_int_equal(sp_step(b, &sb), SP_OK);
        if (sa.neuron != sb.neuron || memcmp(&sa.t, &sb.t, sizeof sa.t) != 0)
          fail_msg("weight %g, saved at %g: spike %ld is neuron %u at %.17g in the original, "
                   "%u at %.17g in the loaded copy",
                   ws[w], saves[k], s, sa.neuron, sa.t, sb.neuron, sb.t);
      }
      assert_true(s > 5000); /* (9,500 to 27,000 spikes after the save) */
      sp_network_destroy(b);
      sp_network_destroy(a);
    }
}

/* The same with keys packed within ulps of one another: drives 1 + 1e-15 to 3e-14 (first spikes
 * near 31-35 tau, after a re-base at 32 tau), initial voltages a few 1e-16 apart, inputs and
 * recurrent couplings of -1e-300 to 1e-15, the time frame forced. The queue's buckets are then
 * about an ulp wide, and a re-base leaves keys the rounded states would put an ulp lower: an
 * input that leaves such a key stale and too high puts the neuron after the others due at the
 * same time, out of index order, and a loaded copy (whose keys are computed) continues
 * differently. (An outside reviewer's finding against the first version of the stale keys:
 * 314 of 2300 such networks differed from the code before them, and 152 loaded copies.) */
static uint64_t mix_state;
static uint64_t mix_next(void) { /* SplitMix64 */
  uint64_t z = (mix_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double mix_unit(void) { return (double)(mix_next() >> 11) * 0x1.0p-53; }

static void test_lif_clustered_keys_continue_after_load(void **state) {
  enum { kMaxN = 316, kCases = 60 };
  static const double tiny[] = {-1e-300, -1e-14, -1e-15, -3e-16, 1e-300, 1e-15};
  static double v0[kMaxN], lif_drives[kMaxN], in_w[2 * kMaxN];
  static uint32_t in_targets[2 * kMaxN];
  int c;
  (void)state;
  for (c = 0; c < kCases; ++c) {
    sp_network_desc d;
    sp_network *a = NULL, *b = NULL;
    const uint32_t n = 16 + (uint32_t)(c * 37 % 300);
    uint64_t rows[3] = {0, n, 2 * (uint64_t)n};
    double spread, dd, first;
    uint32_t i;
    int q, k;
    mix_state = 1000 + (uint64_t)c;
    spread = (double)(1 + mix_next() % 40) * 1e-16;
    dd = (double)(1 + mix_next() % 30) * 1e-15;
    for (i = 0; i < n; ++i) {
      v0[i] = (double)(mix_next() % 64) * spread;
      lif_drives[i] = 1.0 + dd * ((c & 1) && (i & 1) ? 1.5 : 1.0);
      in_targets[i] = in_targets[n + i] = i;
      in_w[i] = tiny[mix_next() % 4];
      in_w[n + i] = tiny[mix_next() % 6];
    }
    sp_network_desc_init(&d, sizeof d);
    d.model = SP_MODEL_LIF;
    d.n = n;
    d.tau = 1.0;
    d.drives = lif_drives;
    d.v0 = v0;
    d.frame = SP_FRAME_TIME;
    d.n_inputs = 2;
    d.inputs.row_ptr = rows;
    d.inputs.targets = in_targets;
    if (c & 2)
      d.inputs.weights = in_w;
    else
      d.inputs.weight = tiny[mix_next() % 4];
    d.input_capacity = 256;
    d.recurrent.k = 1 + (uint32_t)(mix_next() % 4);
    d.recurrent.weight = tiny[mix_next() % 4];
    d.recurrent.seed = (uint64_t)c;
    assert_int_equal(sp_network_create(&d, &a), SP_OK);
    first = -log(dd); /* the first spikes' time, in tau */
    for (q = 1 + (int)(mix_next() % 30); q > 0; --q)
      assert_int_equal(sp_input(a, (uint32_t)(mix_next() % 2),
                                fmax(32.0001, 32.0 + (first - 32.0) * 1.2 * mix_unit())),
                       SP_OK);
    for (k = 0; k < 3000; ++k) {
      sp_spike sa, sb;
      if (!b && sp_now(a) > 32.001) {
        size_t len;
        unsigned char *buf = save(a, &len);
        assert_int_equal(sp_load(buf, len, NULL, &b), SP_OK);
        free(buf);
      }
      assert_int_equal(sp_step(a, &sa), SP_OK);
      if (b) {
        assert_int_equal(sp_step(b, &sb), SP_OK);
        if (sa.neuron != sb.neuron || memcmp(&sa.t, &sb.t, sizeof sa.t) != 0)
          fail_msg("case %d (n = %u): spike %d is neuron %u at %a in the original, %u at %a in "
                   "the loaded copy",
                   c, n, k, sa.neuron, sa.t, sb.neuron, sb.t);
      }
      if (k % 50 == 0) {
        const uint32_t channel = (uint32_t)(mix_next() % 2);
        const double t = sp_now(a) + 1e-3 * mix_unit();
        assert_int_equal(sp_input(a, channel, t), SP_OK);
        if (b) assert_int_equal(sp_input(b, channel, t), SP_OK);
      }
    }
    assert_non_null(b); /* (saved before the end) */
    sp_network_destroy(b);
    sp_network_destroy(a);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_continuation_is_bit_identical),
      cmocka_unit_test(test_every_truncation_and_flip_is_refused),
      cmocka_unit_test(test_magic_version_and_files),
      cmocka_unit_test(test_inconsistent_queue_key_is_refused),
      cmocka_unit_test(test_qif_tiny_drive_keys_survive_rebases),
      cmocka_unit_test(test_lif_stale_keys_continue_after_load),
      cmocka_unit_test(test_lif_clustered_keys_continue_after_load),
      cmocka_unit_test(test_same_instant_rule_survives_load),
      cmocka_unit_test(test_save_refuses_an_input_queue_load_would_refuse),
      cmocka_unit_test(test_same_state_saves_same_bytes),
  };
  return cmocka_run_group_tests_name("save_load", tests, NULL, NULL);
}
