/* Yin-Yang classification (Kriener et al. 2021) trained with libsparseprop's exact spike-time
 * gradients: a 5-H-3 LIF network, first-spike cross-entropy, Adam, mini-batches over threads.
 *
 * Public API only. Each worker thread owns one network with the same connectivity; at every
 * mini-batch the workers take the current parameters, run their share of the samples (rewind,
 * queue the five input spikes, record, step until every output has spiked, backward) and the
 * main thread sums their accumulated gradients and takes one Adam step. `--help` lists the
 * options; README.md beside this file explains the choices and gives the full runs. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sparseprop/sparseprop.h"

/* The description has tau_syn from layout V2 (0.2) on. */
#ifdef SP_NETWORK_DESC_SIZE_V2
#  define YINYANG_HAVE_TAU_SYN 1
#endif

#define N_IN 5  /* x, y, 1 - x, 1 - y, bias */
#define N_OUT 3 /* yin, yang, dot */
#define MAX_THREADS 16

/* ---- Random numbers: SplitMix64 (dataset, initial weights, shuffling). ---- */

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(uint64_t *s) { return (double)(rng_next(s) >> 11) * 0x1p-53; }

static double rng_normal(uint64_t *s) {
  double u1 = 1.0 - rng_uniform(s), u2 = rng_uniform(s); /* u1 in (0, 1] */
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- The data set, from its published description: points uniform in the big circle of
   radius r_big centred at (r_big, r_big), classes by the yin-yang figure with dots of radius
   r_small; the class of each sample is drawn first (uniform over 3) and points are drawn until
   one falls in it, so the classes are balanced in expectation. Coordinates in [0, 2 r_big]. */

#define R_SMALL 0.1
#define R_BIG 0.5

static int yinyang_class(double x, double y) {
  double d_right = hypot(x - 1.5 * R_BIG, y - R_BIG);
  double d_left = hypot(x - 0.5 * R_BIG, y - R_BIG);
  int in_dot = d_right < R_SMALL || d_left < R_SMALL;
  int yin = d_right <= R_SMALL || (d_left > R_SMALL && d_left <= 0.5 * R_BIG) ||
            (y > R_BIG && d_right > 0.5 * R_BIG);
  if (in_dot) return 2;
  return yin ? 0 : 1;
}

typedef struct dataset {
  size_t n;
  double *x, *y;
  int *label;
} dataset;

static int dataset_make(dataset *d, size_t n, uint64_t seed) {
  size_t i;
  d->n = n;
  d->x = malloc(n * sizeof *d->x);
  d->y = malloc(n * sizeof *d->y);
  d->label = malloc(n * sizeof *d->label);
  if (!d->x || !d->y || !d->label) return 0;
  for (i = 0; i < n; ++i) {
    int goal = (int)(rng_uniform(&seed) * 3.0);
    for (;;) {
      double x = rng_uniform(&seed) * 2.0 * R_BIG, y = rng_uniform(&seed) * 2.0 * R_BIG;
      if (hypot(x - R_BIG, y - R_BIG) > R_BIG) continue;
      if (yinyang_class(x, y) != goal) continue;
      d->x[i] = x;
      d->y[i] = y;
      d->label[i] = goal;
      break;
    }
  }
  return 1;
}

static void dataset_free(dataset *d) {
  free(d->x);
  free(d->y);
  free(d->label);
}

/* ---- Options ---- */

/* Model selection: which epoch's parameters are kept and tested. Every run measures the test
   accuracy of each criterion's pick (one test pass each); --select names the one reported and
   used for early stopping. */
enum {
  SELECT_ACC,      /* the best validation accuracy, the first epoch that reached it */
  SELECT_ACC_LATE, /* the same, the last epoch that reached it */
  SELECT_LOSS,     /* the lowest validation loss */
  /* the best mean validation accuracy of three consecutive epochs, the middle one kept: less
     noise in the pick than one measurement */
  SELECT_SMOOTH,
  SELECT_FINAL, /* the last epoch */
  N_SELECT
};
static const char *const select_names[N_SELECT] = {"acc", "acc-late", "loss", "smooth", "final"};

typedef struct options {
  uint32_t hidden;
  double tau, tau_syn;            /* seconds; tau_syn 0: delta synapses */
  double t_early, t_late, t_bias; /* input latencies, in units of tau */
  double t_max;                   /* a sample ends here at the latest, units of tau */
  double t_ref;                   /* refractory period, units of tau */
  double drive_hidden, drive_out; /* initial drives */
  int train_drives;
  double w_in_mean, w_in_std, w_out_mean, w_out_std;
  double tau0, tau1, alpha; /* loss: softmax temperature, regulariser (units of tau) */
  double missing_push;      /* dL/dV at the end for a silent label neuron, units of tau/tau0 */
  double hidden_push;       /* dL/dV at the end for each hidden neuron silent in a sample */
  double dead_push; /* the same, only for hidden neurons silent on every sample of the last epoch */
  double out_drive_floor; /* output drives are kept at or above it (0: non-negative) */
  double lr, lr_decay;
  double lr_warmup; /* epochs of linear warm-up of the step (0: none) */
  int lr_cosine;    /* 1: cosine decay of the step over the epochs instead of lr_decay */
  double lr_end;    /* the cosine's last step, as a fraction of lr */
  double clip;      /* the batch gradient's norm is cut to it (0: not cut) */
  double adam_eps;
  double silent_tmax; /* nonzero: a silent output counts as a spike at t_max in the softmax */
  int select;         /* model selection: SELECT_* */
  double ema;         /* decay per step of the parameter average evaluated (0: off) */
  uint32_t batch, epochs, patience, threads, runs;
  uint64_t seed;
  uint64_t test_seed; /* the test set's generator seed (40; another gives a fresh test set) */
  size_t n_train, n_val, n_test;
  double min_test_accuracy; /* exit status 1 below it (the meson test) */
  int quiet;
  size_t print_data; /* print this many training points and exit */
} options;

/* The defaults of --model current: EventProp's Yin-Yang setup (Wunderlich & Pehle 2021:
   5-200-3, tau 20 ms, tau_syn 5 ms, inputs over 1.5 tau, bias spike at 0, tau0 0.5 ms,
   tau1 6.4 ms, alpha 3e-3, Adam) with its weights in this library's units (a weight here is
   the total voltage effect, so EventProp's current jump w is w tau_syn/tau here); slower Adam
   steps and more epochs than EventProp's 5e-3 and 0.95 per epoch, which let outputs fall
   silent here; silent outputs in the softmax at t_max and the epoch with the lowest validation
   loss kept, which raised the mean test accuracy (README.md beside this file). */
static void options_current(options *o) {
  o->hidden = 200;
  o->tau_syn = 0.005;
  o->t_ref = 0.0; /* hidden neurons may fire more than once, as in EventProp */
  o->t_early = 0.0;
  o->t_late = 1.5;
  o->t_max = 2.0;
  o->drive_hidden = 0.0;
  o->drive_out = 0.0;
  o->w_in_mean = 0.375;
  o->w_in_std = 0.195;
  o->w_out_mean = 0.2325;
  o->w_out_std = 0.025;
  o->tau0 = 0.025;
  o->tau1 = 0.32;
  o->alpha = 3e-3;
  o->missing_push = 3.0;
  o->silent_tmax = 1;
  o->select = SELECT_LOSS;
  o->lr = 5e-4;
  o->lr_decay = 0.97;
  o->epochs = 100;
  o->patience = 40;
}

/* The defaults of --model delta (delta synapses: drives above 1, README.md beside this file). */
static void options_delta(options *o) {
  o->hidden = 120;
  o->tau_syn = 0.0;
  o->t_ref = 10.0; /* above t_max: one spike per neuron and sample */
  o->t_early = 0.05;
  o->t_late = 1.0;
  o->t_max = 4.0;
  o->drive_hidden = 3.0;
  o->drive_out = 2.0;
  o->w_in_mean = 0.0;
  o->w_in_std = 0.5;
  o->w_out_mean = 0.0;
  o->w_out_std = 0.03;
  o->tau0 = 0.05;
  o->tau1 = 3.0;
  o->alpha = 0.0;
  o->missing_push = 1.0;
  o->silent_tmax = 0;
  o->select = SELECT_ACC;
  o->lr = 2e-3;
  o->lr_decay = 0.9;
  o->epochs = 50;
  o->patience = 12;
}

static void options_default(options *o) {
  memset(o, 0, sizeof *o);
  o->adam_eps = 1e-8;
  o->lr_end = 0.01;
  o->tau = 0.02;
  o->t_bias = 0.0;
  o->train_drives = 1;
  o->batch = 32;
  o->threads = 2;
  options_current(o);
  o->runs = 1;
  o->seed = 1;
  o->test_seed = 40;
  o->n_train = 5000;
  o->n_val = 1000;
  o->n_test = 1000;
  o->min_test_accuracy = 0.0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: yinyang [options]   (defaults: --model current, then --model delta)\n"
          "  --model current|delta  current-based synapses (EventProp's setup) or delta\n"
          "                      synapses; sets the defaults below, which later options override\n"
          "  --hidden H          hidden neurons (200; 120)\n"
          "  --tau S             membrane time constant, seconds (0.02)\n"
          "  --tau-syn S         synaptic time constant, seconds; 0: delta synapses (0.005; 0)\n"
          "  --t-early X --t-late X --t-bias X   input latencies in tau (0, 1.5, 0; 0.05, 1, 0)\n"
          "  --t-max X           a sample ends after this many tau at the latest (2; 4)\n"
          "  --t-ref X           refractory period in tau (0; 10: above t-max, one spike each)\n"
          "  --drive-hidden I --drive-out I      initial drives (0, 0; 3, 2)\n"
          "  --fixed-drives      do not train the drives\n"
          "  --w-in MEAN,STD --w-out MEAN,STD    initial weights (0.375,0.195 and 0.2325,0.025;\n"
          "                      0,0.5 and 0,0.03)\n"
          "  --tau0 X --tau1 X --alpha A          loss: softmax scale and regulariser, in tau\n"
          "                      (0.025, 0.32, 3e-3; 0.05, 3, 0)\n"
          "  --missing-push X    dL/dV at the end for a silent label neuron, in tau/tau0 (3; 1)\n"
          "  --hidden-push X     dL/dV at the end for each hidden neuron silent in a sample (0)\n"
          "  --dead-push X       the same only for hidden neurons silent on every training sample\n"
          "                      of the previous epoch (0)\n"
          "  --out-drive-floor I  keep the output drives at or above I after each step (0: they\n"
          "                      stay non-negative; -1e300: not kept) (0; 0)\n"
          "  --lr L --lr-decay G  Adam step size and its decay per epoch (5e-4, 0.97; 2e-3, 0.9)\n"
          "  --lr-warmup E      the step grows linearly over the first E epochs (0)\n"
          "  --lr-cosine         cosine decay of the step over --epochs to --lr-end times it,\n"
          "                      instead of --lr-decay (off; --lr-end 0.01)\n"
          "  --clip X            cut the batch gradient's norm to X (0: off)\n"
          "  --adam-eps E        Adam's epsilon (1e-8)\n"
          "  --silent-tmax B     1: a silent output counts as a spike at t-max in the softmax;\n"
          "                      0: it takes no part (1; 0)\n"
          "  --select C          the epoch kept: acc (best validation accuracy, the first),\n"
          "                      acc-late (the same, the last), loss (lowest validation loss),\n"
          "                      smooth (best 3-epoch mean accuracy) or final (loss; acc)\n"
          "  --ema D             validate and test the average of the parameters over the steps,\n"
          "                      each step's weight 1 - D (0: the parameters themselves) (0; 0)\n"
          "  --batch B --epochs E --patience P    (32, 100, 40; 32, 50, 12: early stopping on\n"
          "                      validation)\n"
          "  --threads T         worker threads, one network each (2)\n"
          "  --seed S --runs R   runs with seeds S..S+R-1 (initial weights, shuffling) (1, 1)\n"
          "  --train N --val N --test N           data set sizes (5000, 1000, 1000)\n"
          "  --test-seed S       the test set's generator seed (40; the training and validation\n"
          "                      sets' are 42 and 41): another draws a fresh test set\n"
          "  --min-test-accuracy A   exit status 1 if a run's test accuracy is below A (0..1)\n"
          "  --quiet             only the summary lines\n"
          "  --print-data N      print the first N training points (x y class) and exit\n");
}

