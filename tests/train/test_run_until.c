/* test_run_until.c - the per-sample calls: sp_run_until (stops right after the spike that
   completes the watched set, or at t_end), the spike flags (SP_SPIKE_TRIGGERED and
   SP_SPIKE_INPUT_TRIGGERED) against hand-built networks whose spike times have closed forms,
   sp_input_many (all or nothing), the end of a sample in which nothing spikes, and every
   rejection (status, message naming field and value, network unchanged). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "train_util.h"

#define TAU 0.01
#define T_IN 0.001

/* Time frame (drives differ). Neuron 0 (drive 1.5, v0 0) fires on its own at tau ln 3;
   input channel 0 kicks neuron 1 over threshold at T_IN, neuron 1 kicks neuron 2 over at the
   same instant; neuron 0 kicks neuron 3 over at tau ln 3. Neurons 1-3 have drive 0.5. */
static const uint64_t chain_rows[] = {0, 1, 2, 2, 2};
static const uint32_t chain_targets[] = {3, 2};
static const uint64_t chain_in_rows[] = {0, 1};
static const uint32_t chain_in_targets[] = {1};
static const double chain_drives[] = {1.5, 0.5, 0.5, 0.5};
static const double chain_v0[] = {0.0, 0.0, 0.0, 0.0};

static sp_network *make_chain(double t_ref) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 4;
  d.tau = TAU;
  d.drives = chain_drives;
  d.v0 = chain_v0;
  d.recurrent.row_ptr = chain_rows;
  d.recurrent.targets = chain_targets;
  d.recurrent.weight = 2.0;
  d.n_inputs = 1;
  d.inputs.row_ptr = chain_in_rows;
  d.inputs.targets = chain_in_targets;
  d.inputs.weight = 2.0;
  d.t_ref = t_ref;
  assert_sp_ok(sp_network_create(&d, &net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  return net;
}

static void check_spike(const sp_spike *s, double t, uint32_t neuron, uint32_t flags) {
  if (s->neuron != neuron || s->flags != flags || !abi_close(s->t, t, 1e-14, 0.0))
    abi_fail_at(__FILE__, __LINE__,
                "spike (t %.17g, neuron %u, flags %u), expected (t %.17g, neuron %u, flags %u)",
                s->t, s->neuron, s->flags, t, neuron, flags);
}

static const uint32_t IN = SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED;

static void check_chain_spikes(const sp_spike *s) {
  const double t0 = TAU * log(3.0);
  check_spike(&s[0], T_IN, 1, IN);
  check_spike(&s[1], T_IN, 2, IN);
  check_spike(&s[2], t0, 0, 0);
  check_spike(&s[3], t0, 3, SP_SPIKE_TRIGGERED);
}

static void test_flags_time_frame(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8];
  size_t count = 0, i;
  (void)state;
  assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
  assert_sp_ok(sp_run(net, 0.02, s, 8, &count));
  assert_int_equal(count, 4);
  check_chain_spikes(s);
  /* sp_step reports the same flags. */
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  for (i = 0; i < 4; i++) assert_sp_ok(sp_step(net, &s[i]));
  check_chain_spikes(s);
  sp_network_destroy(net);
}

/* Phase frame (one shared oscillatory drive 1.2): neuron 0 starts at 0.5 and fires on its own
   at tau ln(0.7/0.2); the input chain 1 -> 2 fires at T_IN; neuron 0 kicks neuron 2 over. */
static void test_flags_phase_frame(void **state) {
  static const uint64_t rows[] = {0, 1, 2, 2};
  static const uint32_t targets[] = {2, 2};
  static const uint64_t in_rows[] = {0, 1};
  static const uint32_t in_targets[] = {1};
  static const double v0[] = {0.5, 0.0, 0.0};
  sp_network_desc d;
  sp_network *net = NULL;
  sp_spike s[8];
  size_t count = 0;
  const double t0 = TAU * log(0.7 / 0.2);
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.n = 3;
  d.tau = TAU;
  d.drive = 1.2;
  d.v0 = v0;
  d.recurrent.row_ptr = rows;
  d.recurrent.targets = targets;
  d.recurrent.weight = 2.0;
  d.n_inputs = 1;
  d.inputs.row_ptr = in_rows;
  d.inputs.targets = in_targets;
  d.inputs.weight = 2.0;
  assert_sp_ok(sp_network_create(&d, &net));
  assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
  assert_sp_ok(sp_input(net, 0, T_IN));
  assert_sp_ok(sp_run(net, 0.015, s, 8, &count));
  assert_int_equal(count, 4);
  check_spike(&s[0], T_IN, 1, IN);
  check_spike(&s[1], T_IN, 2, IN);
  check_spike(&s[2], t0, 0, 0);
  check_spike(&s[3], t0, 2, SP_SPIKE_TRIGGERED);
  sp_network_destroy(net);
}

