// The QIF model's glue to the network (Ops<Qif>, see models/room.hpp): its clock, kicks (batched
// through models/qif_batch.hpp), resets, queue keys, re-basing and value checks.
#pragma once
#include <cmath>

#include "common/error.hpp"
#include "common/rounding.hpp"
#include "core/network.hpp"
#include "models/qif.hpp"
#include "models/qif_batch.hpp"
#include "models/room.hpp"

namespace sp {

template <>
struct Ops<Qif> {
  using Model = Qif;
  static constexpr const char *kName = "QIF";
  // A finite input never carries a QIF neuron to phi = pi.
  static constexpr bool kInputsCanFire = false;
  // An input is two transcendental functions: a row whose targets share one kick (phase frame,
  // shared weight, no target twice) is kicked in batches (apply_batch).
  static constexpr bool kBatchedDelivery = true;
  // (A negative kick delays the phase, but its rounding is not shown to keep the key's order.)
  static constexpr bool kNegativeWeightDelays = false;
  // A neuron due at an instant is at V = +inf (phase pi), where a finite input changes nothing:
  // it ignores that instant's inputs and spikes. (Kicked, a phase rounded just past pi would
  // wrap to -pi: the spike was lost.)
  static constexpr bool kDueIgnoresInputs = true;
  // Whether an input to a neuron with state x ignores it (due: its key is the instant's).
  static bool ignores_at_spike(const Network &, bool due, double, double, double) { return due; }
  // Phase frame: the key is -x, the most advanced phase first; linear in time.
  static constexpr double kPhaseKeySign = -1.0;
  static constexpr BucketQueue::Scale kPhaseKeyScale = BucketQueue::Scale::Linear;

  static bool oscillatory(double drive) { return Qif::oscillatory(drive); }
  // The free period: in closed form from the drive alone (validate() checks it before the
  // network exists), and for the network.
  static constexpr bool kClosedFormPeriod = true;
  // No tables, no model parameters.
  static constexpr bool kTables = false;
  static sp_status desc_tables(const sp_network_desc &, double *, size_t *, uint32_t *count) {
    *count = 0;
    return SP_OK;
  }
  static sp_status check_drive_available(const Network &, double, const char *) { return SP_OK; }
  static double closed_form_period(double drive, double tau) { return Qif::period(drive, tau); }
  static double period(const Network &net, double drive) { return Qif::period(drive, net.tau); }
  // Seeded initial voltage: the phase -pi + 2 pi frac.
  static double seeded_voltage(const Network &, double drive, double frac) {
    double phi = -kPi + 2.0 * kPi * frac;
    return std::sqrt(drive) * std::tan(0.5 * phi);
  }

