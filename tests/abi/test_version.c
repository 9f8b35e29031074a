/* test_version.c - the version macros, the linked library's version and the Meson-generated
   sparseprop_version.h agree; sp_network_desc_init honours struct_size and fills the
   documented defaults, and those defaults behave as documented. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sparseprop/sparseprop.h>
#include <sparseprop/sparseprop_version.h>

#include "abi_util.h"

/* The same facts at preprocessing time: a mismatch fails the build, not just the test. */
#if SP_VERSION_MAJOR != SP_GENERATED_VERSION_MAJOR || \
    SP_VERSION_MINOR != SP_GENERATED_VERSION_MINOR || \
    SP_VERSION_PATCH != SP_GENERATED_VERSION_PATCH
#  error "SP_VERSION_* in sparseprop.h disagree with the project version (sparseprop_version.h)"
#endif
#if SP_VERSION_NUMBER != SP_VERSION_MAJOR * 10000 + SP_VERSION_MINOR * 100 + SP_VERSION_PATCH
#  error "SP_VERSION_NUMBER is not MAJOR*10000 + MINOR*100 + PATCH"
#endif

static void test_macros_agree_with_generated_header(void **state) {
  char buf[64];
  (void)state;
  assert_int_equal(SP_VERSION_MAJOR, SP_GENERATED_VERSION_MAJOR);
  assert_int_equal(SP_VERSION_MINOR, SP_GENERATED_VERSION_MINOR);
  assert_int_equal(SP_VERSION_PATCH, SP_GENERATED_VERSION_PATCH);
  assert_string_equal(SP_VERSION_STRING, SP_GENERATED_VERSION_STRING);
  snprintf(buf, sizeof buf, "%d.%d.%d", SP_VERSION_MAJOR, SP_VERSION_MINOR, SP_VERSION_PATCH);
  assert_string_equal(SP_VERSION_STRING, buf);
  assert_int_equal(SP_VERSION_NUMBER,
                   SP_VERSION_MAJOR * 10000 + SP_VERSION_MINOR * 100 + SP_VERSION_PATCH);
  /* MINOR and PATCH must fit their two decimal digits or the number is ambiguous. */
  assert_true(SP_VERSION_MINOR < 100 && SP_VERSION_PATCH < 100);
}

static void test_linked_library_version(void **state) {
  (void)state;
  assert_int_equal(sp_version_number(), SP_VERSION_NUMBER);
  assert_non_null(sp_version_string());
  assert_string_equal(sp_version_string(), SP_VERSION_STRING);
  /* Static strings: the same pointer every time, untouched by other calls. */
  assert_ptr_equal(sp_version_string(), sp_version_string());
}

/* sp_network_desc_init(d, k) never writes at or past byte k. */
static void test_desc_init_respects_struct_size(void **state) {
  union {
    sp_network_desc d;
    unsigned char bytes[sizeof(sp_network_desc) + 64];
  } u;
  size_t sizes[] = {0,
                    1,
                    4,
                    8,
                    offsetof(sp_network_desc, tau),
                    offsetof(sp_network_desc, drive),
                    offsetof(sp_network_desc, recurrent),
                    offsetof(sp_network_desc, inputs),
                    offsetof(sp_network_desc, t_ref),
                    offsetof(sp_network_desc, allocator),
                    offsetof(sp_network_desc, frame),
                    sizeof(sp_network_desc) - 1,
                    sizeof(sp_network_desc)};
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    memset(u.bytes, 0xA5, sizeof u.bytes);
    sp_network_desc_init(&u.d, sizes[i]);
    for (j = sizes[i]; j < sizeof u.bytes; j++)
      if (u.bytes[j] != 0xA5)
        abi_fail_at(__FILE__, __LINE__, "sp_network_desc_init(d, %lu) wrote byte %lu",
                    (unsigned long)sizes[i], (unsigned long)j);
  }
}