static int parse_pair(const char *s, double *a, double *b) {
  char *end;
  *a = strtod(s, &end);
  if (*end != ',') return 0;
  *b = strtod(end + 1, &end);
  return *end == '\0';
}

static int parse_options(int argc, char **argv, options *o) {
  int i;
  /* The model's defaults first, so that the other options override them in any order. */
  for (i = 1; i + 1 < argc; ++i)
    if (strcmp(argv[i], "--model") == 0) {
      if (strcmp(argv[i + 1], "current") == 0)
        options_current(o);
      else if (strcmp(argv[i + 1], "delta") == 0)
        options_delta(o);
      else {
        fprintf(stderr, "yinyang: --model wants current or delta, got '%s'\n", argv[i + 1]);
        return 0;
      }
    }
  for (i = 1; i < argc; ++i) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define FLAG(name) (strcmp(a, name) == 0)
#define NEEDS_VALUE                                      \
  do {                                                   \
    if (!v) {                                            \
      fprintf(stderr, "yinyang: %s needs a value\n", a); \
      return 0;                                          \
    }                                                    \
    ++i;                                                 \
  } while (0)
    if (FLAG("--help")) {
      usage(stdout);
      exit(0);
    } else if (FLAG("--model")) {
      NEEDS_VALUE; /* applied above */
    } else if (FLAG("--quiet")) {
      o->quiet = 1;
    } else if (FLAG("--fixed-drives")) {
      o->train_drives = 0;
    } else if (FLAG("--lr-cosine")) {
      o->lr_cosine = 1;
    } else if (FLAG("--select")) {
      int k;
      NEEDS_VALUE;
      for (k = 0; k < N_SELECT && strcmp(v, select_names[k]) != 0; ++k) continue;
      if (k == N_SELECT) {
        fprintf(stderr, "yinyang: --select wants acc, acc-late, loss, smooth or final, got '%s'\n",
                v);
        return 0;
      }
      o->select = k;
    } else if (FLAG("--w-in") || FLAG("--w-out")) {
      NEEDS_VALUE;
      if (!parse_pair(v, FLAG("--w-in") ? &o->w_in_mean : &o->w_out_mean,
                      FLAG("--w-in") ? &o->w_in_std : &o->w_out_std)) {
        fprintf(stderr, "yinyang: %s wants MEAN,STD, got '%s'\n", a, v);
        return 0;
      }
    } else {
      double *d = NULL;
      uint32_t *u = NULL;
      size_t *z = NULL;
      char *end;
      if (FLAG("--hidden"))
        u = &o->hidden;
      else if (FLAG("--tau"))
        d = &o->tau;
      else if (FLAG("--tau-syn"))
        d = &o->tau_syn;
      else if (FLAG("--t-early"))
        d = &o->t_early;
      else if (FLAG("--t-late"))
        d = &o->t_late;
      else if (FLAG("--t-bias"))
        d = &o->t_bias;
      else if (FLAG("--t-max"))
        d = &o->t_max;
      else if (FLAG("--t-ref"))
        d = &o->t_ref;
      else if (FLAG("--drive-hidden"))
        d = &o->drive_hidden;
      else if (FLAG("--drive-out"))
        d = &o->drive_out;
      else if (FLAG("--tau0"))
        d = &o->tau0;
      else if (FLAG("--tau1"))
        d = &o->tau1;
      else if (FLAG("--alpha"))
        d = &o->alpha;
      else if (FLAG("--missing-push"))
        d = &o->missing_push;
      else if (FLAG("--hidden-push"))
        d = &o->hidden_push;
      else if (FLAG("--dead-push"))
        d = &o->dead_push;
      else if (FLAG("--out-drive-floor"))
        d = &o->out_drive_floor;
      else if (FLAG("--lr"))
        d = &o->lr;
      else if (FLAG("--lr-decay"))
        d = &o->lr_decay;
      else if (FLAG("--lr-warmup"))
        d = &o->lr_warmup;
      else if (FLAG("--lr-end"))
        d = &o->lr_end;
      else if (FLAG("--silent-tmax"))
        d = &o->silent_tmax;
      else if (FLAG("--clip"))
        d = &o->clip;
      else if (FLAG("--adam-eps"))
        d = &o->adam_eps;
      else if (FLAG("--ema"))
        d = &o->ema;
      else if (FLAG("--min-test-accuracy"))
        d = &o->min_test_accuracy;
      else if (FLAG("--batch"))
        u = &o->batch;
      else if (FLAG("--epochs"))
        u = &o->epochs;
      else if (FLAG("--patience"))
        u = &o->patience;
      else if (FLAG("--threads"))
        u = &o->threads;
      else if (FLAG("--runs"))
        u = &o->runs;
      else if (FLAG("--train"))
        z = &o->n_train;
      else if (FLAG("--val"))
        z = &o->n_val;
      else if (FLAG("--test"))
        z = &o->n_test;
      else if (FLAG("--print-data"))
        z = &o->print_data;
      else if (FLAG("--seed") || FLAG("--test-seed")) {
        uint64_t *seed = FLAG("--seed") ? &o->seed : &o->test_seed;
        NEEDS_VALUE;
        *seed = strtoull(v, &end, 10);
        if (*end) goto bad;
        continue;
      } else {
        fprintf(stderr, "yinyang: unknown option '%s' (see --help)\n", a);
        return 0;
      }
      NEEDS_VALUE;
      if (d) {
        *d = strtod(v, &end);
        if (*end || !isfinite(*d)) goto bad;
      } else {
        unsigned long long x = strtoull(v, &end, 10);
        if (*end || x > UINT32_MAX) goto bad;
        if (u)
          *u = (uint32_t)x;
        else
          *z = (size_t)x;
      }
      continue;
    bad:
      fprintf(stderr, "yinyang: bad value '%s' for %s\n", v, a);
      return 0;
    }
#undef FLAG
#undef NEEDS_VALUE
  }
  if (o->hidden < 1 || o->batch < 1 || o->threads < 1 || o->threads > MAX_THREADS || o->runs < 1 ||
      o->n_train < 1 || o->n_val < 1 || o->n_test < 1 || o->tau <= 0 || o->tau_syn < 0 ||
      o->t_max <= 0 || o->t_ref < 0 || o->ema < 0 || o->ema >= 1) {
    fprintf(stderr,
            "yinyang: need hidden, batch, runs and set sizes >= 1, 1 <= threads <= %d, tau > 0, "
            "tau_syn >= 0, t_max > 0, 0 <= ema < 1\n",
            MAX_THREADS);
    return 0;
  }
