/* A worked example of training with libsparseprop: gradient descent on the recurrent weights of
 * a small LIF network so that chosen neurons fire at chosen times.
 *
 * The target times are the spike times of a "teacher" network with the same synapses but
 * different weights, so a perfect solution exists. The student starts from other weights; each
 * epoch it rewinds, records a forward pass, computes dL/dt for the chosen neurons' first spikes,
 * runs the backward pass, and takes an Adam step (decaying step size) on the weights. The loss
 * must fall by at least 100x; like any trainer, we keep the best weights seen, since spike-order
 * changes make the loss discontinuous and a step can land on the wrong side of one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sparseprop/sparseprop.h"

#define N 30
#define CHOSEN 6   /* neurons 0..CHOSEN-1 are trained */
#define FIRST 2    /* ... on their first FIRST spikes */
#define T_END 0.05 /* seconds */
#define MAX_SPIKES 2000
#define EPOCHS 400

static uint64_t row_ptr[N + 1];
static uint32_t targets[N * N];
static double teacher_w[N * N], student_w[N * N];
static double drives[N];
static size_t nnz;

static double uniform(unsigned *s) {
  *s = *s * 1103515245u + 12345u;
  return ((*s >> 8) & 0xffffff) / 16777216.0;
}

static sp_network *create(const double *weights) {
  sp_network_desc d;
  sp_network *net = NULL;
  double v0[N];
  uint32_t i;
  for (i = 0; i < N; ++i) v0[i] = 0.1 + 0.8 * (double)i / N;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = N;
  d.drives = drives;
  d.v0 = v0;
  d.recurrent.row_ptr = row_ptr;
  d.recurrent.targets = targets;
  d.recurrent.weights = weights;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  return net;
}

/* times[i][k]: the k-th spike of chosen neuron i (NAN if it did not happen). */
static void spike_table(const sp_spike *s, size_t count, double times[CHOSEN][FIRST],
                        long index[CHOSEN][FIRST]) {
  int seen[CHOSEN] = {0};
  size_t q;
  int i, k;
  for (i = 0; i < CHOSEN; ++i)
    for (k = 0; k < FIRST; ++k) {
      times[i][k] = NAN;
      index[i][k] = -1;
    }
  for (q = 0; q < count; ++q) {
    uint32_t n = s[q].neuron;
    if (n < CHOSEN && seen[n] < FIRST) {
      times[n][seen[n]] = s[q].t;
      index[n][seen[n]] = (long)q;
      seen[n]++;
    }
  }
}

static void test_gradient_descent_hits_target_times(void **state) {
  unsigned seed = 7;
  uint32_t i, j;
  sp_network *teacher, *student;
  static sp_spike spikes[MAX_SPIKES];
  static double dl_dt[MAX_SPIKES], grad[N * N], m[N * N], v[N * N];
  double target[CHOSEN][FIRST], now_t[CHOSEN][FIRST];
  long idx[CHOSEN][FIRST];
  size_t count = 0, q;
  double first_loss = -1, loss = 0, best = INFINITY;
  int epoch, k;
  (void)state;

  for (i = 0; i < N; ++i) {
    row_ptr[i] = nnz;
    for (j = 0; j < N; ++j) {
      if (i == j || uniform(&seed) > 0.3) continue;
      targets[nnz] = j;
      teacher_w[nnz] = 0.25 * (uniform(&seed) - 0.5);
      student_w[nnz] = teacher_w[nnz] + 0.08 * (uniform(&seed) - 0.5);
      ++nnz;
    }
    drives[i] = 1.2 + 0.4 * uniform(&seed);
  }
  row_ptr[N] = nnz;

  teacher = create(teacher_w);
  assert_int_equal(sp_run(teacher, T_END, spikes, MAX_SPIKES, &count), SP_OK);
  spike_table(spikes, count, target, idx);
  for (i = 0; i < CHOSEN; ++i)
    for (k = 0; k < FIRST; ++k) assert_false(isnan(target[i][k]));
  sp_network_destroy(teacher);

  student = create(student_w);
  memset(m, 0, sizeof m);
  memset(v, 0, sizeof v);
  for (epoch = 1; epoch <= EPOCHS; ++epoch) {
    /* Forward, recorded. */
    assert_int_equal(sp_rewind(student), SP_OK);
    assert_int_equal(sp_zero_grads(student), SP_OK);
    assert_int_equal(sp_record(student, MAX_SPIKES), SP_OK);
    assert_int_equal(sp_run(student, T_END, spikes, MAX_SPIKES, &count), SP_OK);
    spike_table(spikes, count, now_t, idx);
    /* Loss L = sum (t - target)^2 over the chosen spikes; dL/dt on those spikes only. */
    loss = 0;
    for (q = 0; q < count; ++q) dl_dt[q] = 0;
    for (i = 0; i < CHOSEN; ++i)
      for (k = 0; k < FIRST; ++k) {
        double err = isnan(now_t[i][k]) ? T_END - target[i][k] : now_t[i][k] - target[i][k];
        loss += err * err;
        if (idx[i][k] >= 0) dl_dt[idx[i][k]] = 2 * err;
      }
    if (first_loss < 0) first_loss = loss;
    if (loss < best) best = loss;
    /* Backward: dL/dw accumulates in the network. */
    assert_int_equal(sp_backward(student, dl_dt, count, NULL), SP_OK);
    assert_int_equal(sp_get_grads(student, SP_PARAM_WEIGHTS, grad, nnz), SP_OK);
    /* Adam step. */
    for (q = 0; q < nnz; ++q) {
      double lr = 2e-3 * (1.0 - 0.95 * epoch / (double)EPOCHS), b1 = 0.9, b2 = 0.999;
      m[q] = b1 * m[q] + (1 - b1) * grad[q];
      v[q] = b2 * v[q] + (1 - b2) * grad[q] * grad[q];
      student_w[q] -= lr * (m[q] / (1 - pow(b1, epoch))) /
                      (sqrt(v[q] / (1 - pow(b2, epoch))) + 1e-12);
    }
    assert_int_equal(sp_set_params(student, SP_PARAM_WEIGHTS, student_w, nnz), SP_OK);
    if (epoch % 50 == 0 || epoch == 1) print_message("# epoch %3d  loss %.3e s^2\n", epoch, loss);
  }
  print_message("# loss fell from %.3e to %.3e (%.0fx)\n", first_loss, best, first_loss / best);
  assert_true(first_loss / best >= 100.0);
  sp_network_destroy(student);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gradient_descent_hits_target_times),
  };
  return cmocka_run_group_tests_name("training", tests, NULL, NULL);
}
