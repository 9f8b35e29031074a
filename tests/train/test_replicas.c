/* test_replicas.c - replicas (sp_network_replica) and gradient accumulation
   (sp_grads_accumulate): a replica runs a sample exactly as an independent network created
   from the same description; the gradients of a batch summed from replicas match central
   finite differences of the batch loss; a parameter change on the parent reaches the replicas
   at their next rewind and is refused before it; memory of a replica against a full network;
   saving a replica; every rejection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "replica_net.h"
#include "train_util.h"

#define BATCH 4

static sp_network *make_parent(replica_net *r, const sp_allocator *a) {
  sp_network_desc d;
  sp_network *net = NULL;
  rn_desc(r, &d, 7);
  d.allocator = a;
  assert_sp_ok(sp_network_create(&d, &net));
  return net;
}

/* Spikes of sample b on net, with their count. */
static size_t sample_spikes(sp_network *net, uint32_t b, sp_spike *out) {
  uint32_t channels[8];
  double times[8];
  size_t count = 0;
  rn_sample(b, channels, times);
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input_many(net, channels, times, 8));
  assert_sp_ok(sp_run(net, RN_T_END, out, RN_MAX_SPIKES, &count));
  return count;
}

static void test_replica_runs_as_an_independent_network(void **state) {
  static replica_net r, r2;
  static sp_spike a[RN_MAX_SPIKES], b[RN_MAX_SPIKES];
  sp_network *parent = make_parent(&r, NULL), *copy = make_parent(&r2, NULL), *rep = NULL,
             *rep2 = NULL;
  uint32_t s;
  (void)state;
  assert_sp_ok(sp_network_replica(parent, &rep));
  assert_sp_ok(sp_network_replica(rep, &rep2)); /* a replica of the root parent */
  for (s = 0; s < 3; s++) {
    size_t na = sample_spikes(copy, s, a), nb = sample_spikes(rep, s, b), i;
    assert_true(na > 10);
    assert_int_equal(na, nb);
    for (i = 0; i < na; i++)
      assert_true(a[i].neuron == b[i].neuron && abi_same_bits(a[i].t, b[i].t) &&
                  a[i].flags == b[i].flags);
    nb = sample_spikes(rep2, s, b);
    assert_int_equal(na, nb);
    for (i = 0; i < na; i++) assert_true(abi_same_bits(a[i].t, b[i].t));
  }
  sp_network_destroy(rep2);
  sp_network_destroy(rep);
  sp_network_destroy(parent);
  sp_network_destroy(copy);
}

/* The batch loss at the parent's current parameters, each sample on a replica. */
static double batch_loss(sp_network **reps) {
  double loss = 0.0;
  sp_status st = SP_OK;
  uint32_t b;
  for (b = 0; b < BATCH; b++) {
    assert_sp_ok(sp_rewind(reps[b % 2]));
    loss += rn_run_sample(reps[b % 2], b, 0, &st);
  }
  assert_sp_ok(st);
  return loss;
}

/* Gradients summed from two replicas (two samples each) into the parent, against central
   finite differences of the batch loss, for every parameter kind. */
