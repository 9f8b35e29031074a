/* An independent C driver for the bit-identity tests: reads a network description, input
   events and run end times as whitespace-separated text (floats in C99 hex, as Python's
   float.hex writes them), builds the sp_network_desc itself, runs, and prints every spike as
   "t neuron" (t in %a) and finally every voltage (%a). See test_identity.py for the format. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sparseprop/sparseprop.h"

static void die(const char *what) {
  fprintf(stderr, "run_desc: %s\n", what);
  exit(3);
}
static double rd(void) {
  char tok[128];
  if (scanf("%127s", tok) != 1) die("unexpected end of input (number)");
  return strtod(tok, NULL);
}
static unsigned long long ru(void) {
  unsigned long long v;
  if (scanf("%llu", &v) != 1) die("unexpected end of input (integer)");
  return v;
}
static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory");
  return p;
}

/* "none" | "proc k seed weight" | "csr n_sources row_ptr... targets... w|s (weights...|weight)" */
static void read_synapses(sp_synapses *s) {
  char kind[16];
  if (scanf("%15s", kind) != 1) die("synapse kind");
  if (strcmp(kind, "none") == 0) return;
  if (strcmp(kind, "proc") == 0) {
    s->k = (uint32_t)ru();
    s->seed = (uint64_t)ru();
    s->weight = rd();
    return;
  }
  if (strcmp(kind, "csr") != 0) die("synapse kind must be none, proc or csr");
  size_t ns = (size_t)ru(), i;
  uint64_t *rp = xmalloc((ns + 1) * sizeof *rp);
  for (i = 0; i <= ns; ++i) rp[i] = (uint64_t)ru();
  size_t nnz = (size_t)rp[ns];
  uint32_t *tg = xmalloc(nnz * sizeof *tg);
  for (i = 0; i < nnz; ++i) tg[i] = (uint32_t)ru();
  char wk[4];
  if (scanf("%3s", wk) != 1) die("weights kind");
  if (wk[0] == 'w') {
    double *w = xmalloc(nnz * sizeof *w);
    for (i = 0; i < nnz; ++i) w[i] = rd();
    s->weights = w;
  } else {
    s->weight = rd();
  }
  s->row_ptr = rp;
  s->targets = tg;
}

int main(void) {
  sp_network_desc d;
  sp_network *net = NULL;
  sp_status st;
  size_t i;
  sp_network_desc_init(&d, sizeof d);
  d.model = (uint32_t)ru();
  d.n = (uint32_t)ru();
  d.tau = rd();
  d.t_ref = rd();
  d.init_seed = (uint64_t)ru();
  d.frame = (uint32_t)ru();
  d.tau_syn = rd();
  if (ru()) { /* per-neuron drives */
    double *dr = xmalloc(d.n * sizeof *dr);
    for (i = 0; i < d.n; ++i) dr[i] = rd();
    d.drives = dr;
  } else {
    d.drive = rd();
  }
  if (ru()) {
    double *v0 = xmalloc(d.n * sizeof *v0);
    for (i = 0; i < d.n; ++i) v0[i] = rd();
    d.v0 = v0;
  }
  read_synapses(&d.recurrent);
  d.n_inputs = (uint32_t)ru();
  read_synapses(&d.inputs);
  st = sp_network_create(&d, &net);
  if (st != SP_OK) {
    fprintf(stderr, "create: %s: %s\n", sp_status_name(st), sp_last_error());
    return 1;
  }
  size_t n_events = (size_t)ru();
  for (i = 0; i < n_events; ++i) {
    uint32_t ch = (uint32_t)ru();
    double t = rd();
    st = sp_input(net, ch, t);
    if (st != SP_OK) {
      fprintf(stderr, "input: %s: %s\n", sp_status_name(st), sp_last_error());
      return 1;
    }
  }
  size_t n_runs = (size_t)ru();
  sp_spike buf[97]; /* an odd size, so runs cross buffer boundaries */
  for (i = 0; i < n_runs; ++i) {
    double t_end = rd();
    size_t got = 0, j;
    do {
      st = sp_run(net, t_end, buf, sizeof buf / sizeof buf[0], &got);
      if (st != SP_OK) {
        fprintf(stderr, "run: %s: %s\n", sp_status_name(st), sp_last_error());
        return 1;
      }
      for (j = 0; j < got; ++j) printf("s %a %u\n", buf[j].t, (unsigned)buf[j].neuron);
    } while (got == sizeof buf / sizeof buf[0]);
  }
  double *v = xmalloc(d.n * sizeof *v);
  if (sp_voltages(net, v, d.n) != SP_OK) die("sp_voltages");
  for (i = 0; i < d.n; ++i) printf("v %a\n", v[i]);
  printf("now %a\n", sp_now(net));
  sp_network_destroy(net);
  return 0;
}
