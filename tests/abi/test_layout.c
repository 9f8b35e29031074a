/* test_layout.c - the ABI's layout rules, from C99: sp_network_desc ends without padding and
   its sizes are the published ones; the enumeration types are 32-bit integers of the stated
   signedness; sp_network_create/sp_network_memory apply the struct_size rules of the header
   (older sizes work, bytes past struct_size are never read, a newer caller's zero tail is
   accepted and a non-zero one refused, nonsense sizes refused); sp_status_name and the sp_param
   functions accept every 32-bit value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "abi_util.h"

/* C99 has no _Static_assert: a negative array size fails the build instead. */
#define ABI_STATIC_ASSERT(name, cond) typedef char abi_static_##name[(cond) ? 1 : -1]

/* The struct ends with its last field: a field appended later cannot hide in end padding. */
ABI_STATIC_ASSERT(desc_no_end_padding,
                  offsetof(sp_network_desc, model_params) + 8 == sizeof(sp_network_desc));
#if SP_POINTER_IS_32_BITS_
ABI_STATIC_ASSERT(desc_pointer_padded,
                  sizeof(void *) == 4 && offsetof(sp_network_desc, reserved2) ==
                                             offsetof(sp_network_desc, model_params) + 4);
#else
ABI_STATIC_ASSERT(desc_pointer_is_8_bytes, sizeof(void *) == 8);
#endif
ABI_STATIC_ASSERT(desc_v2_is_this_layout, SP_NETWORK_DESC_SIZE_V2 == sizeof(sp_network_desc));
/* 0.2 appended its fields after the whole 0.1 layout, in 8-byte units. */
ABI_STATIC_ASSERT(desc_v2_appends_to_v1,
                  offsetof(sp_network_desc, tau_syn) == SP_NETWORK_DESC_SIZE_V1);
ABI_STATIC_ASSERT(desc_min_is_before_frame,
                  SP_NETWORK_DESC_SIZE_MIN == offsetof(sp_network_desc, frame));
ABI_STATIC_ASSERT(desc_max_holds_v2, SP_NETWORK_DESC_SIZE_MAX >= SP_NETWORK_DESC_SIZE_V2);
/* The published sizes are multiples of the alignment, as struct_size must be. */
ABI_STATIC_ASSERT(desc_sizes_aligned, SP_NETWORK_DESC_SIZE_MIN % sizeof(double) == 0 &&
                                          SP_NETWORK_DESC_SIZE_V1 % sizeof(double) == 0 &&
                                          SP_NETWORK_DESC_SIZE_V2 % sizeof(double) == 0 &&
                                          SP_NETWORK_DESC_SIZE_MAX % sizeof(double) == 0);
#if UINTPTR_MAX == 0xffffffffffffffffu
/* The 64-bit sizes the bindings hard-code (Rust sys crate, Julia capi.jl). */
ABI_STATIC_ASSERT(desc_min_lp64, SP_NETWORK_DESC_SIZE_MIN == 184);
ABI_STATIC_ASSERT(desc_v1_lp64, SP_NETWORK_DESC_SIZE_V1 == 192);
ABI_STATIC_ASSERT(desc_v2_lp64, SP_NETWORK_DESC_SIZE_V2 == 208);
ABI_STATIC_ASSERT(synapses_lp64, sizeof(sp_synapses) == 48);
#endif
ABI_STATIC_ASSERT(spike_no_padding, sizeof(sp_spike) == 16);

/* The enumerations' ABI types: 32 bits, sp_status and sp_param signed, the others unsigned. */
ABI_STATIC_ASSERT(status_is_32bit, sizeof(sp_status) == 4 && (sp_status)-1 < 0);
ABI_STATIC_ASSERT(param_is_32bit, sizeof(sp_param) == 4 && (sp_param)-1 < 0);
ABI_STATIC_ASSERT(model_is_32bit, sizeof(sp_model) == 4 && (sp_model)-1 > 0);
ABI_STATIC_ASSERT(frame_is_32bit, sizeof(sp_frame) == 4 && (sp_frame)-1 > 0);
ABI_STATIC_ASSERT(status_values, SP_OK == 0 && SP_ERR_ARGUMENT == 1 && SP_ERR_NUMERIC == 8);

/* A description with room past the struct: a caller compiled against a newer header. */
typedef union wide_desc {
  sp_network_desc d;
  unsigned char bytes[SP_NETWORK_DESC_SIZE_MAX + 64];
  double align;
} wide_desc;

