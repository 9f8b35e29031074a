/* bench_teacher_student.c - training a large recurrent network from its own exact gradients.
 *
 * A balanced recurrent LIF network (explicit CSR, K = 100 random targets per neuron, random
 * inhibitory weights around -J0/sqrt(K), drive 1 + tau sqrt(K) J0 nu with nu = 10 Hz, fixed
 * random initial voltages) with teacher weights produces the spike times of R readout neurons
 * over a window. The student is the same network with every weight perturbed by a relative
 * `eps`; it learns the teacher's readout spike times by gradient descent on all N K weights:
 * L = mean over the student's readout spikes of the squared distance to the nearest teacher
 * spike of the same neuron.
 * One network is used for both (the teacher's weights are set, its spikes taken, then the
 * student's). Per step it times the forward pass alone (not recording), then recording
 * forward, backward and the update (reading the gradients, the step, setting the weights),
 * and reports them per spike and per synaptic event (thread CPU time), with the tape's bytes.
 *
 *   bench_teacher_student train N [steps] [window_s] [eps] [readout]
 *   bench_teacher_student horizon N      gradient norm vs horizon length (chaos)
 *
 * Figures: tests/bench/RESULTS.md, "Teacher-student". Timings on a shared VM are noisy. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#define _ISOC11_SOURCE          /* aligned_alloc */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#define K 100
#define TAU 0.01

/* Counts the bytes the library allocates (to measure the tape). */
static size_t g_live_bytes;
static void *count_alloc(void *ctx, size_t size, size_t align) {
  size_t rounded = (size + align - 1) / align * align;
  void *p = aligned_alloc(align, rounded ? rounded : align);
  (void)ctx;
  if (p) g_live_bytes += size;
  return p;
}
static void count_free(void *ctx, void *p, size_t size) {
  (void)ctx;
  g_live_bytes -= size;
  free(p);
}

/* CPU time of this thread: the machine is shared, so wall time says little. */
static double cpu_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static double uniform(void) {
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(g_rng >> 11) * 0x1p-53;
}

typedef struct problem {
  uint32_t n, readout;
  uint64_t nnz;
  double window;
  sp_network *net;
  double *w_teacher, *w, *g;
  /* The teacher's readout spikes: per readout neuron, its spike times (CSR). */
  uint64_t *t_row;
  double *t_times;
  sp_spike *buf;
  size_t cap;
  double *dl_dt;
  uint32_t *seen;
} problem;

static sp_allocator g_alloc = {count_alloc, count_free, NULL};

static void build(problem *p, uint32_t n, double window, uint32_t readout) {
  uint64_t *rows = malloc(sizeof(uint64_t) * (n + 1));
  uint32_t *targets = malloc(sizeof(uint32_t) * (size_t)n * K);
  double *v0 = malloc(sizeof(double) * n);
  const double j0 = 1.0, nu = 10.0;
  sp_network_desc d;
  uint64_t e;
  uint32_t i;
  p->n = n;
  p->readout = readout < n ? readout : n;
  p->window = window;
  p->nnz = (uint64_t)n * K;
  p->w_teacher = malloc(sizeof(double) * p->nnz);
  p->w = malloc(sizeof(double) * p->nnz);
  p->g = malloc(sizeof(double) * p->nnz);
  if (!rows || !targets || !v0 || !p->w_teacher || !p->w || !p->g) exit(2);
  for (i = 0; i <= n; i++) rows[i] = (uint64_t)i * K;
  for (e = 0; e < p->nnz; e++) {
    /* K targets per source, any but the source itself (repeats allowed, rare). */
    uint32_t src = (uint32_t)(e / K), t = (uint32_t)(uniform() * (n - 1));
    targets[e] = t >= src ? t + 1 : t;
    p->w_teacher[e] = -j0 / sqrt((double)K) * (0.5 + uniform());
  }
  for (i = 0; i < n; i++) v0[i] = uniform();
  sp_network_desc_init(&d, sizeof d);
  d.n = n;
  d.tau = TAU;
  d.drive = 1.0 + TAU * sqrt((double)K) * j0 * nu;
  d.v0 = v0;
  d.recurrent.row_ptr = rows;
  d.recurrent.targets = targets;
  d.recurrent.weights = p->w_teacher;
  d.allocator = &g_alloc;
  bench_check(sp_network_create(&d, &p->net), "create");
  free(rows);
  free(targets);
  free(v0);
  p->cap = (size_t)(n * window * 40.0) + 1024; /* 40 Hz: 3x the rate measured */
  p->buf = malloc(sizeof(sp_spike) * p->cap);
  p->dl_dt = malloc(sizeof(double) * p->cap);
  p->seen = malloc(sizeof(uint32_t) * p->readout);
  p->t_row = malloc(sizeof(uint64_t) * (p->readout + 1));
  if (!p->buf || !p->dl_dt || !p->seen || !p->t_row) exit(2);
}

