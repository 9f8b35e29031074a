/* test_static_link.c - a plain C program linked against the static library with the C
   compiler driver (no libstdc++): it simulates small networks whose spike times have closed
   forms and checks them.

   Closed forms used (tau dV/dt = F(V) + I, constant I between inputs):
   - LIF, F = -V: V(t) = I + (V0 - I) exp(-t/tau), so from V0 the first crossing of 1 is at
     tau ln((I - V0)/(I - 1)) and then every T = tau ln(I/(I - 1)). With I = 1.5, V0 = 0:
     spikes at k tau ln 3.
   - QIF, F = V^2: with s = sqrt(I), V(t) = s tan(s t/tau + atan(V0/s)), which reaches +inf
     when s t/tau + atan(V0/s) = pi/2, i.e. t1 = tau (pi/2 - atan(V0/s))/s; from the reset
     (-inf, atan = -pi/2) the next takes tau pi/s. With I = 0.25, V0 = 0: t1 = tau pi,
     period 2 tau pi, spikes at (2k + 1) tau pi.
   - Two LIF neurons, 0 -> 1 with weight 0.8, I0 = 1.5, I1 = 0, V0 = 0 for both: neuron 0
     fires every T = tau ln 3; between its spikes neuron 1 decays by exp(-T/tau) = 1/3. After
     the first input V1 = 0.8; at the next it is 0.8/3 + 0.8 = 1.0667 >= 1, so neuron 1 spikes
     at the same instant, after neuron 0 (index order), and resets to 0: neuron 1 fires at
     every second spike of neuron 0.
   - sp_set_drive at time t0 keeps V(t0) and continues with the new drive: LIF from V(t0)
     reaches 1 after tau ln((I' - V)/(I' - 1)); QIF after tau (pi/2 - atan(V/s'))/s'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "abi_util.h"

#ifndef M_PI
#  define M_PI 3.14159265358979323846
#endif

#define REL 1e-12

static sp_network *single(sp_model model, double drive, double v0, double tau, uint32_t frame) {
  sp_network_desc d;
  sp_network *net = NULL;
  double v[1];
  v[0] = v0;
  sp_network_desc_init(&d, sizeof d);
  d.model = (uint32_t)model;
  d.n = 1;
  d.tau = tau;
  d.drive = drive;
  d.v0 = v;
  d.frame = frame;
  assert_sp_ok(sp_network_create(&d, &net));
  return net;
}

static void check_lif_single(uint32_t frame) {
  const double tau = 0.01, I = 1.5, T = tau * log(I / (I - 1.0));
  sp_network *net = single(SP_MODEL_LIF, I, 0.0, tau, frame);
  int k;
  for (k = 1; k <= 100; k++) {
    sp_spike s;
    assert_sp_ok(sp_step(net, &s));
    assert_int_equal(s.neuron, 0);
    assert_close(s.t, k * T, REL);
    assert_true(sp_now(net) == s.t);
  }
  sp_network_destroy(net);
}

static void test_lif_single_neuron(void **state) {
  (void)state;
  check_lif_single(SP_FRAME_AUTO);
  check_lif_single(SP_FRAME_PHASE);
  check_lif_single(SP_FRAME_TIME);
}

static void check_qif_single(uint32_t frame) {
  const double tau = 0.01, I = 0.25;
  sp_network *net = single(SP_MODEL_QIF, I, 0.0, tau, frame);
  int k;
  for (k = 0; k < 100; k++) {
    sp_spike s;
    assert_sp_ok(sp_step(net, &s));
    assert_int_equal(s.neuron, 0);
    assert_close(s.t, (2 * k + 1) * tau * M_PI, REL);
  }
  sp_network_destroy(net);
}

static void test_qif_single_neuron(void **state) {
  const double tau = 0.02, I = 1.0;
  sp_network *net;
  sp_spike s;
  (void)state;
  check_qif_single(SP_FRAME_AUTO);
  check_qif_single(SP_FRAME_PHASE);
  check_qif_single(SP_FRAME_TIME);
  /* V0 = 1, I = 1: t1 = tau (pi/2 - pi/4), then every tau pi. */
  net = single(SP_MODEL_QIF, I, 1.0, tau, SP_FRAME_AUTO);
  assert_sp_ok(sp_step(net, &s));
  assert_close(s.t, tau * M_PI / 4.0, REL);
  assert_sp_ok(sp_step(net, &s));
  assert_close(s.t, tau * M_PI / 4.0 + tau * M_PI, REL);
  sp_network_destroy(net);
}

static sp_network *pair(void) {
  static const uint64_t rp[3] = {0, 1, 1};
  static const uint32_t tg[1] = {1};
  static const double w[1] = {0.8};
  static const double drives[2] = {1.5, 0.0};
  static const double v0[2] = {0.0, 0.0};
  sp_network_desc d;
  sp_network *net = NULL;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 2;
  d.tau = 0.01;
  d.drives = drives;
  d.v0 = v0;
  d.recurrent.row_ptr = rp;
  d.recurrent.targets = tg;
  d.recurrent.weights = w;
  assert_sp_ok(sp_network_create(&d, &net));
  return net;
}