static void test_desc_init_defaults(void **state) {
  sp_network_desc d;
  (void)state;
  memset(&d, 0xA5, sizeof d);
  sp_network_desc_init(&d, sizeof d);
  assert_int_equal(d.struct_size, sizeof d);
  /* "a zero field means the documented default": init may store the default or 0. */
  assert_true(d.tau == 0.01 || d.tau == 0.0);
  assert_true(d.input_capacity == 4096 || d.input_capacity == 0);
  assert_true(d.t_ref == 0.0);
  assert_int_equal(d.frame, SP_FRAME_AUTO);
  assert_null(d.allocator);
  assert_null(d.drives);
  assert_null(d.v0);
  assert_null(d.recurrent.row_ptr);
  assert_null(d.recurrent.targets);
  assert_null(d.recurrent.weights);
  assert_int_equal(d.recurrent.k, 0);
  assert_int_equal(d.n_inputs, 0);
  assert_null(d.inputs.row_ptr);
  assert_int_equal(d.inputs.k, 0);
}

/* One uncoupled LIF neuron, I = 1.5, v0 = 0: first spike at tau ln(I/(I-1)) = tau ln 3. */
static double first_lif_spike(const sp_network_desc *d) {
  sp_network *net = NULL;
  sp_spike s;
  assert_sp_ok(sp_network_create(d, &net));
  assert_sp_ok(sp_step(net, &s));
  assert_int_equal(s.neuron, 0);
  sp_network_destroy(net);
  return s.t;
}

static void test_default_tau(void **state) {
  sp_network_desc d;
  double v0[1] = {0.0};
  const double expected = 0.01 * log(3.0);
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 1;
  d.drive = 1.5;
  d.v0 = v0;
  assert_close(first_lif_spike(&d), expected, 1e-12); /* tau as init left it */
  d.tau = 0.0;
  assert_close(first_lif_spike(&d), expected, 1e-12); /* tau = 0: the default */
  d.tau = 0.02;
  assert_close(first_lif_spike(&d), 2.0 * expected, 1e-12); /* and tau is really used */
}

/* The default input capacity is 4096 queued events, with the field as init left it and with
   an explicit 0. */
static void check_capacity(const sp_network_desc *d, uint32_t expected) {
  sp_network *net = NULL;
  uint32_t i;
  assert_sp_ok(sp_network_create(d, &net));
  for (i = 0; i < expected; i++) {
    sp_status st = sp_input(net, 0, 1.0 + 1e-3 * (double)i);
    if (st != SP_OK)
      abi_fail_at(__FILE__, __LINE__, "input %u of %u refused: %s (%s)", (unsigned)i,
                  (unsigned)expected, sp_status_name(st), sp_last_error());
  }
  assert_status(sp_input(net, 0, 100.0), SP_ERR_CAPACITY);
  sp_network_destroy(net);
}

static void test_default_input_capacity(void **state) {
  sp_network_desc d;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 2;
  d.drive = 0.5;
  d.n_inputs = 1;
  d.inputs.k = 1;
  d.inputs.weight = 0.1;
  check_capacity(&d, 4096);
  d.input_capacity = 0;
  check_capacity(&d, 4096);
  d.input_capacity = 7;
  check_capacity(&d, 7);
}

/* A description that is all zeros apart from struct_size, model, n and drive is valid:
   zero fields mean their defaults. */
static void test_zero_description_is_valid(void **state) {
  sp_network_desc d;
  sp_network *net = NULL;
  (void)state;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.model = SP_MODEL_LIF;
  d.n = 3;
  d.drive = 1.5;
  assert_sp_ok(sp_network_create(&d, &net));
  assert_int_equal(sp_network_size(net), 3);
  assert_true(sp_now(net) == 0.0);
  sp_network_destroy(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_macros_agree_with_generated_header),
      cmocka_unit_test(test_linked_library_version),
      cmocka_unit_test(test_desc_init_respects_struct_size),
      cmocka_unit_test(test_desc_init_defaults),
      cmocka_unit_test(test_default_tau),
      cmocka_unit_test(test_default_input_capacity),
      cmocka_unit_test(test_zero_description_is_valid),
  };
  return cmocka_run_group_tests_name("abi_version", tests, NULL, NULL);
}
