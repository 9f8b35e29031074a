/* Pending (not built, not replayed): three states the engine makes through the public API that
 * sp_load refuses, found on 2026-12-02 by an outside tester's random driver of the API (about
 * 123,000 save/load checks; see ../README.md). Each case prints the loader's message; the
 * program exits 1 while any case is refused. Build against a build directory:
 *
 *   cc -std=c99 -Iinclude tests/fuzz/pending/programs/engine_saves_refused.c \
 *      -Lbuild/src -lsparseprop -Wl,-rpath,$PWD/build/src -lm -o /tmp/engine_saves_refused
 *
 * Once a case is fixed, turn it into a regression test (tests/io) and remove it here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sparseprop/sparseprop.h"

static void check(sp_status s, const char *what) {
  if (s == SP_OK) return;
  printf("%s: %s: %s\n", what, sp_status_name(s), sp_last_error());
  exit(2);
}

/* Saves net and loads the bytes; returns 1 (and prints why) if the load is refused. */
static int refused(sp_network *net, const char *name) {
  static unsigned char buf[1 << 16];
  size_t len = 0;
  sp_network *copy = NULL;
  check(sp_save(net, buf, sizeof buf, &len), "sp_save");
  if (sp_load(buf, len, NULL, &copy) == SP_OK) {
    printf("%s: loads\n", name);
    sp_network_destroy(copy);
    return 0;
  }
  printf("%s: REFUSED: %s\n", name, sp_last_error());
  return 1;
}

static const uint64_t in_row[2] = {0, 1};
static const uint32_t in_tgt[1] = {0};

/* One neuron with one input channel. */
static void one_neuron(sp_network_desc *d, uint32_t model, double drive) {
  sp_network_desc_init(d, sizeof *d);
  d->model = model;
  d->n = 1;
  d->tau = 0.01;
  d->drive = drive;
  d->n_inputs = 1;
  d->inputs.row_ptr = in_row;
  d->inputs.targets = in_tgt;
}

/* Current-based synapses with tau_syn = tau, drive exactly 1: after an input at 9.893 s and a
 * run to 12.7156 s (2 spikes), the engine's key (211.41413627816, where the original's next
 * step spikes) and the loader's recomputed crossing (211.42156367393) are 3.5e-5 apart
 * (relative), beyond the loader's 1e-6. Either the solver's key or the loader's recomputation is
 * off for this alpha-shaped current. */
static int syn_alpha_key_tolerance(void) {
  sp_network_desc d;
  sp_network *net = NULL;
  size_t count = 0;
  int r;
  one_neuron(&d, SP_MODEL_LIF, 1.0);
  d.tau_syn = 0.01;
  d.inputs.weight = 3.5522e-3;
  check(sp_network_create(&d, &net), "create");
  check(sp_input(net, 0, 9.8930158), "sp_input");
  check(sp_run(net, 12.7156, NULL, 0, &count), "sp_run");
  r = refused(net, "tau_syn = tau, key against its recomputation");
  sp_network_destroy(net);
  return r;
}

/* QIF: an input at 0.1564 s processed while the drive was 1e-200 (oscillatory, with an
 * astronomically long period), a run to 1 s (1 spike), then the drive set back to 1: the cached
 * clock saved is 0 at 0.1564 ("clock value = 0 at 0.15640000000000001: the clock then is
 * 15.64"). Drives down to 1e-30 load; 1e-32 and smaller do not. */
static int qif_tiny_drive_clock(void) {
  sp_network_desc d;
  sp_network *net = NULL;
  size_t count = 0;
  int r;
  one_neuron(&d, SP_MODEL_QIF, 1.0);
  d.inputs.weight = 5.0;
  check(sp_network_create(&d, &net), "create");
  check(sp_input(net, 0, 0.1564), "sp_input");
  check(sp_set_drive(net, 0, 1e-200), "sp_set_drive");
  check(sp_run(net, 1.0, NULL, 0, &count), "sp_run");
  check(sp_set_drive(net, 0, 1.0), "sp_set_drive");
  r = refused(net, "QIF cached clock after a tiny drive");
  sp_network_destroy(net);
  return r;
}

/* LIF, phase frame, a huge drive (about 1.58e7): run to exactly a spike time T (sp_run leaves the
 * spike at T to the next call), where V rounds to 1 + 4.7e-10, then set the drive just above
 * that voltage: the neuron is not flagged due and its key's instant lies before now ("queue
 * key[0] = ...: not flagged due, and its instant is before now"); the original's next step spikes
 * it at now. Tried after 1 to 200 spikes; the first state with V > 1 at T that is refused. */
static int lif_above_threshold_after_drive_change(void) {
  const double drive = 0x1.cc292afa6317cp+21, next_drive = 0x1.0000005796144p+0;
  int k;
  for (k = 1; k <= 200; ++k) {
    static unsigned char buf[4096];
    sp_network_desc d;
    sp_network *net = NULL, *ahead = NULL;
    sp_spike sp;
    size_t len;
    double v;
    int j, r = 0;
    one_neuron(&d, SP_MODEL_LIF, drive);
    d.t_ref = 0.4 * d.tau;
    check(sp_network_create(&d, &net), "create");
    for (j = 0; j < k; ++j) check(sp_step(net, &sp), "sp_step");
    /* The next spike time T, from a copy. */
    check(sp_save(net, buf, sizeof buf, &len), "sp_save");
    check(sp_load(buf, len, NULL, &ahead), "sp_load");
    check(sp_step(ahead, &sp), "sp_step");
    sp_network_destroy(ahead);
    check(sp_run(net, sp.t, NULL, 0, NULL), "sp_run");
    check(sp_voltage(net, 0, &v), "sp_voltage");
    if (v > 1.0 && sp_set_drive(net, 0, next_drive) == SP_OK)
      r = refused(net, "LIF above threshold at T after a drive change");
    sp_network_destroy(net);
    if (r) return 1;
  }
  printf("LIF above threshold at T after a drive change: no state refused\n");
  return 0;
}

int main(void) {
  int any = syn_alpha_key_tolerance();
  any |= qif_tiny_drive_clock();
  any |= lif_above_threshold_after_drive_change();
  return any;
}
