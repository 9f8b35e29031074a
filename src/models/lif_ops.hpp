// The LIF model's glue to the network (Ops<Lif>, see models/room.hpp): its clock, kicks, resets
// (with the pending reset of long refractory periods), queue keys, re-basing and value checks.
#pragma once
#include <cmath>

#include "common/error.hpp"
#include "common/rounding.hpp"
#include "core/network.hpp"
#include "models/lif.hpp"
#include "models/room.hpp"

namespace sp {

template <>
struct Ops<Lif> {
  using Model = Lif;
  static constexpr const char *kName = "LIF";
  // An input can take a neuron to threshold (it then spikes at that instant).
  static constexpr bool kInputsCanFire = true;
  // A row's kicks are one multiply-add each: no batched path.
  static constexpr bool kBatchedDelivery = false;
  // A negative weight never makes a phase-frame key earlier: u - w e >= u, exactly in floating
  // point too (so a shared inhibitory row skips the bucket test; see the event loop).
  static constexpr bool kNegativeWeightDelays = true;
  // A neuron due at an instant (V = 1) still takes that instant's inputs: one that lowers V
  // cancels its spike.
  static constexpr bool kDueIgnoresInputs = false;
  // Phase frame: the key is u itself, the smallest first; u grows exponentially with time.
  static constexpr double kPhaseKeySign = 1.0;
  static constexpr BucketQueue::Scale kPhaseKeyScale = BucketQueue::Scale::Log;

  static bool oscillatory(double drive) { return Lif::oscillatory(drive); }
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
  // (The creation check's, whose message shows it: without the rounding of I/(I-1).)
  static double closed_form_period(double drive, double tau) {
    return Lif::period_precise(drive, tau);
  }
  static double period(const Network &net, double drive) { return Lif::period(drive, net.tau); }
  // Seeded initial voltage at a fraction frac of the free period (0 if not oscillatory).
  static double seeded_voltage(const Network &net, double drive, double frac) {
    double tau = net.tau;
    if (!Lif::oscillatory(drive)) return 0.0;
    double v = Lif::voltage_after(frac * Lif::period(drive, tau), drive, tau);
    // Rounding can give exactly the threshold for a phase at the end of the period: the
    // initial voltages must stay below it (sp_set_params(SP_PARAM_V0) and sp_load refuse 1).
    return v >= 1.0 ? std::nextafter(1.0, 0.0) : v;
  }

