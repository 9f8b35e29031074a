/* Engine edge cases checked against closed forms: long silences (the co-moving clock would
 * overflow without re-basing), drive changes, inputs and recordings after them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sparseprop/sparseprop.h"

static void assert_close(double got, double want, double rel) {
  double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);
  if (!(fabs(got - want) <= tol)) fail_msg("got %.17g, want %.17g (tolerance %g)", got, want, tol);
}

static sp_network *silent_lif(double *v0) {
  sp_network_desc d;
  sp_network *net = NULL;
  static uint64_t row_ptr[2] = {0, 3};
  static uint32_t targets[3] = {0, 1, 2};
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 3;
  d.drive = 0.5; /* below threshold: silent without input */
  d.v0 = v0;
  d.n_inputs = 1;
  d.inputs.row_ptr = row_ptr;
  d.inputs.targets = targets;
  d.inputs.weight = 0.7;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  return net;
}

/* 10^5 s of silence is 10^7 membrane time constants: exp((t - t0)/tau) would overflow. */
static void test_drive_change_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, v;
  sp_network *net = silent_lif(v0);
  sp_spike s;
  size_t count = 7;
  (void)state;
  assert_int_equal(sp_run(net, 1e5, NULL, 0, &count), SP_OK);
  assert_int_equal(count, 0);
  assert_int_equal(sp_voltage(net, 1, &v), SP_OK);
  assert_close(v, 0.5, 1e-12); /* decayed to the drive */
  /* From V = 0.5 with I = 1.5: V(s) = 1.5 - exp(-s/tau), threshold at s = tau ln 2. */
  assert_int_equal(sp_set_drive(net, 1, 1.5), SP_OK);
  assert_int_equal(sp_voltage(net, 1, &v), SP_OK);
  assert_close(v, 0.5, 1e-12);
  assert_int_equal(sp_step(net, &s), SP_OK);
  assert_int_equal(s.neuron, 1);
  assert_close(s.t, 1e5 + 0.01 * log(2.0), 1e-15);
  sp_network_destroy(net);
}

/* sp_set_drive keeps a LIF neuron's voltage at now() to the header's rounding, 2^-50 max(|V|,
 * |I|) with I the new drive: in each frame, on a running neuron, after re-bases (t up to 700
 * tau), with a refractory hold and for drives below, at and above threshold. */
static void test_drive_change_keeps_the_voltage(void **state) {
  static const uint32_t frames[3] = {SP_FRAME_AUTO, SP_FRAME_PHASE, SP_FRAME_TIME};
  int f, a, b, checked = 0;
  (void)state;
  for (f = 0; f < 3; ++f)
    for (a = 0; a < 24; ++a)
      for (b = 0; b < 8; ++b) {
        sp_network_desc d;
        sp_network *net = NULL;
        double v0[2] = {0.3, 0.1}, drives[2] = {1.5, 1.5}, before, after, drive = 0.3 + 0.35 * b;
        double t = 0.0007 * (a + 1) + (a % 3 == 2 ? 7.0 : 0.0);
        sp_network_desc_init(&d, sizeof d);
        d.model = SP_MODEL_LIF;
        d.n = 2;
        d.v0 = v0;
        d.drives = drives;
        d.frame = frames[f];
        d.t_ref = a % 4 == 1 ? 0.002 : 0.0;
        assert_int_equal(sp_network_create(&d, &net), SP_OK);
        assert_int_equal(sp_run(net, t, NULL, 0, NULL), SP_OK);
        assert_int_equal(sp_voltage(net, 0, &before), SP_OK);
        assert_int_equal(sp_set_drive(net, 0, drive), SP_OK);
        assert_int_equal(sp_voltage(net, 0, &after), SP_OK);
        if (!(fabs(after - before) <= 0x1p-50 * fmax(fabs(before), drive)))
          fail_msg("frame %u, t = %g, drive 1.5 -> %g: voltage %.17g, then %.17g", frames[f], t,
                   drive, before, after);
        ++checked;
        sp_network_destroy(net);
      }
  assert_int_equal(checked, 3 * 24 * 8);
}

/* The same bound where the drive change itself re-bases the clock (32 tau after the last
 * re-base) and V is far from the old drive: a neuron driven towards -I_big from V = 0.5 just
 * before, read a moment later at V = -0.5 or -20, set to a small drive. V read back used to
 * carry the clock's rounding times |I_old - V| (up to 32 ulps of it; an outside client found up
 * to 5.5 times the header's bound, a sweep like the one below 25 times). Then a seeded sweep of
 * 8-neuron networks with inhibitory synapses: drives from -10^6 to 100, runs of up to 300 tau
 * between changes. */
static uint64_t drive_sweep_state = 0x2545f4914f6cdd1dull;
static double drive_sweep_uniform(void) {
  drive_sweep_state ^= drive_sweep_state << 13;
  drive_sweep_state ^= drive_sweep_state >> 7;
  drive_sweep_state ^= drive_sweep_state << 17;
  return (double)(drive_sweep_state >> 11) * 0x1p-53;
}

static void test_drive_change_at_a_rebase_keeps_the_voltage(void **state) {
  static const double bigs[3] = {1e3, 1e6, 1e9};
  static const double news[3] = {2.0, 0.3, -1.0};
  static const double targets[2] = {-0.5, -20.0};
  int b, nw, tg, far = 0, checked = 0, k;
  (void)state;
  for (b = 0; b < 3; ++b)
    for (tg = 0; tg < 2; ++tg)
      for (nw = 0; nw < 3; ++nw) {
        sp_network_desc d;
        sp_network *net = NULL;
        double v0 = 0.5, before, after, big = bigs[b];
        /* V(s) = -big + (0.5 + big) exp(-s/tau) reaches the target after s: */
        double s = 0.01 * log((0.5 + big) / (targets[tg] + big));
        double t1 = 0.32 - 0.5 * s;
        sp_network_desc_init(&d, sizeof d);
        d.model = SP_MODEL_LIF;
        d.n = 1;
        d.tau = 0.01;
        d.drive = 0.5; /* silent: no event re-bases the clock */
        d.v0 = &v0;
        assert_int_equal(sp_network_create(&d, &net), SP_OK);
        assert_int_equal(sp_run(net, t1, NULL, 0, NULL), SP_OK);     /* 32 tau - s/2 */
        assert_int_equal(sp_set_drive(net, 0, -big), SP_OK);         /* not re-based yet */
        assert_int_equal(sp_run(net, t1 + s, NULL, 0, NULL), SP_OK); /* 32 tau + s/2 */
        assert_int_equal(sp_voltage(net, 0, &before), SP_OK);
        assert_int_equal(sp_set_drive(net, 0, news[nw]), SP_OK); /* re-bases */
        assert_int_equal(sp_voltage(net, 0, &after), SP_OK);
        if (!(fabs(after - before) <= 0x1p-50 * fmax(fabs(before), fabs(news[nw]))))
          fail_msg(
              "I = %g -> %g at a re-base: voltage %.17g, then %.17g (%.1f times 2^-50 max(|V|, "
              "|I|))",
              -big, news[nw], before, after,
              fabs(after - before) / (0x1p-50 * fmax(fabs(before), fabs(news[nw]))));
        /* (The case is the hard one: V far from the old drive, relative to the bound.) */
        if (big + before > 100 * fmax(fabs(before), fabs(news[nw]))) ++far;
        ++checked;
        sp_network_destroy(net);
      }
  assert_int_equal(checked, 18);
  assert_true(far >= 12);

  for (k = 0; k < 20; ++k) {
    sp_network_desc d;
    sp_network *net = NULL;
    double drives[8];
    int c, i;
    for (i = 0; i < 8; ++i) drives[i] = 1.05 + drive_sweep_uniform();
    sp_network_desc_init(&d, sizeof d);
    d.model = SP_MODEL_LIF;
    d.n = 8;
    d.tau = 0.01;
    d.drives = drives;
    d.init_seed = 3 + (uint64_t)k;
    d.recurrent.k = 3;
    d.recurrent.weight = -0.2 - drive_sweep_uniform();
    assert_int_equal(sp_network_create(&d, &net), SP_OK);
    for (c = 0; c < 200; ++c) {
      uint32_t j = (uint32_t)(drive_sweep_uniform() * 8);
      double r = drive_sweep_uniform(), drive, before, after;
      double step = drive_sweep_uniform() < 0.05 ? 3.0 * drive_sweep_uniform()
                                                 : 0.003 * drive_sweep_uniform();
      if (r < 0.2)
        drive = -5 * drive_sweep_uniform();
      else if (r < 0.3)
        drive = 100 * drive_sweep_uniform();
      else if (r < 0.32)
        drive = -1e6 * drive_sweep_uniform();
      else
        drive = 3 * drive_sweep_uniform();
      assert_int_equal(sp_run(net, sp_now(net) + step, NULL, 0, NULL), SP_OK);
      assert_int_equal(sp_voltage(net, j, &before), SP_OK);
      assert_int_equal(sp_set_drive(net, j, drive), SP_OK);
      assert_int_equal(sp_voltage(net, j, &after), SP_OK);
      /* (A neuron held at reset is re-expressed at its reset voltage: none here, t_ref = 0.) */
      if (!(fabs(after - before) <= 0x1p-50 * fmax(fabs(before), fabs(drive))))
        fail_msg("network %d, change %d: I_%u = %.17g -> %.17g at t = %.17g: voltage %.17g, then "
                 "%.17g",
                 k, c, j, drives[j], drive, sp_now(net), before, after);
      drives[j] = drive;
      ++checked;
    }
    sp_network_destroy(net);
  }
  assert_int_equal(checked, 18 + 20 * 200);
}

/* A neuron due at an instant by its own dynamics (tied with the spiker: the same v0 and drive)
 * and kept due by a drive change at that instant spikes then and reports flags 0, reaching
 * threshold on its own (no event took it there): in the time frame, where its drive becomes
 * exactly 1 (its spike time recomputed from the new state is not its key: 0/0), and in the
 * phase frame, which a third neuron's drive change selects. Both reported SP_SPIKE_TRIGGERED. */