  // Clock value s = (t - t0)/tau; neuron i's phase is x_i + omega_i s.
  static double clock(const Network &net, double t) { return (t - net.t0) / net.tau; }
  static double after_refractory(const Network &net, double s) { return s + net.t_ref / net.tau; }
  static double phase_key(double x) { return -x; }
  static double phase_clock(const Network &net, double key) {
    return (kPi + key) / Qif::omega(net.drive[0]);
  }
  static double phase_threshold_key(const Network &net, double s) {
    return Qif::omega(net.drive[0]) * s - kPi;
  }
  static double phase_key_time(const Network &net, double key) {
    return net.t0 + net.tau * (kPi + key) / Qif::omega(net.drive[0]);
  }
  using Kick = Qif::Kick;
  static Kick kick(const Network &, double w, double drive, double s) {
    return Qif::kick(w, drive, s);
  }
  static double apply(double x, const Kick &k) { return Qif::apply(x, k); }
  // y[j] = apply(x[j], k) for j < n.
  static void apply_batch(const double *x, double *y, uint32_t n, const Kick &k) {
    qif_apply_batch(x, y, n, k);
  }
  static bool at_threshold(const Network &, double, double, double) { return false; }
  // (The QIF clock is linear in time: a refractory end never overflows it.)
  static double held_state(const Network &, double drive, double s) { return Qif::reset(drive, s); }
  // Held phase x = -pi - omega s* re-expressed for a new drive, s* the exact refractory end's
  // clock read back from x (not from the rounded end: see Ops<Lif>::held_state_for).
  // Used where the phase resolves that clock better than the end's rounding does (4 ulps of
  // the end; the phase's rounding is worth 2^-52 (pi + |x|)/omega of it, which a tiny drive
  // makes huge: a drive of 4e-45 left x = -pi, s = 0, and the neuron that had just spiked due
  // again, test_random_calls_always_reload under another libm), and agrees with it.
  static double held_state_for(const Network &net, double x, double drive_old, double drive,
                               double end) {
    const double w = Qif::omega(drive_old), s = (-kPi - x) / w, s_end = clock(net, end);
    const double by_end = 4.0 * ulp_of(end) / net.tau,
                 by_phase = 0x1p-52 * (kPi + std::fabs(x)) / w;
    if (w > 0.0 && s >= 0.0 && by_phase <= by_end &&
        std::fabs(s - s_end) <= by_end + 4.0 * by_phase)
      return held_state(net, drive, s);
    return held_state(net, drive, s_end);
  }
  static double reset_after_spike(const Network &net, double drive, double s) {
    return Qif::reset(drive, after_refractory(net, s));
  }
  static double spike_time(const Network &net, double x, double drive) {
    return Qif::spike_time(x, drive, net.t0, net.tau);
  }
  static double neuron_spike_time(const Network &net, uint32_t i) {
    return spike_time(net, state_of(net, i), drive_of(net, i));
  }
  static double neuron_voltage(const Network &net, uint32_t i, double t) {
    return voltage(net, state_of(net, i), drive_of(net, i), clock(net, t));
  }
  static double voltage(const Network &, double x, double drive, double s) {
    return Qif::voltage(x, drive, s);
  }
  static double from_voltage(const Network &, double v, double drive, double s) {
    return Qif::from_voltage(v, drive, s);
  }
  // The voltage at phase -pi: -inf in exact arithmetic, about -1.6e16 sqrt(I) in doubles.
  static double reset_voltage(const Network &, double drive) {
    return Qif::voltage(-kPi, drive, 0.0);
  }
  // The clock at which a neuron with state x reaches phase pi, its spike at t (see
  // Ops<Lif>::spiker_clock). It carries the phase's rounding divided by omega, which can leave
  // it further from t's clock (t - t0)/tau than t's rounding and 1e-9 of the clock explain:
  // then t's clock is used. A drive of 9e-46 kicked to pi by an input at t = 1.1e10 s left a
  // phase within an ulp of pi, a clock of 0 against t's 4.59 (cached for the instant, it moved
  // the kicks of that instant's deliveries and the next spiker's reset: an outside fuzzer); a
  // drive of 1e-8 beside one of 1e4, after 5e5 re-bases, a clock 1e-8 off (a reviewer). A run
  // split at that spike makes the same choice (the same state, t and t0).
  static double spiker_clock(const Network &net, double x, double drive, double t) {
    // (Called at every own spike of the time frame: the relative test first, so that t's ulp,
    // a libm call, is taken only when it decides.)
    const double own = (kPi - x) / Qif::omega(drive), at_t = clock(net, t);
    const double off = std::fabs(own - at_t), rel = 1e-9 * (1.0 + std::fabs(at_t));
    return off <= rel || off <= rel + 16.0 * ulp_of(t) / net.tau ? own : at_t;
  }

  // Keep the phase offsets omega (t - t0)/tau below about 64 radians (so it depends on the
  // largest drive).
  static double rebase_span(const Network &net) {
    double max_drive = 0;
    for (uint32_t i = 0; i < net.n; ++i)
      if (drive_of(net, i) > max_drive) max_drive = drive_of(net, i);
    return net.tau * 64.0 / Qif::omega(max_drive);
  }
  // Moves t0 to t (t > t0): x_i += omega_i d with d = (t - t0)/tau, returned for the tape. t0
  // stays an exact double (the time of an event); d is computed from the exact difference.
  static double rebase(Network &net, double t) {
    double d = exact_span(t, net.t0, net.tau);
    if (net.compact) {
      const double step = Qif::omega(net.drive[0]) * d;  // (one drive)
      for (uint32_t i = 0; i < net.n; ++i) net.cslot[i].state += step;
    } else {
      for (uint32_t i = 0; i < net.n; ++i) net.neuron[i].state += Qif::omega(drive_of(net, i)) * d;
    }
    net.t0 = t;
    net.clock_time = NAN;
    if (net.frame == SP_FRAME_PHASE) {
      net.cur_key -= Qif::omega(net.drive[0]) * d;
      queue_rebuild(net);
    }
    return d;
  }

