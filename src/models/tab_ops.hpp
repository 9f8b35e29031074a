// The tabulated models' glue to the network (Ops<Tabulated>, see models/room.hpp): EIF and
// custom F, run on the phase tables of models/tabulated/table.hpp, one per distinct drive.
// The phase is the time since reset in units of tau along the free trajectory, so the clock is
// s = (t - t0)/tau (linear, like QIF's) and the co-moving state x = phi - s is constant between
// events; the neuron spikes when phi = x + s reaches the period T_I. An input of weight w is
// phi' = phi(V(phi) + w): one polynomial of the kick map for the shared weight
// (tabulated/kick_map.hpp) where it resolves phi, else two table look-ups.
#pragma once
#include <cmath>

#include "common/error.hpp"
#include "common/rounding.hpp"
#include "core/network.hpp"
#include "models/room.hpp"
#include "models/tabulated/table.hpp"

namespace sp {

// The tag of the tabulated models (SP_MODEL_EIF, SP_MODEL_CUSTOM): their mathematics is the
// table (models/tabulated/).
struct Tabulated {};

template <>
struct Ops<Tabulated> {
  using Model = Tabulated;
  static constexpr const char *kName = "EIF/custom";
  // An input that carries V past the threshold or cut-off fires the neuron at that instant.
  static constexpr bool kInputsCanFire = true;
  static constexpr bool kBatchedDelivery = false;
  static constexpr bool kNegativeWeightDelays = false;  // (tabulated kicks: not shown either)
  // A neuron at its spike at an instant (due by its own key, or its phase x + s at the period
  // to rounding: the table's V is then v_spike): with a finite v_spike it takes that instant's
  // inputs as a LIF neuron at V = 1 does (one that lowers V cancels the spike, one that raises
  // it makes it triggered); with the blow-up it is at V = +inf, which no finite input changes
  // (the table would put V + w at the period again, and an inhibitory input would seem to have
  // taken it to threshold), so it ignores them and spikes on its own, as QIF's does.
  static constexpr bool kDueIgnoresInputs = true;
  static bool ignores_at_spike(const Network &net, bool due, double x, double drive, double s) {
    if (net.tables[0]->v_spike < INFINITY) return false;  // (every table has the model's)
    return due || x + s >= table(net, drive).period;
  }
  // Phase frame (one drive, one period): the key is -x, the most advanced phase first.
  static constexpr double kPhaseKeySign = -1.0;
  static constexpr BucketQueue::Scale kPhaseKeyScale = BucketQueue::Scale::Linear;
  // The period comes from the table, built with the network (create checks it then).
  static constexpr bool kClosedFormPeriod = false;
  static double closed_form_period(double, double) { return NAN; }

  // Built with the network: one phase table per distinct drive, at most kMaxTables.
  static constexpr bool kTables = true;
  static constexpr uint32_t kMaxTables = 64;

  // The parameters of the table for `drive` (model_params NULL: EIF's defaults).
  static TableParams table_params(uint32_t model, const sp_model_params *p, double drive) {
    TableParams t{};
    t.kind = model == SP_MODEL_EIF ? TableKind::kEif : TableKind::kCustom;
    t.drive = drive;
    t.v_reset = p ? p->v_reset : 0.0;
    t.v_spike = p ? p->v_spike : INFINITY;
    t.delta_t = p ? p->delta_t : 0.1;
    t.v_t = p ? p->v_t : 1.0;
    t.f = p ? p->f : nullptr;
    t.df = p ? p->df : nullptr;
    t.ctx = p ? p->ctx : nullptr;
    t.v_min = NAN;
    return t;
  }
  // The distinct drives of a description, increasing, with the bytes of each one's table
  // (which runs the table's fit); refuses more than kMaxTables drives and drives or parameters
  // that cannot be tabulated (excitable neurons among them), naming the drive.
  static sp_status desc_tables(const sp_network_desc &d, double *drives, size_t *bytes,
                               uint32_t *count) {
    uint32_t m = 0;
    for (uint32_t i = 0; i < d.n; ++i) {
      double drive = d.drives ? d.drives[i] : d.drive;
      uint32_t k = 0;
      while (k < m && drives[k] < drive) ++k;
      if (k < m && drives[k] == drive) continue;
      if (m == kMaxTables)
        return fail(SP_ERR_UNSUPPORTED,
                    "drives[%u] = %.17g: a distinct drive beyond the first %u (%s neurons have "
                    "one phase table per drive, at most %u)",
                    i, drive, kMaxTables, kName, kMaxTables);
      for (uint32_t j = m; j > k; --j) drives[j] = drives[j - 1];
      drives[k] = drive;
      ++m;
      if (!d.drives) break;
    }
    for (uint32_t k = 0; k < m; ++k) {
      TableError err{};
      bytes[k] = table_bytes(table_params(d.model, d.model_params, drives[k]), &err);
      if (bytes[k] == 0)
        return fail(table_status(err), "drive = %.17g: no phase table: %s", drives[k], err.message);
    }
    *count = m;
    return SP_OK;
  }
  // A drive change to a drive without a table is refused (no allocation after creation).
  static sp_status check_drive_available(const Network &net, double drive, const char *label) {
    if (has_table(net, drive)) return SP_OK;
    return fail(SP_ERR_UNSUPPORTED,
                "%s = %.17g: no phase table for this drive (%s networks tabulate their drives "
                "at creation; give every drive a neuron will use in the description)",
                label, drive, kName);
  }