#ifndef YINYANG_HAVE_TAU_SYN
  if (o->tau_syn > 0) {
    fprintf(stderr,
            "yinyang: --tau-syn needs current-based synapses (sp_network_desc.tau_syn), which "
            "this library version does not have\n");
    return 0;
  }
#endif
  return 1;
}

/* ---- The model: neurons 0..H-1 hidden, H..H+2 the outputs; input channels 0..4. ---- */

typedef struct model {
  uint32_t h, n;
  uint64_t *row_ptr, *in_row_ptr;
  uint32_t *targets, *in_targets;
  /* The trained parameters, each in the library's order (CSR for weights). */
  double *w_out; /* 3H: hidden j -> output k at 3j + k */
  double *w_in;  /* 5H: channel c -> hidden j at cH + j */
  double *drives;
  double *v0;
} model;

static size_t model_params(const model *m) { return (size_t)3 * m->h + (size_t)5 * m->h + m->n; }

static int model_alloc(model *m, uint32_t h) {
  uint32_t j, c;
  m->h = h;
  m->n = h + N_OUT;
  m->row_ptr = calloc(m->n + 1, sizeof *m->row_ptr);
  m->in_row_ptr = calloc(N_IN + 1, sizeof *m->in_row_ptr);
  m->targets = malloc((size_t)3 * h * sizeof *m->targets);
  m->in_targets = malloc((size_t)5 * h * sizeof *m->in_targets);
  /* One block for the parameters, so that Adam sees one vector. */
  m->w_out = calloc(model_params(m), sizeof(double));
  m->v0 = calloc(m->n, sizeof *m->v0);
  if (!m->row_ptr || !m->in_row_ptr || !m->targets || !m->in_targets || !m->w_out || !m->v0)
    return 0;
  m->w_in = m->w_out + (size_t)3 * h;
  m->drives = m->w_in + (size_t)5 * h;
  for (j = 0; j <= m->n; ++j) m->row_ptr[j] = (uint64_t)3 * (j < h ? j : h);
  for (j = 0; j < h; ++j)
    for (c = 0; c < N_OUT; ++c) m->targets[3 * j + c] = h + c;
  for (c = 0; c <= N_IN; ++c) m->in_row_ptr[c] = (uint64_t)c * h;
  for (c = 0; c < N_IN; ++c)
    for (j = 0; j < h; ++j) m->in_targets[c * h + j] = j;
  return 1;
}