  // Clock value E = exp((t - t0)/tau).
  static double clock(const Network &net, double t) { return std::exp((t - net.t0) / net.tau); }
  // The clock t_ref later (the reset takes effect at the end of the refractory period): e
  // times exp(t_ref/tau), rounded once. (With the factor rounded to a double, its one rounding
  // recurred at every spike, all one way: an outside review measured 220 times the spike-time
  // bound after 2 x 10^5 spikes at I = 10^4, t_ref = 10^-4 tau.)
  static double after_refractory(const Network &net, double e) {
    return net.t_ref > 0 ? std::fma(e, net.refr_factor.hi, e * net.refr_factor.lo) : e;
  }
  static double phase_key(double u) { return u; }
  static double phase_clock(const Network &net, double key) { return key / (net.drive[0] - 1.0); }
  // The key of a neuron at threshold at clock value e.
  static double phase_threshold_key(const Network &net, double e) {
    return (net.drive[0] - 1.0) * e;
  }
  static double phase_key_time(const Network &net, double key) {
    return net.t0 + net.tau * std::log(key / (net.drive[0] - 1.0));
  }
  // An input: the kick shared by the targets of a row (weight, drive and clock fixed), applied
  // to each target's state.
  using Kick = Lif::Kick;
  static Kick kick(const Network &, double w, double, double e) { return Lif::kick(w, e); }
  static double apply(double u, const Kick &k) { return Lif::apply(u, k); }
  static bool at_threshold(const Network &, double u, double drive, double e) {
    return Lif::at_threshold(u, drive, e);
  }
  // A neuron due at an instant on its own takes the instant's inputs (kDueIgnoresInputs).
  static bool due_takes_inputs(const Network &) { return true; }
  // Phase frame: a key at or above every key whose spike time (phase_key_time) is at most dt
  // after the time of the threshold key at clock value e (the event loop's cheap test before
  // the log; e^r <= 1 + 2r for r <= 1).
  static double phase_key_bound(const Network &net, double e, double dt) {
    const double r = dt / net.tau;
    return r <= 1.0 ? phase_threshold_key(net, e) * (1.0 + 2.0 * r + 1e-12) : INFINITY;
  }
  // at_threshold(u) is u <= this: one product for a whole row (kNegativeWeightDelays rows).
  static double threshold_state(double drive, double e) { return Lif::threshold_state(drive, e); }
  // A reset whose refractory period ends so far ahead of t0 that its clock would overflow
  // (t_ref above about 560 tau) is kept pending: the state holds -0.0 until a re-base
  // brings t0 close enough (every event after the refractory end comes with one, as it is
  // more than rebase_span after t0), and the refractory end alone gives the voltage and the
  // next spike time meanwhile. (-0.0 otherwise means V = I exactly, which reads the same.)
  static constexpr double kPendingClock = 3.7e260;  // about e^600
  static double pending_state() { return -0.0; }
  static bool pending(double u) { return u == 0 && std::signbit(u); }
  // Whether neuron state u is a pending reset. Only a refractory period makes one: with
  // t_ref = 0 the reset clock is a clock at a spike, far below kPendingClock, so -0.0 there is
  // V = I, whatever the refractory end (a loaded file may pair it with a past one, which the
  // saver writes as -inf for t_ref = 0: the state must not read differently then).
  static bool held(const Network &net, double u) { return net.t_ref > 0.0 && pending(u); }
  // The state held at reset until clock value e (the refractory end's), or pending: also where
  // the product overflows below kPendingClock, for a drive above about 5e47 in magnitude (only
  // a non-oscillatory one is that large; its state was -inf, which the loader refused). Either
  // way the end lies more than 470 tau after t0, so the re-base condition above holds.
  static double held_state(const Network &, double drive, double e) {
    const double u = Lif::reset(drive, e);
    return e > kPendingClock || !std::isfinite(u) ? pending_state() : u;
  }
  // Held state u (a reset to V = 0 at the exact refractory end r*, u = I E(r*)) re-expressed
  // for a new drive: the clock E(r*) is u/I, which the spike's own clock gave. Recomputing it
  // from the rounded refractory end `end` instead fed that rounding, about an ulp of t, into
  // the state at each drive change during a hold (an outside client's controller changed a
  // drive every tick: 240 times the spike-time bound after 5,000 spikes). A pending reset has
  // no clock yet and keeps; a drive of 0 leaves none to read (u = 0): then from `end`.
  // Used where that clock is the end's to within the end's rounding (4 ulps) and a few of its
  // own: a state near underflow (a tiny drive) reads back no clock worth the name, and one
  // that read far below the end's made a neuron that had just spiked due again (an outside-
  // the-library finding of test_random_calls_always_reload under another libm).
  static double held_state_for(const Network &net, double u, double drive_old, double drive,
                               double end) {
    if (held(net, u)) return u;
    const double e_end = clock(net, end), e = u / drive_old;
    if (std::isnormal(u) && std::isnormal(e) && e > 0.0 &&
        std::fabs(e - e_end) <= e_end * (4.0 * ulp_of(end) / net.tau + 0x1p-50))
      return held_state(net, drive, e);
    return held_state(net, drive, e_end);
  }
  // The same at the end of the refractory period started by a spike at clock value e.
  static double reset_after_spike(const Network &net, double drive, double e) {
    return held_state(net, drive, after_refractory(net, e));
  }
  // A pending state made real at t0 (after a re-base), if its clock is representable now.
  static double materialize(const Network &net, uint32_t i) {
    double end = refr_end_of(net, i);
    if (!(end > -INFINITY)) return pending_state();
    return held_state(net, drive_of(net, i), std::exp(exact_span(end, net.t0, net.tau)));
  }
  static double spike_time(const Network &net, double u, double drive) {
    return Lif::spike_time(u, drive, net.t0, net.tau);
  }
  // Neuron i's next spike time without input, pending reset included.
  static double neuron_spike_time(const Network &net, uint32_t i) {
    double u = state_of(net, i), drive = drive_of(net, i);
    if (held(net, u)) {
      if (!Lif::oscillatory(drive)) return INFINITY;
      return refr_end_of(net, i) + Lif::period(drive, net.tau);
    }
    return spike_time(net, u, drive);
  }
  // Voltage of neuron i at t after its refractory end, pending reset included.
  static double neuron_voltage(const Network &net, uint32_t i, double t) {
    double u = state_of(net, i), drive = drive_of(net, i);
    if (held(net, u)) return Lif::voltage_after(t - refr_end_of(net, i), drive, net.tau);
    return voltage(net, u, drive, clock(net, t));
  }
  static double voltage(const Network &, double u, double drive, double e) {
    return Lif::voltage(u, drive, e);
  }
  static double from_voltage(const Network &, double v, double drive, double e) {
    return Lif::from_voltage(v, drive, e);
  }
  static double reset_voltage(const Network &, double) { return 0.0; }
  // The clock at which a neuron with state u reaches threshold (in the time frame, the clock of
  // its spike computed without the rounding of its spike time).
  // (t, the spike's time, is not needed: u/(I - 1) carries only u's relative rounding.)
  static double spiker_clock(const Network &, double u, double drive, double /*t*/) {
    return u / (drive - 1.0);
  }