/* What the flags promise for gradients: dL/dt on input-triggered spikes gives no gradient at
   all; on a spike triggered by neuron 0's spike it is neuron 0's: dT/dI = -tau / (I (I - 1)). */
static void test_flags_and_gradients(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8];
  size_t count = 0, i;
  double dl_dt[4] = {1.0, 1.0, 0.0, 0.0}, g[4], gw[1], gin[1];
  (void)state;
  assert_sp_ok(sp_record(net, 8));
  assert_sp_ok(sp_run(net, 0.02, s, 8, &count));
  assert_int_equal(count, 4);
  assert_sp_ok(sp_backward(net, dl_dt, 4, NULL));
  assert_sp_ok(sp_get_grads(net, SP_PARAM_DRIVES, g, 4));
  assert_sp_ok(sp_get_grads(net, SP_PARAM_WEIGHTS, gw, 1));
  assert_sp_ok(sp_get_grads(net, SP_PARAM_INPUT_WEIGHTS, gin, 1));
  for (i = 0; i < 4; i++) assert_true(g[i] == 0.0);
  assert_true(gw[0] == 0.0 && gin[0] == 0.0);

  assert_sp_ok(sp_zero_grads(net));
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  assert_sp_ok(sp_record(net, 8));
  assert_sp_ok(sp_run(net, 0.02, s, 8, &count));
  dl_dt[0] = dl_dt[1] = dl_dt[2] = 0.0;
  dl_dt[3] = 1.0;
  assert_sp_ok(sp_backward(net, dl_dt, 4, NULL));
  assert_sp_ok(sp_get_grads(net, SP_PARAM_DRIVES, g, 4));
  assert_close(g[0], -TAU / (1.5 * 0.5), 1e-9);
  assert_true(g[1] == 0.0 && g[2] == 0.0 && g[3] == 0.0);
  sp_network_destroy(net);
}

static void test_run_until_stops_after_the_set(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8], all[8];
  size_t count = 0, n_all = 0, i;
  const uint32_t watch_31[] = {3, 1, 3}; /* a repeat counts once */
  const uint32_t watch_1[] = {1};
  (void)state;
  /* Every spike up to the one completing {1, 3}: all four, now() at the last. */
  assert_sp_ok(sp_run_until(net, 0.02, watch_31, 3, s, 8, &count));
  assert_int_equal(count, 4);
  check_chain_spikes(s);
  assert_true(sp_now(net) == s[3].t);

  /* {1}: stops right after neuron 1's spike; neuron 2, due at the same instant, comes next. */
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  assert_sp_ok(sp_run_until(net, 0.02, watch_1, 1, s, 8, &count));
  assert_int_equal(count, 1);
  check_spike(&s[0], T_IN, 1, IN);
  assert_true(sp_now(net) == T_IN);
  /* The marks are gone: watching {3} now runs past neuron 1's later spikes. */
  assert_sp_ok(sp_run_until(net, 0.02, watch_31, 1, s + 1, 7, &count));
  assert_int_equal(count, 3);
  check_chain_spikes(s);

  /* The same spikes as sp_run, bit for bit; counting only (buf NULL). */
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  assert_sp_ok(sp_run(net, s[3].t, all, 8, &n_all));
  assert_int_equal(n_all, 2); /* (sp_run stops before t_end = neuron 0's time) */
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  assert_sp_ok(sp_run_until(net, 0.02, watch_31, 2, NULL, 0, &count));
  assert_int_equal(count, 4);
  for (i = 0; i < n_all; i++) assert_true(abi_same_bits(all[i].t, s[i].t));
  sp_network_destroy(net);
}

/* A watched neuron that never spikes: the run ends at t_end with SP_OK and every spike. */
static void test_run_until_reaches_t_end(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8];
  size_t count = 0;
  const uint32_t watch[] = {3, 0};
  (void)state;
  assert_sp_ok(sp_run_until(net, 0.005, watch, 2, s, 8, &count));
  assert_int_equal(count, 2);
  assert_true(sp_now(net) == 0.005);
  sp_network_destroy(net);
}

