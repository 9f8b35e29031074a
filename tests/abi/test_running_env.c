/* test_running_env.c - no step, run, input, recording, backward, voltage read or save reads the
   environment (getenv is not async-signal-safe and races with setenv in other threads, so an
   embedder's real-time loop must not reach it): the library reads its two variables when a
   network is created or loaded. This program defines getenv itself, which the shared library's
   calls resolve to (ELF interposition), and counts the calls between creation and destroy. */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

extern char **environ;
static long g_getenv_calls = 0;

/* The C library's getenv, written again (it cannot be reached once this one replaces it). */
char *getenv(const char *name) {
  size_t len = strlen(name);
  char **e;
  ++g_getenv_calls;
  for (e = environ; e && *e; ++e)
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  return NULL;
}

static sp_network *balanced(sp_model model) {
  sp_network_desc d;
  sp_network *net = NULL;
  static const uint64_t in_ptr[2] = {0, 3};
  static const uint32_t in_targets[3] = {0, 1, 2};
  sp_network_desc_init(&d, sizeof d);
  d.model = model;
  d.n = 200;
  d.drive = model == SP_MODEL_QIF ? 0.5 : 1.1;
  d.recurrent.k = 20;
  d.recurrent.weight = -0.05;
  d.n_inputs = 1;
  d.inputs.row_ptr = in_ptr;
  d.inputs.targets = in_targets;
  d.inputs.weight = 0.2;
  d.input_capacity = 8;
  if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
  return net;
}

static void test_no_getenv_while_running(void **state) {
  const sp_model models[2] = {SP_MODEL_QIF, SP_MODEL_LIF};
  int m;
  (void)state;
  for (m = 0; m < 2; ++m) {
    long at_create;
    sp_spike spikes[64], one;
    size_t count = 0, len = 0, i;
    double v, dl_dt[64];
    static unsigned char saved[1 << 16];
    sp_network *net;
    g_getenv_calls = 0;
    net = balanced(models[m]);
    at_create = g_getenv_calls;
    assert_true(at_create > 0); /* the replacement is the one the library calls */
    g_getenv_calls = 0;
    assert_int_equal(sp_step(net, &one), SP_OK);
    assert_int_equal(sp_input(net, 0, one.t + 1e-4), SP_OK);
    assert_int_equal(sp_record(net, 64), SP_OK);
    assert_int_equal(sp_run(net, one.t + 0.05, spikes, 64, &count), SP_OK);
    assert_true(count > 0);
    for (i = 0; i < count; ++i) dl_dt[i] = 1.0;
    assert_int_equal(sp_backward(net, dl_dt, count, NULL), SP_OK);
    assert_int_equal(sp_voltage(net, 3, &v), SP_OK);
    assert_int_equal(sp_save(net, saved, sizeof saved, &len), SP_OK);
    assert_int_equal(sp_rewind(net), SP_OK);
    assert_int_equal(sp_run(net, 0.02, spikes, 64, &count), SP_OK);
    if (g_getenv_calls != 0)
      fail_msg("model %u: %ld getenv calls while running (%ld at creation)", (unsigned)models[m],
               g_getenv_calls, at_create);
    print_message("# model %u: %ld getenv calls at creation, none while running\n",
                  (unsigned)models[m], at_create);
    sp_network_destroy(net);
  }
}

/* The compact layout's refusals (sp_record, sp_set_drive, sp_network_replica) read none either:
   their message gives the threshold the layout was chosen by at creation (it used to read the
   environment again, to say what a network created now would get). */
static void test_no_getenv_in_compact_refusals(void **state) {
  sp_network *net, *replica = NULL;
  sp_spike one;
  long at_create;
  (void)state;
  setenv("SPARSEPROP_COMPACT_MIN_N", "1", 1);
  g_getenv_calls = 0;
  net = balanced(SP_MODEL_LIF);
  at_create = g_getenv_calls;
  unsetenv("SPARSEPROP_COMPACT_MIN_N");
  assert_true(at_create > 0);
  g_getenv_calls = 0;
  assert_int_equal(sp_step(net, &one), SP_OK);
  assert_int_equal(sp_record(net, 64), SP_ERR_UNSUPPORTED);
  assert_non_null(strstr(sp_last_error(), "compact layout from n = 1 on"));
  assert_int_equal(sp_set_drive(net, 0, 1.2), SP_ERR_UNSUPPORTED);
  assert_int_equal(sp_network_replica(net, &replica), SP_ERR_UNSUPPORTED);
  if (g_getenv_calls != 0)
    fail_msg("%ld getenv calls in the compact layout's refusals", g_getenv_calls);
  sp_network_destroy(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_getenv_while_running),
      cmocka_unit_test(test_no_getenv_in_compact_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
