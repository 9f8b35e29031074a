/* test_replica_threads.c - data parallelism as the header describes it: a batch of samples on
   caller threads, one replica per thread (the parent running its own sample meanwhile), the
   replicas' gradients summed into the parent afterwards. The parent's gradients must be
   bit-identical to the same samples run one after another in one thread (the sums are taken in
   the same order), for two parameter updates in a row. Run under ThreadSanitizer by .ci/run. */
#define _POSIX_C_SOURCE 200809L /* pthreads under -std=c99 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "replica_net.h"
#include "train_util.h"

#define THREADS 3
#define PER_THREAD 3
#define STEPS 2

typedef struct job {
  sp_network *net;
  uint32_t first; /* samples first .. first + PER_THREAD - 1 */
  double loss;
  sp_status status;
} job;

static void run_job(job *j) {
  uint32_t b;
  j->loss = 0.0;
  j->status = SP_OK;
  if (sp_zero_grads(j->net) != SP_OK) j->status = SP_ERR_STATE;
  for (b = 0; b < PER_THREAD; b++) j->loss += rn_run_sample(j->net, j->first + b, 1, &j->status);
}

static void *thread_main(void *arg) {
  run_job((job *)arg);
  return NULL;
}

/* One training step: the batch's gradients summed into `parent`'s (zeroed first), then a
   gradient-descent update of the weights. Parallel: threads on replicas plus the parent's own
   share in this thread; sequential: the same samples on one replica. */
static void train_step(sp_network *parent, sp_network **reps, int parallel, double *loss) {
  static double w[RN_N * RN_K], g[RN_N * RN_K];
  pthread_t th[THREADS];
  job jobs[THREADS + 1];
  size_t len = RN_N * RN_K, i;
  int t;
  for (t = 0; t <= THREADS; t++) {
    jobs[t].net = t < THREADS ? reps[parallel ? t : 0] : NULL;
    jobs[t].first = (uint32_t)t * PER_THREAD;
  }
  if (parallel) {
    for (t = 0; t < THREADS; t++)
      assert_int_equal(pthread_create(&th[t], NULL, thread_main, &jobs[t]), 0);
    /* The parent runs a sample of its own while the replicas run (it only reads the shared
       parameters too); its gradients are zeroed again below, before the sum. */
    jobs[THREADS].net = parent;
    jobs[THREADS].first = 100;
    run_job(&jobs[THREADS]);
    assert_sp_ok(jobs[THREADS].status);
    for (t = 0; t < THREADS; t++) assert_int_equal(pthread_join(th[t], NULL), 0);
  }
  assert_sp_ok(sp_zero_grads(parent));
  *loss = 0.0;
  for (t = 0; t < THREADS; t++) {
    if (!parallel) run_job(&jobs[t]);
    if (jobs[t].status != SP_OK)
      abi_fail_at(__FILE__, __LINE__, "job %d: %s (%s)", t, sp_status_name(jobs[t].status),
                  sp_last_error());
    *loss += jobs[t].loss;
    assert_sp_ok(sp_grads_accumulate(parent, jobs[t].net));
  }
  assert_sp_ok(sp_get_grads(parent, SP_PARAM_WEIGHTS, g, len));
  assert_sp_ok(sp_get_params(parent, SP_PARAM_WEIGHTS, w, len));
  for (i = 0; i < len; i++) w[i] -= 1e-3 * g[i];
  assert_sp_ok(sp_set_params(parent, SP_PARAM_WEIGHTS, w, len));
}

static void test_threads_match_sequential(void **state) {
  static replica_net r1, r2;
  static double g_par[RN_N * RN_K], g_seq[RN_N * RN_K];
  sp_network_desc d;
  sp_network *par = NULL, *seq = NULL, *reps[THREADS], *seq_rep = NULL;
  double loss_par[STEPS], loss_seq[STEPS];
  int t, step;
  (void)state;
  rn_desc(&r1, &d, 11);
  assert_sp_ok(sp_network_create(&d, &par));
  rn_desc(&r2, &d, 11);
  assert_sp_ok(sp_network_create(&d, &seq));
  for (t = 0; t < THREADS; t++) assert_sp_ok(sp_network_replica(par, &reps[t]));
  assert_sp_ok(sp_network_replica(seq, &seq_rep));
  for (step = 0; step < STEPS; step++) {
    train_step(par, reps, 1, &loss_par[step]);
    assert_sp_ok(sp_get_grads(par, SP_PARAM_WEIGHTS, g_par, RN_N * RN_K));
    train_step(seq, &seq_rep, 0, &loss_seq[step]);
    assert_sp_ok(sp_get_grads(seq, SP_PARAM_WEIGHTS, g_seq, RN_N * RN_K));
    assert_true(abi_same_bits(loss_par[step], loss_seq[step]));
    assert_memory_equal(g_par, g_seq, sizeof g_par);
    print_message("# step %d: batch loss %.9g\n", step, loss_par[step]);
  }
  assert_true(loss_par[0] != loss_par[1]); /* the update reached the replicas */
  for (t = 0; t < THREADS; t++) sp_network_destroy(reps[t]);
  sp_network_destroy(seq_rep);
  sp_network_destroy(par);
  sp_network_destroy(seq);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads_match_sequential),
  };
  return cmocka_run_group_tests_name("train_replica_threads", tests, NULL, NULL);
}