  // Re-base when an event is 32 tau after t0: E stays below e^32.
  static double rebase_span(const Network &net) { return 32.0 * net.tau; }
  // Moves t0 to t (t > t0): every u is scaled by f = exp(-(t - t0)/tau), returned for the tape.
  // t0 stays an exact double (the time of an event), so no rounding of t0 accumulates over
  // re-basings; f is computed from the exact difference t - t0, and its rounding (and each
  // state's) is a relative error of order 1e-16 per re-base, a few 1e-16 tau in time. Scaling
  // by one factor keeps the order of the states (the phase frame's keys) and their ties, but
  // rounding can make two close states equal (the queue then orders them by index: the spike
  // that re-bases takes the queue's top after the re-base). After a long silence f underflows
  // to 0: every neuron has decayed to its drive.
  static double rebase(Network &net, double t) {
    // (Stale time-frame keys first, from the states the inputs left: see kSlotStale.)
    if (net.frame == SP_FRAME_TIME) network_refresh_keys(&net);
    double f = exp_minus_span(t, net.t0, net.tau);
    net.t0 = t;
    if (net.compact) {
      for (uint32_t i = 0; i < net.n; ++i) {
        double u = net.cslot[i].state * f;
        net.cslot[i].state = held(net, u) ? materialize(net, i) : u;
      }
    } else {
      for (uint32_t i = 0; i < net.n; ++i) {
        double u = net.neuron[i].state * f;
        net.neuron[i].state = held(net, u) ? materialize(net, i) : u;
      }
    }
    net.clock_time = NAN;
    if (net.frame == SP_FRAME_PHASE) {
      // The keys are the states: scaled alike, so the queue keeps its order up to new ties
      // (rebuilt for its buckets).
      net.cur_key *= f;
      queue_rebuild(net);
    } else {
      // The time frame keeps its keys (spike times), which the rounded states may now give an
      // ulp lower: none is a lower bound for an inhibitory input until recomputed.
      network_mark_inexact(&net);
    }
    return f;
  }

  // Value checks beyond finiteness (validate.cpp adds that, and the free-period check). Any
  // drive runs; its magnitude, the weights' and the initial voltages' are bounded so that no
  // state can overflow (see kMaxMagnitude).
  static sp_status check_drive(double drive, const char *label) {
    if (std::fabs(drive) > kMaxMagnitude)
      return fail(SP_ERR_NUMERIC, "%s = %.*g: LIF drives above %g in magnitude are not supported",
                  label, exact_digits(drive), drive, kMaxMagnitude);
    return SP_OK;
  }
  static bool weight_in_range(double w) { return std::fabs(w) <= kMaxMagnitude; }
  static sp_status check_weight(double w, const char *label) {
    if (!weight_in_range(w))
      return fail(SP_ERR_NUMERIC, "%s = %.*g: LIF weights above %g in magnitude are not supported",
                  label, exact_digits(w), w, kMaxMagnitude);
    return SP_OK;
  }
  static bool v0_in_range(double v) { return v < 1.0 && std::fabs(v) <= kMaxMagnitude; }
  static sp_status check_v0(double v, const char *label) {
    if (!(v < 1.0))
      return fail(SP_ERR_ARGUMENT, "%s = %g: must be below the threshold 1", label, v);
    if (std::fabs(v) > kMaxMagnitude)
      return fail(SP_ERR_NUMERIC, "%s = %.*g: LIF voltages above %g in magnitude are not supported",
                  label, exact_digits(v), v, kMaxMagnitude);
    return SP_OK;
  }
  // The phase frame keys neurons on their states, so it cannot hold a pending reset
  // (held_state): refractory periods up to 512 tau only.
  static constexpr double kPhaseMaxRefractoryTaus = 512.0;
  static bool phase_refractory_ok(double t_ref, double tau) {
    return t_ref <= kPhaseMaxRefractoryTaus * tau;
  }
  static sp_status check_phase_refractory(double t_ref, double tau) {
    if (phase_refractory_ok(t_ref, tau)) return SP_OK;
    return fail(SP_ERR_UNSUPPORTED,
                "frame = SP_FRAME_PHASE: LIF refractory periods up to 512 tau only (t_ref = %g, "
                "tau = %g); the time frame runs any",
                t_ref, tau);
  }

