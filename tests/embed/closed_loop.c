/*
 * closed_loop.c - libsparseprop embedded in a 1 kHz control loop.
 *
 * A 10^4-neuron LIF network sits between 32 sensor channels and two motor populations:
 *
 *   plant --(error, rate-coded)--> 32 input channels --> network --> motor A / motor B
 *     ^                                                                    |
 *     +------------------- command = (A - B) / (A + B + 1) ----------------+
 *
 * Every tick (1 ms of simulated time) the loop turns the plant's tracking error into sensor
 * events (Poisson-like, from a small deterministic generator), queues them with sp_input at
 * their times inside the tick, runs the network to the end of the tick with sp_run into a
 * fixed spike buffer, counts the motor spikes, moves the plant, and feeds the command back as
 * the drive of a few neurons (sp_set_drive). The readout is not trained: the example shows
 * the calls and measures their cost, not a good controller.
 *
 * The neurons are not oscillatory (drives 0.90 .. 0.95 < 1): they fire only when a sensor
 * event (weight +0.15) or several arrive; recurrent synapses are procedural (k = 50, weight
 * -0.05, inhibitory), so the network stores no synapses at all.
 *
 * The network's memory comes from a counting allocator: the program checks that no
 * allocation happens inside the loop. It reports the wall time per tick (the time the
 * controller's thread would be busy, measured with CLOCK_MONOTONIC): mean, 99.9th percentile
 * and worst, and the spikes per tick. With --realtime it also sleeps until each tick's
 * deadline, as a real controller would.
 *
 *   closed_loop [--ticks N] [--warmup N] [--realtime]
 *
 * Exit status 0 when every call succeeded, the network spiked, and the loop allocated nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sparseprop/sparseprop.h>

#define N_NEURONS 10000u
#define N_SENSORS 32u
#define TICK 1e-3         /* seconds of simulated time per control tick */
#define SUBSLOTS 10       /* sensor events are drawn on a 100 us grid, jittered inside */
#define SPIKE_BUF 256     /* spikes read per sp_run call */
#define MOTOR_A_END 500u  /* neurons [0, 500): motor population A */
#define MOTOR_B_END 1000u /* neurons [500, 1000): motor population B */
#define N_FEEDBACK 16u    /* neurons [1000, 1016) get the command back as drive */

/* ---------------------------------------------------------------------------------------- */
/* A counting allocator: the network's only memory                                          */

typedef struct alloc_count {
  size_t allocs, frees, bytes;
} alloc_count;

static void *count_alloc(void *ctx, size_t size, size_t align) {
  alloc_count *c = (alloc_count *)ctx;
  unsigned char *raw = (unsigned char *)malloc(size + align + sizeof(void *));
  uintptr_t p;
  if (!raw) return NULL;
  p = ((uintptr_t)raw + sizeof(void *) + align - 1) & ~(uintptr_t)(align - 1);
  memcpy((unsigned char *)p - sizeof(void *), &raw, sizeof raw);
  memset((void *)p, 0xA5, size); /* the library must not rely on zeroed memory */
  c->allocs++;
  c->bytes += size;
  return (void *)p;
}

static void count_free(void *ctx, void *ptr, size_t size) {
  alloc_count *c = (alloc_count *)ctx;
  void *raw;
  (void)size;
  if (!ptr) return;
  memcpy(&raw, (unsigned char *)ptr - sizeof(void *), sizeof raw);
  c->frees++;
  free(raw);
}