static void test_accumulated_gradients_match_finite_differences(void **state) {
  static replica_net r;
  static double g[RN_N * RN_K], p[RN_N * RN_K];
  const sp_param kinds[] = {SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES, SP_PARAM_V0};
  sp_network *parent = make_parent(&r, NULL), *reps[2];
  sp_status st = SP_OK;
  uint32_t b, k;
  size_t checked = 0, nonzero = 0;
  double max_err = 0.0;
  (void)state;
  assert_sp_ok(sp_network_replica(parent, &reps[0]));
  assert_sp_ok(sp_network_replica(parent, &reps[1]));
  for (b = 0; b < BATCH; b++) rn_run_sample(reps[b % 2], b, 1, &st);
  assert_sp_ok(st);
  assert_sp_ok(sp_grads_accumulate(parent, reps[0])); /* allocates the parent's gradients */
  assert_sp_ok(sp_grads_accumulate(parent, reps[1]));
  for (k = 0; k < 4; k++) {
    size_t len = 0, i;
    assert_sp_ok(sp_param_count(parent, kinds[k], &len));
    assert_sp_ok(sp_get_grads(parent, kinds[k], g, len));
    assert_sp_ok(sp_get_params(parent, kinds[k], p, len));
    for (i = 0; i < len; i++) {
      const double h = 1e-6 * fmax(1.0, fabs(p[i])), keep = p[i];
      double lp, lm, fd;
      p[i] = keep + h;
      assert_sp_ok(sp_set_params(parent, kinds[k], p, len));
      lp = batch_loss(reps);
      p[i] = keep - h;
      assert_sp_ok(sp_set_params(parent, kinds[k], p, len));
      lm = batch_loss(reps);
      p[i] = keep;
      assert_sp_ok(sp_set_params(parent, kinds[k], p, len));
      fd = (lp - lm) / (2 * h);
      /* (They agree to about 1e-9 here: 1e-7 leaves room for other machines.) */
      if (fabs(fd - g[i]) > 1e-7 * fmax(1.0, fabs(g[i])))
        abi_fail_at(__FILE__, __LINE__, "kind %d [%zu]: accumulated %.12g, finite difference %.12g",
                    (int)kinds[k], i, g[i], fd);
      max_err = fmax(max_err, fabs(fd - g[i]) / fmax(1.0, fabs(g[i])));
      checked++;
      nonzero += g[i] != 0.0;
    }
  }
  print_message("# %zu parameters checked (%zu non-zero), max error %.3g\n", checked, nonzero,
                max_err);
  assert_true(nonzero > 20);
  sp_network_destroy(reps[0]);
  sp_network_destroy(reps[1]);
  sp_network_destroy(parent);
}

/* A call on a replica whose parent's parameters changed: SP_ERR_STATE naming word. */
#define assert_stale(call, word)                                                             \
  do {                                                                                       \
    assert_int_equal((call), SP_ERR_STATE);                                                  \
    if (!strstr(sp_last_error(), word))                                                      \
      abi_fail_at(__FILE__, __LINE__, "%s: message '%s' lacks '%s'", #call, sp_last_error(), \
                  word);                                                                     \
  } while (0)

/* A parameter change on the parent: replicas refuse to compute until rewound, then run with
   the new values (as a network created with them). */
static void test_parent_changes_reach_replicas_at_rewind(void **state) {
  static replica_net r, r2;
  static sp_spike a[RN_MAX_SPIKES], b[RN_MAX_SPIKES];
  static double w[RN_N * RN_K], got[RN_N * RN_K];
  sp_network *parent = make_parent(&r, NULL), *rep = NULL, *fresh = NULL;
  sp_network_desc d;
  size_t len = RN_N * RN_K, na, nb, i, saved_len = 0;
  double v;
  (void)state;
  assert_sp_ok(sp_network_replica(parent, &rep));
  assert_sp_ok(sp_record(rep, 16));
  assert_sp_ok(sp_get_params(parent, SP_PARAM_WEIGHTS, w, len));
  for (i = 0; i < len; i++) w[i] *= 1.1;
  assert_sp_ok(sp_set_params(parent, SP_PARAM_WEIGHTS, w, len));
  assert_sp_ok(sp_set_drive(parent, 5, 1.05));
  assert_sp_ok(sp_get_params(rep, SP_PARAM_WEIGHTS, got, len)); /* the parent's */
  assert_memory_equal(got, w, sizeof(double) * len);
  /* (A stale replica cannot be saved, so "unchanged" is not checked by its bytes here: the
     rewind below resets whatever it holds, and the spikes after it are compared.) */
  assert_stale(sp_run(rep, 0.01, NULL, 0, NULL), "sp_rewind");
  assert_stale(sp_step(rep, a), "sp_rewind");
  assert_stale(sp_backward(rep, NULL, 0, NULL), "sp_rewind");
  assert_stale(sp_record(rep, 4), "sp_rewind");
  assert_stale(sp_voltage(rep, 0, &v), "parent");
  /* Its state and keys belong to the old parameters: saved, they would not load (a fuzz_api
     finding), so saving is refused too. */
  assert_stale(sp_save(rep, NULL, 0, &saved_len), "sp_rewind");
  assert_int_equal(saved_len, 0);
  assert_stale(sp_save_file(rep, "replica-stale.spnet"), "sp_rewind");
  assert_sp_ok(sp_rewind(rep));
  {
    /* Rewound, it saves bytes that load. */
    unsigned char *bytes;
    sp_network *copy = NULL;
    assert_sp_ok(sp_save(rep, NULL, 0, &saved_len));
    bytes = malloc(saved_len);
    assert_non_null(bytes);
    assert_sp_ok(sp_save(rep, bytes, saved_len, &saved_len));
    assert_sp_ok(sp_load(bytes, saved_len, NULL, &copy));
    sp_network_destroy(copy);
    free(bytes);
  }

  rn_desc(&r2, &d, 7);
  memcpy(r2.weights, w, sizeof(double) * len);
  r2.drives[5] = 1.05;
  assert_sp_ok(sp_network_create(&d, &fresh));
  na = sample_spikes(fresh, 1, a);
  nb = sample_spikes(rep, 1, b);
  assert_int_equal(na, nb);
  for (i = 0; i < na; i++) assert_true(a[i].neuron == b[i].neuron && abi_same_bits(a[i].t, b[i].t));
  sp_network_destroy(fresh);
  sp_network_destroy(rep);
  sp_network_destroy(parent);
}