/* Four uncoupled oscillatory LIF neurons from fixed voltages; AUTO picks the phase frame. */
static void fill(sp_network_desc *d) {
  static const double v0[4] = {0.0, 0.25, 0.5, 0.75};
  d->model = SP_MODEL_LIF;
  d->n = 4;
  d->tau = 0.02;
  d->drive = 1.5;
  d->v0 = v0;
}

/* The first 12 spike times of a created network, or fails the test. */
static void first_spikes(const sp_network_desc *d, double *t, uint32_t *frame) {
  sp_network *net = NULL;
  sp_spike s;
  int i;
  assert_sp_ok(sp_network_create(d, &net));
  *frame = sp_network_frame(net);
  for (i = 0; i < 12; i++) {
    assert_sp_ok(sp_step(net, &s));
    t[i] = s.t;
  }
  sp_network_destroy(net);
}

static void assert_same_spikes(const double *a, const double *b) {
  int i;
  for (i = 0; i < 12; i++)
    if (!abi_same_bits(a[i], b[i]))
      abi_fail_at(__FILE__, __LINE__, "spike %d: %.17g and %.17g", i, a[i], b[i]);
}

/* struct_size = MIN (a caller whose header ended before `frame`): the bytes from `frame` on
   are never read, whatever they hold; frame takes its default. */
static void test_minimum_size_reads_nothing_past_it(void **state) {
  wide_desc u;
  double ref[12], got[12];
  uint32_t ref_frame, got_frame;
  size_t b;
  (void)state;
  sp_network_desc_init(&u.d, sizeof u.d);
  fill(&u.d);
  first_spikes(&u.d, ref, &ref_frame);
  assert_int_equal(ref_frame, SP_FRAME_PHASE);

  u.d.struct_size = (uint32_t)SP_NETWORK_DESC_SIZE_MIN;
  for (b = SP_NETWORK_DESC_SIZE_MIN; b < sizeof u.bytes; b++)
    u.bytes[b] = 0xA5; /* frame = 0xA5A5A5A5 would be refused if it were read */
  first_spikes(&u.d, got, &got_frame);
  assert_int_equal(got_frame, SP_FRAME_PHASE);
  assert_same_spikes(ref, got);

  /* ...and the frame field does take effect from V1 on. */
  memset(u.bytes + SP_NETWORK_DESC_SIZE_MIN, 0, sizeof u.bytes - SP_NETWORK_DESC_SIZE_MIN);
  u.d.struct_size = (uint32_t)SP_NETWORK_DESC_SIZE_V1;
  u.d.frame = SP_FRAME_TIME;
  first_spikes(&u.d, got, &got_frame);
  assert_int_equal(got_frame, SP_FRAME_TIME);
}

/* struct_size = V1 (a 0.1 caller): the fields appended in 0.2 are never read, whatever the
   bytes there hold, and take their defaults. */
static void test_v1_size_reads_nothing_past_it(void **state) {
  wide_desc u;
  double ref[12], got[12];
  uint32_t ref_frame, got_frame;
  size_t b;
  (void)state;
  sp_network_desc_init(&u.d, sizeof u.d);
  fill(&u.d);
  first_spikes(&u.d, ref, &ref_frame);
  u.d.struct_size = (uint32_t)SP_NETWORK_DESC_SIZE_V1;
  for (b = SP_NETWORK_DESC_SIZE_V1; b < sizeof u.bytes; b++) u.bytes[b] = 0xA5;
  first_spikes(&u.d, got, &got_frame);
  assert_int_equal(got_frame, ref_frame);
  assert_same_spikes(ref, got);
}

/* The 0.2 fields whose models are not there yet are refused by name, nothing created
   (tau_syn: on a model without current-based synapses, QIF). */
static void test_v2_fields_not_available_refused(void **state) {
  sp_network_desc d;
  sp_model_params p;
  sp_network *net = NULL;
  size_t bytes = 7;
  abi_msg m;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  assert_true(d.tau_syn == 0.0);
  assert_null(d.model_params);
  fill(&d);
  d.model = SP_MODEL_QIF;
  d.tau_syn = 0.005;
  assert_status(sp_network_create(&d, &net), SP_ERR_UNSUPPORTED);
  assert_null(net);
  m = abi_last_error();
  abi_check_message("tau_syn", &m, "tau_syn", NULL, "0.005");
  assert_status(sp_network_memory(&d, &bytes), SP_ERR_UNSUPPORTED);
  assert_int_equal(bytes, 7);
  d.tau_syn = 0.0;
  d.model = SP_MODEL_LIF;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  d.model_params = &p;
  assert_status(sp_network_create(&d, &net), SP_ERR_UNSUPPORTED);
  assert_null(net);
  m = abi_last_error();
  abi_check_message("model_params", &m, "model_params", NULL, NULL);
}

