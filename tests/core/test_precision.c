/* Spike-time precision over long runs: uncoupled LIF and QIF neurons in both frames, 2.5 10^7
 * spikes each (10^8 in all), every spike within 8 ulps of its closed form (plus 4 eps tau for
 * the earliest spikes) evaluated in long double from the same double parameters. The engine
 * once accumulated the rounding of t0 at every re-base and of every spike time into the next
 * (10^4 ulps after 10^7 spikes). tests/bench/bench_precision.c runs the same for 10^9. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "precision_measure.h"

static void check(int which, uint64_t spikes) {
  const pm_config *c = &pm_configs[which];
  pm_result r = pm_measure(c, spikes);
  if (r.status != SP_OK) fail_msg("%s: status %d: %s", c->name, r.status, sp_last_error());
  assert_int_equal(r.spikes, spikes);
  /* (A TAP diagnostic line: "# ".) */
  print_message("# %s: %llu spikes up to t = %.6g s: max error %.3f ulps (%.3f after t = "
                "1024 tau), %.3f of the bound\n",
                c->name, (unsigned long long)r.spikes, r.last_t, r.max_ulps, r.max_ulps_late,
                r.max_bound);
  if (!(r.max_bound <= 1.0))
    fail_msg("%s: a spike is %.2f times its bound from the closed form (%g ulps + (%g + %g "
             "sqrt(k)) eps tau at a neuron's k-th spike); the largest error in ulps, %.1f, is "
             "spike %llu (neuron %u, t = %.17g)",
             c->name, r.max_bound, PM_BOUND_ULPS, PM_BOUND_EPS_TAU, c->walk, r.max_ulps,
             (unsigned long long)r.worst_index, r.worst_neuron, r.worst_t);
}

/* SP_TEST_QUICK=1 (set under qemu by tests/embed/cross/run-cross.sh): a tenth of the spikes. */
static uint64_t spikes(uint64_t full) {
  const char *q = getenv("SP_TEST_QUICK");
  return (q && *q && *q != '0') ? full / 10 : full;
}

static void test_lif_time_frame(void **state) {
  (void)state;
  check(0, spikes(25000000));
}
static void test_lif_phase_frame(void **state) {
  (void)state;
  check(1, spikes(25000000));
}
static void test_qif_time_frame(void **state) {
  (void)state;
  check(2, spikes(25000000));
}
static void test_qif_phase_frame(void **state) {
  (void)state;
  check(3, spikes(25000000));
}
static void test_refractory_periods(void **state) {
  (void)state;
  check(4, spikes(2000000));
  check(5, spikes(2000000));
}
static void test_fast_neurons_with_a_refractory_period(void **state) {
  (void)state;
  check(6, spikes(600000));
  check(7, spikes(600000));
  check(8, spikes(600000));
}
/* The alpha kernel (tau_syn = tau) once reset from t's clock, not the crossing's (an ulp of t's
 * rounding, biased the same way at every spike: 5,000 ulps after 10^5 spikes at I = 1000). */
static void test_fast_neurons_with_the_alpha_kernel(void **state) {
  (void)state;
  check(10, spikes(600000));
  check(11, spikes(600000));
}
static void test_refractory_period_below_the_times_ulp(void **state) {
  (void)state;
  check(9, spikes(60000));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lif_time_frame),
      cmocka_unit_test(test_lif_phase_frame),
      cmocka_unit_test(test_qif_time_frame),
      cmocka_unit_test(test_qif_phase_frame),
      cmocka_unit_test(test_refractory_periods),
      cmocka_unit_test(test_fast_neurons_with_a_refractory_period),
      cmocka_unit_test(test_refractory_period_below_the_times_ulp),
      cmocka_unit_test(test_fast_neurons_with_the_alpha_kernel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