/* Nothing will ever spike: a normal end for sp_run and sp_run_until (SP_OK, now() = t_end),
   SP_ERR_STATE for sp_step (which has no t_end to go to). */
static void test_silent_network_is_a_normal_end(void **state) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_spike s[4];
  size_t count = 99;
  const uint32_t watch[] = {0};
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.n = 3;
  d.drive = 0.5;
  d.n_inputs = 1;
  d.inputs.k = 1;
  d.inputs.weight = 0.1;
  assert_sp_ok(sp_network_create(&d, &net));
  assert_sp_ok(sp_run_until(net, 1.0, watch, 1, s, 4, &count));
  assert_int_equal(count, 0);
  assert_true(sp_now(net) == 1.0);
  assert_sp_ok(sp_input(net, 0, 1.5)); /* an input that makes no spike */
  assert_sp_ok(sp_run(net, 2.0, s, 4, &count));
  assert_int_equal(count, 0);
  assert_true(sp_now(net) == 2.0);
  assert_status(sp_step(net, s), SP_ERR_STATE);
  sp_network_destroy(net);
}

/* buf full before the set completes: SP_ERR_CAPACITY, the spikes processed and counted. */
static void test_run_until_full_buffer(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8];
  size_t count = 0;
  const uint32_t watch[] = {3};
  abi_msg m;
  (void)state;
  assert_status(sp_run_until(net, 0.02, watch, 1, s, 2, &count), SP_ERR_CAPACITY);
  m = abi_last_error();
  abi_check_message("full buf", &m, "cap", NULL, "2");
  assert_int_equal(count, 2);
  assert_true(sp_now(net) == T_IN);
  assert_sp_ok(sp_run_until(net, 0.02, watch, 1, s + 2, 6, &count));
  assert_int_equal(count, 2);
  check_chain_spikes(s);
  sp_network_destroy(net);
}

/* While recording: the same spikes, and a full tape stops the run as sp_run's does. */
static void test_run_until_recording(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8];
  size_t count = 0;
  const uint32_t watch[] = {3};
  (void)state;
  assert_sp_ok(sp_record(net, 2));
  assert_status(sp_run_until(net, 0.02, watch, 1, s, 8, &count), SP_ERR_CAPACITY);
  assert_int_equal(count, 2);
  assert_sp_ok(sp_rewind(net));
  assert_sp_ok(sp_input(net, 0, T_IN));
  assert_sp_ok(sp_record(net, 8));
  assert_sp_ok(sp_run_until(net, 0.02, watch, 1, s, 8, &count));
  assert_int_equal(count, 4);
  check_chain_spikes(s);
  {
    double dl_dt[4] = {0, 0, 0, 0};
    assert_sp_ok(sp_backward(net, dl_dt, 4, NULL));
  }
  sp_network_destroy(net);
}

static void test_run_until_rejections(void **state) {
  sp_network *net = make_chain(0.0);
  sp_spike s[8];
  size_t count = 77;
  const uint32_t watch[] = {1, 4};
  (void)state;
  assert_status(sp_run_until(NULL, 1.0, watch, 1, s, 8, &count), SP_ERR_ARGUMENT);
  assert_rejected(net, sp_run_until(net, NAN, watch, 1, s, 8, &count), SP_ERR_ARGUMENT, "t_end",
                  "nan");
  assert_rejected(net, sp_run_until(net, INFINITY, watch, 1, s, 8, &count), SP_ERR_ARGUMENT,
                  "t_end", "inf");
  assert_sp_ok(sp_run(net, 0.0005, NULL, 0, NULL));
  assert_rejected(net, sp_run_until(net, 0.0001, watch, 1, s, 8, &count), SP_ERR_ARGUMENT, "t_end",
                  "0.0001");
  assert_rejected(net, sp_run_until(net, 1.0, NULL, 1, s, 8, &count), SP_ERR_ARGUMENT, "watch",
                  NULL);
  assert_rejected(net, sp_run_until(net, 1.0, watch, 0, s, 8, &count), SP_ERR_ARGUMENT, "n_watch",
                  "0");
  assert_rejected(net, sp_run_until(net, 1.0, watch, 2, s, 8, &count), SP_ERR_ARGUMENT, "watch[1]",
                  "4");
  assert_rejected(net, sp_run_until(net, 1.0, watch, 1, NULL, 8, &count), SP_ERR_ARGUMENT, "buf",
                  "8");
  assert_int_equal(count, 77); /* never written by a refused call */
  sp_network_destroy(net);
}

