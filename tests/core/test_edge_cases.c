/* Engine edge cases checked against closed forms: long silences (the co-moving clock would
 * overflow without re-basing), drive changes, inputs and recordings after them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "sparseprop/sparseprop.h"

static void assert_close(double got, double want, double rel) {
  double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
  if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

static sp_network *silent_lif(double *v0) {
  sp_network_desc d;
  sp_network *net = NULL;
  static uint64_t row_ptr[2] = {0, 3};
  static uint32_t targets[3] = {0, 1, 2};
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 3;
  d.drive = 0.5; /* below threshold: silent without input */
  d.v0 = v0;
  d.n_inputs = 1;
  d.inputs.row_ptr = row_ptr;
  d.inputs.targets = targets;
  d.inputs.weight = 0.7;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  return net;
}

/* 10^5 s of silence is 10^7 membrane time constants: exp((t - t0)/tau) would overflow. */
static void test_drive_change_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, v;
  sp_network *net = silent_lif(v0);
  sp_spike s;
  size_t count = 7;
  (void)state;
  assert_int_equal(sp_run(net, 1e5, NULL, 0, &count), SP_OK);
  assert_int_equal(count, 0);
  assert_int_equal(sp_voltage(net, 1, &v), SP_OK);
  assert_close(v, 0.5, 1e-12); /* decayed to the drive */
  /* From V = 0.5 with I = 1.5: V(s) = 1.5 - exp(-s/tau), threshold at s = tau ln 2. */
  assert_int_equal(sp_set_drive(net, 1, 1.5), SP_OK);
  assert_int_equal(sp_voltage(net, 1, &v), SP_OK);
  assert_close(v, 0.5, 1e-12);
  assert_int_equal(sp_step(net, &s), SP_OK);
  assert_int_equal(s.neuron, 1);
  assert_close(s.t, 1e5 + 0.01 * log(2.0), 1e-15);
  sp_network_destroy(net);
}

/* An input far in the future: the neurons have decayed to the drive, the jump is exact. */
static void test_input_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, v[3];
  sp_network *net = silent_lif(v0);
  size_t count = 0;
  uint32_t i;
  (void)state;
  assert_int_equal(sp_input(net, 0, 5e4), SP_OK);
  assert_int_equal(sp_run(net, 5e4 + 1e-9, NULL, 0, &count), SP_OK);
  assert_int_equal(count, 3); /* 0.5 + 0.7 >= 1: all three fire at the input's instant */
  assert_int_equal(sp_voltages(net, v, 3), SP_OK);
  for (i = 0; i < 3; ++i) assert_close(v[i], 0.5 * (1 - exp(-1e-9 / 0.01)), 1e-9);
  sp_network_destroy(net);
}

/* A recording that starts after a long silence: the gradient of the first spike time
 * t = t_r + tau ln((I - V)/(I - 1)) with respect to the voltage V and drive I at the start. */
static void test_gradient_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, dl_dt = 1.0, g_v[3], g_i[3];
  sp_network *net = silent_lif(v0);
  size_t count = 0;
  sp_spike s;
  (void)state;
  assert_int_equal(sp_run(net, 1e5, NULL, 0, &count), SP_OK);
  assert_int_equal(sp_set_drive(net, 1, 1.5), SP_OK);
  assert_int_equal(sp_record(net, 4), SP_OK);
  assert_int_equal(sp_step(net, &s), SP_OK);
  assert_int_equal(sp_backward(net, &dl_dt, 1, NULL), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_V0, g_v, 3), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, g_i, 3), SP_OK);
  /* V = 0.5, I = 1.5: dt/dV = -tau/(I - V) = -0.01, dt/dI = tau (1/(I - V) - 1/(I - 1)) = -0.01. */
  assert_close(g_v[1], -0.01, 1e-9);
  assert_close(g_i[1], -0.01, 1e-9);
  assert_true(g_v[0] == 0.0 && g_v[2] == 0.0);
  sp_network_destroy(net);
}

/* A recording started after a long silence, with no event in it: V(t_r + s) = I + (V - I) e^(-s/tau),
 * so dV_end/dV = e^(-s/tau) and dV_end/dI = 1 - e^(-s/tau). */
static void test_end_voltage_gradient_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, ones[3] = {1, 1, 1}, g_v[3], g_i[3];
  sp_network *net = silent_lif(v0);
  size_t count = 0;
  uint32_t i;
  (void)state;
  assert_int_equal(sp_run(net, 1e5, NULL, 0, &count), SP_OK);
  assert_int_equal(sp_record(net, 4), SP_OK);
  assert_int_equal(sp_run(net, 1e5 + 0.005, NULL, 0, &count), SP_OK);
  assert_int_equal(sp_backward(net, NULL, 0, ones), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_V0, g_v, 3), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, g_i, 3), SP_OK);
  for (i = 0; i < 3; ++i) {
    assert_close(g_v[i], exp(-0.5), 1e-9);
    assert_close(g_i[i], 1 - exp(-0.5), 1e-9);
  }
  sp_network_destroy(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_drive_change_after_long_silence),
      cmocka_unit_test(test_input_after_long_silence),
      cmocka_unit_test(test_gradient_after_long_silence),
      cmocka_unit_test(test_end_voltage_gradient_after_long_silence),
  };
  return cmocka_run_group_tests_name("edge_cases", tests, NULL, NULL);
}