static void model_free(model *m) {
  free(m->row_ptr);
  free(m->in_row_ptr);
  free(m->targets);
  free(m->in_targets);
  free(m->w_out);
  free(m->v0);
}

static void model_init(model *m, const options *o, uint64_t seed) {
  uint32_t i;
  for (i = 0; i < 3 * m->h; ++i) m->w_out[i] = o->w_out_mean + o->w_out_std * rng_normal(&seed);
  for (i = 0; i < 5 * m->h; ++i) m->w_in[i] = o->w_in_mean + o->w_in_std * rng_normal(&seed);
  for (i = 0; i < m->n; ++i) m->drives[i] = i < m->h ? o->drive_hidden : o->drive_out;
}

static sp_network *model_network(const model *m, const options *o) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_status s;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = m->n;
  d.tau = o->tau;
#ifdef YINYANG_HAVE_TAU_SYN
  d.tau_syn = o->tau_syn;
#endif
  d.t_ref = o->t_ref * o->tau;
  d.drives = m->drives;
  d.v0 = m->v0; /* every neuron starts at reset, so a sample's spikes depend on it alone */
  d.recurrent.row_ptr = m->row_ptr;
  d.recurrent.targets = m->targets;
  d.recurrent.weights = m->w_out;
  d.n_inputs = N_IN;
  d.inputs.row_ptr = m->in_row_ptr;
  d.inputs.targets = m->in_targets;
  d.inputs.weights = m->w_in;
  d.input_capacity = N_IN;
  s = sp_network_create(&d, &net);
  if (s != SP_OK) fprintf(stderr, "yinyang: create: %s: %s\n", sp_status_name(s), sp_last_error());
  return net;
}

/* ---- One sample: forward (recorded if training), loss, backward. ---- */

typedef struct worker {
  pthread_t thread;
  sp_network *net; /* a replica of the parent network that holds the parameters */
  const model *m;
  const options *o;
  const dataset *data;
  const size_t *order; /* sample indices */
  size_t begin, end;   /* this worker's share of order[] */
  int train;
  size_t max_spikes;
  sp_spike *spikes; /* max_spikes */
  double *dl_dt, *dl_dv;
  unsigned char *fired;      /* hidden neurons that spiked in the current sample */
  unsigned char *ever_fired; /* hidden neurons that spiked in any sample of this call */
  const unsigned char *dead; /* hidden neurons silent on every sample of the last epoch */
  /* results */
  double loss;
  size_t correct, silent_label, silent_output, input_triggered, hidden_spiking;
  sp_status status;
} worker;