static size_t run_window(problem *p) {
  size_t count = 0;
  bench_check(sp_run(p->net, p->window, p->buf, p->cap, &count), "run");
  if (count == p->cap) {
    fprintf(stderr, "spike buffer full (%zu)\n", p->cap);
    exit(1);
  }
  return count;
}

/* The teacher's readout spikes, from the current weights (the teacher's). */
static void take_teacher(problem *p) {
  size_t count, s;
  uint32_t i;
  bench_check(sp_rewind(p->net), "rewind");
  count = run_window(p);
  memset(p->t_row, 0, sizeof(uint64_t) * (p->readout + 1));
  for (s = 0; s < count; s++)
    if (p->buf[s].neuron < p->readout) p->t_row[p->buf[s].neuron + 1]++;
  for (i = 0; i < p->readout; i++) p->t_row[i + 1] += p->t_row[i];
  p->t_times = malloc(sizeof(double) * (p->t_row[p->readout] + 1));
  memset(p->seen, 0, sizeof(uint32_t) * p->readout);
  for (s = 0; s < count; s++) {
    uint32_t j = p->buf[s].neuron;
    if (j < p->readout) p->t_times[p->t_row[j] + p->seen[j]++] = p->buf[s].t;
  }
}

/* Loss of the spikes in buf and its dL/dt: the mean over the student's readout spikes of the
   squared distance to the nearest teacher spike of the same neuron (s^2); a readout neuron
   without teacher spikes adds nothing. (Nearest rather than k-th: an extra or missing spike
   then does not shift every later pair.) */
static double loss_of(problem *p, size_t count, size_t *pairs_out) {
  size_t s, pairs = 0;
  double loss = 0.0;
  for (s = 0; s < count; s++) {
    uint32_t j = p->buf[s].neuron;
    uint64_t q, best = UINT64_MAX;
    double e = 0.0;
    p->dl_dt[s] = 0.0;
    if (j >= p->readout) continue;
    for (q = p->t_row[j]; q < p->t_row[j + 1]; q++)
      if (best == UINT64_MAX || fabs(p->buf[s].t - p->t_times[q]) < fabs(e)) {
        best = q;
        e = p->buf[s].t - p->t_times[q];
      }
    if (best == UINT64_MAX) continue;
    loss += e * e;
    p->dl_dt[s] = 2.0 * e;
    pairs++;
  }
  if (pairs)
    for (s = 0; s < count; s++) p->dl_dt[s] /= (double)pairs;
  *pairs_out = pairs;
  return pairs ? loss / (double)pairs : 0.0;
}