static void test_lif_pair(void **state) {
  const double T = 0.01 * log(3.0);
  sp_network *net = pair();
  sp_spike first[100];
  int i, k0 = 0;
  double v;
  (void)state;
  for (i = 0; i < 100; i++) {
    sp_spike s;
    assert_sp_ok(sp_step(net, &s));
    first[i] = s;
    if (s.neuron == 0) {
      k0++;
      assert_close(s.t, k0 * T, REL);
      if (k0 == 1) { /* neuron 1 just received its first input */
        assert_sp_ok(sp_voltage(net, 1, &v));
        assert_close(v, 0.8, REL);
      }
    } else {
      assert_int_equal(s.neuron, 1);
      assert_true(k0 % 2 == 0);
      assert_int_equal(first[i - 1].neuron, 0);
      assert_true(s.t == first[i - 1].t); /* the same instant as its cause */
      assert_sp_ok(sp_voltage(net, 1, &v));
      assert_close_abs(v, 0.0, 0.0, 1e-12); /* reset */
    }
  }
  /* 100 spikes = 67 of neuron 0 and 33 of neuron 1. */
  assert_int_equal(k0, 67);

  /* Rewind and run: the same spikes, bit for bit; now() ends at t_end. */
  {
    sp_spike again[100];
    size_t count = 0;
    const double t_end = 67.5 * T;
    assert_sp_ok(sp_rewind(net));
    assert_true(sp_now(net) == 0.0);
    assert_sp_ok(sp_run(net, t_end, again, 100, &count));
    assert_int_equal(count, 100);
    assert_memory_equal(first, again, sizeof first);
    assert_sp_ok(sp_run(net, t_end, again, 100, &count));
    assert_int_equal(count, 0);
    assert_true(sp_now(net) == t_end);
  }
  sp_network_destroy(net);
}

/* sp_run with a small buffer: each full call stops at its cap-th spike with now() at that
   spike's time, and the chunks put together are the spikes sp_step gives one by one. */
static void test_run_in_chunks(void **state) {
  const double T = 0.01 * log(3.0), t_end = 40.5 * T;
  sp_network *net = pair();
  sp_spike by_step[60], by_run[60];
  size_t n_step = 0, n_run = 0, count;
  (void)state;
  for (;;) {
    sp_spike s;
    assert_sp_ok(sp_step(net, &s));
    if (!(s.t < t_end)) break;
    assert_true(n_step < 60);
    by_step[n_step++] = s;
  }
  assert_int_equal(n_step, 60); /* 40 of neuron 0, 20 of neuron 1 */
  assert_sp_ok(sp_rewind(net));
  do {
    assert_sp_ok(sp_run(net, t_end, by_run + n_run, 7, &count));
    assert_true(count <= 7 && n_run + count <= 60);
    n_run += count;
    if (count == 7) assert_true(sp_now(net) == by_run[n_run - 1].t);
  } while (count == 7);
  assert_true(sp_now(net) == t_end);
  assert_int_equal(n_run, n_step);
  assert_memory_equal(by_run, by_step, n_run * sizeof by_run[0]);
  sp_network_destroy(net);
}

/* Drive changes at run time: the voltage is continuous, then the new closed form applies. */
static void test_set_drive(void **state) {
  const double tau = 0.01, t0 = 0.005;
  sp_network *net;
  sp_spike s;
  double v, v_after, expected_v;
  (void)state;

  /* LIF: I = 1.5 from V = 0, then I' = 2 at t0. */
  net = single(SP_MODEL_LIF, 1.5, 0.0, tau, SP_FRAME_AUTO);
  assert_sp_ok(sp_run(net, t0, NULL, 0, NULL));
  expected_v = 1.5 * (1.0 - exp(-t0 / tau));
  assert_sp_ok(sp_voltage(net, 0, &v));
  assert_close(v, expected_v, REL);
  assert_sp_ok(sp_set_drive(net, 0, 2.0));
  assert_sp_ok(sp_voltage(net, 0, &v_after));
  assert_close(v_after, expected_v, REL);
  assert_sp_ok(sp_step(net, &s));
  assert_close(s.t, t0 + tau * log((2.0 - expected_v) / (2.0 - 1.0)), REL);
  assert_sp_ok(sp_step(net, &s)); /* then the new free period */
  assert_close(s.t, t0 + tau * log((2.0 - expected_v) / 1.0) + tau * log(2.0), REL);
  sp_network_destroy(net);

  /* QIF: I = 0.25 from V = 0, then I' = 1 at t0. */
  net = single(SP_MODEL_QIF, 0.25, 0.0, tau, SP_FRAME_AUTO);
  assert_sp_ok(sp_run(net, t0, NULL, 0, NULL));
  expected_v = 0.5 * tan(0.5 * t0 / tau);
  assert_sp_ok(sp_voltage(net, 0, &v));
  assert_close(v, expected_v, REL);
  assert_sp_ok(sp_set_drive(net, 0, 1.0));
  assert_sp_ok(sp_voltage(net, 0, &v_after));
  assert_close(v_after, expected_v, REL);
  assert_sp_ok(sp_step(net, &s));
  assert_close(s.t, t0 + tau * (M_PI / 2.0 - atan(expected_v)), REL);
  sp_network_destroy(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lif_single_neuron), cmocka_unit_test(test_qif_single_neuron),
      cmocka_unit_test(test_lif_pair),          cmocka_unit_test(test_run_in_chunks),
      cmocka_unit_test(test_set_drive),
  };
  return cmocka_run_group_tests_name("abi_static_link", tests, NULL, NULL);
}