/* Setting values the parent already has changes nothing (header: sp_set_drive, sp_set_params):
   its replicas stay current and run as before; a value that differs in one bit makes them
   stale. */
static void test_same_values_keep_replicas_current(void **state) {
  static replica_net r;
  static double w[RN_N * RN_K], drives[RN_N];
  static sp_spike a[RN_MAX_SPIKES];
  sp_network *parent = make_parent(&r, NULL), *rep = NULL;
  size_t len = RN_N * RN_K, count;
  double drive;
  (void)state;
  assert_sp_ok(sp_network_replica(parent, &rep));
  assert_sp_ok(sp_get_params(parent, SP_PARAM_WEIGHTS, w, len));
  assert_sp_ok(sp_get_params(parent, SP_PARAM_DRIVES, drives, RN_N));
  assert_sp_ok(sp_set_params(parent, SP_PARAM_WEIGHTS, w, len));
  assert_sp_ok(sp_set_params(parent, SP_PARAM_DRIVES, drives, RN_N));
  assert_sp_ok(sp_set_drive(parent, 5, drives[5]));
  count = sample_spikes(rep, 1, a);
  assert_true(count > 0);
  /* One bit of one weight: stale. */
  w[3] = nextafter(w[3], INFINITY);
  assert_sp_ok(sp_set_params(parent, SP_PARAM_WEIGHTS, w, len));
  assert_stale(sp_run(rep, RN_T_END, NULL, 0, NULL), "sp_rewind");
  assert_sp_ok(sp_rewind(rep));
  /* A drive that differs: stale again. */
  drive = drives[5] * 1.01;
  assert_sp_ok(sp_set_drive(parent, 5, drive));
  assert_stale(sp_run(rep, RN_T_END, NULL, 0, NULL), "sp_rewind");
  sp_network_destroy(rep);
  sp_network_destroy(parent);
}

static void test_replica_rejections(void **state) {
  static replica_net r, r2;
  static double w[RN_N * RN_K];
  sp_network *parent = make_parent(&r, NULL), *other = make_parent(&r2, NULL), *rep = NULL,
             *rep2 = NULL, *out = parent;
  size_t len = RN_N * RN_K;
  (void)state;
  assert_status(sp_network_replica(NULL, &out), SP_ERR_ARGUMENT);
  assert_true(out == NULL);
  assert_rejected(parent, sp_network_replica(parent, NULL), SP_ERR_ARGUMENT, "out", NULL);
  assert_sp_ok(sp_network_replica(parent, &rep));
  assert_sp_ok(sp_network_replica(parent, &rep2));
  assert_sp_ok(sp_get_params(parent, SP_PARAM_WEIGHTS, w, len));
  assert_rejected(rep, sp_set_params(rep, SP_PARAM_WEIGHTS, w, len), SP_ERR_UNSUPPORTED, "replica",
                  "parameters");
  assert_rejected(rep, sp_set_drive(rep, 0, 1.1), SP_ERR_UNSUPPORTED, "replica", "drives");

  assert_status(sp_grads_accumulate(NULL, rep), SP_ERR_ARGUMENT);
  assert_rejected(parent, sp_grads_accumulate(parent, NULL), SP_ERR_ARGUMENT, "src", NULL);
  assert_rejected(parent, sp_grads_accumulate(parent, parent), SP_ERR_ARGUMENT, "dst", "same");
  assert_rejected(other, sp_grads_accumulate(other, rep), SP_ERR_ARGUMENT, "dst", "share");
  assert_rejected(rep, sp_grads_accumulate(rep, other), SP_ERR_ARGUMENT, "src", "share");
  assert_sp_ok(sp_grads_accumulate(rep2, rep)); /* siblings share; nothing recorded: no-op */
  sp_network_destroy(rep);
  sp_network_destroy(rep2);
  sp_network_destroy(parent);
  sp_network_destroy(other);
}

