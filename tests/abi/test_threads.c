/* test_threads.c - the header's thread promises: sp_last_error() is per thread, different
   handles are independent, and results are bit-identical whatever the thread; also the
   process-wide vector-math choice, first made by several QIF threads at once. Run under
   ThreadSanitizer by .ci/run. */
#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c99 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include <sparseprop/sparseprop.h>

#include "abi_util.h"

#define NTHREADS 4
#define NSPIKES 3000

/* A recurrent network with procedural inhibitory synapses and seeded initial phases (QIF: in
   the phase frame, whose inputs go through the vector math). */
static void make_desc_of(sp_network_desc *d, sp_model model) {
  sp_network_desc_init(d, sizeof *d);
  d->model = model;
  d->n = 200;
  d->tau = 0.01;
  d->drive = model == SP_MODEL_QIF ? 1.0 : 1.3;
  d->recurrent.k = 20;
  d->recurrent.seed = 42;
  d->recurrent.weight = -0.05;
  d->init_seed = 7;
}

static void make_desc(sp_network_desc *d) { make_desc_of(d, SP_MODEL_LIF); }

typedef struct run_job {
  sp_model model;
  sp_spike spikes[NSPIKES];
  sp_status status;
  char message[256];
} run_job;

static void run_network(run_job *job) {
  sp_network_desc d;
  sp_network *net = NULL;
  size_t i;
  make_desc_of(&d, job->model);
  job->status = sp_network_create(&d, &net);
  if (job->status == SP_OK)
    for (i = 0; i < NSPIKES && job->status == SP_OK; i++)
      job->status = sp_step(net, &job->spikes[i]);
  strncpy(job->message, sp_last_error(), sizeof job->message - 1);
  job->message[sizeof job->message - 1] = '\0';
  sp_network_destroy(net);
}

static void *run_thread(void *arg) {
  run_job *job = (run_job *)arg;
  run_network(job);
  return NULL;
}

/* The threads first (for QIF: the first QIF networks of the process, so they decide the
   vector-math path together), then the same network in this thread. */
static void check_threads(sp_model model) {
  static run_job sequential, parallel[NTHREADS];
  pthread_t th[NTHREADS];
  int i;
  for (i = 0; i < NTHREADS; i++) {
    parallel[i].model = model;
    assert_int_equal(pthread_create(&th[i], NULL, run_thread, &parallel[i]), 0);
  }
  for (i = 0; i < NTHREADS; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  sequential.model = model;
  run_network(&sequential);
  if (sequential.status != SP_OK)
    abi_fail_at(__FILE__, __LINE__, "sequential run: %s (%s)", sp_status_name(sequential.status),
                sequential.message);
  for (i = 0; i < NTHREADS; i++) {
    assert_int_equal(parallel[i].status, SP_OK);
    if (memcmp(parallel[i].spikes, sequential.spikes, sizeof sequential.spikes) != 0)
      abi_fail_at(__FILE__, __LINE__, "thread %d's spikes differ from the sequential run", i);
  }
}

static void test_qif_handles_in_threads_are_independent(void **state) {
  (void)state;
  check_threads(SP_MODEL_QIF);
}

static void test_handles_in_threads_are_independent(void **state) {
  (void)state;
  check_threads(SP_MODEL_LIF);
}

typedef struct error_job {
  char after_failure[256];
  char after_success[256];
} error_job;

static void *error_thread(void *arg) {
  error_job *job = (error_job *)arg;
  sp_network_desc d;
  sp_network *net = NULL;
  make_desc(&d);
  d.n = 0; /* fails: n */
  if (sp_network_create(&d, &net) == SP_OK) sp_network_destroy(net);
  strncpy(job->after_failure, sp_last_error(), sizeof job->after_failure - 1);
  job->after_failure[sizeof job->after_failure - 1] = '\0';
  make_desc(&d);
  if (sp_network_create(&d, &net) == SP_OK) sp_network_destroy(net);
  strncpy(job->after_success, sp_last_error(), sizeof job->after_success - 1);
  job->after_success[sizeof job->after_success - 1] = '\0';
  return NULL;
}

static void test_last_error_is_per_thread(void **state) {
  error_job job;
  pthread_t th;
  abi_msg mine;
  sp_network_desc d;
  sp_network *net = NULL;
  (void)state;
  memset(&job, 0, sizeof job);
  make_desc(&d);
  d.tau = -1.0; /* fails in this thread: tau */
  assert_status(sp_network_create(&d, &net), SP_ERR_ARGUMENT);
  mine = abi_last_error();
  abi_check_message("main thread", &mine, "tau", NULL, "-1");

  assert_int_equal(pthread_create(&th, NULL, error_thread, &job), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  {
    abi_msg other;
    strcpy(other.text, job.after_failure);
    abi_check_message("other thread", &other, "n", NULL, "0");
  }
  assert_string_equal(job.after_success, "");
  /* Neither the other thread's failure nor its success touched this thread's message. */
  assert_string_equal(sp_last_error(), mine.text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_qif_handles_in_threads_are_independent), /* first: see there */
      cmocka_unit_test(test_handles_in_threads_are_independent),
      cmocka_unit_test(test_last_error_is_per_thread),
  };
  return cmocka_run_group_tests_name("abi_threads", tests, NULL, NULL);
}