static const double *first_spikes(worker *w, size_t sample, double t_first[N_OUT],
                                  size_t index[N_OUT], size_t *n_spikes, sp_status *status) {
  static const uint32_t channels[N_IN] = {0, 1, 2, 3, 4};
  const options *o = w->o;
  const model *m = w->m;
  double tau = o->tau, coord[N_IN], times[N_IN];
  uint32_t watch[N_OUT];
  int c;
  size_t count = 0, q;
  sp_status s;
  coord[0] = w->data->x[sample];
  coord[1] = w->data->y[sample];
  coord[2] = 1.0 - coord[0];
  coord[3] = 1.0 - coord[1];
  for (c = 0; c < N_IN; ++c)
    times[c] = tau * (c < 4 ? o->t_early + coord[c] * (o->t_late - o->t_early) : o->t_bias);
  for (c = 0; c < N_OUT; ++c) {
    t_first[c] = INFINITY;
    watch[c] = m->h + (uint32_t)c;
  }
  memset(w->fired, 0, m->h);
  /* The rewind also makes a replica take the parameters the parent has now. */
  if ((s = sp_rewind(w->net)) != SP_OK || (s = sp_input_many(w->net, channels, times, N_IN)))
    goto fail;
  if (w->train && (s = sp_record(w->net, w->max_spikes)) != SP_OK) goto fail;
  /* Until every output has spiked (the later spikes cannot change the loss) or t_max. */
  s = sp_run_until(w->net, o->t_max * tau, watch, N_OUT, w->spikes, w->max_spikes, &count);
  if (s != SP_OK && s != SP_ERR_CAPACITY) goto fail; /* a full buffer ends the sample too */
  for (q = 0; q < count; ++q) {
    uint32_t nrn = w->spikes[q].neuron;
    if (nrn < m->h) {
      w->hidden_spiking += !w->fired[nrn];
      w->fired[nrn] = w->ever_fired[nrn] = 1;
    } else if (isinf(t_first[nrn - m->h])) {
      t_first[nrn - m->h] = w->spikes[q].t;
      index[nrn - m->h] = q;
      w->input_triggered += (w->spikes[q].flags & SP_SPIKE_INPUT_TRIGGERED) != 0;
    }
  }
  *n_spikes = count;
  *status = SP_OK;
  return t_first;
fail:
  *status = s;
  fprintf(stderr, "yinyang: sample %zu: %s: %s\n", sample, sp_status_name(s), sp_last_error());
  return NULL;
}

/* First-spike cross-entropy (softmax over -t/tau0) plus alpha (exp(t_label/tau1) - 1), the
   regulariser that pulls the label neuron's spike early; dL/dt per output into dl_dt_out. */
static double sample_loss(const options *o, const double t_first[N_OUT], int label,
                          double dl_dt_out[N_OUT]) {
  double tau0 = o->tau0 * o->tau, tau1 = o->tau1 * o->tau, t_min = INFINITY, z = 0, p[N_OUT];
  double loss, t[N_OUT];
  int c;
  /* With --silent-tmax a silent output takes part in the softmax as a spike at t_max (with no
     gradient: there is no spike to move); otherwise it takes no part. */
  for (c = 0; c < N_OUT; ++c) {
    t[c] = isinf(t_first[c]) && o->silent_tmax ? o->t_max * o->tau : t_first[c];
    if (t[c] < t_min) t_min = t[c];
  }
  for (c = 0; c < N_OUT; ++c) {
    p[c] = isinf(t[c]) ? 0.0 : exp(-(t[c] - t_min) / tau0);
    z += p[c];
  }
  for (c = 0; c < N_OUT; ++c) {
    p[c] /= z;
    dl_dt_out[c] = isinf(t_first[c]) ? 0.0 : ((c == label) - p[c]) / tau0;
  }
  if (isinf(t_first[label])) {
    if (o->silent_tmax) return -log(p[label]);
    /* A bounded stand-in for -log 0 (z is 0 when no output fired). */
    return (z > 0 ? log(z) : 0.0) + 30.0;
  }
  loss = -log(p[label]);
  loss += o->alpha * (exp(t_first[label] / tau1) - 1.0);
  dl_dt_out[label] += o->alpha / tau1 * exp(t_first[label] / tau1);
  return loss;
}

static int predicted(const double t_first[N_OUT]) {
  int c, best = -1;
  double t = INFINITY;
  for (c = 0; c < N_OUT; ++c)
    if (t_first[c] < t) {
      t = t_first[c];
      best = c;
    }
  return best; /* -1: no output spiked, always wrong */
}

static void *worker_run(void *arg) {
  worker *w = arg;
  const model *m = w->m;
  size_t q;
  w->loss = 0;
  w->correct = 0;
  w->silent_label = 0;
  w->silent_output = 0;
  w->input_triggered = 0;
  w->hidden_spiking = 0;
  memset(w->ever_fired, 0, m->h);
  w->status = SP_OK;
  if (w->train) sp_zero_grads(w->net);
  for (q = w->begin; q < w->end; ++q) {
    size_t sample = w->order[q], index[N_OUT], n_spikes = 0, k;
    double t_first[N_OUT], dl_dt_out[N_OUT];
    int label = w->data->label[sample], c, push = 0;
    uint32_t j;
    if (!first_spikes(w, sample, t_first, index, &n_spikes, &w->status)) return NULL;
    w->loss += sample_loss(w->o, t_first, label, dl_dt_out);
    w->correct += predicted(t_first) == label;
    w->silent_label += isinf(t_first[label]) != 0;
    for (c = 0; c < N_OUT; ++c) w->silent_output += isinf(t_first[c]) != 0;
    if (!w->train) continue;
    for (k = 0; k < n_spikes; ++k) w->dl_dt[k] = 0.0;
    for (c = 0; c < N_OUT; ++c)
      if (!isinf(t_first[c])) w->dl_dt[index[c]] = dl_dt_out[c];
    /* A label neuron that never spiked has no spike time to move: raise its voltage instead. */
    if (isinf(t_first[label])) {
      w->dl_dv[m->h + (uint32_t)label] = -w->o->missing_push / w->o->tau0;
      push = 1;
    }
    /* A hidden neuron silent in this sample gets no gradient from the loss: the same push keeps
       it from staying silent for good. */
    if (w->o->hidden_push > 0 || w->o->dead_push > 0)
      for (j = 0; j < m->h; ++j)
        if (!w->fired[j] && (w->o->hidden_push > 0 || w->dead[j])) {
          w->dl_dv[j] = -(w->dead[j] ? w->o->dead_push : 0) - w->o->hidden_push;
          push = 1;
        }
    w->status = sp_backward(w->net, w->dl_dt, n_spikes, push ? w->dl_dv : NULL);
    if (push) memset(w->dl_dv, 0, m->n * sizeof *w->dl_dv);
    if (w->status != SP_OK) {
      fprintf(stderr, "yinyang: backward: %s: %s\n", sp_status_name(w->status), sp_last_error());
      return NULL;
    }
  }
  return NULL;
}