static void train(uint32_t n, int steps, double window, double eps, uint32_t readout) {
  problem p;
  uint64_t e;
  size_t count = 0, pairs = 0, tape_bytes, before;
  double lr, last = 0.0, best = 0.0, loss0 = 0.0, loss = 0.0, t_fwd = 0, t_rec = 0, t_bwd = 0,
             t_upd = 0;
  double spikes_total = 0, fwd_spikes = 0;
  int step, rejected = 0;
  memset(&p, 0, sizeof p);
  double t_build = cpu_seconds();
  build(&p, n, window, readout);
  t_build = cpu_seconds() - t_build;
  take_teacher(&p);
  for (e = 0; e < p.nnz; e++) p.w[e] = p.w_teacher[e] * (1.0 + eps * (2.0 * uniform() - 1.0));
  bench_check(sp_set_params(p.net, SP_PARAM_WEIGHTS, p.w, p.nnz), "set student");
  printf("N = %u, K = %d, window %.3f s, eps %.3g, readout %u (%llu teacher spikes), build %.1f "
         "s, network %.1f MB\n",
         n, K, window, eps, p.readout, (unsigned long long)p.t_row[p.readout], t_build,
         g_live_bytes / 1e6);
  before = g_live_bytes;
  bench_check(sp_record(p.net, p.cap), "record");
  tape_bytes = g_live_bytes - before;
  lr = 0.0;
  for (step = 0; step <= steps; step++) {
    double t0, gnorm = 0.0;
    /* Forward alone (not recording), for comparison. */
    bench_check(sp_rewind(p.net), "rewind");
    t0 = cpu_seconds();
    count = run_window(&p);
    t_fwd += step ? cpu_seconds() - t0 : 0;
    fwd_spikes += step ? count : 0;
    /* Recording forward, backward, update. */
    bench_check(sp_rewind(p.net), "rewind");
    t0 = cpu_seconds();
    bench_check(sp_record(p.net, p.cap), "record");
    count = run_window(&p);
    double t1 = cpu_seconds();
    loss = loss_of(&p, count, &pairs);
    if (step == 0) loss0 = best = loss;
    printf("step %3d: loss %.4g s^2 (rms %.4g ms over %zu pairs), %zu spikes%s\n", step, loss,
           1e3 * sqrt(loss), pairs, count, loss > best ? ": rejected, step halved" : "");
    if (loss > best) {
      /* Back to the last accepted weights with half the step (the loss of a chaotic network
         is piecewise smooth: a step across a reordering can make it worse). */
      for (e = 0; e < p.nnz; e++) p.w[e] += last * p.g[e];
      lr *= 0.5;
      bench_check(sp_rewind(p.net), "rewind"); /* (ends the recording) */
      bench_check(sp_set_params(p.net, SP_PARAM_WEIGHTS, p.w, p.nnz), "set");
      rejected++;
      continue;
    }
    best = loss;
    if (step == steps) break;
    bench_check(sp_zero_grads(p.net), "zero");
    bench_check(sp_backward(p.net, p.dl_dt, count, NULL), "backward");
    double t2 = cpu_seconds();
    bench_check(sp_get_grads(p.net, SP_PARAM_WEIGHTS, p.g, p.nnz), "grads");
    for (e = 0; e < p.nnz; e++) gnorm += p.g[e] * p.g[e];
    gnorm = sqrt(gnorm);
    /* Normalised gradient descent: the first step moves the weights by 0.2 eps of their
       norm; a step that makes the loss worse is undone and halved (above). */
    if (step == 0) {
      double wn = 0.0;
      for (e = 0; e < p.nnz; e++) wn += p.w[e] * p.w[e];
      lr = 0.2 * eps * sqrt(wn);
    }
    last = gnorm > 0 ? lr / gnorm : 0.0;
    for (e = 0; e < p.nnz; e++) p.w[e] -= last * p.g[e];
    bench_check(sp_set_params(p.net, SP_PARAM_WEIGHTS, p.w, p.nnz), "set");
    double t3 = cpu_seconds();
    t_rec += t1 - t0;
    t_bwd += t2 - t1;
    t_upd += t3 - t2;
    spikes_total += count;
  }
  if (steps > 0) {
    double sp = spikes_total, ev = spikes_total * K;
    printf("loss %.4g -> %.4g s^2 (rms %.4g -> %.4g ms), %d steps (%d rejected)\n", loss0, best,
           1e3 * sqrt(loss0), 1e3 * sqrt(best), steps, rejected);
    printf("per spike:  forward alone %.3f us | recording forward %.3f us, backward %.3f us, "
           "update %.3f us, step %.3f us\n",
           1e6 * t_fwd / fwd_spikes, 1e6 * t_rec / sp, 1e6 * t_bwd / sp, 1e6 * t_upd / sp,
           1e6 * (t_rec + t_bwd + t_upd) / sp);
    printf("per synaptic event: recording forward %.1f ns, backward %.1f ns; step %.3f s; tape "
           "(and gradients) %.1f MB = %.1f bytes per synaptic event of the capacity (%zu "
           "spikes)\n",
           1e9 * t_rec / ev, 1e9 * t_bwd / ev, (t_rec + t_bwd + t_upd) / steps, tape_bytes / 1e6,
           (double)tape_bytes / ((double)p.cap * K), p.cap);
  }
  sp_network_destroy(p.net);
  free(p.w_teacher);
  free(p.w);
  free(p.g);
  free(p.t_row);
  free(p.t_times);
  free(p.buf);
  free(p.dl_dt);
  free(p.seen);
}