static void test_kept_due_by_a_drive_change_reports_its_own_spike(void **state) {
  int phase;
  (void)state;
  for (phase = 0; phase < 2; ++phase) {
    sp_network_desc d;
    sp_network *net = NULL;
    double v0[3] = {0.5, 0.5, 0.0}, drives[3] = {1.5, 1.5, 1.6};
    sp_spike first, s;
    sp_network_desc_init(&d, sizeof d);
    d.model = SP_MODEL_LIF;
    d.n = 3;
    d.v0 = v0;
    d.drives = drives; /* (different drives: the time frame) */
    assert_int_equal(sp_network_create(&d, &net), SP_OK);
    assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
    assert_int_equal(sp_step(net, &first), SP_OK);
    assert_int_equal(first.neuron, 0);
    assert_close(first.t, 0.01 * log(2.0), 1e-15);
    if (phase) {
      assert_int_equal(sp_set_drive(net, 2, 1.5), SP_OK);
      assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
    } else {
      assert_int_equal(sp_set_drive(net, 1, 1.0), SP_OK);
      assert_int_equal(sp_network_frame(net), SP_FRAME_TIME);
    }
    assert_int_equal(sp_step(net, &s), SP_OK);
    assert_int_equal(s.neuron, 1);
    assert_true(s.t == first.t);
    if (s.flags != 0) fail_msg("%s frame: flags %u", phase ? "phase" : "time", s.flags);
    sp_network_destroy(net);
  }
}

/* Two LIF neurons with v0 = 0.5 and drive 1.5, which tie at tau ln 2, in the time frame
 * (time_frame) or the engine's choice (the phase frame), with an input channel of weight -0.1
 * to neuron 1 when `inhibit`: run until the tie's first spike (neuron 0), returned in *first. */
static sp_network *tie_after_its_first_spike(int time_frame, int inhibit, sp_spike *first) {
  static uint64_t in_row_ptr[2] = {0, 1};
  static uint32_t in_targets[1] = {1};
  sp_network_desc d;
  sp_network *net = NULL;
  double v0[2] = {0.5, 0.5};
  size_t count = 0;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = 2;
  d.drive = 1.5;
  d.v0 = v0;
  if (inhibit) {
    d.n_inputs = 1;
    d.inputs.row_ptr = in_row_ptr;
    d.inputs.targets = in_targets;
    d.inputs.weight = -0.1;
  }
  d.frame = time_frame ? SP_FRAME_TIME : SP_FRAME_AUTO;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  assert_int_equal(sp_network_frame(net), time_frame ? SP_FRAME_TIME : SP_FRAME_PHASE);
  assert_int_equal(sp_run(net, 1.0, first, 1, &count), SP_OK);
  assert_true(count == 1 && first->neuron == 0);
  assert_close(first->t, 0.01 * log(2.0), 1e-15);
  return net;
}

/* A neuron due at an instant by a tie (phase frame: its key is the instant's, not flagged) stays
 * due when drives change at that instant, whatever frame follows: the tie's first spike, then
 * the drives set to values at or below 1 (the time frame: the tie's spike was lost, sp_step
 * reported SP_ERR_STATE, while a network in the time frame from the start spiked) or to 2 (the
 * phase frame again). The second neuron spikes at the first one's instant, on its own (flags
 * 0), in every case and in both starting frames. */
static void test_tie_stays_due_across_a_drive_change(void **state) {
  const double new_drive[3] = {0.5, 1.0, 2.0};
  int q, per_neuron, start;
  (void)state;
  for (start = 0; start < 2; ++start)
    for (q = 0; q < 3; ++q)
      for (per_neuron = 0; per_neuron < 2; ++per_neuron) {
        double drives[2] = {new_drive[q], new_drive[q]};
        sp_spike first, s;
        sp_network *net = tie_after_its_first_spike(start, 0, &first);
        if (per_neuron) {
          assert_int_equal(sp_set_drive(net, 1, new_drive[q]), SP_OK);
          assert_int_equal(sp_set_drive(net, 0, new_drive[q]), SP_OK);
        } else {
          assert_int_equal(sp_set_params(net, SP_PARAM_DRIVES, drives, 2), SP_OK);
        }
        if (sp_step(net, &s) != SP_OK)
          fail_msg("start %s, drives -> %g (%s): %s", start ? "time" : "phase", new_drive[q],
                   per_neuron ? "sp_set_drive" : "SP_PARAM_DRIVES", sp_last_error());
        if (s.neuron != 1 || s.t != first.t || s.flags != 0)
          fail_msg("start %s, drives -> %g (%s): neuron %u at %.17g flags %u, want 1 at %.17g",
                   start ? "time" : "phase", new_drive[q],
                   per_neuron ? "sp_set_drive" : "SP_PARAM_DRIVES", s.neuron, s.t, s.flags,
                   first.t);
        sp_network_destroy(net);
      }
}

/* A LIF neuron due by a tie takes an inhibitory input at that instant, which cancels its spike
 * there (event rule 2): also after a drive change at the instant kept it due (it was flagged
 * due, and the flag kept it spiking at the instant, below threshold, in the phase frame only).
 * The tie's first spike, the drives changed (to 1.6: the phase frame stays), an input of weight
 * -0.1 to the second neuron at now(): its next spike is the free LIF's from V = 0.9 with drive
 * 1.6, in both frames. */
static void test_inhibited_tie_after_a_drive_change(void **state) {
  int start;
  (void)state;
  for (start = 0; start < 2; ++start) {
    double drives[2] = {1.6, 1.6};
    sp_spike first, s;
    sp_network *net = tie_after_its_first_spike(start, 1, &first);
    assert_int_equal(sp_set_params(net, SP_PARAM_DRIVES, drives, 2), SP_OK);
    assert_int_equal(sp_network_frame(net), start ? SP_FRAME_TIME : SP_FRAME_PHASE);
    assert_int_equal(sp_input(net, 0, first.t), SP_OK);
    assert_int_equal(sp_step(net, &s), SP_OK);
    if (s.neuron != 1 || s.flags != 0)
      fail_msg("%s frame: neuron %u at %.17g flags %u", start ? "time" : "phase", s.neuron, s.t,
               s.flags);
    /* From V = 1 - 0.1 with I = 1.6: tau ln((1.6 - 0.9)/(1.6 - 1)). */
    assert_close(s.t - first.t, 0.01 * log(0.7 / 0.6), 1e-9);
    sp_network_destroy(net);
  }
}

/* An input far in the future: the neurons have decayed to the drive, the jump is exact. */
static void test_input_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, v[3];
  sp_network *net = silent_lif(v0);
  size_t count = 0;
  uint32_t i;
  (void)state;
  assert_int_equal(sp_input(net, 0, 5e4), SP_OK);
  assert_int_equal(sp_run(net, 5e4 + 1e-9, NULL, 0, &count), SP_OK);
  assert_int_equal(count, 3); /* 0.5 + 0.7 >= 1: all three fire at the input's instant */
  assert_int_equal(sp_voltages(net, v, 3), SP_OK);
  for (i = 0; i < 3; ++i) assert_close(v[i], 0.5 * (1 - exp(-1e-9 / 0.01)), 1e-9);
  sp_network_destroy(net);
}

/* A recording that starts after a long silence: the gradient of the first spike time
 * t = t_r + tau ln((I - V)/(I - 1)) with respect to the voltage V and drive I at the start. */
static void test_gradient_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, dl_dt = 1.0, g_v[3], g_i[3];
  sp_network *net = silent_lif(v0);
  size_t count = 0;
  sp_spike s;
  (void)state;
  assert_int_equal(sp_run(net, 1e5, NULL, 0, &count), SP_OK);
  assert_int_equal(sp_set_drive(net, 1, 1.5), SP_OK);
  assert_int_equal(sp_record(net, 4), SP_OK);
  assert_int_equal(sp_step(net, &s), SP_OK);
  assert_int_equal(sp_backward(net, &dl_dt, 1, NULL), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_V0, g_v, 3), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, g_i, 3), SP_OK);
  /* V = 0.5, I = 1.5: dt/dV = -tau/(I - V) = -0.01, dt/dI = tau (1/(I - V) - 1/(I - 1)) = -0.01. */
  assert_close(g_v[1], -0.01, 1e-9);
  assert_close(g_i[1], -0.01, 1e-9);
  assert_true(g_v[0] == 0.0 && g_v[2] == 0.0);
  sp_network_destroy(net);
}

/* A recording started after a long silence, with no event in it: V(t_r + s) = I + (V - I) e^(-s/tau),
 * so dV_end/dV = e^(-s/tau) and dV_end/dI = 1 - e^(-s/tau). */
static void test_end_voltage_gradient_after_long_silence(void **state) {
  double v0[3] = {0.0, 0.2, 0.4}, ones[3] = {1, 1, 1}, g_v[3], g_i[3];
  sp_network *net = silent_lif(v0);
  size_t count = 0;
  uint32_t i;
  (void)state;
  assert_int_equal(sp_run(net, 1e5, NULL, 0, &count), SP_OK);
  assert_int_equal(sp_record(net, 4), SP_OK);
  assert_int_equal(sp_run(net, 1e5 + 0.005, NULL, 0, &count), SP_OK);
  assert_int_equal(sp_backward(net, NULL, 0, ones), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_V0, g_v, 3), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, g_i, 3), SP_OK);
  for (i = 0; i < 3; ++i) {
    assert_close(g_v[i], exp(-0.5), 1e-9);
    assert_close(g_i[i], 1 - exp(-0.5), 1e-9);
  }
  sp_network_destroy(net);
}

/* ---- one shared inhibitory weight against the same weight per synapse ---- */

enum { ROW_N = 20000, ROW_K = 50, ROW_SPIKES = 100000 };