/* Runs order[0..count) split evenly over the workers (on threads when there are several),
   with the parameters of m, which go to the parent first (no replica is in a call now); the
   caller's thread runs the last share. Returns 0 on any library failure. */
static int run_workers(sp_network *parent, worker *ws, uint32_t t, const dataset *data,
                       const size_t *order, size_t count, int train) {
  const model *m = ws[0].m;
  uint32_t i;
  sp_status s;
  if ((s = sp_set_params(parent, SP_PARAM_WEIGHTS, m->w_out, (size_t)3 * m->h)) ||
      (s = sp_set_params(parent, SP_PARAM_INPUT_WEIGHTS, m->w_in, (size_t)5 * m->h)) ||
      (s = sp_set_params(parent, SP_PARAM_DRIVES, m->drives, m->n))) {
    fprintf(stderr, "yinyang: set_params: %s: %s\n", sp_status_name(s), sp_last_error());
    return 0;
  }
  for (i = 0; i < t; ++i) {
    ws[i].data = data;
    ws[i].order = order;
    ws[i].begin = count * i / t;
    ws[i].end = count * (i + 1) / t;
    ws[i].train = train;
  }
  for (i = 0; i + 1 < t; ++i)
    if (pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]) != 0) {
      fprintf(stderr, "yinyang: pthread_create failed\n");
      exit(1);
    }
  worker_run(&ws[t - 1]);
  for (i = 0; i + 1 < t; ++i) pthread_join(ws[i].thread, NULL);
  for (i = 0; i < t; ++i)
    if (ws[i].status != SP_OK) return 0;
  return 1;
}

static double evaluate(sp_network *parent, worker *ws, uint32_t t, const dataset *data,
                       const size_t *identity, double *loss) {
  size_t correct = 0;
  uint32_t i;
  double l = 0;
  if (!run_workers(parent, ws, t, data, identity, data->n, 0)) exit(1);
  for (i = 0; i < t; ++i) {
    correct += ws[i].correct;
    l += ws[i].loss;
  }
  if (loss) *loss = l / (double)data->n;
  return (double)correct / (double)data->n;
}

