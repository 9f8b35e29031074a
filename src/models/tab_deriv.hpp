// The tabulated models' partial derivatives for the backward pass (Deriv<Tabulated>, see
// models/room.hpp), in the co-moving phase x = phi - s, s = (t - t0)/tau. They come from the
// rate G = F + I (the table's rate(), never a derivative of a table) and d phi/dI at fixed V:
// an input phi' = phi(V(phi) + w) has d phi'/d phi = G(V)/G(V'), d phi'/dw = 1/G(V'), and
// d phi'/dI = phi_I(V') - phi_I(V) G(V)/G(V') (V(phi) moves by -phi_I G with the drive).
#pragma once
#include <cmath>

#include "core/network.hpp"
#include "models/room.hpp"
#include "models/tab_ops.hpp"

namespace sp {

template <>
struct Deriv<Tabulated> {
  static constexpr bool kInputIsShift = false;
  static constexpr bool kBatchedInputs = false;
  using O = Ops<Tabulated>;

  struct Event {
    double s, tau;
    const Network *net;
  };
  static Event event(const Network &net, double t, double t0) {
    return Event{(t - t0) / net.tau, net.tau, &net};
  }
  static InputPartials input(const Event &ev, double x, double w, double drive) {
    const Table &tab = O::table(*ev.net, drive);
    double v = tab.voltage(x + ev.s), v2 = v + w;
    if (!(v < INFINITY)) {
      // At its own spike (an input at its spike instant, which it ignores, event rule 2; the
      // tape records x = +inf for it, core/run.cpp): the partials' limit as V -> +inf, the side
      // that keeps the recorded order (the input first, just before the blow-up, where it
      // scales the time left by G(V)/G(V + w) -> blowup_ratio(w): exp(-w/D_T) for EIF, 1 for
      // F = V^2): 1/G(V + w) -> 0 and phi_I(V) -> dT_I/dI.
      double ratio = tab.blowup_ratio(w);
      return InputPartials{ratio, (ratio - 1.0) / ev.tau, 0.0, tab.dperiod * (1.0 - ratio)};
    }
    // A custom model clamps an input that carries V below v_lo: phi' = phi_lo(I), so x' moves
    // with neither x nor w, only with the drive and with the event's time (x' = phi_lo - s).
    if (tab.clamped(v2)) return InputPartials{0.0, -1.0 / ev.tau, 0.0, tab.dphi_lo};
    // An input that carries V past a finite v_spike triggers the spike: x' is the period, and
    // these partials matter only while the neuron is due at the recording's end, where the
    // end's dV/dx' is taken at v_spike (voltage_of_state). Taking G and d phi/dI at v_spike here
    // too makes the chain give dV_end/dw = 1 and dV_end/dx = G(V), the voltage the input gave
    // it (the header's sp_backward). (EIF's G beyond v_spike, from its formula, gave G(v_spike)
    // / G(V + w) instead; the custom tables' rate stops at v_hi = v_spike.)
    if (v2 > tab.v_spike) v2 = tab.v_spike;
    double g = tab.rate(v), g2 = tab.rate(v2);
    double ratio = g / g2;
    return InputPartials{ratio, (ratio - 1.0) / ev.tau, 1.0 / g2,
                         tab.dphase_ddrive(v2) - tab.dphase_ddrive(v) * ratio};
  }
  // r = -(t + t_ref - t0)/tau.
  static InputPartials reset(const Network &net, double, double, double) {
    return InputPartials{0.0, -1.0 / net.tau, 0.0, 0.0};
  }
  static InputPartials reset_adjoint(const Network &net, double t, double drive, double t0,
                                     double lam) {
    InputPartials r = reset(net, t, drive, t0);
    return InputPartials{0.0, lam * r.dt, 0.0, 0.0};
  }
  // T = t0 + tau (T_I - x).
  static StatePartials spike_time(const Network &net, double, double drive, double) {
    return StatePartials{-net.tau, net.tau * O::table(net, drive).dperiod};
  }
  // x = phi(V) - s.
  static StatePartials state_of_voltage(const Network &net, double v, double drive, double,
                                        double) {
    const Table &tab = O::table(net, drive);
    if (tab.clamped(v)) return StatePartials{0.0, tab.dphi_lo};  // (phi_lo below v_lo)
    return StatePartials{1.0 / tab.rate(v), tab.dphase_ddrive(v)};
  }
  // V = V(x + s).
  static StatePartials voltage_of_state(const Network &net, double x, double drive, double t,
                                        double t0) {
    const Table &tab = O::table(net, drive);
    double v = tab.voltage(x + (t - t0) / net.tau);
    double g = tab.rate(v);
    return StatePartials{g, -tab.dphase_ddrive(v) * g};
  }
  static double voltage_at(const Network &net, double x, double drive, double t, double t0) {
    return O::table(net, drive).voltage(x + (t - t0) / net.tau);
  }
  // dV/dt at a fixed state: dV/dphase / tau = (F(V) + I)/tau.
  static double voltage_rate(const Network &net, double x, double drive, double t, double t0) {
    const Table &tab = O::table(net, drive);
    return tab.rate(tab.voltage(x + (t - t0) / net.tau)) / net.tau;
  }
  // Held at reset: x = -s(t_r), independent of the drive.
  static double held_state_dI(const Network &, double, double, double, double) { return 0.0; }
  // x' = x + d: the adjoints and drive gradients pass unchanged.
  static bool rebase(const Network &, const double *, double *, double) { return false; }
  static bool held_adjoint_lost(const Network &, double, double, double, bool, double) {
    return false;
  }
  static bool end_seed_lost(const Network &, double, double) { return false; }
};

}  // namespace sp
