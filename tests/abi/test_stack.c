/* test_stack.c - the header's stack size (Memory): every call runs in a 16 KiB thread stack
   below 2 KiB of the caller's own frames (run with LD_BIND_NOW=1: the dynamic loader's lazy
   binding of a C library function at its first call takes more). Each case runs in a thread
   with exactly that stack (a guard page below it): an overflow is a crash. Release builds of x86-64 without a sanitizer only (the
   size is measured there; -O0 and the sanitizers use more stack). The tables of EIF and custom
   networks are the deepest: creating one took 24 KiB before their transforms stopped being
   matrices on the stack. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sparseprop/sparseprop.h>

/* kCallerRoom: the caller's own frames, below which the calls must still fit (the header
   promises them 2 KiB; a load of an EIF network from such a thread crashed before the tables'
   builder and the loader shed 2 KiB of their stack). */
enum { kSmall = 16 * 1024, kCallerRoom = 2 * 1024, kMaxSpikes = 8192 };

static double custom_f(double v, void *ctx) {
  (void)ctx;
  return -v + 0.5 * v * v;
}

/* Custom models the table's builder refuses deep in its sweep: V^2 at drive -5 (excitable), and
   |V|^2.5 (its blow-up's tail not smooth in 1/V). */
static double square_f(double v, void *ctx) {
  (void)ctx;
  return v * v;
}
static double power_2_5_f(double v, void *ctx) {
  (void)ctx;
  return pow(fabs(v), 2.5);
}

/* The balanced network of model m (0 LIF, 1 QIF, 2 EIF, 3 custom, 4 LIF with tau_syn). */
static void describe(int m, sp_network_desc *d, sp_model_params *mp) {
  sp_network_desc_init(d, sizeof *d);
  d->n = 300;
  d->drive = m == 1 ? 0.5 : 1.1;
  d->recurrent.k = 30;
  d->recurrent.weight = -0.1;
  d->model = m == 1   ? SP_MODEL_QIF
             : m == 2 ? SP_MODEL_EIF
             : m == 3 ? SP_MODEL_CUSTOM
                      : SP_MODEL_LIF;
  if (m == 4) d->tau_syn = 0.0025;
  if (m == 3) {
    memset(mp, 0, sizeof *mp);
    mp->struct_size = sizeof *mp;
    mp->v_spike = INFINITY;
    mp->f = custom_f;
    d->model_params = mp;
  }
}

typedef struct job {
  int model, what; /* what: 0 record, run, backward, save; 1 create and measure; 2 load; 3 the
                      refusals of the custom models above */
  sp_network *net;
  const void *bytes;
  size_t len;
  const char *path;
  int ok;
} job;

/* (Not on the small stacks.) */
static double g_dl_dt[kMaxSpikes];
static sp_spike g_spikes[kMaxSpikes];
static unsigned char g_saved[1 << 20];