/* ---------------------------------------------------------------------------------------- */
/* Deterministic random numbers (splitmix64)                                                 */

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s) {
  return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* ---------------------------------------------------------------------------------------- */
/* The controller                                                                            */

typedef struct controller {
  sp_network *net;
  uint64_t rng;
  double x, target; /* plant position and where it should be */
  double command;   /* motor command of the last tick, in [-1, 1] */
  uint64_t spike_hash;
  sp_spike buf[SPIKE_BUF];
} controller;

typedef struct tick_stats {
  size_t spikes, sensor_events, motor_a, motor_b;
} tick_stats;

/* FNV-1a over the spikes' neurons and time bits: equal on every platform that computes the
   same spikes (compare an x86-64 and an aarch64 run). */
#define HASH_START 14695981039346656037ull
static uint64_t hash_spike(uint64_t h, const sp_spike *sp) {
  unsigned char bytes[12];
  size_t i;
  memcpy(bytes, &sp->t, 8);
  memcpy(bytes + 8, &sp->neuron, 4);
  for (i = 0; i < sizeof bytes; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  return h;
}

/* Rate (Hz) of sensor channel ch for tracking error err: a population code, each channel
   tuned to an error value between -1 and 1. */
static double sensor_rate(uint32_t ch, double err) {
  double preferred = -1.0 + 2.0 * ch / (N_SENSORS - 1);
  double d = (err - preferred) / 0.1;
  return 10.0 + 400.0 * exp(-0.5 * d * d);
}

static sp_status create_network(alloc_count *count, const sp_allocator *alloc, double *drives,
                                sp_network **out) {
  sp_network_desc d;
  uint64_t s = 2024;
  uint32_t i;
  size_t bytes = 0;
  sp_status st;
  for (i = 0; i < N_NEURONS; ++i) drives[i] = 0.90 + 0.05 * rng_uniform(&s);
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = N_NEURONS;
  d.tau = 0.01;
  d.drives = drives;  /* copied by create */
  d.recurrent.k = 50; /* procedural: no synapse is stored */
  d.recurrent.seed = 1;
  d.recurrent.weight = -0.05;
  d.n_inputs = N_SENSORS;
  d.inputs.k = 200;
  d.inputs.seed = 2;
  d.inputs.weight = 0.15;
  d.input_capacity = 1024; /* far more than one tick ever queues */
  d.allocator = alloc;
  st = sp_network_memory(&d, &bytes);
  if (st != SP_OK) return st;
  st = sp_network_create(&d, out);
  if (st != SP_OK) return st;
  printf("network: N = %u, %u sensor channels; %zu bytes (%.1f bytes/neuron) in %zu "
         "allocation(s), %zu predicted by sp_network_memory\n",
         N_NEURONS, N_SENSORS, count->bytes, (double)count->bytes / N_NEURONS, count->allocs,
         bytes);
  return count->bytes == bytes ? SP_OK : SP_ERR_STATE;
}

/* ======================================================================================== */
/* One control tick: simulated time [tick * TICK, (tick + 1) * TICK).                       */
/* This is the whole per-tick use of the library: sp_input, sp_run, sp_set_drive.           */

static sp_status control_tick(controller *c, long tick, tick_stats *st) {
  /* Both ends from the tick number, so that one tick's end is bit for bit the next one's
     start (t0 + TICK need not be). */
  const double t0 = tick * TICK, t1 = (tick + 1) * TICK;
  const double err = c->target - c->x;
  uint32_t ch, i;
  size_t got;
  int slot;
  sp_status s;

  /* 1. Sense: rate-coded error -> input events at their times inside this tick. */
  for (ch = 0; ch < N_SENSORS; ++ch) {
    double p = sensor_rate(ch, err) * (TICK / SUBSLOTS);
    for (slot = 0; slot < SUBSLOTS; ++slot) {
      if (rng_uniform(&c->rng) < p) {
        double t = t0 + (slot + rng_uniform(&c->rng)) * (TICK / SUBSLOTS);
        s = sp_input(c->net, ch, t);
        if (s != SP_OK) return s;
        st->sensor_events++;
      }
    }
  }

  /* 2. Run the network to the end of the tick. A full buffer stops sp_run early (nothing is
        lost): read it and call again. */
  do {
    s = sp_run(c->net, t1, c->buf, SPIKE_BUF, &got);
    if (s != SP_OK) return s;
    for (i = 0; i < got; ++i) {
      uint32_t n = c->buf[i].neuron;
      if (n < MOTOR_A_END)
        st->motor_a++;
      else if (n < MOTOR_B_END)
        st->motor_b++;
      c->spike_hash = hash_spike(c->spike_hash, &c->buf[i]);
    }
    st->spikes += got;
  } while (got == SPIKE_BUF);

  /* 3. Act: the motor populations' difference moves the plant. */
  c->command = ((double)st->motor_a - (double)st->motor_b) /
               ((double)(st->motor_a + st->motor_b) + 1.0);
  c->x += TICK * (5.0 * c->command - 2.0 * c->x);
  c->target = 0.8 * sin(2.0 * 3.141592653589793 * 0.5 * t1);

  /* 4. Feed the command back (an efference copy) as the drive of a few neurons. */
  for (i = 0; i < N_FEEDBACK; ++i) {
    s = sp_set_drive(c->net, MOTOR_B_END + i, 0.92 + 0.03 * c->command);
    if (s != SP_OK) return s;
  }
  return SP_OK;
}
/* ======================================================================================== */

static double seconds_between(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) + 1e-9 * (double)(b->tv_nsec - a->tv_nsec);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Prints mean, 99.9th percentile and worst of x[0..n) in microseconds, and how many exceed
   the tick (sorted is scratch of n entries). */
static void report_latency(const char *what, const double *x, double *sorted, size_t n) {
  double mean = 0.0;
  size_t i, over = 0;
  for (i = 0; i < n; ++i) {
    mean += x[i];
    over += x[i] > TICK * 1e6;
  }
  mean /= (double)n;
  memcpy(sorted, x, sizeof(double) * n);
  qsort(sorted, n, sizeof(double), compare_doubles);
  printf("%s: mean %.1f, p99.9 %.1f, worst %.1f; %zu of %zu over the %.0f us tick\n", what, mean,
         sorted[(size_t)ceil(0.999 * (double)n) - 1], sorted[n - 1], over, n, TICK * 1e6);
}

/* Sleeps until `deadline` (absolute, CLOCK_MONOTONIC), then moves it on by one tick. */
static void wait_for_tick(struct timespec *deadline) {
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR) {
  }
  deadline->tv_nsec += (long)(TICK * 1e9);
  if (deadline->tv_nsec >= 1000000000L) {
    deadline->tv_nsec -= 1000000000L;
    deadline->tv_sec++;
  }
}

static long parse_count(const char *s, const char *what) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 100000000L) {
    fprintf(stderr, "closed_loop: %s must be a count, not '%s'\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char **argv) {
  long ticks = 5000, warmup = 500, k;
  int realtime = 0, i, failed = 0;
  alloc_count count = {0, 0, 0};
  sp_allocator alloc;
  controller c;
  tick_stats total = {0, 0, 0, 0};
  size_t max_spikes = 0, allocs_before;
  double *lat, *cpu, *sorted, *drives, sq_err = 0.0;
  struct timespec deadline, a, b, ca, cb;
  sp_status s = SP_OK;

  for (i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--ticks") == 0 && i + 1 < argc)
      ticks = parse_count(argv[++i], "--ticks");
    else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
      warmup = parse_count(argv[++i], "--warmup");
    else if (strcmp(argv[i], "--realtime") == 0)
      realtime = 1;
    else {
      fprintf(stderr, "usage: closed_loop [--ticks N] [--warmup N] [--realtime]\n");
      return 2;
    }
  }
  if (ticks < 1) ticks = 1;

  /* Everything the loop needs is allocated here, before it starts. */
  lat = (double *)malloc(sizeof(double) * (size_t)ticks);
  cpu = (double *)malloc(sizeof(double) * (size_t)ticks);
  sorted = (double *)malloc(sizeof(double) * (size_t)ticks);
  drives = (double *)malloc(sizeof(double) * N_NEURONS);
  if (!lat || !cpu || !sorted || !drives) {
    fprintf(stderr, "closed_loop: out of memory\n");
    return 1;
  }
  alloc.alloc = count_alloc;
  alloc.free = count_free;
  alloc.ctx = &count;
  memset(&c, 0, sizeof c);
  c.rng = 42;
  c.spike_hash = HASH_START;
  s = create_network(&count, &alloc, drives, &c.net);
  free(drives); /* the network keeps its own copy */
  if (s != SP_OK) {
    fprintf(stderr, "closed_loop: creating the network failed: %s %s\n", sp_status_name(s),
            sp_last_error());
    return 1;
  }

  /* Warm-up: the neurons start at reset and settle near their resting voltages. */
  for (k = 0; k < warmup && s == SP_OK; ++k) {
    tick_stats st = {0, 0, 0, 0};
    s = control_tick(&c, k, &st);
  }
  if (s != SP_OK) {
    fprintf(stderr, "closed_loop: warm-up tick %ld failed: %s %s\n", k - 1, sp_status_name(s),
            sp_last_error());
    sp_network_destroy(c.net);
    return 1;
  }

  allocs_before = count.allocs;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  for (k = 0; k < ticks && s == SP_OK; ++k) {
    tick_stats st = {0, 0, 0, 0};
    if (realtime) wait_for_tick(&deadline);
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
    s = control_tick(&c, warmup + k, &st);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
    clock_gettime(CLOCK_MONOTONIC, &b);
    lat[k] = 1e6 * seconds_between(&a, &b);
    cpu[k] = 1e6 * seconds_between(&ca, &cb);
    total.spikes += st.spikes;
    total.sensor_events += st.sensor_events;
    total.motor_a += st.motor_a;
    total.motor_b += st.motor_b;
    if (st.spikes > max_spikes) max_spikes = st.spikes;
    sq_err += (c.target - c.x) * (c.target - c.x);
  }
  if (s != SP_OK) {
    fprintf(stderr, "closed_loop: tick %ld failed: %s %s\n", k - 1, sp_status_name(s),
            sp_last_error());
    failed = 1;
    ticks = k; /* >= 1: the loop ran at least once */
  }

  printf("%ld ticks of %.0f ms after %ld warm-up ticks%s\n", ticks, TICK * 1e3, warmup,
         realtime ? ", paced in real time" : "");
  printf("spikes per tick: mean %.1f, max %zu; sensor events per tick: %.2f; "
         "motor spikes A %zu, B %zu; rms tracking error %.3f\n",
         (double)total.spikes / (double)ticks, max_spikes,
         (double)total.sensor_events / (double)ticks, total.motor_a, total.motor_b,
         sqrt(sq_err / (double)ticks));
  report_latency("tick latency [us] (wall)", lat, sorted, (size_t)ticks);
  report_latency("tick CPU time [us]      ", cpu, sorted, (size_t)ticks);
  printf("allocations during the loop: %zu; spike checksum %016llx\n", count.allocs - allocs_before,
         (unsigned long long)c.spike_hash);

  if (count.allocs != allocs_before) {
    fprintf(stderr, "closed_loop: the library allocated inside the control loop\n");
    failed = 1;
  }
  if (total.spikes == 0) {
    fprintf(stderr, "closed_loop: the network never spiked\n");
    failed = 1;
  }
  sp_network_destroy(c.net);
  if (count.frees != count.allocs) {
    fprintf(stderr, "closed_loop: %zu allocation(s) but %zu free(s)\n", count.allocs, count.frees);
    failed = 1;
  }
  free(lat);
  free(cpu);
  free(sorted);
  return failed;
}
