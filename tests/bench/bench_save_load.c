/* Save/load benchmark: the balanced LIF network (procedural K = 100) after a burn-in, saved to
 * memory and to a file and loaded back; reports bytes per neuron and MB/s, and checks that the
 * loaded copy continues with the same spikes as the original. */
#define _POSIX_C_SOURCE 200809L
#include "bench_util.h"

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atof(argv[1]) : 100000;
  const char *path = "bench_save_load.spnet";
  sp_network_desc d;
  sp_network *net = NULL, *copy = NULL;
  size_t len = 0, s;
  void *buf;
  double t_save, t_load, t_fsave, t_fload, start;
  int reps = 5, r;

  bench_balanced_lif(&d, n);
  bench_check(sp_network_create(&d, &net), "create");
  for (s = 0; s < n; ++s) bench_check(sp_step(net, NULL), "burn-in");

  bench_check(sp_save(net, NULL, 0, &len), "size");
  buf = malloc(len);
  if (!buf) return 1;
  start = bench_seconds();
  for (r = 0; r < reps; ++r) bench_check(sp_save(net, buf, len, &len), "save");
  t_save = (bench_seconds() - start) / reps;
  start = bench_seconds();
  for (r = 0; r < reps; ++r) {
    sp_network_destroy(copy);
    copy = NULL;
    bench_check(sp_load(buf, len, NULL, &copy), "load");
  }
  t_load = (bench_seconds() - start) / reps;
  start = bench_seconds();
  bench_check(sp_save_file(net, path), "save_file");
  t_fsave = bench_seconds() - start;
  sp_network_destroy(copy);
  copy = NULL;
  start = bench_seconds();
  bench_check(sp_load_file(path, &copy), "load_file");
  t_fload = bench_seconds() - start;
  remove(path);

  /* The copy continues exactly like the original. */
  for (s = 0; s < 10000; ++s) {
    sp_spike a, b;
    bench_check(sp_step(net, &a), "step");
    bench_check(sp_step(copy, &b), "step copy");
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