  // Value checks beyond finiteness (validate.cpp adds that, and the free-period check).
  static sp_status check_drive(double drive, const char *label) {
    if (!(drive > 0.0))
      return fail(SP_ERR_UNSUPPORTED,
                  "%s = %g: QIF neurons need a drive > 0 (excitable QIF with drive <= 0 is not "
                  "supported)",
                  label, drive);
    return SP_OK;
  }
  // (A phase never overflows: any finite weight and initial voltage.)
  static bool weight_in_range(double) { return true; }
  static sp_status check_weight(double, const char *) { return SP_OK; }
  static bool v0_in_range(double) { return true; }
  static sp_status check_v0(double, const char *) { return SP_OK; }
  static bool phase_refractory_ok(double, double) { return true; }
  static sp_status check_phase_refractory(double, double) { return SP_OK; }

  // The loader's checks of a saved state (io/save_load.cpp): phases and clocks take any finite
  // value, and so does v0 (there is no threshold to stay below).
  static bool loaded_clock_ok(double) { return true; }
  static constexpr bool kLoadedZeroClockIsNone = false;
  // A phase's rounding, in radians, that the loader allows for (times.now: the saved now). A
  // saved phase is rounded once when it is computed (an ulp of at most 128: |x| stays below
  // 64 + pi between re-bases, rebase_span) and again at every re-base since, which adds
  // omega_i d and rounds (2^-46 each). Re-bases come at least 64/omega_max tau apart with the
  // present drives, so there have been about omega_max now/(64 tau) of them; counted four
  // times over. (A larger drive set back since re-based more often: not covered.) It matters
  // only for a tiny drive beside a large one: one ulp of such a neuron's phase is worth more
  // than the time's tolerance (drives 1e-17 and 1e9: 7e-10 s; keys 2e-8 s off after a hundred
  // re-bases, which the loader refused: an outside API fuzzer's finding).
  static double loaded_phase_rounding(const Network &net, double now) {
    double max_drive = 0;
    for (uint32_t i = 0; i < net.n; ++i)
      if (drive_of(net, i) > max_drive) max_drive = drive_of(net, i);
    const double rebases = Qif::omega(max_drive) * (now > 0 ? now : 0) / (64 * net.tau);
    return 4 * (rebases + 1) * 0x1p-46;
  }
  // A spiker's own clock (pi - x)/omega carries its phase's rounding divided by omega: with a
  // tiny drive far more than the time's rounding (a drive of 1e-308: a clock of 0 at s = 108,
  // a fuzz_api finding), for a spiker of drive min_drive or more (the loader says which
  // spikers: io/save_load.cpp).
  static double loaded_clock_slack(double rounding, double min_drive) {
    return rounding / Qif::omega(min_drive);
  }
  static constexpr const char *kLoadedClockRule = "";
  // How much further than the loader's tolerance a time-frame key may lie from the spike time
  // recomputed from the saved phase: the key is kept from when it was computed, the phase
  // rounded since (loaded_phase_rounding), worth tau/omega_i per radian.
  static double loaded_key_drift(const Network &net, uint32_t i, double rounding) {
    return rounding * net.tau / Qif::omega(drive_of(net, i));
  }
  static bool loaded_phase_due_key_ok(double) { return true; }
  // The first event re-bases every phase by omega (now - t0)/tau: that shift (with the largest
  // drive), and so the threshold key at now, must be far from overflowing, as must every
  // phase (a running network's phases stay within omega (t_ref/tau + 64) + 2 pi of 0).
  static sp_status check_loaded_span(const Network &net, uint32_t, double now, double t0,
                                     double tau) {
    double max_drive = 0;
    for (uint32_t i = 0; i < net.n; ++i)
      if (drive_of(net, i) > max_drive) max_drive = drive_of(net, i);
    double shift = Qif::omega(max_drive) * exact_span(now, t0, tau);
    if (shift <= kLoadedPhaseLimit) return SP_OK;
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: t0 = %.17g, now = %.17g: the phases would move by "
                "%g at the next event (at most %g)",
                t0, now, shift, kLoadedPhaseLimit);
  }
  static constexpr const char *kLoadedPhaseDueKeyRule = "";
  static sp_status check_loaded_v0(double, double, uint32_t) { return SP_OK; }
  static double loaded_due_key(const Network &net, double key_time, double t0, double tau,
                               double s_err, double *tol) {
    double expect = phase_threshold_key(net, (key_time - t0) / tau);
    *tol = 1e-6 * (std::fabs(expect) + 4.0) + 2 * Qif::omega(net.drive[0]) * s_err;
    return expect;
  }
  static sp_status check_loaded_state(const Network &net, uint32_t i, bool, double) {
    return check_loaded_phase(state_of(net, i), i);
  }
};

}  // namespace sp
