/*
 * refsim.h - the reference simulator: an independent, deliberately plain oracle for the
 * engine's event semantics (src/ARCHITECTURE.md, Verification). It shares no code with src/.
 *
 * O(N) per event: every neuron keeps an anchor (time, voltage or phase) from which its state
 * is computed analytically; the next event is found by scanning all neurons and the input
 * queue. LIF works in voltages, QIF in phases phi (V = sqrt(I) tan(phi/2)).
 *
 * Event semantics (sparseprop.h): events in time order; at equal times queued inputs first
 * (in queue order), then spikes, lowest index first. A spike resets its neuron, then delivers
 * its synapses in CSR (or generator) order. A LIF neuron that an input takes to V >= 1 is
 * committed to spike at that instant (after the current event's deliveries, in index order
 * with any other neuron due then) and ignores further inputs until it does. A neuron that
 * spiked at t ignores inputs at times in [t, t + t_ref] and is held at reset until t + t_ref.
 */
#ifndef SP_REFSIM_H
#define SP_REFSIM_H

#include <stddef.h>
#include <stdint.h>

#define REF_LIF 1
#define REF_QIF 2
/* One-variable models tau dV/dt = G(V) = F(V) + I kept in voltages (ref_config: v_reset,
   v_spike, and delta_t/v_t or f/ctx). Between events the state is advanced by integrating the
   ODE in its time-of-flight form: the remaining time to the spike r(V) = integral_V^{V_spike}
   dv/G(v) by adaptive Gauss-Kronrod (7-15) quadrature in long double, V after a time d by
   solving r(V) = r(V_a) - d (safeguarded Newton on ln r); spike at +inf: r integrated to
   V_T + 60 D_T plus exp(-60) (EIF), or in y = 1/V on the tail (custom). No tables.
   EIF: G = -V + I + D_T exp((V - V_T)/D_T). Custom: G = f(V, ctx) + I. A finite v_spike
   works as the LIF threshold (an input taking V to it commits the neuron to spike); excitable
   drives (G <= 0 above reset) are refused by ref_create. */
#define REF_EIF 3
#define REF_CUSTOM 4
/* QIF in closed form (phases, as REF_QIF) with a finite reset v_reset: after a spike the
   phase is 2 atan(v_reset/sqrt(I)), V(t) = sqrt(I) tan(sqrt(I) (t - t0)/tau +
   atan(v_reset/sqrt(I))). The oracle for a custom model F = V^2. */
#define REF_QIF_RESET 5

/* Connectivity from sources to neurons, as in the public header: explicit CSR when
   row_ptr != NULL (weights may be NULL for one shared weight), procedural when
   row_ptr == NULL and k > 0, none otherwise. */
typedef struct ref_conn {
  const uint64_t *row_ptr;
  const uint32_t *targets;
  const double *weights;
  uint32_t k;
  uint64_t seed;
  double weight;
} ref_conn;

typedef struct ref_config {
  int model; /* REF_LIF or REF_QIF */
  uint32_t n;
  double tau;
  const double *drives; /* n drives */
  const double *v0;     /* n initial voltages */
  double t_ref;
  ref_conn recurrent;
  uint32_t n_inputs;
  ref_conn inputs;
  /* REF_EIF and REF_CUSTOM only. */
  double v_reset;
  double v_spike;                   /* finite threshold, or INFINITY (blow-up) */
  double delta_t;                   /* EIF */
  double v_t;                       /* EIF */
  double (*f)(double v, void *ctx); /* custom */
  void *ctx;
  /* LIF only: the synaptic time constant. 0: delta synapses (an input makes V jump by w).
     > 0: current-based synapses, tau dV/dt = -V + I + J, tau_syn dJ/dt = -J, an input of
     weight w raises J by w tau/tau_syn; V is continuous, so no input makes a neuron spike at
     its own time, and no input is ignored: a refractory neuron's V is held at 0 while J keeps
     integrating its inputs. J starts at 0. */
  double tau_syn;
} ref_config;

typedef struct ref_spike {
  double t;
  uint32_t neuron;
} ref_spike;

typedef struct ref_sim ref_sim;

/* The generator of the documented procedural format. */
uint64_t ref_mix64(uint64_t z);
/* Writes the k targets of `source` (in the format's order) to out[0..k). recurrent != 0:
   candidates exclude the source itself (m = n - 1), else m = n. Returns 0, or -1 if k > m. */
int ref_procedural_targets(uint64_t seed, uint32_t n, uint32_t k, uint32_t source, int recurrent,
                           uint32_t *out);

/* NULL on a bad configuration or out of memory. */
ref_sim *ref_create(const ref_config *c);
void ref_destroy(ref_sim *s);

double ref_now(const ref_sim *s);
/* Queues an input on `channel` at time t (>= now). Returns 0, or -1 on a bad argument. */
int ref_input(ref_sim *s, uint32_t channel, double t);
/* Processes events up to and including the next spike. Returns 0 with the spike, or -1 if
   no spike will ever happen (queued inputs are applied first, as the engine does). */
int ref_step(ref_sim *s, ref_spike *out);
/* Processes every event with time < t_end; stops after the cap-th spike when buf != NULL
   (cap > 0). Returns the number of spikes written/counted. */
size_t ref_run(ref_sim *s, double t_end, ref_spike *buf, size_t cap);
/* The next spike if no queued or further input arrives: returns 0 with its time and neuron
   (lowest index at equal times), or -1 if no neuron will ever spike. Changes nothing. */
int ref_peek(const ref_sim *s, double *t, uint32_t *neuron);
/* The voltage of neuron i at now (LIF: held at 0 while refractory; QIF: -inf at reset;
   EIF/custom: held at v_reset). */
double ref_voltage(const ref_sim *s, uint32_t i);
/* The synaptic current J of neuron i at now (0 with delta synapses). */
double ref_current(const ref_sim *s, uint32_t i);
/* The drive of neuron i changes from now on; its voltage at now is kept. */
void ref_set_drive(ref_sim *s, uint32_t i, double drive);
/* The number of queued input events not processed yet. */
size_t ref_queued(const ref_sim *s);
/* The number of neuron-input deliveries ignored (target refractory or committed to spike). */
uint64_t ref_ignored_inputs(const ref_sim *s);

#endif /* SP_REFSIM_H */