static uint64_t row_rng(uint64_t *s) { /* splitmix64 */
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* A random LIF network (K distinct targets per neuron, no self-connection, weight -0.15, one
 * drive, seeded v0) plus an excitatory input channel to every 7th neuron, fed every 3 ms; the
 * weights (recurrent -0.15, input 0.3) either shared (`weights` NULL) or given per synapse. */
static sp_network *row_net(int per_synapse, uint64_t *row_ptr, uint32_t *targets, double *weights,
                           double *v0) {
  uint64_t rs = 42, in_ptr[2] = {0, 0};
  static uint32_t in_targets[ROW_N / 7 + 1];
  static double in_weights[ROW_N / 7 + 1];
  uint32_t i, k;
  sp_network_desc d;
  sp_network *net = NULL;
  row_ptr[0] = 0;
  for (i = 0; i < ROW_N; ++i) {
    for (k = 0; k < ROW_K; ++k) {
      uint32_t j, q, dup;
      do {
        j = (uint32_t)(row_rng(&rs) % ROW_N);
        for (dup = j == i, q = 0; q < k && !dup; ++q) dup = targets[(uint64_t)i * ROW_K + q] == j;
      } while (dup);
      targets[(uint64_t)i * ROW_K + k] = j;
      weights[(uint64_t)i * ROW_K + k] = -0.15;
    }
    row_ptr[i + 1] = (uint64_t)(i + 1) * ROW_K;
    v0[i] = (double)(row_rng(&rs) >> 11) / 9007199254740992.0 * 1.8 - 0.8;
  }
  for (i = 0; i < ROW_N; i += 7) {
    in_weights[in_ptr[1]] = 0.3;
    in_targets[in_ptr[1]++] = i;
  }
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_LIF;
  d.n = ROW_N;
  d.tau = 0.01;
  d.drive = 1.6;
  d.v0 = v0;
  d.recurrent.row_ptr = row_ptr;
  d.recurrent.targets = targets;
  d.recurrent.weights = per_synapse ? weights : NULL;
  d.recurrent.weight = -0.15;
  d.n_inputs = 1;
  d.inputs.row_ptr = in_ptr;
  d.inputs.targets = in_targets;
  d.inputs.weights = per_synapse ? in_weights : NULL;
  d.inputs.weight = 0.3;
  d.input_capacity = 64;
  if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
  assert_int_equal(sp_network_frame(net), SP_FRAME_PHASE);
  return net;
}

/* The event loop skips the queue's bucket test for a row of one negative weight (a LIF key can
 * only grow then: src/ARCHITECTURE.md, deliver_row). The same network with the weight given per
 * synapse takes the general loop, which makes the test: the spikes must be bit-identical (time,
 * neuron, flags), inputs and ties included. (The shared excitatory input row must not skip the
 * test: its per-synapse twin checks that too.) */
static void test_shared_inhibitory_row_as_per_synapse(void **state) {
  static uint64_t row_ptr[ROW_N + 1];
  static uint32_t targets[(uint64_t)ROW_N * ROW_K];
  static double weights[(uint64_t)ROW_N * ROW_K], v0[ROW_N];
  static sp_spike a[ROW_SPIKES], b[ROW_SPIKES];
  sp_network *shared, *per_synapse;
  size_t na = 0, nb = 0, s;
  int round;
  (void)state;
  shared = row_net(0, row_ptr, targets, weights, v0);
  per_synapse = row_net(1, row_ptr, targets, weights, v0);
  for (round = 0; round < 200; ++round) { /* inputs 3 ms apart, run in 0.1 s pieces */
    double t0 = 0.1 * round, t;
    size_t ca = 0, cb = 0;
    for (t = t0 + 0.003; t < t0 + 0.1; t += 0.003) {
      assert_int_equal(sp_input(shared, 0, t), SP_OK);
      assert_int_equal(sp_input(per_synapse, 0, t), SP_OK);
    }
    assert_int_equal(sp_run(shared, t0 + 0.1, a + na, ROW_SPIKES - na, &ca), SP_OK);
    assert_int_equal(sp_run(per_synapse, t0 + 0.1, b + nb, ROW_SPIKES - nb, &cb), SP_OK);
    na += ca;
    nb += cb;
    if (na == ROW_SPIKES) break;
  }
  assert_int_equal(na, nb);
  assert_true(na > ROW_SPIKES / 2);
  for (s = 0; s < na; ++s)
    if (a[s].t != b[s].t || a[s].neuron != b[s].neuron || a[s].flags != b[s].flags)
      fail_msg("spike %zu: shared weight (%.17g, %u, %u), per synapse (%.17g, %u, %u)", s, a[s].t,
               a[s].neuron, a[s].flags, b[s].t, b[s].neuron, b[s].flags);
  sp_network_destroy(shared);
  sp_network_destroy(per_synapse);
}

/* ---- EIF: an inhibitory row at an instant whose cur_key an input set ---- */

/* Tabulated models take a quiet path for a row of one negative weight in the phase frame
 * (deliver_row): a far target takes the kick without the general path's tests. A neuron due by
 * its own key ignores the input (EIF at its blow-up), and such a neuron is usually near; but
 * when an input sets the instant's cur_key from t's clock and the first spiker then spikes on
 * its own clock, an ulp lower, its ties up to cur_key are due and may be far (an outside
 * reviewer's case: the quiet path kicked them, 2 spikes at the instant instead of 5). 64
 * uncoupled EIF neurons in a tight cluster; each cycle the cluster spikes and an inhibitory
 * input clears their recent flags; then an empty input at the next spike time t_A, a step, and
 * an inhibitory input to all at t_A. The same inputs with the weight per synapse take the
 * general path (the kick map is the recurrent weight's, the same for both): spikes, voltages
 * and the tape's gradients must be the same bits. */
enum { EIF_N = 64 };

static sp_network *eif_cluster(int per_synapse) {
  static uint64_t in_ptr[3] = {0, 0, EIF_N};
  static uint32_t in_targets[EIF_N];
  static double in_weights[EIF_N], v0[EIF_N];
  sp_network_desc d;
  sp_network *net = NULL;
  uint32_t i;
  for (i = 0; i < EIF_N; ++i) {
    in_targets[i] = i;
    in_weights[i] = -0.2;
    v0[i] = 0.3 - i * 1e-15;
  }
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_EIF;
  d.n = EIF_N;
  d.tau = 0.01;
  d.drive = 1.2;
  d.recurrent.weight = -0.2; /* (no recurrent synapses: the weight names the kick map) */
  d.n_inputs = 2;
  d.inputs.row_ptr = in_ptr;
  d.inputs.targets = in_targets;
  d.inputs.weights = per_synapse ? in_weights : NULL;
  d.inputs.weight = -0.2;
  d.v0 = v0;
  d.frame = SP_FRAME_PHASE;
  if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
  return net;
}

/* Runs the scenario; fills the spikes after the step at t_A and the voltages, and with gd the
 * drive gradient of a loss on every spike time, recorded from the start (which re-bases the
 * clock first: a different case of the same rule). */
static size_t eif_cluster_run(int per_synapse, int cycles, sp_spike *out, size_t cap, double *v,
                              double *gd) {
  sp_network *net = eif_cluster(per_synapse), *copy = NULL;
  static unsigned char buf[1 << 16];
  static double dl_dt[4096];
  sp_spike s, a;
  size_t len = 0, n = 0, k;
  int c, j;
  if (gd) assert_int_equal(sp_record(net, 4096), SP_OK);
  for (c = 0; c < cycles; ++c) {
    for (j = 0; j < EIF_N; ++j) assert_int_equal(sp_step(net, &s), SP_OK);
    assert_int_equal(sp_input(net, 1, sp_now(net) + 1e-5), SP_OK);
  }
  assert_int_equal(sp_save(net, buf, sizeof buf, &len), SP_OK);
  assert_int_equal(sp_load(buf, len, NULL, &copy), SP_OK);
  assert_int_equal(sp_step(copy, &a), SP_OK); /* the next spike time, t_A */
  sp_network_destroy(copy);
  assert_int_equal(sp_input(net, 0, a.t), SP_OK);
  assert_int_equal(sp_step(net, &s), SP_OK);
  assert_true(s.t == a.t);
  assert_int_equal(sp_input(net, 1, a.t), SP_OK);
  assert_int_equal(sp_run(net, a.t + 0.005, out, cap, &n), SP_OK);
  assert_int_equal(sp_voltages(net, v, EIF_N), SP_OK);
  if (gd) {
    for (k = 0; k < 4096; ++k) dl_dt[k] = 1e-3 * (double)(k % 5);
    assert_int_equal(sp_backward(net, dl_dt, (size_t)cycles * EIF_N + 1 + n, NULL), SP_OK);
    assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, gd, EIF_N), SP_OK);
  }
  sp_network_destroy(net);
  return n;
}

/* Returns the number of spikes at t_A after the first (the ties). */
static size_t eif_cluster_compare(int cycles, int record) {
  static sp_spike a[512], b[512];
  double va[EIF_N], vb[EIF_N], ga[EIF_N] = {0}, gb[EIF_N] = {0};
  size_t na, nb, s, at = 0;
  uint32_t i;
  na = eif_cluster_run(0, cycles, a, 512, va, record ? ga : NULL);
  nb = eif_cluster_run(1, cycles, b, 512, vb, record ? gb : NULL);
  assert_int_equal(na, nb);
  for (s = 0; s < na; ++s) {
    if (a[s].t != b[s].t || a[s].neuron != b[s].neuron || a[s].flags != b[s].flags)
      fail_msg("%d cycles%s, spike %zu: shared weight (%.17g, %u, %u), per synapse (%.17g, %u, "
               "%u)",
               cycles, record ? ", recorded" : "", s, a[s].t, a[s].neuron, a[s].flags, b[s].t,
               b[s].neuron, b[s].flags);
    at += na && a[s].t == a[0].t;
  }
  for (i = 0; i < EIF_N; ++i) {
    if (memcmp(&va[i], &vb[i], sizeof va[i]) != 0)
      fail_msg("V[%u]: shared %.17g, per synapse %.17g", i, va[i], vb[i]);
    if (memcmp(&ga[i], &gb[i], sizeof ga[i]) != 0)
      fail_msg("dL/dI[%u]: shared %.17g, per synapse %.17g", i, ga[i], gb[i]);
  }
  return at;
}

/* (The clocks an ulp apart come at some cycles only: 5 of them, unrecorded, when found; the
 * test tries 1 to 12, recorded or not.) */