/* Firing statistics of the last run_workers call over n samples. */
static void print_activity(const model *m, const worker *ws, uint32_t t, size_t n,
                           const char *what) {
  size_t spiking = 0, silent_out = 0, dead = 0;
  uint32_t i, j;
  for (i = 0; i < t; ++i) {
    spiking += ws[i].hidden_spiking;
    silent_out += ws[i].silent_output;
  }
  for (j = 0; j < m->h; ++j) {
    int any = 0;
    for (i = 0; i < t; ++i) any |= ws[i].ever_fired[j];
    dead += !any;
  }
  printf("%s: hidden neurons spiking per sample %.1f %%, silent on every sample %zu of %u; "
         "silent outputs %.1f %%",
         what, 100.0 * (double)spiking / ((double)n * m->h), dead, m->h,
         100.0 * (double)silent_out / ((double)n * N_OUT));
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The Adam step of an epoch (from 1): linear warm-up, then exponential or cosine decay. */
static double epoch_lr(const options *o, uint32_t epoch) {
  double lr = o->lr, e = (double)epoch - 1;
  if (o->lr_cosine) {
    double span = o->epochs > 1 ? (double)(o->epochs - 1) : 1.0;
    lr *= o->lr_end + (1 - o->lr_end) * 0.5 * (1 + cos(3.141592653589793 * e / span));
  } else {
    uint32_t k;
    for (k = 1; k < epoch; ++k) lr *= o->lr_decay;
  }
  if (o->lr_warmup > 0 && e < o->lr_warmup) lr *= (e + 1) / (o->lr_warmup + 1);
  return lr;
}

/* One training run; returns the test accuracy of the parameters picked by --select, or -1 on
   failure; test_by[] gets the test accuracy of every criterion's pick. */
static double train_run(const options *o, uint64_t seed, const dataset *train, const dataset *val,
                        const dataset *test, double *wall, double test_by[N_SELECT]) {
  model m;
  sp_network *parent;
  worker ws[MAX_THREADS];
  size_t p, np, q, nmax = train->n;
  size_t *order, *identity;
  unsigned char *dead, *epoch_fired;
  double *adam_m, *adam_v, *best, *grad_sum, *avg, *live, lr, test_acc = -1;
  double b1 = 0.9, b2 = 0.999, b1t = 1, b2t = 1, emat = 1, t0 = now_seconds();
  /* Per criterion: the kept parameters (in best), their score (higher is better) and epoch. */
  double score[N_SELECT], picked_val[N_SELECT], val_hist[3] = {0, 0, 0}, *prev;
  uint32_t i, epoch, pick[N_SELECT];
  int k;
  uint64_t shuffle = seed ^ 0x5eed5eed5eedull;

  if (val->n > nmax) nmax = val->n;
  if (test->n > nmax) nmax = test->n;
  if (!model_alloc(&m, o->hidden)) return -1;
  model_init(&m, o, seed);
  np = model_params(&m);
  order = malloc(nmax * sizeof *order);
  identity = malloc(nmax * sizeof *identity);
  adam_m = calloc(np, sizeof *adam_m);
  adam_v = calloc(np, sizeof *adam_v);
  best = malloc(N_SELECT * np * sizeof *best);
  prev = malloc(np * sizeof *prev);
  grad_sum = malloc(np * sizeof *grad_sum);
  avg = calloc(np, sizeof *avg);
  live = malloc(np * sizeof *live);
  dead = calloc(m.h, 1);
  epoch_fired = calloc(m.h, 1);
  if (!order || !identity || !adam_m || !adam_v || !best || !prev || !grad_sum || !avg || !live ||
      !dead || !epoch_fired)
    return -1;
  for (q = 0; q < nmax; ++q) identity[q] = order[q] = q;
  for (k = 0; k < N_SELECT; ++k) {
    memcpy(best + k * np, m.w_out, np * sizeof *best);
    score[k] = -INFINITY;
    picked_val[k] = 0;
    pick[k] = 0;
  }
  /* The parent holds the parameters and sums the gradients; the workers run replicas of it. */
  if (!(parent = model_network(&m, o))) return -1;
  for (i = 0; i < o->threads; ++i) {
    memset(&ws[i], 0, sizeof ws[i]);
    ws[i].m = &m;
    ws[i].o = o;
    ws[i].dead = dead;
    /* Spikes a sample may take before its outputs have all fired; ample for t_max = 4 tau. */
    ws[i].max_spikes = (size_t)64 * m.n;
    if (sp_network_replica(parent, &ws[i].net) != SP_OK) {
      fprintf(stderr, "yinyang: replica: %s\n", sp_last_error());
      return -1;
    }
    ws[i].spikes = malloc(ws[i].max_spikes * sizeof *ws[i].spikes);
    ws[i].dl_dt = calloc(ws[i].max_spikes, sizeof(double));
    ws[i].dl_dv = calloc(m.n, sizeof(double));
    ws[i].fired = malloc(m.h);
    ws[i].ever_fired = malloc(m.h);
    if (!ws[i].spikes || !ws[i].dl_dt || !ws[i].dl_dv || !ws[i].fired || !ws[i].ever_fired)
      return -1;
  }
  /* Where the initial weights put the network: a hidden neuron silent on every sample, or an
     output silent on a sample, gets no gradient from the spike times (only the pushes). */
  if (!o->quiet) {
    double acc = evaluate(parent, ws, o->threads, val, identity, NULL);
    print_activity(&m, ws, o->threads, val->n, "init (validation set)");
    printf("  accuracy %.4f\n", acc);
  }

  for (epoch = 1; epoch <= o->epochs; ++epoch) {
    double train_loss = 0, val_acc, val_loss, norm_max = 0, norm_sum = 0;
    size_t n_steps = 0;
    size_t train_correct = 0, silent = 0, triggered = 0, start;
    double te = now_seconds(), val_score[N_SELECT];
    lr = epoch_lr(o, epoch);
    /* Fisher-Yates shuffle of the training order. */
    for (q = train->n - 1; q > 0; --q) {
      size_t r = (size_t)(rng_uniform(&shuffle) * (double)(q + 1)), tmp = order[q];
      order[q] = order[r];
      order[r] = tmp;
    }
    for (start = 0; start < train->n; start += o->batch) {
      size_t count = train->n - start < o->batch ? train->n - start : o->batch;
      uint32_t t = count < o->threads ? (uint32_t)count : o->threads;
      sp_status s;
      uint32_t j;
      if (!run_workers(parent, ws, t, train, order + start, count, 1)) return -1;
      for (i = 0; i < t; ++i)
        for (j = 0; j < m.h; ++j) epoch_fired[j] |= ws[i].ever_fired[j];
      sp_zero_grads(parent);
      for (i = 0; i < t; ++i) {
        if ((s = sp_grads_accumulate(parent, ws[i].net)) != SP_OK) break;
        train_loss += ws[i].loss;
        train_correct += ws[i].correct;
        silent += ws[i].silent_label;
        triggered += ws[i].input_triggered;
      }
      if (s != SP_OK || (s = sp_get_grads(parent, SP_PARAM_WEIGHTS, grad_sum, (size_t)3 * m.h)) ||
          (s = sp_get_grads(parent, SP_PARAM_INPUT_WEIGHTS, grad_sum + (size_t)3 * m.h,
                            (size_t)5 * m.h)) ||
          (s = sp_get_grads(parent, SP_PARAM_DRIVES, grad_sum + (size_t)8 * m.h, m.n))) {
        fprintf(stderr, "yinyang: gradients: %s: %s\n", sp_status_name(s), sp_last_error());
        return -1;
      }
      /* Adam on the batch mean, its norm cut to --clip. */
      {
        double cut = 1.0, norm2 = 0;
        if (!o->train_drives)
          for (p = (size_t)8 * m.h; p < np; ++p) grad_sum[p] = 0;
        for (p = 0; p < np; ++p) norm2 += grad_sum[p] * grad_sum[p];
        norm2 = sqrt(norm2) / (double)count;
        norm_sum += norm2;
        norm_max = norm2 > norm_max ? norm2 : norm_max;
        ++n_steps;
        if (o->clip > 0 && norm2 > o->clip) cut = o->clip / norm2;
        b1t *= b1;
        b2t *= b2;
        for (p = 0; p < np; ++p) {
          double g = grad_sum[p] / (double)count * cut;
          adam_m[p] = b1 * adam_m[p] + (1 - b1) * g;
          adam_v[p] = b2 * adam_v[p] + (1 - b2) * g * g;
          m.w_out[p] -= lr * (adam_m[p] / (1 - b1t)) / (sqrt(adam_v[p] / (1 - b2t)) + o->adam_eps);
        }
      }
      /* An output whose drive is above 1 fires on its own once its inputs have decayed: it
         always has a spike time, and so a gradient (a projection after the step). */
      for (i = 0; i < N_OUT; ++i)
        if (m.drives[m.h + i] < o->out_drive_floor) m.drives[m.h + i] = o->out_drive_floor;
      /* The running average (Adam's first-moment form, bias-corrected when read): the noise
         of the last steps averages out of the parameters that are validated and kept. */
      if (o->ema > 0) {
        emat *= o->ema;
        for (p = 0; p < np; ++p) avg[p] = o->ema * avg[p] + (1 - o->ema) * m.w_out[p];
      }
    }
    for (q = 0; q < m.h; ++q) dead[q] = !epoch_fired[q];
    memset(epoch_fired, 0, m.h);
    if (o->ema > 0) { /* validate the average; training goes on from the parameters */
      memcpy(live, m.w_out, np * sizeof *live);
      for (p = 0; p < np; ++p) m.w_out[p] = avg[p] / (1 - emat);
    }
    val_acc = evaluate(parent, ws, o->threads, val, identity, &val_loss);
    /* Each criterion's score of this epoch; a tie keeps the earlier epoch, except acc-late. */
    val_hist[0] = val_hist[1];
    val_hist[1] = val_hist[2];
    val_hist[2] = val_acc;
    val_score[SELECT_ACC] = val_score[SELECT_ACC_LATE] = val_acc;
    val_score[SELECT_LOSS] = -val_loss;
    val_score[SELECT_SMOOTH] = epoch >= 3 ? (val_hist[0] + val_hist[1] + val_hist[2]) / 3 : -1;
    val_score[SELECT_FINAL] = epoch;
    for (k = 0; k < N_SELECT; ++k)
      if (val_score[k] > score[k] || (k == SELECT_ACC_LATE && val_score[k] == score[k])) {
        score[k] = val_score[k];
        pick[k] = k == SELECT_SMOOTH ? epoch - 1 : epoch;
        picked_val[k] = k == SELECT_SMOOTH ? val_hist[1] : val_acc;
        /* smooth keeps the middle epoch of its window: the parameters validated before */
        memcpy(best + k * np, k == SELECT_SMOOTH ? prev : m.w_out, np * sizeof *best);
      }
    memcpy(prev, m.w_out, np * sizeof *prev);
    if (o->ema > 0) memcpy(m.w_out, live, np * sizeof *live);
    if (!o->quiet)
      printf("seed %llu epoch %3u  train loss %.4f acc %.4f (silent label %zu, input-triggered "
             "outputs %zu, gradient norm mean %.3g max %.3g)  val loss %.4f acc %.4f  %.1f s\n",
             (unsigned long long)seed, epoch, train_loss / (double)train->n,
             (double)train_correct / (double)train->n, silent, triggered,
             norm_sum / (double)n_steps, norm_max, val_loss, val_acc, now_seconds() - te);
    if (!o->quiet) {
      print_activity(&m, ws, o->threads, val->n, "  validation");
      printf("\n");
    }
    fflush(stdout);
    if (o->select != SELECT_FINAL && epoch - pick[o->select] >= o->patience) break;
  }
  *wall = now_seconds() - t0; /* the training; the test passes below are not counted */
  if (!o->quiet) printf("seed %llu test accuracy by selection:", (unsigned long long)seed);
  for (k = 0; k < N_SELECT; ++k) {
    memcpy(m.w_out, best + k * np, np * sizeof *best);
    test_by[k] = evaluate(parent, ws, o->threads, test, identity, NULL);
    if (!o->quiet) printf(" %s %.4f (epoch %u)", select_names[k], test_by[k], pick[k]);
  }
  if (!o->quiet) printf("\n");
  test_acc = test_by[o->select];
  printf("seed %llu: validation %.4f at epoch %u (--select %s), test accuracy %.4f, %.1f s\n",
         (unsigned long long)seed, picked_val[o->select], pick[o->select], select_names[o->select],
         test_acc, *wall);
  fflush(stdout);
  for (i = 0; i < o->threads; ++i) {
    sp_network_destroy(ws[i].net); /* replicas before their parent */
    free(ws[i].spikes);
    free(ws[i].dl_dt);
    free(ws[i].dl_dv);
    free(ws[i].fired);
    free(ws[i].ever_fired);
  }
  sp_network_destroy(parent);
  free(order);
  free(identity);
  free(adam_m);
  free(adam_v);
  free(best);
  free(prev);
  free(grad_sum);
  free(avg);
  free(live);
  free(dead);
  free(epoch_fired);
  model_free(&m);
  return test_acc;
}

int main(int argc, char **argv) {
  options o;
  dataset train, val, test;
  double sum = 0, sum2 = 0, wall_sum = 0, acc[256], by[N_SELECT], by_sum[N_SELECT] = {0};
  uint32_t r;
  int k;
  int below = 0;
  options_default(&o);
  if (!parse_options(argc, argv, &o)) return 2;
  if (o.runs > 256) o.runs = 256;
  /* The data set's seeds are fixed (the initial weights and the shuffling take --seed), the
     test set's unless --test-seed says otherwise. */
  if (!dataset_make(&train, o.n_train, 42) || !dataset_make(&val, o.n_val, 41) ||
      !dataset_make(&test, o.n_test, o.test_seed)) {
    fprintf(stderr, "yinyang: out of memory\n");
    return 1;
  }
  if (o.print_data) {
    size_t i;
    for (i = 0; i < o.print_data && i < train.n; ++i)
      printf("%.17g %.17g %d\n", train.x[i], train.y[i], train.label[i]);
    return 0;
  }
  printf("yinyang: %s synapses (tau %g s, tau_syn %g s), 5-%u-3, train/val/test %zu/%zu/%zu, "
         "batch %u, %u threads\n",
         o.tau_syn > 0 ? "current-based" : "delta", o.tau, o.tau_syn, o.hidden, o.n_train, o.n_val,
         o.n_test, o.batch, o.threads);
  for (r = 0; r < o.runs; ++r) {
    double wall = 0;
    acc[r] = train_run(&o, o.seed + r, &train, &val, &test, &wall, by);
    if (acc[r] < 0) return 1;
    for (k = 0; k < N_SELECT; ++k) by_sum[k] += by[k];
    sum += acc[r];
    sum2 += acc[r] * acc[r];
    wall_sum += wall;
    below |= acc[r] < o.min_test_accuracy;
  }
  {
    double mean = sum / o.runs;
    double var = o.runs > 1 ? (sum2 - o.runs * mean * mean) / (o.runs - 1) : 0;
    printf("test accuracy over %u run(s): mean %.2f %% +- %.2f %% (std), wall time %.1f s per "
           "run\n",
           o.runs, 100 * mean, 100 * sqrt(var > 0 ? var : 0), wall_sum / o.runs);
    printf("mean test accuracy by selection:");
    for (k = 0; k < N_SELECT; ++k) printf(" %s %.2f %%", select_names[k], 100 * by_sum[k] / o.runs);
    printf("\n");
  }
  dataset_free(&train);
  dataset_free(&val);
  dataset_free(&test);
  if (below) {
    printf("FAIL: a run's test accuracy is below %.4f\n", o.min_test_accuracy);
    return 1;
  }
  return 0;
}
