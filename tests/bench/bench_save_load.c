/* Save/load benchmark: the balanced LIF network (procedural K = 100) after a burn-in, saved to
 * memory and to a file and loaded back; reports bytes per neuron and MB/s, and checks that the
 * loaded copy continues with the same spikes as the original. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sparseprop/sparseprop.h"

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void check(sp_status s, const char *what) {
  if (s != SP_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, sp_status_name(s), sp_last_error());
    exit(1);
  }
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atof(argv[1]) : 100000;
  const char *path = "bench_save_load.spnet";
  sp_network_desc d;
  sp_network *net = NULL, *copy = NULL;
  size_t len = 0, s;
  void *buf;
  double t_save, t_load, t_fsave, t_fload, start;
  int reps = 5, r;

  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = n;
  d.drive = 1 + 0.01 * sqrt(100.0);
  d.recurrent.k = 100;
  d.recurrent.seed = 1;
  d.recurrent.weight = -0.1;
  d.init_seed = 2;
  check(sp_network_create(&d, &net), "create");
  for (s = 0; s < n; ++s) check(sp_step(net, NULL), "burn-in");

  check(sp_save(net, NULL, 0, &len), "size");
  buf = malloc(len);
  if (!buf) return 1;
  start = seconds();
  for (r = 0; r < reps; ++r) check(sp_save(net, buf, len, &len), "save");
  t_save = (seconds() - start) / reps;
  start = seconds();
  for (r = 0; r < reps; ++r) {
    sp_network_destroy(copy);
    copy = NULL;
    check(sp_load(buf, len, NULL, &copy), "load");
  }
  t_load = (seconds() - start) / reps;
  start = seconds();
  check(sp_save_file(net, path), "save_file");
  t_fsave = seconds() - start;
  sp_network_destroy(copy);
  copy = NULL;
  start = seconds();
  check(sp_load_file(path, &copy), "load_file");
  t_fload = seconds() - start;
  remove(path);

  /* The copy continues exactly like the original. */
  for (s = 0; s < 10000; ++s) {
    sp_spike a, b;
    check(sp_step(net, &a), "step");
    check(sp_step(copy, &b), "step copy");
    if (a.t != b.t || a.neuron != b.neuron) {
      fprintf(stderr, "loaded copy diverged at spike %zu\n", s);
      return 1;
    }
  }
  printf("save/load benchmark: LIF balanced network, N = %u, K = 100 (procedural)\n", n);
  printf("saved size          %zu bytes (%.1f bytes per neuron)\n", len, (double)len / n);
  printf("sp_save (memory)    %8.2f ms  %8.0f MB/s\n", 1e3 * t_save, len / t_save / 1e6);
  printf("sp_load (memory)    %8.2f ms  %8.0f MB/s\n", 1e3 * t_load, len / t_load / 1e6);
  printf("sp_save_file        %8.2f ms  %8.0f MB/s\n", 1e3 * t_fsave, len / t_fsave / 1e6);
  printf("sp_load_file        %8.2f ms  %8.0f MB/s\n", 1e3 * t_fload, len / t_fload / 1e6);
  printf("loaded copy: next 10000 spikes identical\n");
  sp_network_destroy(net);
  sp_network_destroy(copy);
  free(buf);
  return 0;
}