static void test_eif_due_tie_far_from_an_input_instant(void **state) {
  size_t ties = 0;
  int cycles;
  (void)state;
  for (cycles = 1; cycles <= 12; ++cycles) {
    ties += eif_cluster_compare(cycles, 0);
    ties += eif_cluster_compare(cycles, 1);
  }
  assert_true(ties > 0); /* (the case needs ties at t_A) */
}

/* ---- QIF: an input at a neuron's own spike instant ---- */

/* Two QIF neurons with the same v0 reach V = +inf at the same instant T. Neuron 0 spikes first
 * (index order) and, with a synapse 0 -> 1 of any weight (0 included), reaches neuron 1 at T,
 * where a finite input changes nothing: neuron 1 must spike at T too (flags 0: its own
 * dynamics), as it does without the synapse. The kick used to take a phase rounded just past pi
 * to -pi: the spike was lost, the neuron's next one came a period later. An external input at
 * T to neuron 1 alone is the same case. Both frames; spikes compared with the uncoupled pair. */
static sp_network *qif_pair(const uint64_t *rec_ptr, const double *w, uint32_t frame) {
  static const uint32_t target[1] = {1};
  static const uint64_t in_ptr[2] = {0, 1};
  double v0[2] = {-1.9866666666666666, -1.9866666666666666};
  sp_network_desc d;
  sp_network *net = NULL;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_QIF;
  d.n = 2;
  d.tau = 0.02;
  d.drive = 1.0;
  d.v0 = v0;
  d.frame = frame;
  d.recurrent.row_ptr = rec_ptr;
  d.recurrent.targets = rec_ptr ? target : NULL;
  d.recurrent.weight = w ? *w : 0.0;
  d.n_inputs = 1;
  d.inputs.row_ptr = in_ptr;
  d.inputs.targets = target;
  d.inputs.weight = w ? *w : 0.3;
  if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
  return net;
}

static void test_qif_input_at_own_spike_instant(void **state) {
  static const uint64_t rec_ptr[3] = {0, 1, 1};
  const double weights[4] = {0.0, 0.3, -0.3, 1e-12};
  const uint32_t frames[2] = {SP_FRAME_PHASE, SP_FRAME_TIME};
  sp_spike want[8], got[8];
  size_t nw = 0, ng = 0, s;
  int f, k, external;
  (void)state;
  for (f = 0; f < 2; ++f) {
    sp_network *control = qif_pair(NULL, NULL, frames[f]);
    assert_int_equal(sp_run(control, 0.13, want, 8, &nw), SP_OK);
    assert_int_equal(nw, 4); /* two each, the pairs at one instant */
    assert_true(want[0].t == want[1].t && want[2].t == want[3].t);
    /* The header's QIF, tau dV/dt = V^2 + I from v0: T = tau/sqrt(I) (pi/2 - atan(v0/sqrt(I))),
       then one period pi tau/sqrt(I) later. */
    assert_close(want[0].t, 0.02 * (2 * atan(1.0) - atan(-1.9866666666666666)), 1e-12);
    assert_close(want[2].t, want[0].t + 0.02 * 4 * atan(1.0), 1e-12);
    for (external = 0; external < 2; ++external) {
      for (k = 0; k < 4; ++k) {
        sp_network *net = qif_pair(external ? NULL : rec_ptr, &weights[k], frames[f]);
        if (external) assert_int_equal(sp_input(net, 0, want[0].t), SP_OK);
        assert_int_equal(sp_run(net, 0.13, got, 8, &ng), SP_OK);
        assert_int_equal(sp_network_frame(net), frames[f]);
        if (ng != nw)
          fail_msg("frame %u, %s w = %g: %zu spikes, %zu without it", frames[f],
                   external ? "input" : "synapse", weights[k], ng, nw);
        for (s = 0; s < 2; ++s) /* the instant T; later spikes may move with w */
          if (got[s].t != want[s].t || got[s].neuron != want[s].neuron || got[s].flags != 0)
            fail_msg("frame %u, %s w = %g: spike %zu (%.17g, %u, %u), want (%.17g, %u, 0)",
                     frames[f], external ? "input" : "synapse", weights[k], s, got[s].t,
                     got[s].neuron, got[s].flags, want[s].t, want[s].neuron);
        sp_network_destroy(net);
      }
    }
    sp_network_destroy(control);
  }
}

/* ---- LIF: an input at another neuron's spike time ---- */

/* Neuron 1 spikes on its own at T; an input at T takes neuron 0 over threshold. Inputs come
 * first at an instant, so neuron 0 spikes at T flagged SP_SPIKE_TRIGGERED |
 * SP_SPIKE_INPUT_TRIGGERED, neuron 1 at T with flags 0 (in either order: the order at one
 * reported time follows the exact times). In the phase frame, a spike whose exact time precedes
 * the input's by rounding (neuron 1's) used to lower the instant's due key, and neuron 0, flagged
 * due at the higher one, was then reported as spiking on its own (flags 0): 26 of these 400
 * initial voltages. Both frames; T is read from a copy without the input. */
static void test_lif_input_at_another_neurons_spike_time(void **state) {
  static const uint64_t in_ptr[2] = {0, 1};
  static const uint32_t in_target[1] = {0};
  const uint32_t frames[2] = {SP_FRAME_PHASE, SP_FRAME_TIME};
  int f, k;
  (void)state;
  for (f = 0; f < 2; ++f) {
    for (k = 0; k < 400; ++k) {
      double v0[2] = {0.3, 0.5 + 0.49 * k / 400};
      sp_network_desc d;
      sp_network *net = NULL, *copy = NULL;
      sp_spike s[4];
      size_t count = 0, q;
      int seen0 = 0, seen1 = 0;
      sp_network_desc_init(&d, sizeof d);
      d.model = SP_MODEL_LIF;
      d.n = 2;
      d.tau = 0.02;
      d.drive = 1.42;
      d.v0 = v0;
      d.frame = frames[f];
      d.n_inputs = 1;
      d.inputs.row_ptr = in_ptr;
      d.inputs.targets = in_target;
      d.inputs.weight = 0.69;
      assert_int_equal(sp_network_create(&d, &net), SP_OK);
      assert_int_equal(sp_network_create(&d, &copy), SP_OK);
      assert_int_equal(sp_step(copy, &s[0]), SP_OK);
      assert_int_equal(s[0].neuron, 1);
      assert_int_equal(sp_input(net, 0, s[0].t), SP_OK);
      assert_int_equal(sp_run(net, s[0].t * 1.000001, s, 4, &count), SP_OK);
      assert_int_equal(count, 2);
      for (q = 0; q < 2; ++q) {
        if (s[q].neuron == 0) seen0 = s[q].flags == (SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED);
        if (s[q].neuron == 1) seen1 = s[q].flags == 0;
      }
      if (!(seen0 && seen1 && s[0].t == s[1].t))
        fail_msg("frame %u, v0[1] = %.17g: spikes (%.17g, %u, %u), (%.17g, %u, %u)", frames[f],
                 v0[1], s[0].t, s[0].neuron, s[0].flags, s[1].t, s[1].neuron, s[1].flags);
      sp_network_destroy(net);
      sp_network_destroy(copy);
    }
  }
}

/* ---- EIF and custom models: an input at the neuron's own spike instant ---- */

static double f_square(double v, void *ctx) {
  (void)ctx;
  return v * v;
}

/* EIF's F (D_T = 0.1, V_T = 1) as a custom callback: tab_single's model CUSTOM_EXP. */
static double f_eif_as_custom(double v, void *ctx) {
  (void)ctx;
  return -v + 0.1 * exp((v - 1.0) / 0.1);
}
#define CUSTOM_EXP 1000u

static sp_network *tab_single(uint32_t model, double v_spike, double v0, double w, uint32_t frame) {
  static const uint64_t in_ptr[2] = {0, 1};
  static const uint32_t in_target[1] = {0};
  sp_model_params mp;
  sp_network_desc d;
  sp_network *net = NULL;
  memset(&mp, 0, sizeof mp);
  mp.struct_size = (uint32_t)sizeof mp;
  mp.v_reset = 0.0;
  mp.v_spike = v_spike;
  mp.delta_t = 0.1;
  mp.v_t = 1.0;
  if (model == SP_MODEL_CUSTOM) mp.f = f_square;
  if (model == CUSTOM_EXP) mp.f = f_eif_as_custom, model = SP_MODEL_CUSTOM;
  sp_network_desc_init(&d, sizeof d);
  d.model = model;
  d.n = 1;
  d.tau = 0.01;
  d.drive = 1.3;
  d.v0 = &v0;
  d.frame = frame;
  d.model_params = &mp;
  d.n_inputs = 1;
  d.inputs.row_ptr = in_ptr;
  d.inputs.targets = in_target;
  d.inputs.weight = w;
  if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
  return net;
}

/* A neuron an input took to a finite v_spike reads v_spike itself until it spikes at now() (the
 * header's sp_voltage). Random excitatory cascades of EIF (v_spike 2) and custom F = -V
 * (v_spike 1) networks, in the time frame (drives differ) and the phase frame: before every
 * step, the neuron the step spikes as triggered at now() must read v_spike. The loop tests the
 * threshold with the instant's clock, a spiker's own clock that can differ from the time's by a
 * rounding; the reader used the time's, and an outside tester's cascade read 0.999999999999999
 * for v_spike = 1. */
/* SP_TEST_QUICK=1 (set by CI for the emulated architectures): fewer networks in the slow tests. */
static int quick_mode(void) {
  const char *q = getenv("SP_TEST_QUICK");
  return q && *q && *q != '0';
}
static double f_minus_v(double v, void *ctx) {
  (void)ctx;
  return -v;
}
/* A custom v0 below the clamp voltage, v_reset - 16 (v_spike - v_reset), starts at that voltage
 * (the header's v0), as an input there would leave it; SP_PARAM_V0 keeps the value given. F = -V
 * (LIF as a custom model), reset 0, threshold 1, drive 1.3: from -16 the first spike is at
 * tau ln(17.3/0.3), from -100 it would be at tau ln(101.3/0.3). (An outside client took the
 * silent move for a defect: now documented.) */