  // The loader's checks of a saved state (io/save_load.cpp). The clock E is positive; so is a
  // phase-frame due key. A time-frame file may hold a cached clock of 0: earlier loaders
  // accepted it as a spiker's own clock u/(I - 1) of a state decayed to 0, which the engine
  // does not make (a state below threshold with I > 1 is at least I - 1 after a re-base), and
  // read at its instant it reset the neurons due then to a state of 0 (key -inf) or NaN. It
  // loads as no cached clock, so that the events at its instant compute the clock then.
  static bool loaded_clock_ok(double e) { return e >= 0; }
  static constexpr const char *kLoadedClockRule = " and >= 0";
  static constexpr bool kLoadedZeroClockIsNone = true;
  // (An own clock u/(I - 1) carries the state's relative rounding, within the tolerance.)
  static double loaded_phase_rounding(const Network &, double) { return 0; }
  static double loaded_clock_slack(double, double) { return 0; }
  // (A re-base scales a time-frame state by e^-d, a relative rounding worth 2^-53 tau of its
  // recomputed spike time: within the loader's tolerance. See Ops<Qif>.)
  static double loaded_key_drift(const Network &, uint32_t, double) { return 0; }
  static bool loaded_phase_due_key_ok(double key) { return key > 0; }
  // The phase frame compares its keys with the threshold's key at now(), (I - 1) exp((now -
  // t0)/tau): that clock must be a finite double. (A running network re-bases at every event
  // more than 32 tau after t0, and its neurons, all oscillatory, leave no silence near 700
  // tau.)
  static sp_status check_loaded_span(const Network &, uint32_t frame, double now, double t0,
                                     double tau) {
    if (frame != SP_FRAME_PHASE || std::isfinite(std::exp(exact_span(now, t0, tau)))) return SP_OK;
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: t0 = %.17g: %.17g tau before now = %.17g, the LIF "
                "phase frame's clock exp((now - t0)/tau) overflows",
                t0, exact_span(now, t0, tau), now);
  }
  static constexpr const char *kLoadedPhaseDueKeyRule = " and > 0";
  // Initial voltages below threshold, or the seeded voltage (which rounding may put at
  // threshold) that creation computed from the same seed and drive.
  // (Creation's bounds, check_v0: a v0 beyond kMaxMagnitude overflowed its state after
  // sp_rewind, and the neuron stopped spiking; an outside reader's crafted file.)
  static sp_status check_loaded_v0(double v, double created, uint32_t i) {
    if (!(v < 1.0) && v != created)
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: v0[%u] = %g: must be below the threshold 1", i, v);
    if (std::fabs(v) > kMaxMagnitude)
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: v0[%u] = %.*g: LIF voltages above %g in magnitude "
                  "are not supported",
                  i, exact_digits(v), v, kMaxMagnitude);
    return SP_OK;
  }
  // The threshold key at the due key's time, and how far rounding may have moved a saved due key
  // from it (s_err: the relative rounding of the times in units of tau).
  static double loaded_due_key(const Network &net, double key_time, double t0, double tau,
                               double s_err, double *tol) {
    double expect = phase_threshold_key(net, std::exp((key_time - t0) / tau));
    *tol = std::fabs(expect) * (1e-6 + 2 * s_err);
    return expect;
  }
  // A neuron that is not due is below threshold: with a drive above 1 its co-moving state is
  // then positive (its next spike time is the log of it), or the pending reset of a refractory
  // period too long for the clock (pending), which only the time frame runs: after a spike
  // (a finite refractory end), and until the first event after its end re-bases (a run to a
  // time past the end, with no event in between, leaves it pending: so may a saved file).
  static sp_status check_loaded_state(const Network &net, uint32_t i, bool due, double /*now*/) {
    double u = state_of(net, i);
    bool held_now = held(net, u) && net.frame == SP_FRAME_TIME && refr_end_of(net, i) > -INFINITY;
    if (!due && !held_now && drive_of(net, i) > 1.0 && !(u > 0))
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: state[%u] = %g: a LIF neuron below threshold with "
                  "drive %g > 1 has a positive state",
                  i, u, drive_of(net, i));
    return SP_OK;
  }
};

}  // namespace sp