/* sp_input_many is sp_input in array order: the voltage after unsorted kicks is the closed
   form sum_e w exp(-(t - t_e)/tau) + I (1 - exp(-t/tau)). */
static void test_input_many(void **state) {
  sp_network_desc d;
  sp_network *a = NULL, *b = NULL;
  const uint32_t channels[] = {0, 1, 0};
  const double times[] = {0.003, 0.001, 0.002};
  double va, vb, expect = 0.0;
  size_t e;
  sp_spike s[4];
  size_t count;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.n = 1;
  d.tau = TAU;
  d.drive = 0.5;
  d.n_inputs = 2;
  d.inputs.k = 1;
  d.inputs.weight = 0.2;
  assert_sp_ok(sp_network_create(&d, &a));
  assert_sp_ok(sp_network_create(&d, &b));
  assert_sp_ok(sp_input_many(a, channels, times, 3));
  for (e = 0; e < 3; e++) assert_sp_ok(sp_input(b, channels[e], times[e]));
  assert_sp_ok(sp_input_many(a, NULL, NULL, 0)); /* nothing */
  assert_sp_ok(sp_run(a, 0.004, s, 4, &count));
  assert_int_equal(count, 0);
  assert_sp_ok(sp_run(b, 0.004, s, 4, &count));
  assert_sp_ok(sp_voltage(a, 0, &va));
  assert_sp_ok(sp_voltage(b, 0, &vb));
  for (e = 0; e < 3; e++) expect += 0.2 * exp(-(0.004 - times[e]) / TAU);
  expect += 0.5 * (1.0 - exp(-0.004 / TAU));
  assert_close(va, expect, 1e-13);
  assert_true(abi_same_bits(va, vb));
  sp_network_destroy(a);
  sp_network_destroy(b);
}

static void test_input_many_rejections(void **state) {
  sp_network_desc d;
  sp_network *net = NULL;
  const uint32_t channels[] = {0, 1, 2, 0};
  const uint32_t ok_channels[] = {0, 1, 0, 1};
  const double times[] = {0.1, 0.2, 0.3, 0.4};
  const double bad_times[] = {0.1, NAN, 0.3, 0.4};
  const double early[] = {0.1, 0.2, 0.01, 0.4};
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.n = 2;
  d.drive = 0.5;
  d.n_inputs = 2;
  d.inputs.k = 1;
  d.inputs.weight = 0.2;
  d.input_capacity = 5;
  assert_sp_ok(sp_network_create(&d, &net));
  assert_sp_ok(sp_run(net, 0.05, NULL, 0, NULL));
  assert_status(sp_input_many(NULL, channels, times, 1), SP_ERR_ARGUMENT);
  assert_rejected(net, sp_input_many(net, NULL, times, 2), SP_ERR_ARGUMENT, "channels", "2");
  assert_rejected(net, sp_input_many(net, ok_channels, NULL, 2), SP_ERR_ARGUMENT, "times", "2");
  assert_rejected(net, sp_input_many(net, channels, times, 4), SP_ERR_ARGUMENT, "channels[2]", "2");
  assert_rejected(net, sp_input_many(net, ok_channels, bad_times, 4), SP_ERR_ARGUMENT, "times[1]",
                  "nan");
  assert_rejected(net, sp_input_many(net, ok_channels, early, 4), SP_ERR_ARGUMENT, "times[2]",
                  "0.01");
  /* All or nothing: 2 queued, 4 more do not fit in 5. */
  assert_sp_ok(sp_input_many(net, ok_channels, times, 2));
  assert_rejected(net, sp_input_many(net, ok_channels, times, 4), SP_ERR_CAPACITY, "n", "4");
  assert_sp_ok(sp_input_many(net, ok_channels, times, 3));
  sp_network_destroy(net);
}

/* First-spike readouts with a refractory period longer than the sample (700 tau overflowed an
   exp in the backward pass once; 1e15 tau is the longest accepted): each neuron spikes once,
   later inputs to it are ignored, and the gradients are finite and exact. Neuron 0 (drive
   I = 1.2, v0 = 0) gets an input of weight w = 0.5 at t = 0 and fires at
   T = tau ln((I - w)/(I - 1)): dT/dw = -tau/(I - w), dT/dI = tau (1/(I - w) - 1/(I - 1)). */