static void test_custom_v0_below_the_clamp(void **state) {
  sp_model_params mp;
  sp_network_desc d;
  sp_network *net = NULL;
  double v0 = -100.0, v, back;
  sp_spike sp;
  const double clamp_spike = 0.01 * log(17.3 / 0.3);
  (void)state;
  memset(&mp, 0, sizeof mp);
  mp.struct_size = (uint32_t)sizeof mp;
  mp.v_reset = 0.0;
  mp.v_spike = 1.0;
  mp.f = f_minus_v;
  sp_network_desc_init(&d, sizeof d);
  d.model = SP_MODEL_CUSTOM;
  d.n = 1;
  d.tau = 0.01;
  d.drive = 1.3;
  d.v0 = &v0;
  d.model_params = &mp;
  assert_int_equal(sp_network_create(&d, &net), SP_OK);
  assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
  assert_true(fabs(v + 16.0) <= 1e-12);
  assert_int_equal(sp_get_params(net, SP_PARAM_V0, &back, 1), SP_OK);
  assert_true(back == -100.0);
  assert_int_equal(sp_step(net, &sp), SP_OK);
  if (!(fabs(sp.t - clamp_spike) <= 1e-12 * clamp_spike))
    fail_msg("first spike at %.17g, from the clamp %.17g", sp.t, clamp_spike);
  sp_network_destroy(net);
}

/* A constant F over wide ranges: tau dV/dt = c + I from reset 0 to v_spike, a period of
 * v_spike tau/(c + I). With v_spike from 1e7 on, 43 of 48 such models per c were refused as
 * "the table fails its own check (voltage not increasing with the phase)": the check's join
 * tolerance, 1e-9, was below the rounding of series worth 1e7 evaluated at a join at 0 (the
 * model-family audit). Each is accepted, and its first spikes, from v0 = 0 and v0 = v_spike/2,
 * are at the closed form's times. */
static double f_constant(double v, void *ctx) {
  (void)v;
  return *(const double *)ctx;
}

static void test_constant_f_over_wide_ranges(void **state) {
  static const double cs[3] = {0.0, 0.5, -0.5};
  int ci, e, m, half;
  (void)state;
  for (ci = 0; ci < 3; ++ci)
    for (e = 1; e <= 16; ++e)
      for (m = 0; m < 3; ++m)
        for (half = 0; half < 2; ++half) {
          const double v_spike = (1 + 0.37 * m) * pow(10, e), tau = 0.01;
          double v0 = half ? v_spike / 2 : 0.0, expect;
          sp_model_params mp;
          sp_network_desc d;
          sp_network *net = NULL;
          sp_spike sp;
          sp_status st;
          memset(&mp, 0, sizeof mp);
          mp.struct_size = (uint32_t)sizeof mp;
          mp.v_reset = 0.0;
          mp.v_spike = v_spike;
          mp.f = f_constant;
          mp.ctx = (void *)&cs[ci];
          sp_network_desc_init(&d, sizeof d);
          d.model = SP_MODEL_CUSTOM;
          d.n = 1;
          d.tau = tau;
          d.drive = 1.0;
          d.v0 = &v0;
          d.model_params = &mp;
          st = sp_network_create(&d, &net);
          if (st != SP_OK)
            fail_msg("F = %g, v_spike = %g: %s (%s)", cs[ci], v_spike, sp_status_name(st),
                     sp_last_error());
          assert_int_equal(sp_step(net, &sp), SP_OK);
          expect = (v_spike - v0) * tau / (cs[ci] + 1.0);
          if (!(fabs(sp.t - expect) <= 1e-12 * expect))
            fail_msg("F = %g, v_spike = %g, v0 = %g: first spike at %.17g, expected %.17g", cs[ci],
                     v_spike, v0, sp.t, expect);
          assert_int_equal(sp_step(net, &sp), SP_OK);
          expect += v_spike * tau / (cs[ci] + 1.0);
          if (!(fabs(sp.t - expect) <= 1e-12 * expect))
            fail_msg("F = %g, v_spike = %g: second spike at %.17g, expected %.17g", cs[ci], v_spike,
                     sp.t, expect);
          sp_network_destroy(net);
        }
}

static void test_triggered_neuron_reads_v_spike(void **state) {
  enum { N = 11, K = 4 };
  uint32_t targets[N * K];
  uint64_t row_ptr[N + 1];
  double drives[N], v0[N], v[N];
  const unsigned seeds = quick_mode() ? 60 : 240;
  unsigned seed, triggered = 0;
  (void)state;
  for (seed = 1; seed <= seeds; ++seed) {
    const uint32_t model = seed % 2 ? SP_MODEL_EIF : SP_MODEL_CUSTOM;
    const double v_spike = model == SP_MODEL_EIF ? 2.0 : 1.0;
    sp_model_params mp;
    sp_network_desc d;
    sp_network *net = NULL;
    uint32_t i, k;
    int step;
    srand(seed);
    for (i = 0; i < N; ++i) {
      /* two drives per network in the time frame, one in the phase frame */
      drives[i] = seed % 4 < 2 ? 1.2 + 0.3 * (rand() % 2) : 1.4;
      v0[i] = 0.9 * rand() / (double)RAND_MAX;
      row_ptr[i] = (uint64_t)i * K;
      for (k = 0; k < K; ++k) targets[i * K + k] = (uint32_t)((i + 1 + rand() % (N - 1)) % N);
    }
    row_ptr[N] = (uint64_t)N * K;
    memset(&mp, 0, sizeof mp);
    mp.struct_size = (uint32_t)sizeof mp;
    mp.v_reset = 0.0;
    mp.v_spike = v_spike;
    if (model == SP_MODEL_EIF) {
      mp.delta_t = 0.1;
      mp.v_t = 1.0;
    } else {
      mp.f = f_minus_v;
    }
    sp_network_desc_init(&d, sizeof d);
    d.model = model;
    d.n = N;
    d.tau = 0.01;
    d.drives = drives;
    d.v0 = v0;
    d.model_params = &mp;
    d.recurrent.row_ptr = row_ptr;
    d.recurrent.targets = targets;
    d.recurrent.weight = 0.05 + 0.2 * rand() / (double)RAND_MAX;
    if (sp_network_create(&d, &net) != SP_OK) fail_msg("create: %s", sp_last_error());
    for (step = 0; step < 300; ++step) {
      sp_spike sp;
      const double before = sp_now(net);
      assert_int_equal(sp_voltages(net, v, N), SP_OK);
      assert_int_equal(sp_step(net, &sp), SP_OK);
      if (step == 0 || sp.t != before || !(sp.flags & SP_SPIKE_TRIGGERED)) continue;
      ++triggered;
      if (v[sp.neuron] != v_spike)
        fail_msg("seed %u (model %u), step %d: neuron %u spiked triggered at %.17g, read V = "
                 "%.17g before, v_spike %g",
                 seed, model, step, sp.neuron, sp.t, v[sp.neuron], v_spike);
    }
    sp_network_destroy(net);
  }
  print_message("# %u triggered spikes read v_spike before them\n", triggered);
  assert_true(triggered > 20 * seeds);
}

/* The network's next spike (neuron 0's), and its time's gradient in v0 and the drive. */
static void first_spike_grads(sp_network *net, sp_spike *spike, double g[2]) {
  double one = 1.0;
  assert_int_equal(sp_record(net, 4), SP_OK);
  assert_int_equal(sp_step(net, spike), SP_OK);
  assert_int_equal(spike->neuron, 0);
  assert_int_equal(sp_backward(net, &one, 1, NULL), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_V0, &g[0], 1), SP_OK);
  assert_int_equal(sp_get_grads(net, SP_PARAM_DRIVES, &g[1], 1), SP_OK);
}

/* A neuron that spikes at V = +inf is at V = +inf at its spike instant, which no finite input
 * changes: an input queued at that instant (inputs come first) is ignored, and the neuron
 * spikes on its own (flags 0). Its gradient is the order-keeping side's (the input first, just
 * before the blow-up): for QIF and this custom F = V^2 that of its own dynamics, for EIF and
 * a custom F = EIF's that one times exp(-w/D_T), the factor by which such an input scales the
 * time left (before, EIF took the input as having no effect, an outside client's finding, and
 * later custom models did: their table now samples F's growth at infinity). The
 * instant is read from a copy without the input, whose phase at the reported (rounded) time
 * may be the period only to rounding: an inhibitory input then put V + w at the period again
 * in the table, and the spike was reported as taken to threshold by it (flags 3, no gradient;
 * an outside check's finding). With a finite v_spike the neuron is at V = v_spike and takes the
 * input, as LIF's does: one that lowers V cancels the spike at that instant. */