static void run_calls(job *j) {
  sp_network_desc d;
  sp_model_params mp;
  sp_network *net = NULL;
  size_t count = 0, bytes = 0;
  double v;
  if (j->what == 0) {
    sp_network *rep = NULL;
    const uint32_t watch[2] = {0, 1};
    double w = -0.09;
    if (sp_step(j->net, g_spikes) != SP_OK) return;
    if (sp_run_until(j->net, 0.02, watch, 2, g_spikes, kMaxSpikes, &count) != SP_OK) return;
    if (j->model != 2 && j->model != 3 && sp_set_drive(j->net, 0, 0.95) != SP_OK) return;
    if (sp_set_params(j->net, SP_PARAM_WEIGHTS, &w, 1) != SP_OK) return;
    if (sp_network_replica(j->net, &rep) != SP_OK) return;
    if (sp_grads_accumulate(j->net, rep) != SP_OK) return;
    sp_network_destroy(rep);
    if (sp_save_file(j->net, j->path) != SP_OK) return;
    if (sp_rewind(j->net) != SP_OK) return;
    if (sp_record(j->net, kMaxSpikes) != SP_OK) return;
    if (sp_run(j->net, 0.1, g_spikes, kMaxSpikes, &count) != SP_OK) return;
    if (sp_voltage(j->net, 0, &v) != SP_OK) return;
    if (sp_backward(j->net, g_dl_dt, count, NULL) != SP_OK) return;
    j->ok = sp_save(j->net, g_saved, sizeof g_saved, &bytes) == SP_OK;
  } else if (j->what == 1) {
    describe(j->model, &d, &mp);
    if (sp_network_memory(&d, &bytes) != SP_OK) return;
    if (sp_network_create(&d, &net) != SP_OK) return;
    sp_network_destroy(net);
    j->ok = 1;
  } else if (j->what == 3) {
    /* (The message of such a refusal was formatted where it was raised, below the builder's
       frames: the first overflowed a 16 KiB stack below 1.6 KiB of the caller's frames, an
       outside check.) */
    sp_network_desc_init(&d, sizeof d);
    memset(&mp, 0, sizeof mp);
    mp.struct_size = sizeof mp;
    mp.v_spike = INFINITY;
    d.n = 5;
    d.model = SP_MODEL_CUSTOM;
    d.model_params = &mp;
    mp.v_reset = -5.0;
    mp.f = square_f;
    d.drive = -5.0;
    if (sp_network_memory(&d, &bytes) != SP_ERR_UNSUPPORTED) return;
    if (sp_network_create(&d, &net) != SP_ERR_UNSUPPORTED || net) return;
    mp.v_reset = 0.0;
    mp.f = power_2_5_f;
    d.drive = 1.0;
    if (sp_network_create(&d, &net) != SP_ERR_UNSUPPORTED || net) return;
    j->ok = strstr(sp_last_error(), "1/V") != NULL; /* (the message came out whole) */
  } else {
    if (sp_load(j->bytes, j->len, NULL, &net) != SP_OK) return;
    sp_network_destroy(net);
    if (sp_load_file(j->path, &net) != SP_OK) return;
    sp_network_destroy(net);
    j->ok = 1;
  }
}

/* The calls below kCallerRoom bytes of the caller's own (a volatile array, kept to the end). */
static void *run_job(void *arg) {
  job *j = arg;
  volatile char room[kCallerRoom];
  size_t i;
  for (i = 0; i < sizeof room; i += 256) room[i] = (char)i;
  j->ok = 0;
  run_calls(j);
  if (room[256] != (char)256) j->ok = 0;
  return NULL;
}

/* Runs j in a thread with a stack of exactly `stack` bytes. */
static int in_thread(job *j, size_t stack) {
  pthread_attr_t attr;
  pthread_t t;
  assert_int_equal(pthread_attr_init(&attr), 0);
  assert_int_equal(pthread_attr_setstacksize(&attr, stack), 0);
  assert_int_equal(pthread_create(&t, &attr, run_job, j), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  pthread_attr_destroy(&attr);
  return j->ok;
}

static void test_stack_sizes(void **state) {
  char path[] = "/tmp/sp_test_stack_XXXXXX";
  const int fd = mkstemp(path);
  int m;
  (void)state;
  assert_true(fd >= 0);
  close(fd);
  for (m = 0; m < 5; ++m) {
    sp_network_desc d;
    sp_model_params mp;
    job j;
    size_t len = 0;
    describe(m, &d, &mp);
    memset(&j, 0, sizeof j);
    j.model = m;
    j.path = path;
    if (sp_network_create(&d, &j.net) != SP_OK) fail_msg("model %d: %s", m, sp_last_error());
    j.what = 0;
    if (!in_thread(&j, kSmall)) fail_msg("model %d, 16 KiB: running: %s", m, sp_last_error());
    assert_int_equal(sp_save(j.net, g_saved, sizeof g_saved, &len), SP_OK);
    j.what = 1;
    if (!in_thread(&j, kSmall)) fail_msg("model %d: create", m);
    j.what = 2;
    j.bytes = g_saved;
    j.len = len;
    if (!in_thread(&j, kSmall)) fail_msg("model %d: load", m);
    sp_network_destroy(j.net);
  }
  {
    job j;
    memset(&j, 0, sizeof j);
    j.what = 3;
    if (!in_thread(&j, kSmall)) fail_msg("custom models refused: %s", sp_last_error());
  }
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stack_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