/* Sums that overflow: SP_ERR_NUMERIC, dst's gradients unchanged. A single LIF neuron with
   tau = 1 and drive 1 + 1e-4 fires at T = ln(I/(I-1)), dT/dI = -1/(I (I - 1)), about -1e4:
   dL/dT = 1e304 gives a drive gradient near -1e308, two of them overflow. */
static void test_accumulate_overflow(void **state) {
  sp_network_desc d;
  sp_network *parent = NULL, *rep[2];
  const uint32_t watch[] = {0};
  double dl_dt[1] = {1e304}, before, after;
  sp_spike s;
  size_t count, i;
  abi_msg m;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.n = 1;
  d.tau = 1.0;
  d.drive = 1.0001;
  d.init_seed = 1;
  assert_sp_ok(sp_network_create(&d, &parent));
  for (i = 0; i < 2; i++) {
    assert_sp_ok(sp_network_replica(parent, &rep[i]));
    assert_sp_ok(sp_record(rep[i], 4));
    assert_sp_ok(sp_run_until(rep[i], 100.0, watch, 1, &s, 1, &count));
    assert_sp_ok(sp_backward(rep[i], dl_dt, 1, NULL));
  }
  assert_sp_ok(sp_grads_accumulate(parent, rep[0]));
  assert_sp_ok(sp_get_grads(parent, SP_PARAM_DRIVES, &before, 1));
  assert_true(before < -1e307);
  assert_status(sp_grads_accumulate(parent, rep[1]), SP_ERR_NUMERIC);
  m = abi_last_error();
  abi_check_message("overflow", &m, "SP_PARAM_DRIVES[0]", NULL, NULL);
  assert_sp_ok(sp_get_grads(parent, SP_PARAM_DRIVES, &after, 1));
  assert_true(abi_same_bits(before, after));
  for (i = 0; i < 2; i++) sp_network_destroy(rep[i]);
  sp_network_destroy(parent);
}

/* A replica needs no copy of the connectivity: at N = 10^4 with K = 100 explicit weights it
   allocates a small fraction of what a full network does; everything is freed. */
static void test_replica_memory(void **state) {
  enum { N = 10000, K = 100 };
  abi_alloc_state st;
  sp_allocator a = abi_allocator(&st);
  sp_network_desc d;
  sp_network *parent = NULL, *rep = NULL;
  uint64_t *rows = malloc(sizeof(uint64_t) * (N + 1));
  uint32_t *targets = malloc(sizeof(uint32_t) * N * K);
  double *weights = malloc(sizeof(double) * N * K);
  size_t full, replica, i;
  (void)state;
  assert_non_null(rows);
  assert_non_null(targets);
  assert_non_null(weights);
  for (i = 0; i <= N; i++) rows[i] = i * K;
  for (i = 0; i < (size_t)N * K; i++) {
    targets[i] = (uint32_t)((i / K + 1 + (i % K) * 97) % N);
    weights[i] = -0.01;
  }
  sp_network_desc_init(&d, sizeof d);
  d.n = N;
  d.drive = 1.1;
  d.init_seed = 3;
  d.recurrent.row_ptr = rows;
  d.recurrent.targets = targets;
  d.recurrent.weights = weights;
  d.allocator = &a;
  assert_sp_ok(sp_network_create(&d, &parent));
  full = st.requested;
  assert_sp_ok(sp_network_replica(parent, &rep));
  replica = st.requested - full;
  print_message("# N = %d, K = %d explicit: network %zu bytes (%.1f per neuron), replica %zu "
                "bytes (%.1f per neuron, %.2f%%)\n",
                N, K, full, (double)full / N, replica, (double)replica / N,
                100.0 * (double)replica / (double)full);
  assert_true(replica * 20 < full);
  assert_sp_ok(sp_run(rep, 0.05, NULL, 0, NULL));
  sp_network_destroy(rep);
  sp_network_destroy(parent);
  assert_int_equal(st.live, 0);
  free(rows);
  free(targets);
  free(weights);
}