static void test_tab_input_at_own_spike_instant(void **state) {
  const uint32_t models[3] = {SP_MODEL_EIF, SP_MODEL_CUSTOM, CUSTOM_EXP};
  const uint32_t frames[2] = {SP_FRAME_PHASE, SP_FRAME_TIME};
  const double weights[4] = {-3.0, -0.5, 0.5, -1e-12};
  const int quick = quick_mode();
  int m, f, k, q, checked = 0, ignored = 0;
  (void)state;
  for (m = 0; m < 3; ++m)
    for (f = 0; f < 2; ++f)
      for (k = 0; k < 50; k += models[m] == CUSTOM_EXP || quick ? 5 : 1) {
        /* (Every fifth start for the exponential custom F, whose tables are the slowest to
           build, and for every model with SP_TEST_QUICK=1, set for the emulated
           architectures in CI: under qemu-s390x 500 such tables took about 150 s.) */
        const double v0 = -0.4 + 0.02 * k;
        double g0[2], g1[2];
        sp_spike want, got;
        sp_network *control = tab_single(models[m], INFINITY, v0, 0.0, frames[f]);
        first_spike_grads(control, &want, g0);
        assert_int_equal(want.flags, 0);
        assert_true(g0[0] < 0 && g0[1] < 0); /* earlier for a higher start or drive */
        for (q = 0; q < 4; ++q) {
          sp_network *net = tab_single(models[m], INFINITY, v0, weights[q], frames[f]);
          /* (The order-keeping side's factor on the gradient of a spike that ignored it.) */
          const double scale = models[m] == SP_MODEL_CUSTOM ? 1.0 : exp(-weights[q] / 0.1);
          assert_int_equal(sp_input(net, 0, want.t), SP_OK);
          first_spike_grads(net, &got, g1);
          if (weights[q] < 0) {
            /* At V = +inf: ignored, the same spike with the same gradient. Else the reported
               time rounded the exact one down and V was finite (EIF: about V_T + 36 D_T one
               unit of phase before the blow-up): the input came first and delayed it. Never
               taken to threshold by it. */
            const int same = got.t == want.t;
            /* (An input taken where V is finite but large against it leaves the time and
               moves the gradient by its rounding. An EIF neuron ignoring it because it is due,
               its phase a few ulps below the period, V about V_T + 36 D_T = 4.6, had the factor
               G(V)/G(V + w) there, 0.75% off its limit for w = -3, until the tape marked it as
               at its spike, core/run.cpp.) */
            const double tol = 1e-9;
            if (got.flags != 0 || !(got.t >= want.t - 4 * DBL_EPSILON * want.t) ||
                (same && !(fabs(g1[0] - scale * g0[0]) <= tol * fabs(scale * g0[0]) &&
                           fabs(g1[1] - scale * g0[1]) <= tol * fabs(scale * g0[1]))))
              fail_msg("model %u frame %u v0 %.17g w %g: spike (%.17g, flags %u, grads %g %g), "
                       "want (%.17g, 0, %g %g) or a later spike",
                       models[m], frames[f], v0, weights[q], got.t, got.flags, g1[0], g1[1], want.t,
                       scale * g0[0], scale * g0[1]);
            ignored += same && weights[q] == -3.0;
          } else {
            /* At V = +inf ignored (flags 0), else carried past the cut-off (triggered). */
            const uint32_t trig = SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED;
            /* (Taken at V finite, its table look-ups may move the time by their rounding.) */
            if (!(fabs(got.t - want.t) <= 4 * DBL_EPSILON * want.t &&
                  (got.flags == 0 || got.flags == trig)))
              fail_msg("model %u frame %u v0 %.17g w %g: spike (%.17g, flags %u), want (%.17g, "
                       "0 or %u)",
                       models[m], frames[f], v0, weights[q], got.t, got.flags, want.t, trig);
            if (got.flags == 0)
              assert_true(fabs(g1[0] - scale * g0[0]) <= 1e-9 * fabs(scale * g0[0]) &&
                          fabs(g1[1] - scale * g0[1]) <= 1e-9 * fabs(scale * g0[1]));
          }
          sp_network_destroy(net);
          ++checked;
        }
        sp_network_destroy(control);
      }
  /* A finite v_spike (EIF, 1.5): an inhibitory input at the spike instant cancels it. */
  for (f = 0; f < 2; ++f) {
    sp_spike want, got;
    sp_network *control = tab_single(SP_MODEL_EIF, 1.5, 0.2, 0.0, frames[f]);
    sp_network *net = tab_single(SP_MODEL_EIF, 1.5, 0.2, -0.5, frames[f]);
    assert_int_equal(sp_step(control, &want), SP_OK);
    assert_int_equal(sp_input(net, 0, want.t), SP_OK);
    assert_int_equal(sp_step(net, &got), SP_OK);
    assert_true(got.t > want.t && got.flags == 0);
    sp_network_destroy(control);
    sp_network_destroy(net);
  }
  print_message("# %d inputs at a spike instant checked, %d of w = -3 kept the time\n", checked,
                ignored);
  assert_true(ignored >= 10); /* the case the fix is about is exercised */
}

/* ---- Found by an outside tester's random driver of the API (2026-12-02) ---- */

/* Saves net and loads the bytes: every state the engine makes must load. Returns the copy. */
static sp_network *saved_and_loaded(sp_network *net, const char *what) {
  static unsigned char buf[1 << 20]; /* (EIF and custom networks carry their tables) */
  size_t len = 0;
  sp_network *copy = NULL;
  assert_int_equal(sp_save(net, buf, sizeof buf, &len), SP_OK);
  if (sp_load(buf, len, NULL, &copy) != SP_OK) fail_msg("%s: sp_load: %s", what, sp_last_error());
  return copy;
}

/* One neuron with one input channel to it (weight w), tau = 10 ms. */
static void one_input_neuron(sp_network_desc *d, sp_model model, double drive, double w) {
  static const uint64_t in_row[2] = {0, 1};
  static const uint32_t in_tgt[1] = {0};
  sp_network_desc_init(d, sizeof *d);
  d->model = model;
  d->n = 1;
  d->tau = 0.01;
  d->drive = drive;
  d->n_inputs = 1;
  d->inputs.row_ptr = in_row;
  d->inputs.targets = in_tgt;
  d->inputs.weight = w;
}

/* The next spike of a neuron reset to V = 0 with current J and a drive of exactly 1, from the
 * ODE (tau dV/dt = -V + 1 + J, tau_s dJ/dt = -J): V(s) - 1 = e^(-s/tau) (J s/tau - 1) for
 * tau_s = tau, else V(s) - 1 = -(1 + A) e^(-s/tau) + A e^(-s/tau_s) with A = J tau_s/(tau_s -
 * tau); each has at most one root s > 0. Infinity when there is none. */
static long double next_spike_at_drive_one(long double j, long double tau, long double tau_s) {
  long double a, ratio, s;
  if (tau_s == tau) return j > 0 ? tau / j : INFINITY;
  a = j * tau_s / (tau_s - tau);
  ratio = a / (1 + a); /* e^(-s (1/tau_s - 1/tau)) at the root */
  if (!(ratio > 0)) return INFINITY;
  s = logl(ratio) / (1 / tau - 1 / tau_s);
  return s > 0 ? s : INFINITY;
}

/* Current-based synapses, a drive of exactly 1, V = 0 and J = 0 at t = 0, an input of weight w
 * then (J jumps by w tau/tau_s): the spikes and their count against the closed form above,
 * including roots beyond 745 tau, where e^(-s/tau) underflows. The solver read V - 1 there as 0,
 * "at threshold", and spiked at a point of its bisection instead: about 211 s for a true
 * crossing at 5e122 s (tau_s = tau); every such state was also refused by sp_load. */
static void test_syn_drive_exactly_one(void **state) {
  static const struct {
    double ratio, w; /* tau_s/tau and the input's weight */
    int spikes;      /* checked against the closed form */
    int then_none;   /* then no spike: J far below the smallest double, or no root */
  } cases[] = {
      {1.0, 0.5, 3, 1},    /* 0.02 s, 0.168 s, then at 3.8e5 s (3.8e7 tau) */
      {1.0, 1e-3, 1, 1},   /* at 10 s: 1000 tau */
      {2.0, 0.1, 5, 0},    /* the quadratic path's shape; J about squares at each spike */
      {2.0, 1e-217, 1, 1}, /* at 9.99 s: 999 tau */
      {3.7, 1e-300, 1, 1}, /* at 9.47 s */
      {3.7, 0.3, 4, 0},    {0.37, 0.8, 1, 1}, /* J above the reach needed (A < -1), once */
      {0.5, 0.9, 1, 1},
  };
  const double tau = 0.01, v0[1] = {0.0};
  size_t c;
  (void)state;
  for (c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
    sp_network_desc d;
    sp_network *net = NULL, *copy;
    long double t = 0, j, tau_s;
    int k;
    sp_spike sp;
    one_input_neuron(&d, SP_MODEL_LIF, 1.0, cases[c].w);
    d.tau_syn = tau * cases[c].ratio;
    d.v0 = v0;
    assert_int_equal(sp_network_create(&d, &net), SP_OK);
    assert_int_equal(sp_input(net, 0, 0.0), SP_OK);
    tau_s = d.tau_syn;
    j = cases[c].w / cases[c].ratio;
    for (k = 0; k <= cases[c].spikes; ++k) {
      long double s = next_spike_at_drive_one(j, tau, tau_s);
      sp_status st;
      copy = saved_and_loaded(net, "drive exactly 1");
      sp_network_destroy(copy);
      st = sp_step(net, &sp);
      if (k == cases[c].spikes) {
        if (!cases[c].then_none) break;
        /* (the case's claim: no root, or J below the smallest double, 2^-1074) */
        assert_true(!(s < INFINITY) || j < (long double)DBL_MIN * DBL_EPSILON);
        if (st != SP_ERR_STATE)
          fail_msg("tau_s/tau %g, w %g: a spike %d at %.17g, want none", cases[c].ratio, cases[c].w,
                   k + 1, sp.t);
        break;
      }
      t += s;
      if (st != SP_OK || !(fabsl(sp.t - t) <= 1e-12L * t))
        fail_msg("tau_s/tau %g, w %g: spike %d: %s, t = %.17g, want %.20Lg", cases[c].ratio,
                 cases[c].w, k + 1, sp_status_name(st), sp.t, t);
      j *= expl(-s / tau_s);
    }
    sp_network_destroy(net);
  }
}

/* QIF, tau dV/dt = V^2 + I: an input processed while the drive is tiny (the neuron spikes then,
 * with a period of 1e100 tau at 1e-200), the drive set back to 1 later. The spiker's clock at
 * its spike instant, computed under the old drive, stayed cached across the change: sp_load
 * refused the saved state ("clock value = 0 at 0.1564: the clock then is 15.64"), and a neuron
 * due at that instant afterwards would have been reset from the stale clock. From the voltage V
 * after the change, the next spike is at tau (pi/2 - atan(V)) (I = 1). (V itself is resolved to
 * about 1e-16 (I + V^2)/sqrt(I) under the tiny drive, README.md, State representation: -0.0119
 * at t = 1 reads as 0 at 1e-200, -1.6e-4 at 1e-40, to 1e-8 at 1e-20.) */
