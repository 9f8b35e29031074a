/* Peak memory of sp_save_file and sp_load_file beyond the network: the balanced LIF network of
 * N neurons (bench_util.h), saved after N/10 spikes, then loaded in a fresh process (the
 * program runs itself), each step's peak resident memory (VmHWM of /proc/self/status, Linux)
 * compared with the network's own block (sp_network_memory). Checks that the loaded copy
 * continues with the original's spikes.
 *   bench_stream_memory [N [path]]        (default 1e6, bench_stream_memory.spnet) */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#define CHECK_SPIKES 1000

/* Peak and current resident memory in bytes, or -1 where /proc/self/status is missing. */
static double status_bytes(const char *field) {
  char line[256];
  double kb = -1;
  size_t len = strlen(field);
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0 && line[len] == ':') kb = atof(line + len + 1);
  fclose(f);
  return kb < 0 ? -1 : kb * 1024.0;
}

static double mb(double bytes) { return bytes / 1e6; }

/* The child: loads the file in a fresh process and checks the spikes the parent wrote. */
static int load_child(const char *path, size_t network_bytes, const char *spikes_path) {
  sp_network *net = NULL;
  double before = status_bytes("VmHWM"), start = bench_seconds(), after, t;
  FILE *f;
  int k;
  bench_check(sp_load_file(path, &net), "load_file");
  t = bench_seconds() - start;
  after = status_bytes("VmHWM");
  printf("sp_load_file  %8.2f s   peak RSS %9.1f MB -> %9.1f MB: +%8.1f MB, %7.2f MB beyond the "
         "network\n",
         t, mb(before), mb(after), mb(after - before), mb(after - before - (double)network_bytes));
  f = fopen(spikes_path, "rb");
  if (!f) return 1;
  for (k = 0; k < CHECK_SPIKES; ++k) {
    sp_spike want, got;
    if (fread(&want, sizeof want, 1, f) != 1) return 1;
    bench_check(sp_step(net, &got), "step");
    if (got.neuron != want.neuron || got.t != want.t) {
      fprintf(stderr, "loaded copy diverged at spike %d\n", k);
      return 1;
    }
  }
  fclose(f);
  printf("loaded copy: next %d spikes identical\n", CHECK_SPIKES);
  sp_network_destroy(net);
  return 0;
}

int main(int argc, char **argv) {
  uint32_t n = argc > 1 ? (uint32_t)atof(argv[1]) : 1000000;
  const char *path = argc > 2 ? argv[2] : "bench_stream_memory.spnet";
  char spikes_path[512];
  sp_network_desc d;
  sp_network *net = NULL;
  size_t bytes = 0, len = 0;
  double before, after, start, t;
  uint32_t s;
  int status = 0, k;
  pid_t pid;
  FILE *f;

  bench_balanced_lif(&d, n);
  bench_check(sp_network_memory(&d, &bytes), "memory");
  bench_check(sp_network_create(&d, &net), "create");
  for (s = 0; s < n / 10; ++s) bench_check(sp_step(net, NULL), "burn-in");
  bench_check(sp_save(net, NULL, 0, &len), "size");
  printf("save/load memory: LIF balanced network, N = %u, K = 100 (procedural)\n", n);
  printf("network %.1f MB (%.1f bytes per neuron), file %.1f MB (%.1f bytes per neuron)\n",
         mb((double)bytes), (double)bytes / n, mb((double)len), (double)len / n);

  before = status_bytes("VmHWM");
  if (before < 0) {
    printf("no /proc/self/status: peak memory not measured\n");
    return 0;
  }
  start = bench_seconds();
  bench_check(sp_save_file(net, path), "save_file");
  t = bench_seconds() - start;
  after = status_bytes("VmHWM");
  printf("sp_save_file  %8.2f s   peak RSS %9.1f MB -> %9.1f MB: +%8.1f MB beyond the network "
         "(%.0f MB/s)\n",
         t, mb(before), mb(after), mb(after - before), mb((double)len) / t);

  snprintf(spikes_path, sizeof spikes_path, "%s.spikes", path);
  f = fopen(spikes_path, "wb");
  if (!f) return 1;
  for (k = 0; k < CHECK_SPIKES; ++k) {
    sp_spike sp;
    bench_check(sp_step(net, &sp), "step");
    fwrite(&sp, sizeof sp, 1, f);
  }
  fclose(f);
  /* The original goes before the child loads, so that both never share the machine's memory. */
  sp_network_destroy(net);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    int code = load_child(path, bytes, spikes_path);
    fflush(stdout);
    _exit(code);
  }
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
  remove(path);
  remove(spikes_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