/* `reserved` is ignored: a 0.1 caller compiled without it left those bytes indeterminate. */
static void test_reserved_is_ignored(void **state) {
  sp_network_desc d;
  double ref[12], got[12];
  uint32_t frame;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  assert_int_equal(d.reserved, 0);
  fill(&d);
  first_spikes(&d, ref, &frame);
  d.reserved = 0xFFFFFFFFu;
  first_spikes(&d, got, &frame);
  assert_same_spikes(ref, got);
}

/* A newer caller: struct_size past this layout with zero bytes there is accepted (the new
   fields at their defaults); any non-zero byte there is refused, with nothing created. */
static void test_larger_sizes(void **state) {
  static const uint32_t extra[] = {8, 16, 64, SP_NETWORK_DESC_SIZE_MAX - SP_NETWORK_DESC_SIZE_V2};
  wide_desc u;
  double ref[12], got[12];
  uint32_t frame;
  size_t i, b;
  (void)state;
  memset(&u, 0, sizeof u);
  sp_network_desc_init(&u.d, sizeof u.d);
  fill(&u.d);
  first_spikes(&u.d, ref, &frame);
  for (i = 0; i < sizeof extra / sizeof extra[0]; i++) {
    const uint32_t size = (uint32_t)SP_NETWORK_DESC_SIZE_V2 + extra[i];
    size_t bytes = 0;
    u.d.struct_size = size;
    first_spikes(&u.d, got, &frame);
    assert_same_spikes(ref, got);
    assert_sp_ok(sp_network_memory(&u.d, &bytes));
    /* the first, a middle and the last byte of the unknown tail */
    for (b = 0; b < 3; b++) {
      const size_t at = b == 0   ? SP_NETWORK_DESC_SIZE_V2
                        : b == 1 ? SP_NETWORK_DESC_SIZE_V2 + extra[i] / 2
                                 : size - 1u;
      sp_network *net = NULL;
      char value[32];
      abi_msg m;
      u.bytes[at] = 1;
      assert_status(sp_network_create(&u.d, &net), SP_ERR_UNSUPPORTED);
      assert_null(net);
      m = abi_last_error();
      snprintf(value, sizeof value, "%u", (unsigned)size);
      abi_check_message("non-zero unknown tail", &m, "struct_size", "does not know", value);
      assert_status(sp_network_memory(&u.d, &bytes), SP_ERR_UNSUPPORTED);
      u.bytes[at] = 0;
    }
  }
}

/* Sizes that no header ever produced: refused as an uninitialised description. */
static void test_nonsense_sizes_refused(void **state) {
  const uint32_t sizes[] = {0,
                            4,
                            8,
                            (uint32_t)SP_NETWORK_DESC_SIZE_MIN - 8,
                            (uint32_t)SP_NETWORK_DESC_SIZE_MIN + 4,
                            (uint32_t)SP_NETWORK_DESC_SIZE_V1 + 4,
                            (uint32_t)SP_NETWORK_DESC_SIZE_V2 + 4,
                            (uint32_t)SP_NETWORK_DESC_SIZE_MAX + 8,
                            0x7FFFFFF8u,
                            0xFFFFFFFFu};
  wide_desc u;
  size_t i;
  (void)state;
  memset(&u, 0, sizeof u);
  sp_network_desc_init(&u.d, sizeof u.d);
  fill(&u.d);
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    sp_network *net = NULL;
    size_t bytes = 12345;
    char value[32];
    abi_msg m;
    u.d.struct_size = sizes[i];
    assert_status(sp_network_create(&u.d, &net), SP_ERR_ARGUMENT);
    assert_null(net);
    m = abi_last_error();
    snprintf(value, sizeof value, "struct_size = %u", (unsigned)sizes[i]);
    abi_check_message("bad struct_size", &m, "struct_size", NULL, value);
    assert_status(sp_network_memory(&u.d, &bytes), SP_ERR_ARGUMENT);
    assert_int_equal(bytes, 12345);
  }
}

/* sp_network_desc_init for a newer caller: the known fields get their defaults, the rest of
   the caller's struct_size bytes zeros, and struct_size stays the caller's, so a new field
   the caller then sets reaches the unknown-field check. Never more than MAX bytes. */