  // The table of a drive that has one (every neuron's drive does: sp_set_drive refuses others).
  static uint32_t table_index(const Network &net, double drive) {
    if (net.n_tables == 1) return 0;
    uint32_t lo = 0, hi = net.n_tables - 1;
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      if (net.table_drive[mid] < drive)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
  static const Table &table(const Network &net, double drive) {
    return *net.tables[table_index(net, drive)];
  }
  // Whether the network has a table for this drive.
  static bool has_table(const Network &net, double drive) {
    for (uint32_t k = 0; k < net.n_tables; ++k)
      if (net.table_drive[k] == drive) return true;
    return false;
  }

  // Excitable neurons are refused when their table is built: every drive that runs oscillates.
  static bool oscillatory(double) { return true; }
  static double period(const Network &net, double drive) {
    return net.tau * table(net, drive).period;
  }
  // Seeded initial voltage at the phase frac T_I.
  static double seeded_voltage(const Network &net, double drive, double frac) {
    const Table &tab = table(net, drive);
    double phi = frac * tab.period;
    if (!(phi < tab.period)) phi = std::nextafter(tab.period, 0.0);
    return tab.voltage(phi);
  }

  static double clock(const Network &net, double t) { return (t - net.t0) / net.tau; }
  static double after_refractory(const Network &net, double s) { return s + net.t_ref / net.tau; }
  static double phase_key(double x) { return -x; }
  static double phase_clock(const Network &net, double key) {
    return table(net, net.drive[0]).period + key;
  }
  static double phase_threshold_key(const Network &net, double s) {
    return s - table(net, net.drive[0]).period;
  }
  static double phase_key_time(const Network &net, double key) {
    return net.t0 + net.tau * (table(net, net.drive[0]).period + key);
  }
  struct Kick {
    const Table *tab;
    const KickMap *map;  // the table's kick map when it is for w, else nullptr
    double w, s;
  };
  static Kick kick(const Network &net, double w, double drive, double s) {
    const uint32_t k = table_index(net, drive);
    const KickMap *map = net.kick_maps && net.kick_maps[k].weight == w ? &net.kick_maps[k]
                                                                       : nullptr;
    return Kick{net.tables[k], map, w, s};
  }
  // One polynomial where the kick map resolves the phase, else the two look-ups. Past the
  // threshold or cut-off (never on a resolved segment) the table's phase is T_I itself, so the
  // state is then exactly T_I - s, which at_threshold recognises.
  // (Always inline: GCC left it a call per delivery.)
  __attribute__((always_inline)) static double apply(double x, const Kick &k) {
    const double phi = x + k.s;
    double d;
    if (k.map && k.map->shift(phi, &d)) return x + d;
    return k.tab->phase(k.tab->voltage(phi) + k.w) - k.s;
  }
  static bool at_threshold(const Network &net, double x, double drive, double s) {
    return x >= threshold_phase(net, drive, s);
  }
  // A neuron due at an instant on its own takes the instant's inputs with a finite v_spike
  // (ignores_at_spike).
  static bool due_takes_inputs(const Network &net) { return net.tables[0]->v_spike < INFINITY; }
  // Phase frame: a key at or above every key whose spike time (phase_key_time) is at most dt
  // after the time of the threshold key at clock value s (the event loop's cheap test).
  static double phase_key_bound(const Network &net, double s, double dt) {
    const double k = phase_threshold_key(net, s);
    return k + dt / net.tau + 1e-12 * (std::fabs(k) + std::fabs(s) + 1.0);
  }
  // at_threshold(x) is x >= this (and, with the blow-up, x + s >= T_I in ignores_at_spike).
  static double threshold_phase(const Network &net, double drive, double s) {
    return table(net, drive).period - s;
  }
  static double held_state(const Network &, double, double s) { return -s; }
  // (The held phase does not depend on the drive: it keeps its exact refractory end's clock.)
  static double held_state_for(const Network &, double x, double, double, double) { return x; }
  static double reset_after_spike(const Network &net, double, double s) {
    return -after_refractory(net, s);
  }
  static double spike_time(const Network &net, double x, double drive) {
    return net.t0 + net.tau * (table(net, drive).period - x);
  }
  static double neuron_spike_time(const Network &net, uint32_t i) {
    return spike_time(net, net.neuron[i].state, net.drive[i]);
  }
  static double voltage(const Network &net, double x, double drive, double s) {
    return table(net, drive).voltage(x + s);
  }
  static double from_voltage(const Network &net, double v, double drive, double s) {
    return table(net, drive).phase(v) - s;
  }
  static double neuron_voltage(const Network &net, uint32_t i, double t) {
    const double x = net.neuron[i].state, s = clock(net, t);
    // A neuron an input took to a finite v_spike (due, it spikes at now() at the next step)
    // reads v_spike itself, as the header says. The loop tested x >= period - s with the
    // instant's clock, which may be a spiker's own clock (spiker_clock, cached for the
    // instant), a rounding away from (t - t0)/tau: with that, x + s read 1e-15 below the period
    // and V 0.999999999999999 for v_spike = 1 (an outside tester's cascade).
    const Table &tab = table(net, net.drive[i]);
    const double s_instant = net.clock_time == t ? net.clock_value : s;
    if (tab.v_spike < INFINITY && at_threshold(net, x, net.drive[i], s_instant)) return tab.v_spike;
    return tab.voltage(x + s);
  }
  static double reset_voltage(const Network &net, double drive) {
    return table(net, drive).v_reset;
  }
  // (t, the spike's time, is not needed: the phase is in units of tau, the clock its rest.)
  static double spiker_clock(const Network &net, double x, double drive, double /*t*/) {
    return table(net, drive).period - x;
  }

  // The clock s = (t - t0)/tau is re-based at 8 intervals of the fastest neurons: each spike
  // rounds its neuron's phase x = phi - s to an ulp of s, so a neuron spiking every P (its
  // table's period plus t_ref, in tau) drifts by about 2^-53 s_max/P of that interval per
  // interval, and s_max = 8 P keeps it to a few ulps. But a re-base is an O(N) pass, and adds
  // an event to a recording's tape when events are further apart than the span, so one outlier
  // drive must not shrink it without bound: the span is at least 1/8 of the slowest interval
  // (at most 64 times as many passes as at the slowest table's own 8 intervals) and at most 32
  // tau. Only tables some neuron runs at count (table_users): a drive the network was created
  // with for later use, by no neuron now, does not shorten it.
  static double rebase_span(const Network &net) {
    const double t_ref = net.t_ref / net.tau;
    double shortest = INFINITY, longest = 0;
    for (uint32_t k = 0; k < net.n_tables; ++k) {
      if (!net.table_users[k]) continue;
      shortest = std::fmin(shortest, net.tables[k]->period + t_ref);
      longest = std::fmax(longest, net.tables[k]->period + t_ref);
    }
    const double span = std::fmax(8.0 * shortest, longest / 8.0);
    return net.tau * std::fmin(span, 32.0);
  }
  static double rebase(Network &net, double t) {
    double d = exact_span(t, net.t0, net.tau);
    for (uint32_t i = 0; i < net.n; ++i) net.neuron[i].state += d;
    net.t0 = t;
    net.clock_time = NAN;
    if (net.frame == SP_FRAME_PHASE) {
      net.cur_key -= d;
      net.spike_queue.rebuild();
    }
    return d;
  }

  // Value checks beyond finiteness: the numeric range here, as LIF's (a table's own check
  // would refuse it as an argument); the drives' tables are checked when they are built
  // (create) and when a drive changes (has_table).
  static sp_status check_drive(double drive, const char *label) {
    if (std::fabs(drive) > kMaxMagnitude)
      return fail(SP_ERR_NUMERIC, "%s = %.*g: %s drives above %g in magnitude are not supported",
                  label, exact_digits(drive), drive, kName, kMaxMagnitude);
    return SP_OK;
  }
  // The status of a drive without a table (TableError): SP_ERR_NUMERIC for a free period that
  // is not finite or below the time resolution, as for the closed-form models.
  static sp_status table_status(const TableError &err) {
    if (err.status == TableStatus::kArgument) return SP_ERR_ARGUMENT;
    if (err.status == TableStatus::kPeriod) return SP_ERR_NUMERIC;
    return SP_ERR_UNSUPPORTED;
  }
  // A kick maps V + w back to a phase; below the table that is phi_lo - log1p((v_lo - V) /
  // (I - v_lo)), which overflows to -inf for |w| near the largest double (a fuzz_create finding:
  // w = -1e308 gave a state of -inf the loader refused). LIF's bound keeps it finite.
  static bool weight_in_range(double w) { return std::fabs(w) <= kMaxMagnitude; }
  static sp_status check_weight(double w, const char *label) {
    if (!weight_in_range(w))
      return fail(SP_ERR_NUMERIC,
                  "%s = %.*g: EIF and custom-model weights above %g in magnitude are not supported",
                  label, exact_digits(w), w, kMaxMagnitude);
    return SP_OK;
  }
  static bool v0_in_range(double) { return true; }
  static sp_status check_v0(double, const char *) { return SP_OK; }
  static bool phase_refractory_ok(double, double) { return true; }
  static sp_status check_phase_refractory(double, double) { return SP_OK; }

  // The loader's checks of a saved state (io/save_load.cpp; the tables are checked as they are
  // read): clocks and phases take any finite value, and so does v0.
  static bool loaded_clock_ok(double) { return true; }
  static constexpr bool kLoadedZeroClockIsNone = false;
  // A phase's rounding, in units of tau, that the loader allows for (see Ops<Qif>): every
  // phase moves by the same d at a re-base and is rounded there, to an ulp of its size, which
  // the longest period bounds (plus the re-base span, 32 tau at most). Within the tolerance
  // for periods of order 1, not for a drive near a saddle-node: F = |V|^7 at a drive of
  // 1.44e-14 has a period of some 7e11 tau, an ulp of 1.2e-4 tau, and a key saved 1e-6 s from
  // its recomputation was refused (an outside fuzzer). Re-bases come at least 8 times the
  // shortest period (or 32 tau) apart: about now/that of them, counted four times over.
  static double loaded_phase_rounding(const Network &net, double now) {
    double shortest = INFINITY, longest = 0;
    for (uint32_t k = 0; k < net.n_tables; ++k) {
      shortest = std::fmin(shortest, net.tables[k]->period);
      longest = std::fmax(longest, net.tables[k]->period);
    }
    const double span = std::fmin(8.0 * shortest, 32.0) * net.tau;
    const double rebases = now > 0 && span > 0 ? now / span : 0;
    return 4 * (rebases + 1) * ulp_of(longest + 32.0);
  }
  // (omega = 1: an own clock carries that rounding as it is.)
  static double loaded_clock_slack(double rounding, double) { return rounding; }
  static double loaded_key_drift(const Network &net, uint32_t, double rounding) {
    return rounding * net.tau;
  }
  static constexpr const char *kLoadedClockRule = "";
  static bool loaded_phase_due_key_ok(double) { return true; }
  // The first event re-bases every phase by (now - t0)/tau: far from overflowing, as every
  // phase must be (see Ops<Qif>).
  static sp_status check_loaded_span(const Network &, uint32_t, double now, double t0, double tau) {
    double shift = exact_span(now, t0, tau);
    if (shift <= kLoadedPhaseLimit) return SP_OK;
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: t0 = %.17g, now = %.17g: the phases would move by "
                "%g at the next event (at most %g)",
                t0, now, shift, kLoadedPhaseLimit);
  }
  static constexpr const char *kLoadedPhaseDueKeyRule = "";
  static sp_status check_loaded_v0(double, double, uint32_t) { return SP_OK; }
  // The due key is the threshold key s - T_I of its instant; a spiker's own key stands for it
  // (its clock came from the key, not from the rounded time).
  static double loaded_due_key(const Network &net, double key_time, double t0, double tau,
                               double s_err, double *tol) {
    const double expect = phase_threshold_key(net, (key_time - t0) / tau);
    *tol = 1e-6 * (std::fabs(expect) + table(net, net.drive[0]).period) + 2 * s_err;
    return expect;
  }
  static sp_status check_loaded_state(const Network &net, uint32_t i, bool, double) {
    return check_loaded_phase(net.neuron[i].state, i);
  }
};

}  // namespace sp