static void test_qif_clock_across_a_tiny_drive(void **state) {
  static const double tiny[3] = {1e-200, 1e-40, 1e-20};
  int k;
  (void)state;
  for (k = 0; k < 3; ++k) {
    sp_network_desc d;
    sp_network *net = NULL, *copy;
    sp_spike sp, sp_copy;
    size_t count = 0;
    double v, want;
    one_input_neuron(&d, SP_MODEL_QIF, 1.0, 5.0);
    assert_int_equal(sp_network_create(&d, &net), SP_OK);
    assert_int_equal(sp_input(net, 0, 0.1564), SP_OK);
    assert_int_equal(sp_set_drive(net, 0, tiny[k]), SP_OK);
    assert_int_equal(sp_run(net, 1.0, NULL, 0, &count), SP_OK);
    assert_int_equal(count, 1);
    assert_int_equal(sp_set_drive(net, 0, 1.0), SP_OK);
    assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
    if (!(v <= 0 && v > -0.02)) fail_msg("drive %g: V = %.17g", tiny[k], v);
    copy = saved_and_loaded(net, "QIF after a tiny drive");
    want = 1.0 + 0.01 * (2 * atan(1.0) - atan(v));
    assert_int_equal(sp_step(net, &sp), SP_OK);
    assert_close(sp.t, want, 1e-13);
    assert_int_equal(sp_step(copy, &sp_copy), SP_OK);
    assert_true(sp_copy.t == sp.t);
    sp_network_destroy(copy);
    sp_network_destroy(net);
  }
}

/* sp_run to exactly a spike time T leaves the spike to the next call; a drive change then (or
 * SP_PARAM_DRIVES) must leave the neuron due at T, whatever its voltage reads (with a drive of
 * 1.58e7 or 3.8e6, 1 plus or minus 5e-10: the drive's rounding) and whatever frame the new
 * drives select. Found by outside testers: the phase frame flagged only a tie with the
 * instant's spiker, not a key whose time is now() without an event there, so the next step
 * spiked it 2.3e-4 s early (V above 1, a new drive just above V: the loader refused the
 * state), up to 5.7e-3 s late (V below 1, a new drive just above 1), never (a new drive below
 * 1, which moves the network to the time frame), or keyed it NaN (V above a new drive of
 * 1 + 2^-52). Over the first 100 spikes, for each new drive, in each frame; every state must
 * load. */
static void test_spike_at_now_kept_across_a_drive_change(void **state) {
  static const uint32_t frames[3] = {SP_FRAME_AUTO, SP_FRAME_PHASE, SP_FRAME_TIME};
  static const double drives[2] = {0x1.cc292afa6317cp+21, 3769637.372259317};
  static const double next_drives[6] = {0x1.0000005796144p+0, 2e7, 1.0000000203927621, 0.5, 1.0,
                                        1.0 + 0x1p-52};
  int f, dr, nd, k, checked = 0, below = 0, above = 0, to_time = 0;
  (void)state;
  for (f = 0; f < 3; ++f)
    for (dr = 0; dr < 2; ++dr)
      for (nd = 0; nd < 6; ++nd)
        for (k = 0; k < 100; ++k) {
          sp_network_desc d;
          sp_network *net = NULL, *ahead, *copy;
          sp_spike sp, got;
          double v0[2] = {0.9, 0.3}, v, both[2];
          int j, pair = nd == 5;
          sp_network_desc_init(&d, sizeof d);
          d.model = SP_MODEL_LIF;
          d.n = pair ? 2 : 1;
          d.tau = 0.01;
          d.drive = drives[dr];
          d.v0 = v0;
          d.t_ref = k % 2 ? 0.004 : 0.0;
          d.frame = frames[f];
          if (frames[f] == SP_FRAME_PHASE && next_drives[nd] <= 1.0)
            d.frame = SP_FRAME_AUTO; /* (a forced phase frame refuses such drives) */
          assert_int_equal(sp_network_create(&d, &net), SP_OK);
          for (j = 0; j < k; ++j) assert_int_equal(sp_step(net, &sp), SP_OK);
          ahead = saved_and_loaded(net, "before T");
          assert_int_equal(sp_step(ahead, &sp), SP_OK); /* T */
          sp_network_destroy(ahead);
          assert_int_equal(sp_run(net, sp.t, NULL, 0, NULL), SP_OK);
          assert_int_equal(sp_voltage(net, sp.neuron, &v), SP_OK);
          both[sp.neuron] = next_drives[nd];
          both[1 - sp.neuron] = 2.0;
          if (pair)
            assert_int_equal(sp_set_params(net, SP_PARAM_DRIVES, both, 2), SP_OK);
          else
            assert_int_equal(sp_set_drive(net, 0, next_drives[nd]), SP_OK);
          below += v < 1.0;
          above += v > 1.0;
          to_time += d.frame != SP_FRAME_TIME && sp_network_frame(net) == SP_FRAME_TIME;
          copy = saved_and_loaded(net, "at T after a drive change");
          sp_network_destroy(copy);
          assert_int_equal(sp_step(net, &got), SP_OK);
          if (got.t != sp.t || got.neuron != sp.neuron)
            fail_msg("frame %u, drive %.17g, spike %d (V %.17g), new drive %.17g: next spike "
                     "(%.17g, %u), want (%.17g, %u)",
                     frames[f], drives[dr], k + 1, v, next_drives[nd], got.t, got.neuron, sp.t,
                     sp.neuron);
          ++checked;
          sp_network_destroy(net);
        }
  print_message("# %d drive changes at a spike time: V read below 1 in %d, above in %d; %d "
                "moved to the time frame\n",
                checked, below, above, to_time);
  /* the cases of the findings are exercised */
  assert_true(below >= 100 && above >= 100 && to_time >= 100);
}

/* QIF and EIF reach V = +inf at their spike time T, and a neuron at its spike ignores the inputs
 * of that instant. After sp_run to exactly T (which leaves the spike to the next call), an input
 * at T: the next spike is at T, in both frames. The phase frame compared keys, and a key above
 * the threshold key at T by T's rounding (V reading 4.74 instead of +inf, EIF) took the input
 * and spiked up to 4e-8 s late; the time frame compares times (an outside tester's random
 * driver, frames side by side). So did a QIF neuron flagged due by a drive change at T, whose
 * re-expressed state no longer read "at its spike". Over the first 60 spikes, for inputs of
 * either sign. */
static void test_input_at_a_spike_time_reached_by_a_run(void **state) {
  static const uint32_t models[3] = {SP_MODEL_QIF, SP_MODEL_EIF, SP_MODEL_CUSTOM};
  static const uint32_t frames[2] = {SP_FRAME_PHASE, SP_FRAME_TIME};
  static const double weights[3] = {-2.0, -0.5, 0.3};
  int m, f, q, k, checked = 0;
  (void)state;
  for (m = 0; m < 3; ++m)
    for (f = 0; f < 2; ++f)
      for (q = 0; q < 3; ++q)
        for (k = 0; k < 60; ++k) {
          sp_network *net, *ahead;
          sp_spike sp, got;
          int j;
          if (models[m] == SP_MODEL_QIF) {
            sp_network_desc d;
            one_input_neuron(&d, SP_MODEL_QIF, 2.5, weights[q]);
            d.frame = frames[f];
            d.t_ref = k % 2 ? 0.004 : 0.0;
            assert_int_equal(sp_network_create(&d, &net), SP_OK);
          } else {
            net = tab_single(models[m], INFINITY, 0.9, weights[q], frames[f]);
          }
          for (j = 0; j < k; ++j) assert_int_equal(sp_step(net, &sp), SP_OK);
          ahead = saved_and_loaded(net, "before T");
          assert_int_equal(sp_step(ahead, &sp), SP_OK); /* T */
          sp_network_destroy(ahead);
          assert_int_equal(sp_run(net, sp.t, NULL, 0, NULL), SP_OK);
          /* QIF: every third time drive changes at T first (the neuron stays due), through a
             drive so small that the re-expressed V reads 1.6e6, no longer at its spike */
          if (models[m] == SP_MODEL_QIF && k % 3 == 2) {
            assert_int_equal(sp_set_drive(net, 0, 1e-20), SP_OK);
            assert_int_equal(sp_set_drive(net, 0, k % 2 ? 1.0 : 1e6), SP_OK);
          }
          assert_int_equal(sp_input(net, 0, sp.t), SP_OK);
          assert_int_equal(sp_step(net, &got), SP_OK);
          if (got.t != sp.t)
            fail_msg("model %u, frame %u, w %g, spike %d: next spike at %.17g, want T = %.17g",
                     models[m], frames[f], weights[q], k + 1, got.t, sp.t);
          ++checked;
          sp_network_destroy(net);
        }
  assert_int_equal(checked, 3 * 2 * 3 * 60);
}

/* Drive changes at an instant T where some neurons are due: a neuron the change leaves at its
 * spike too comes after them at T, in index order (event rule 1), in either frame. QIF, drives
 * 100, V0 = 3, 3, 0.5; sp_run to exactly the first spike time T (neurons 0 and 1 due), then a
 * drive of 1e-200: neuron 2's V = 40.6 is re-expressed as a phase that rounds to pi, at its
 * spike (the phase resolves V only to about 1e-16 (I + V^2)/sqrt(I), README "State
 * representation"). The time frame keyed it at the frame's origin, before T, and spiked it
 * first (an outside tester's random driver, frames side by side). Through SP_PARAM_DRIVES
 * (every neuron) and sp_set_drive (neuron 2 alone: the others stay due at drive 100); the
 * state must load and continue alike. */
/* A neuron a spike took over threshold, whose own spike at that instant is still to come,
 * keeps the voltage the kick gave it across a drive change (the header: sp_voltage reports it,
 * sp_set_drive keeps it up to rounding, and the neuron stays due). Neuron 0 (V0 = 0, I = 1.2)
 * spikes at tau ln 6; neuron 1 (V0 = -0.5) then reads 1.2 - 1.7/6 + 0.9 after the kick of
 * 0.9. A LIF drive change used to re-express its state as the reset: it read 0 (an outside
 * client's check). Both frames, set_drive and set_params, with and without t_ref, drives that
 * keep the phase frame or leave it; the spike stays at the same time, triggered, and a copy
 * saved after the change continues the same. */