/* A saved replica loads as an ordinary network and continues as the replica does. */
static void test_saved_replica_loads(void **state) {
  static replica_net r;
  static sp_spike a[RN_MAX_SPIKES], b[RN_MAX_SPIKES];
  sp_network *parent = make_parent(&r, NULL), *rep = NULL, *loaded = NULL;
  saved bytes;
  size_t na = 0, nb = 0, i;
  (void)state;
  assert_sp_ok(sp_network_replica(parent, &rep));
  sample_spikes(rep, 2, a);
  assert_sp_ok(sp_rewind(rep));
  {
    uint32_t channels[8];
    double times[8];
    rn_sample(2, channels, times);
    assert_sp_ok(sp_input_many(rep, channels, times, 8));
  }
  assert_sp_ok(sp_run(rep, 0.01, NULL, 0, NULL));
  bytes = train_save(rep);
  assert_sp_ok(sp_load(bytes.p, bytes.len, NULL, &loaded));
  free(bytes.p);
  assert_sp_ok(sp_run(rep, RN_T_END, a, RN_MAX_SPIKES, &na));
  assert_sp_ok(sp_run(loaded, RN_T_END, b, RN_MAX_SPIKES, &nb));
  assert_int_equal(na, nb);
  for (i = 0; i < na; i++) assert_true(a[i].neuron == b[i].neuron && abi_same_bits(a[i].t, b[i].t));
  sp_network_destroy(loaded);
  sp_network_destroy(rep);
  sp_network_destroy(parent);
}

/* With current-based synapses (desc.tau_syn) a replica carries its own synaptic currents:
   it runs as an independent network does. */
static void test_replica_with_current_synapses(void **state) {
  static replica_net r, r2;
  static sp_spike a[RN_MAX_SPIKES], b[RN_MAX_SPIKES];
  sp_network_desc d;
  sp_network *parent = NULL, *copy = NULL, *rep = NULL;
  uint32_t s;
  (void)state;
  rn_desc(&r, &d, 7);
  d.tau_syn = 0.004;
  assert_sp_ok(sp_network_create(&d, &parent));
  rn_desc(&r2, &d, 7);
  d.tau_syn = 0.004;
  assert_sp_ok(sp_network_create(&d, &copy));
  assert_sp_ok(sp_network_replica(parent, &rep));
  for (s = 0; s < 2; s++) {
    size_t na = sample_spikes(copy, s, a), nb = sample_spikes(rep, s, b), i;
    assert_true(na > 5);
    assert_int_equal(na, nb);
    for (i = 0; i < na; i++)
      assert_true(a[i].neuron == b[i].neuron && abi_same_bits(a[i].t, b[i].t));
  }
  sp_network_destroy(rep);
  sp_network_destroy(parent);
  sp_network_destroy(copy);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replica_runs_as_an_independent_network),
      cmocka_unit_test(test_accumulated_gradients_match_finite_differences),
      cmocka_unit_test(test_parent_changes_reach_replicas_at_rewind),
      cmocka_unit_test(test_same_values_keep_replicas_current),
      cmocka_unit_test(test_replica_rejections),
      cmocka_unit_test(test_accumulate_overflow),
      cmocka_unit_test(test_replica_memory),
      cmocka_unit_test(test_saved_replica_loads),
      cmocka_unit_test(test_replica_with_current_synapses),
  };
  return cmocka_run_group_tests_name("train_replicas", tests, NULL, NULL);
}