static void test_desc_init_larger_sizes(void **state) {
  wide_desc u;
  sp_network_desc def;
  sp_network *net = NULL;
  size_t b;
  const size_t size = SP_NETWORK_DESC_SIZE_V2 + 16;
  (void)state;
  sp_network_desc_init(&def, sizeof def);
  memset(&u, 0xA5, sizeof u);
  sp_network_desc_init(&u.d, size);
  assert_int_equal(u.d.struct_size, size);
  assert_true(memcmp((const unsigned char *)&u.d + 4, (const unsigned char *)&def + 4,
                     sizeof def - 4) == 0);
  for (b = sizeof def; b < size; b++) assert_int_equal(u.bytes[b], 0);
  for (b = size; b < sizeof u.bytes; b++) assert_int_equal(u.bytes[b], 0xA5);
  fill(&u.d);
  assert_sp_ok(sp_network_create(&u.d, &net));
  sp_network_destroy(net);
  u.bytes[sizeof def] = 3; /* "sets" the newer header's first field */
  net = NULL;
  assert_status(sp_network_create(&u.d, &net), SP_ERR_UNSUPPORTED);

  memset(&u, 0xA5, sizeof u);
  sp_network_desc_init(&u.d, (size_t)-1);
  assert_int_equal(u.d.struct_size, SP_NETWORK_DESC_SIZE_MAX);
  for (b = sizeof def; b < SP_NETWORK_DESC_SIZE_MAX; b++) assert_int_equal(u.bytes[b], 0);
  for (b = SP_NETWORK_DESC_SIZE_MAX; b < sizeof u.bytes; b++) assert_int_equal(u.bytes[b], 0xA5);
}

/* Every 32-bit status value is accepted; the known ones are named, the others unknown. */
static void test_status_name_any_value(void **state) {
  static const char *const names[] = {
      "SP_OK",           "SP_ERR_ARGUMENT", "SP_ERR_NOMEM",  "SP_ERR_UNSUPPORTED", "SP_ERR_STATE",
      "SP_ERR_CAPACITY", "SP_ERR_IO",       "SP_ERR_FORMAT", "SP_ERR_NUMERIC"};
  static const int32_t unknown[] = {INT32_MIN, INT32_MIN + 1, -2,       -1, 9, 10, 99, 255, 256,
                                    65536,     INT32_MAX - 1, INT32_MAX};
  int32_t s;
  size_t i;
  (void)state;
  for (s = 0; s <= SP_ERR_NUMERIC; s++) assert_string_equal(sp_status_name(s), names[s]);
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
    assert_string_equal(sp_status_name(unknown[i]), "SP_UNKNOWN_STATUS");
}

/* The sp_param functions refuse every unknown 32-bit value without touching anything. */
static void test_param_any_value(void **state) {
  static const int32_t unknown[] = {INT32_MIN, -1, 0, 5, 9, 99, INT32_MAX};
  sp_network_desc d;
  sp_network *net = NULL;
  double buf[4] = {7, 7, 7, 7};
  size_t i, len;
  (void)state;
  sp_network_desc_init(&d, sizeof d);
  fill(&d);
  assert_sp_ok(sp_network_create(&d, &net));
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    len = 777;
    assert_status(sp_param_count(net, unknown[i], &len), SP_ERR_ARGUMENT);
    assert_int_equal(len, 777);
    assert_status(sp_get_params(net, unknown[i], buf, 4), SP_ERR_ARGUMENT);
    assert_status(sp_set_params(net, unknown[i], buf, 4), SP_ERR_ARGUMENT);
    assert_status(sp_get_grads(net, unknown[i], buf, 4), SP_ERR_ARGUMENT);
    assert_true(buf[0] == 7 && buf[3] == 7);
  }
  sp_network_destroy(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimum_size_reads_nothing_past_it),
      cmocka_unit_test(test_v1_size_reads_nothing_past_it),
      cmocka_unit_test(test_v2_fields_not_available_refused),
      cmocka_unit_test(test_reserved_is_ignored),
      cmocka_unit_test(test_larger_sizes),
      cmocka_unit_test(test_nonsense_sizes_refused),
      cmocka_unit_test(test_desc_init_larger_sizes),
      cmocka_unit_test(test_status_name_any_value),
      cmocka_unit_test(test_param_any_value),
  };
  return cmocka_run_group_tests_name("abi_layout", tests, NULL, NULL);
}