static void test_kicked_over_threshold_keeps_its_voltage_across_a_drive_change(void **state) {
  static const uint32_t frames[3] = {SP_FRAME_AUTO, SP_FRAME_PHASE, SP_FRAME_TIME};
  static const double next_drives[4] = {1.3, 0.7, 1.8, 5.0};
  const double t_spike = 0.01 * log(6.0), v_kicked = 1.2 - 1.7 / 6.0 + 0.9;
  int f, nd, via, tr, checked = 0;
  (void)state;
  for (f = 0; f < 3; ++f)
    for (nd = 0; nd < 4; ++nd)
      for (via = 0; via < 2; ++via)
        for (tr = 0; tr < 2; ++tr) {
          static uint64_t row_ptr[3] = {0, 1, 1};
          static uint32_t targets[1] = {1};
          sp_network_desc d;
          sp_network *net = NULL, *copy;
          sp_spike sp, got, got_copy;
          double v0[2] = {0.0, -0.5}, before, after, both[2];
          sp_network_desc_init(&d, sizeof d);
          d.model = SP_MODEL_LIF;
          d.n = 2;
          d.tau = 0.01;
          d.drive = 1.2;
          d.v0 = v0;
          d.t_ref = tr ? 0.002 : 0.0;
          d.recurrent.row_ptr = row_ptr;
          d.recurrent.targets = targets;
          d.recurrent.weight = 0.9;
          d.frame = frames[f];
          assert_int_equal(sp_network_create(&d, &net), SP_OK);
          assert_int_equal(sp_step(net, &sp), SP_OK);
          assert_int_equal(sp.neuron, 0);
          assert_close(sp.t, t_spike, 1e-15);
          assert_int_equal(sp_voltage(net, 1, &before), SP_OK);
          assert_close(before, v_kicked, 1e-15);
          if (via) {
            both[0] = 1.2;
            both[1] = next_drives[nd];
            assert_int_equal(sp_set_params(net, SP_PARAM_DRIVES, both, 2), SP_OK);
          } else {
            assert_int_equal(sp_set_drive(net, 1, next_drives[nd]), SP_OK);
          }
          assert_int_equal(sp_voltage(net, 1, &after), SP_OK);
          if (!(fabs(after - before) <= 0x1p-50 * fmax(fabs(before), next_drives[nd])))
            fail_msg("frame %u, drive 1.2 -> %g (%s), t_ref %g: voltage %.17g, then %.17g",
                     frames[f], next_drives[nd], via ? "set_params" : "set_drive", d.t_ref, before,
                     after);
          copy = saved_and_loaded(net, "due after a drive change");
          assert_int_equal(sp_step(net, &got), SP_OK);
          assert_int_equal(got.neuron, 1);
          assert_true(got.t == sp.t);
          assert_int_equal(got.flags, SP_SPIKE_TRIGGERED);
          assert_int_equal(sp_step(copy, &got_copy), SP_OK);
          assert_true(got_copy.t == got.t && got_copy.neuron == got.neuron &&
                      got_copy.flags == got.flags);
          sp_network_destroy(copy);
          sp_network_destroy(net);
          ++checked;
        }
  assert_int_equal(checked, 3 * 4 * 2 * 2);
}

static void test_due_neurons_keep_index_order_across_a_drive_change(void **state) {
  static const uint32_t frames[2] = {SP_FRAME_AUTO, SP_FRAME_TIME};
  int f, how;
  (void)state;
  for (f = 0; f < 2; ++f)
    for (how = 0; how < 2; ++how) {
      sp_network_desc d;
      sp_network *net = NULL, *ahead, *copy;
      sp_spike sp, got, got_copy;
      double drives[3] = {100, 100, 100}, v0[3] = {3, 3, 0.5}, tiny[3] = {1e-200, 1e-200, 1e-200};
      uint32_t j;
      sp_network_desc_init(&d, sizeof d);
      d.model = SP_MODEL_QIF;
      d.n = 3;
      d.tau = 0.01;
      d.drives = drives;
      d.v0 = v0;
      d.frame = frames[f];
      assert_int_equal(sp_network_create(&d, &net), SP_OK);
      ahead = saved_and_loaded(net, "before T");
      assert_int_equal(sp_step(ahead, &sp), SP_OK); /* T: neuron 0 (neuron 1 ties) */
      sp_network_destroy(ahead);
      assert_int_equal(sp.neuron, 0);
      assert_int_equal(sp_run(net, sp.t, NULL, 0, NULL), SP_OK);
      if (how == 0)
        assert_int_equal(sp_set_params(net, SP_PARAM_DRIVES, tiny, 3), SP_OK);
      else
        assert_int_equal(sp_set_drive(net, 2, 1e-200), SP_OK);
      copy = saved_and_loaded(net, "after the drive change");
      for (j = 0; j < 3; ++j) {
        assert_int_equal(sp_step(net, &got), SP_OK);
        if (got.neuron != j || got.t != sp.t)
          fail_msg("frame %u, %s: spike %u at T is neuron %u at %.17g, want neuron %u at "
                   "T = %.17g",
                   frames[f], how ? "sp_set_drive" : "SP_PARAM_DRIVES", j, got.neuron, got.t, j,
                   sp.t);
        assert_int_equal(sp_step(copy, &got_copy), SP_OK);
        assert_int_equal(got_copy.neuron, got.neuron);
        assert_true(got_copy.t == got.t);
      }
      sp_network_destroy(copy);
      sp_network_destroy(net);
    }
}

/* Event rule 3: a LIF neuron that spiked at t ignores inputs in [t, t + t_ref], the end being
 * the double sum t + t_ref (the header). An input at that double is ignored even where the
 * exact sum lies below it (the cases here are chosen so: t + t_ref rounded up), and one an ulp
 * later is taken: V a little later is the free rise from 0 at the end, without or with the
 * input's kick, in closed form. Both frames. (An outside client found the rule stated only for
 * current-based synapses.) */
static void test_input_at_the_double_refractory_end(void **state) {
  const double tau = 1.0, drive = 1.5, w = 0.25, d = 0.01;
  int frame, found = 0;
  (void)state;
  for (frame = 0; frame < 2; ++frame) {
    int k;
    for (k = 1; k < 200; ++k) {
      const double t_ref = 0.1 + 0.01 * k;
      static uint64_t row_ptr[2] = {0, 1};
      static uint32_t targets[1] = {0};
      double v0 = 0.9, v, r, b_part, err;
      int later;
      sp_network_desc desc;
      sp_network *net = NULL;
      sp_spike s;
      sp_network_desc_init(&desc, sizeof desc);
      desc.model = SP_MODEL_LIF;
      desc.n = 1;
      desc.tau = tau;
      desc.t_ref = t_ref;
      desc.drive = drive;
      desc.v0 = &v0;
      desc.n_inputs = 1;
      desc.inputs.row_ptr = row_ptr;
      desc.inputs.targets = targets;
      desc.inputs.weight = w;
      desc.frame = frame ? SP_FRAME_TIME : SP_FRAME_PHASE;
      assert_int_equal(sp_network_create(&desc, &net), SP_OK);
      assert_int_equal(sp_step(net, &s), SP_OK);
      r = s.t + t_ref;
      b_part = r - s.t;
      err = (s.t - (r - b_part)) + (t_ref - b_part); /* exact sum - r (two-sum) */
      sp_network_destroy(net);
      if (!(err < 0)) continue; /* the double sum rounded down or was exact */
      ++found;
      for (later = 0; later < 2; ++later) {
        const double at = later ? nextafter(r, INFINITY) : r;
        double want = drive * (1 - exp(-(r + d - r) / tau));
        assert_int_equal(sp_network_create(&desc, &net), SP_OK);
        assert_int_equal(sp_step(net, &s), SP_OK);
        assert_int_equal(sp_input(net, 0, at), SP_OK);
        assert_int_equal(sp_run(net, r + d, NULL, 0, NULL), SP_OK);
        assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
        if (later) want += w * exp(-(r + d - at) / tau);
        if (!(fabs(v - want) <= 1e-12))
          fail_msg("frame %d, t_ref %g: an input at %s the end (%.17g) leaves V = %.17g a little "
                   "later, want %.17g",
                   frame, t_ref, later ? "an ulp after" : "exactly", r, v, want);
        sp_network_destroy(net);
      }
      break;
    }
  }
  assert_int_equal(found, 2); /* one rounded-up case per frame */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_drive_change_after_long_silence),
      cmocka_unit_test(test_drive_change_keeps_the_voltage),
      cmocka_unit_test(test_drive_change_at_a_rebase_keeps_the_voltage),
      cmocka_unit_test(test_kept_due_by_a_drive_change_reports_its_own_spike),
      cmocka_unit_test(test_tie_stays_due_across_a_drive_change),
      cmocka_unit_test(test_inhibited_tie_after_a_drive_change),
      cmocka_unit_test(test_input_after_long_silence),
      cmocka_unit_test(test_gradient_after_long_silence),
      cmocka_unit_test(test_end_voltage_gradient_after_long_silence),
      cmocka_unit_test(test_shared_inhibitory_row_as_per_synapse),
      cmocka_unit_test(test_eif_due_tie_far_from_an_input_instant),
      cmocka_unit_test(test_qif_input_at_own_spike_instant),
      cmocka_unit_test(test_lif_input_at_another_neurons_spike_time),
      cmocka_unit_test(test_tab_input_at_own_spike_instant),
      cmocka_unit_test(test_syn_drive_exactly_one),
      cmocka_unit_test(test_qif_clock_across_a_tiny_drive),
      cmocka_unit_test(test_spike_at_now_kept_across_a_drive_change),
      cmocka_unit_test(test_kicked_over_threshold_keeps_its_voltage_across_a_drive_change),
      cmocka_unit_test(test_input_at_a_spike_time_reached_by_a_run),
      cmocka_unit_test(test_due_neurons_keep_index_order_across_a_drive_change),
      cmocka_unit_test(test_custom_v0_below_the_clamp),
      cmocka_unit_test(test_constant_f_over_wide_ranges),
      cmocka_unit_test(test_triggered_neuron_reads_v_spike),
      cmocka_unit_test(test_input_at_the_double_refractory_end),
  };
  return cmocka_run_group_tests_name("edge_cases", tests, NULL, NULL);
}
