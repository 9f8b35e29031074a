// The LIF model's partial derivatives for the backward pass (Deriv<Lif>, see models/room.hpp and
// src/ARCHITECTURE.md, Backward pass), in its co-moving coordinate u = (I - V) exp((t - t0)/tau).
#pragma once
#include <cfloat>
#include <cmath>

#include "common/rounding.hpp"
#include "core/network.hpp"
#include "models/lif.hpp"
#include "models/lif_ops.hpp"
#include "models/room.hpp"

namespace sp {

template <>
struct Deriv<Lif> {
  // An input is a shift of the state (dk/dx = 1, dk/dI = 0): it leaves the target's adjoint and
  // drive gradient alone.
  static constexpr bool kInputIsShift = true;
  static constexpr bool kBatchedInputs = false;
  // u' = u - w E(t), E = exp((t - t0)/tau). The part shared by an event's deliveries (E) is
  // computed once per event.
  struct Event {
    double e, tau;
  };
  static Event event(const Network &net, double t, double t0) {
    return Event{std::exp((t - t0) / net.tau), net.tau};
  }
  static InputPartials input(const Event &ev, double, double w, double) {
    return InputPartials{1.0, -w * ev.e / ev.tau, -ev.e, 0.0};
  }
  // (t + t_ref - t0)/tau as q + c, with the sum t + t_ref and the quotient taken exactly: the
  // rounding of t + t_ref is nearly the same at every spike of a regular neuron (the same
  // residue while t stays in one binade), so in the reset's E it made each spike's factor in
  // the chain of spike times off by up to ulp(t)/(2 tau) in one direction, and the gradient
  // drifted as the square of the run's length (an outside review: 9.4e-6 relative after
  // 3 x 10^5 spikes at t_ref = 0.3 tau; 2.7e-10 without t_ref, where only t's own rounding
  // is left, which has no preferred sign). A reset kept pending (its clock beyond
  // kPendingClock, about e^600) starts from the rounded end instead, as the forward pass's
  // (Ops<Lif>::materialize): there the exact sum put the gradient 1e-13 to 2e-11 off the
  // closed form (an outside review), against 1e-16 with the rounded one.
  static Span reset_span(const Network &net, double t, double t0) {
    const double r = t + net.t_ref;
    Span s = exact_span_parts(r, t0, net.tau);
    // (The exp only near kHeldSpan: a reset far below it is applied at once.)
    if (net.t_ref > 0.0 && (s.q < kHeldSpan - 1.0 || std::exp(s.q) <= Ops<Lif>::kPendingClock))
      s.c += two_sum_error(t, net.t_ref, r) / net.tau;
    return s;
  }
  // r = I E(t + t_ref): dr/dt, dr/dI.
  static InputPartials reset(const Network &net, double t, double drive, double t0) {
    const Span s = reset_span(net, t, t0);
    double e = std::exp(s.q) * (1.0 + s.c);
    return InputPartials{0.0, drive * e / net.tau, 0.0, e};
  }
  // lam dr/dt and lam dr/dI (in dt and dI). A reset kept pending (refractory period beyond
  // about 560 tau) has an E that overflows: see lam_exp.
  static InputPartials reset_adjoint(const Network &net, double t, double drive, double t0,
                                     double lam) {
    const Span s = reset_span(net, t, t0);
    double le = lam_exp(lam, s.q) * (1.0 + s.c);
    return InputPartials{0.0, le * drive / net.tau, 0.0, le};
  }
  // lam exp(a), also where exp(a) alone overflows; 0 for lam = 0 (a neuron with no later
  // effect).
  static double lam_exp(double lam, double a) {
    if (lam == 0.0) return 0.0;
    double e = std::exp(a);
    if (std::isfinite(e)) return lam * e;
    return std::copysign(std::exp(std::log(std::fabs(lam)) + a), lam);
  }
  // T = t0 + tau ln(u/(I - 1)): dT/du, dT/dI.
  static StatePartials spike_time(const Network &net, double u, double drive, double) {
    return StatePartials{net.tau / u, -net.tau / (drive - 1.0)};
  }
  // u = (I - V) E(t): du/dV, du/dI.
  static StatePartials state_of_voltage(const Network &net, double, double drive, double t,
                                        double t0) {
    (void)drive;
    double e = std::exp((t - t0) / net.tau);
    return StatePartials{-e, e};
  }
  // V = I - u / E(t): dV/du, dV/dI.
  static StatePartials voltage_of_state(const Network &net, double, double, double t, double t0) {
    double e = std::exp((t - t0) / net.tau);
    return StatePartials{-1.0 / e, 1.0};
  }
  // dV/dt at a fixed state: u / (E(t) tau) = (I - V)/tau.
  static double voltage_rate(const Network &net, double u, double, double t, double t0) {
    return u / std::exp((t - t0) / net.tau) / net.tau;
  }
  // Held at reset until tr: u = I E(tr); lam du/dI (E may overflow: see lam_exp).
  static double held_state_dI(const Network &net, double, double tr, double t0, double lam) {
    return lam_exp(lam, (tr - t0) / net.tau);
  }
  // V = I - u / E(t) (the voltage at the start of a recording).
  static double voltage_at(const Network &net, double u, double drive, double t, double t0) {
    return Lif::voltage(u, drive, Lif::clock(t, t0, net.tau));
  }
  // Re-base by the factor f the tape recorded: u' = f u. Returns whether an adjoint lost its
  // precision (a non-zero lam with |lam f| below kLostBelow), which held_adjoint_lost needs.
  static bool rebase(const Network &net, double *lambda, double *, double f) {
    bool lost = false;
    for (uint32_t i = 0; i < net.n; ++i) {
      const double before = lambda[i];
      lambda[i] *= f;
      lost |= before != 0.0 && std::fabs(lambda[i]) < kLostBelow;
    }
    return lost;
  }
  // Whether lam, the adjoint of a state held at reset until tr, may have lost its value. While a
  // neuron is held, the reverse re-basings scale its adjoint by their factors, and the reset's
  // derivative (lam_exp) multiplies it back by E(tr), which undoes them. Beyond the clocks the
  // forward pass represents (E(tr) above about e^600, where it keeps the reset pending: t_ref
  // of some 600 tau and more), the scaled adjoint may have gone below kLostBelow (a re-base
  // reports it when it rounds to 0) and the product would be wrong, not small. Below that
  // bound such an adjoint times E(tr) is below 1e-53, as small as the adjoint it stands for.
  // The reset's partial in time carries I/tau besides E(tr) (reset_adjoint): with a drive far
  // above 1 the bound shrinks by ln(|I|/tau) (a drive of -4.5e97 held 560 tau, which the
  // forward pass keeps pending where I E(tr) overflows, gave dL/dI of 0 for -2.25 with SP_OK:
  // a reviewer's finding).
  static bool held_adjoint_lost(const Network &net, double tr, double t0, double lam, bool any_lost,
                                double drive) {
    const double scale = std::fabs(drive) / net.tau;
    const double span = kHeldSpan - (scale > 1.0 ? std::log(scale) : 0.0);
    if (!((tr - t0) / net.tau > span)) return false;
    return lam != 0.0 ? std::fabs(lam) < kLostBelow : any_lost;
  }
  // Whether lam, the end seed dL/dV dV/du of a neuron whose state u is still a pending reset
  // at now() (its refractory period ended with no re-base since: t0 is 600 tau or more before
  // it), left the doubles. Its reset's derivative would multiply it by E(t + t_ref) as above,
  // but with now() some 710 tau after t0 dV/du = -1/E(now()) is 0 (or below kLostBelow).
  static bool end_seed_lost(const Network &net, double u, double lam) {
    return Ops<Lif>::held(net, u) && !(std::fabs(lam) >= kLostBelow);
  }
  static constexpr double kHeldSpan = 600.0;  // ln of Ops<Lif>::kPendingClock
  // 2^-1042: a subnormal double this small keeps 32 significant bits (relative rounding up to
  // 2^-32, 2.3e-10); below it an adjoint counts as lost.
  static constexpr double kLostBelow = DBL_MIN / 1048576.0;
};

}  // namespace sp