static void test_first_spike_readout_gradients(void **state) {
  static const uint64_t rows[] = {0, 1, 2};
  static const uint32_t targets[] = {1, 0};
  static const uint64_t in_rows[] = {0, 1};
  static const uint32_t in_targets[] = {0};
  static const double v0[] = {0.0, 0.0};
  const double t_refs[] = {700 * TAU, 1e15 * TAU}, I = 1.2, w = 0.5;
  const uint32_t watch[] = {0, 1};
  size_t k;
  (void)state;
  for (k = 0; k < 2; k++) {
    sp_network_desc d;
    sp_network *net = NULL;
    sp_spike s[8];
    size_t count = 0;
    double dl_dt[8] = {0}, g_in, g_drive[2], g_w[2], dl_dv[2] = {1.0, 1.0};
    sp_network_desc_init(&d, sizeof d);
    d.n = 2;
    d.tau = TAU;
    d.drive = I;
    d.v0 = v0;
    d.t_ref = t_refs[k];
    d.recurrent.row_ptr = rows;
    d.recurrent.targets = targets;
    d.recurrent.weight = 0.1;
    d.n_inputs = 1;
    d.inputs.row_ptr = in_rows;
    d.inputs.targets = in_targets;
    d.inputs.weight = w;
    assert_sp_ok(sp_network_create(&d, &net));
    assert_sp_ok(sp_input(net, 0, 0.0));
    assert_sp_ok(sp_record(net, 8));
    assert_sp_ok(sp_run_until(net, 1.0, watch, 2, s, 8, &count));
    assert_int_equal(count, 2);
    check_spike(&s[0], TAU * log((I - w) / (I - 1)), 0, 0);
    assert_true(s[1].neuron == 1 && s[1].flags == 0);
    /* On, past both first spikes: nothing spikes again, dL/dV of held neurons is 0. */
    assert_sp_ok(sp_run(net, 0.5, s + 2, 6, &count));
    assert_int_equal(count, 0);
    dl_dt[0] = 1.0;
    assert_sp_ok(sp_backward(net, dl_dt, 2, dl_dv));
    assert_sp_ok(sp_get_grads(net, SP_PARAM_INPUT_WEIGHTS, &g_in, 1));
    assert_sp_ok(sp_get_grads(net, SP_PARAM_DRIVES, g_drive, 2));
    assert_sp_ok(sp_get_grads(net, SP_PARAM_WEIGHTS, g_w, 1));
    assert_close(g_in, -TAU / (I - w), 1e-9);
    assert_close(g_drive[0], TAU * (1 / (I - w) - 1 / (I - 1)), 1e-9);
    assert_true(g_drive[1] == 0.0 && g_w[0] == 0.0);
    /* dL/dt on neuron 1's spike too: finite (it depends on everything above). */
    assert_sp_ok(sp_rewind(net));
    assert_sp_ok(sp_input(net, 0, 0.0));
    assert_sp_ok(sp_record(net, 8));
    assert_sp_ok(sp_run_until(net, 1.0, watch, 2, s, 8, &count));
    dl_dt[1] = 1.0;
    assert_sp_ok(sp_backward(net, dl_dt, 2, NULL));
    assert_sp_ok(sp_get_grads(net, SP_PARAM_WEIGHTS, g_w, 1));
    assert_true(isfinite(g_w[0]) && g_w[0] != 0.0);
    sp_network_destroy(net);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_flags_time_frame),
      cmocka_unit_test(test_flags_phase_frame),
      cmocka_unit_test(test_flags_and_gradients),
      cmocka_unit_test(test_run_until_stops_after_the_set),
      cmocka_unit_test(test_run_until_reaches_t_end),
      cmocka_unit_test(test_silent_network_is_a_normal_end),
      cmocka_unit_test(test_run_until_full_buffer),
      cmocka_unit_test(test_run_until_recording),
      cmocka_unit_test(test_run_until_rejections),
      cmocka_unit_test(test_first_spike_readout_gradients),
      cmocka_unit_test(test_input_many),
      cmocka_unit_test(test_input_many_rejections),
  };
  return cmocka_run_group_tests_name("train_run_until", tests, NULL, NULL);
}
