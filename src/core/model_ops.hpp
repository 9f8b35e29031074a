// The glue between a neuron model and the network: the model's clock, the queue keys of both
// frames, and re-basing. The event loop, the voltage readers and the backward pass are written
// once against this interface and instantiated per model.
#pragma once
#include <cmath>

#include "core/network.hpp"
#include "models/lif.hpp"
#include "models/qif.hpp"

namespace sp {

// (t - t0)/tau for t >= t0 as q + c, q the rounded quotient and c (|c| <= ulp(q)) what
// rounding it dropped, with the difference t - t0 taken exactly (it may not be a double when
// t0 is much smaller than t).
struct Span {
  double q, c;
};
inline Span exact_span_parts(double t, double t0, double tau) {
  // TwoSum (Knuth): d + err = t - t0 exactly.
  double d = t - t0;
  double t_part = d + t0, t0_part = d - t_part;
  double err = (t - t_part) - (t0 + t0_part);
  double q = d / tau;
  if (!std::isfinite(q)) return Span{q, 0.0};  // (a silence beyond the largest double)
  // q tau + r = d exactly; the quotient of (r + err) by tau corrects q.
  double r = std::fma(-q, tau, d);
  return Span{q, (r + err) / tau};
}
// The same rounded once.
inline double exact_span(double t, double t0, double tau) {
  Span s = exact_span_parts(t, t0, tau);
  return s.q + s.c;
}
// exp(-(t - t0)/tau) without the rounding of the exponent (an ulp of an exponent near 32 would
// be a relative error of 7e-15): exp(-q) (1 - c).
inline double exp_minus_span(double t, double t0, double tau) {
  Span s = exact_span_parts(t, t0, tau);
  return std::exp(-s.q) * (1.0 - s.c);
}

template <class M>
struct Ops;

template <>
struct Ops<Lif> {
  using Model = Lif;
  // Clock value E = exp((t - t0)/tau).
  static double clock(const Network &net, double t) { return std::exp((t - net.t0) / net.tau); }
  // The clock t_ref later (the reset takes effect at the end of the refractory period).
  static double after_refractory(const Network &net, double e) {
    return net.t_ref > 0 ? e * std::exp(net.t_ref / net.tau) : e;
  }
  // Phase frame (one drive I > 1): the key is u itself; the smallest u spikes first.
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
  static Kick kick(double w, double, double e) { return Lif::kick(w, e); }
  static double apply(double u, const Kick &k) { return Lif::apply(u, k); }
  static bool at_threshold(double u, double drive, double e) {
    return Lif::at_threshold(u, drive, e);
  }
  static double reset(double drive, double e) { return Lif::reset(drive, e); }
  // A reset whose refractory period ends so far ahead of t0 that its clock would overflow
  // (t_ref above about 560 tau) is kept pending: the state holds -0.0 until a re-base
  // brings t0 close enough (every event after the refractory end comes with one, as it is
  // more than rebase_span after t0), and the refractory end alone gives the voltage and the
  // next spike time meanwhile. (-0.0 otherwise means V = I exactly, which reads the same.)
  static constexpr double kPendingClock = 3.7e260;  // about e^600
  static double pending_state() { return -0.0; }
  static bool pending(double u) { return u == 0 && std::signbit(u); }
  // The state held at reset until clock value e (the refractory end's), or pending.
  static double held_state(double drive, double e) {
    return e > kPendingClock ? pending_state() : Lif::reset(drive, e);
  }
  // The same at the end of the refractory period started by a spike at clock value e.
  static double reset_after_spike(const Network &net, double drive, double e) {
    return held_state(drive, after_refractory(net, e));
  }
  // A pending state made real at t0 (after a re-base), if its clock is representable now.
  static double materialize(const Network &net, uint32_t i) {
    double end = net.refr_end[i];
    if (!(end > -INFINITY)) return pending_state();
    return held_state(net.drive[i], std::exp(exact_span(end, net.t0, net.tau)));
  }
  static double spike_time(const Network &net, double u, double drive) {
    return Lif::spike_time(u, drive, net.t0, net.tau);
  }
  // Neuron i's next spike time without input, pending reset included.
  static double neuron_spike_time(const Network &net, uint32_t i) {
    double u = net.neuron[i].state, drive = net.drive[i];
    if (pending(u)) {
      if (!Lif::oscillatory(drive)) return INFINITY;
      return net.refr_end[i] + Lif::period(drive, net.tau);
    }
    return spike_time(net, u, drive);
  }
  // Voltage of neuron i at t after its refractory end, pending reset included.
  static double neuron_voltage(const Network &net, uint32_t i, double t) {
    double u = net.neuron[i].state, drive = net.drive[i];
    if (pending(u)) return Lif::voltage_after(t - net.refr_end[i], drive, net.tau);
    return voltage(u, drive, clock(net, t));
  }
  static double voltage(double u, double drive, double e) { return Lif::voltage(u, drive, e); }
  static double from_voltage(double v, double drive, double e) {
    return Lif::from_voltage(v, drive, e);
  }
  static double reset_voltage(double) { return 0.0; }
  // The clock at which a neuron with state u reaches threshold (in the time frame, the clock of
  // its spike computed without the rounding of its spike time).
  static double spiker_clock(double u, double drive) { return u / (drive - 1.0); }
  // Moves t0 to t (t > t0): every u is scaled by f = exp(-(t - t0)/tau), returned for the tape.
  // t0 stays an exact double (the time of an event), so no rounding of t0 accumulates over
  // re-basings; f is computed from the exact difference t - t0, and its rounding (and each
  // state's) is a relative error of order 1e-16 per re-base, a few 1e-16 tau in time. Scaling
  // by one factor keeps the order of the states (the phase frame's keys) and their ties. After a
  // long silence f underflows to 0: every neuron has decayed to its drive.
  static double rebase(Network &net, double t) {
    double f = exp_minus_span(t, net.t0, net.tau);
    net.t0 = t;
    for (uint32_t i = 0; i < net.n; ++i) {
      double u = net.neuron[i].state * f;
      net.neuron[i].state = pending(u) ? materialize(net, i) : u;
    }
    net.clock_time = NAN;
    if (net.frame == SP_FRAME_PHASE) {
      // The keys are the states: scaled alike, so the queue keeps its order (rebuilt for its
      // buckets).
      net.cur_key *= f;
      net.spike_queue.rebuild();
    }
    return f;
  }
};

template <>
struct Ops<Qif> {
  using Model = Qif;
  // Clock value s = (t - t0)/tau; neuron i's phase is x_i + omega_i s.
  static double clock(const Network &net, double t) { return (t - net.t0) / net.tau; }
  static double after_refractory(const Network &net, double s) { return s + net.t_ref / net.tau; }
  // Phase frame (one drive): the key is -x; the most advanced phase spikes first.
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
  static Kick kick(double w, double drive, double s) { return Qif::kick(w, drive, s); }
  static double apply(double x, const Kick &k) { return Qif::apply(x, k); }
  // A finite input never carries a QIF neuron to phi = pi.
  static bool at_threshold(double, double, double) { return false; }
  static double reset(double drive, double s) { return Qif::reset(drive, s); }
  // (The QIF clock is linear in time: a refractory end never overflows it.)
  static double held_state(double drive, double s) { return Qif::reset(drive, s); }
  static double reset_after_spike(const Network &net, double drive, double s) {
    return Qif::reset(drive, after_refractory(net, s));
  }
  static double spike_time(const Network &net, double x, double drive) {
    return Qif::spike_time(x, drive, net.t0, net.tau);
  }
  static double neuron_spike_time(const Network &net, uint32_t i) {
    return spike_time(net, net.neuron[i].state, net.drive[i]);
  }
  static double neuron_voltage(const Network &net, uint32_t i, double t) {
    return voltage(net.neuron[i].state, net.drive[i], clock(net, t));
  }
  static double voltage(double x, double drive, double s) { return Qif::voltage(x, drive, s); }
  static double from_voltage(double v, double drive, double s) {
    return Qif::from_voltage(v, drive, s);
  }
  // The voltage at phase -pi: -inf in exact arithmetic, about -1.6e16 sqrt(I) in doubles.
  static double reset_voltage(double drive) { return Qif::voltage(-kPi, drive, 0.0); }
  // The clock at which a neuron with state x reaches phase pi (see Ops<Lif>::spiker_clock).
  static double spiker_clock(double x, double drive) { return (kPi - x) / Qif::omega(drive); }
  // Moves t0 to t (t > t0): x_i += omega_i d with d = (t - t0)/tau, returned for the tape. t0
  // stays an exact double (the time of an event); d is computed from the exact difference.
  static double rebase(Network &net, double t) {
    double d = exact_span(t, net.t0, net.tau);
    for (uint32_t i = 0; i < net.n; ++i) net.neuron[i].state += Qif::omega(net.drive[i]) * d;
    net.t0 = t;
    net.clock_time = NAN;
    if (net.frame == SP_FRAME_PHASE) {
      net.cur_key -= Qif::omega(net.drive[0]) * d;
      net.spike_queue.rebuild();
    }
    return d;
  }
};

}  // namespace sp
