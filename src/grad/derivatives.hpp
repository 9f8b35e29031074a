// Partial derivatives of the event maps of each model in co-moving coordinates
// (src/ARCHITECTURE.md, Backward pass): an input k(x, t, w, I), a reset r(t, I), the spike time
// T(x, I), and the conversions between co-moving states and voltages at the start and end of a
// recording.
#pragma once
#include <cmath>

#include "core/network.hpp"
#include "models/lif.hpp"
#include "models/qif.hpp"

namespace sp {

// Derivatives of one input delivery x' = k(x, t, w, I).
struct InputPartials {
  double dx, dt, dw, dI;
};
// Derivatives of a state with respect to the voltage and drive that define it.
struct StatePartials {
  double dv, dI;
};

template <class M>
struct Deriv;

template <>
struct Deriv<Lif> {
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
  // r = I E(t + t_ref): dr/dt, dr/dI.
  static InputPartials reset(const Network &net, double t, double drive, double t0) {
    double e = std::exp((t + net.t_ref - t0) / net.tau);
    return InputPartials{0.0, drive * e / net.tau, 0.0, e};
  }
  // lam dr/dt and lam dr/dI (in dt and dI). A reset kept pending (refractory period beyond
  // about 560 tau) has an E that overflows: see lam_exp.
  static InputPartials reset_adjoint(const Network &net, double t, double drive, double t0,
                                     double lam) {
    double le = lam_exp(lam, (t + net.t_ref - t0) / net.tau);
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
  // Held at reset until tr: u = I E(tr); lam du/dI (E may overflow: see lam_exp).
  static double held_state_dI(const Network &net, double, double tr, double t0, double lam) {
    return lam_exp(lam, (tr - t0) / net.tau);
  }
  // Re-base by the factor f the tape recorded: u' = f u.
  static void rebase(Network &net, double *lambda, double f) {
    for (uint32_t i = 0; i < net.n; ++i) lambda[i] *= f;
  }
};

template <>
struct Deriv<Qif> {
  // x' = g(x + omega s) - omega s, g(phi) = 2 atan(tan(phi/2) + c), c = w/sqrt(I),
  // s = (t - t0)/tau, omega = 2 sqrt(I).
  // The part shared by an event's deliveries: s.
  struct Event {
    double s, tau;
  };
  static Event event(const Network &net, double t, double t0) {
    return Event{(t - t0) / net.tau, net.tau};
  }
  // The phase before the input, phi = x + omega s, whose tan(phi/2) the partials need (the
  // backward pass computes those in batches).
  static double phase(const Event &ev, double x, double drive) {
    return phase_at(ev, x, 2.0 * std::sqrt(drive));
  }
  static double phase_at(const Event &ev, double x, double omega) { return x + omega * ev.s; }
  static InputPartials input(const Event &ev, double x, double w, double drive) {
    return input_from_tan(ev, std::tan(0.5 * phase(ev, x, drive)), w, drive);
  }
  // The same with tn = tan(phi/2) given.
  static InputPartials input_from_tan(const Event &ev, double tn, double w, double drive) {
    return input_from_tan(ev, tn, synapse(w, drive, ev.tau));
  }
  // The part that depends on the weight and the drive only (the same for a row with a shared
  // weight in the phase frame).
  // (Reciprocals are taken once here, so a delivery costs one division.)
  struct Synapse {
    double c, inv_sq, omega_per_tau, dc;
  };
  static Synapse synapse(double w, double drive, double tau) {
    double sq = std::sqrt(drive);
    return Synapse{w / sq, 1.0 / sq, 2.0 * sq / tau, -0.5 * w / (drive * sq)};
  }
  static InputPartials input_from_tan(const Event &ev, double tn, const Synapse &y) {
    double q = 1.0 + (tn + y.c) * (tn + y.c);
    double r = 1.0 / q;
    double gp = (1.0 + tn * tn) * r;  // g'(phi)
    double gc = 2.0 * r;              // dg/dc
    // d omega/dI = 1/sqrt(I)
    return InputPartials{gp, (gp - 1.0) * y.omega_per_tau, gc * y.inv_sq,
                         (gp - 1.0) * ev.s * y.inv_sq + gc * y.dc};
  }
  // r = -pi - omega (t + t_ref - t0)/tau.
  static InputPartials reset(const Network &net, double t, double drive, double t0) {
    double sq = std::sqrt(drive);
    double s = (t + net.t_ref - t0) / net.tau;
    return InputPartials{0.0, -2.0 * sq / net.tau, 0.0, -s / sq};
  }
  static InputPartials reset_adjoint(const Network &net, double t, double drive, double t0,
                                     double lam) {
    InputPartials r = reset(net, t, drive, t0);
    return InputPartials{0.0, lam * r.dt, 0.0, lam * r.dI};
  }
  // T = t0 + tau (pi - x)/omega.
  static StatePartials spike_time(const Network &net, double x, double drive, double) {
    double sq = std::sqrt(drive), omega = 2.0 * sq;
    double span = net.tau * (kPi - x) / omega;  // T - t0
    return StatePartials{-net.tau / omega, -span / omega / sq};
  }
  // x = 2 atan(V/sqrt(I)) - omega s.
  static StatePartials state_of_voltage(const Network &net, double v, double drive, double t,
                                        double t0) {
    double sq = std::sqrt(drive);
    double s = (t - t0) / net.tau;
    double r = v / sq;
    double q = 1.0 + r * r;
    return StatePartials{2.0 / (sq * q), -r / (drive * q) - s / sq};
  }
  // V = sqrt(I) tan((x + omega s)/2).
  static StatePartials voltage_of_state(const Network &net, double x, double drive, double t,
                                        double t0) {
    double sq = std::sqrt(drive);
    double s = (t - t0) / net.tau;
    double tn = std::tan(0.5 * (x + 2.0 * sq * s));
    return StatePartials{0.5 * sq * (1.0 + tn * tn), 0.5 * tn / sq + 0.5 * (1.0 + tn * tn) * s};
  }
  static double held_state_dI(const Network &net, double drive, double tr, double t0, double lam) {
    return lam * (-((tr - t0) / net.tau) / std::sqrt(drive));
  }
  // Re-base by d: x' = x + omega d, so dx'/dI = d / sqrt(I); the adjoints are unchanged.
  static void rebase(Network &, double *, double) {}
  static double rebase_dI(double drive, double d) { return d / std::sqrt(drive); }
};

}  // namespace sp