/* |dL/dw| for L = sum of the readout neurons' spike times within a horizon, for growing
   horizons: in a chaotic network it grows exponentially with the horizon. */
static void horizon(uint32_t n) {
  const double horizons[] = {0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32};
  problem p;
  size_t h;
  memset(&p, 0, sizeof p);
  build(&p, n, 0.32, n / 10);
  printf("N = %u, K = %d, readout %u: |dL/dw| for L = sum of readout spike times in [0, H]\n", n, K,
         p.readout);
  for (h = 0; h < sizeof horizons / sizeof horizons[0]; h++) {
    size_t count, s;
    uint64_t e;
    double norm = 0.0, gmax = 0.0, t0;
    p.window = horizons[h];
    bench_check(sp_rewind(p.net), "rewind");
    bench_check(sp_zero_grads(p.net), "zero");
    bench_check(sp_record(p.net, p.cap), "record");
    count = run_window(&p);
    size_t n_read = 0;
    for (s = 0; s < count; s++) {
      p.dl_dt[s] = p.buf[s].neuron < p.readout ? 1.0 : 0.0;
      n_read += p.buf[s].neuron < p.readout;
    }
    t0 = cpu_seconds();
    sp_status st = sp_backward(p.net, p.dl_dt, count, NULL);
    t0 = cpu_seconds() - t0;
    if (st != SP_OK) {
      printf("H = %5.0f ms (%4.1f tau): %zu spikes: %s (%s)\n", 1e3 * p.window, p.window / TAU,
             count, sp_status_name(st), sp_last_error());
      continue;
    }
    bench_check(sp_get_grads(p.net, SP_PARAM_WEIGHTS, p.g, p.nnz), "grads");
    for (e = 0; e < p.nnz; e++) {
      norm += p.g[e] * p.g[e];
      if (fabs(p.g[e]) > gmax) gmax = fabs(p.g[e]);
    }
    printf("H = %5.0f ms (%4.1f tau): %8zu spikes (%6zu readout), |dL/dw| = %.4g, per readout "
           "spike %.4g, max |dL/dw_e| = %.4g, backward %.3f s\n",
           1e3 * p.window, p.window / TAU, count, n_read, sqrt(norm),
           n_read ? sqrt(norm) / n_read : 0.0, gmax, t0);
  }
  sp_network_destroy(p.net);
  free(p.w_teacher);
  free(p.w);
  free(p.g);
  free(p.t_row);
  free(p.buf);
  free(p.dl_dt);
  free(p.seen);
}

int main(int argc, char **argv) {
  uint32_t n = argc > 2 ? (uint32_t)atof(argv[2]) : 10000;
  (void)bench_balanced_lif; /* (shared helpers, unused here) */
  (void)bench_seconds;
  if (argc > 1 && strcmp(argv[1], "horizon") == 0) {
    horizon(n);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "train") != 0) {
    fprintf(stderr, "usage: %s train N [steps] [window_s] [eps] [readout] | horizon N\n", argv[0]);
    return 2;
  }
  train(n, argc > 3 ? atoi(argv[3]) : 20, argc > 4 ? atof(argv[4]) : 0.05,
        argc > 5 ? atof(argv[5]) : 0.01, argc > 6 ? (uint32_t)atof(argv[6]) : 1000);
  return 0;
}
