// The QIF model's partial derivatives for the backward pass (Deriv<Qif>, see models/room.hpp and
// src/ARCHITECTURE.md, Backward pass), in its co-moving phase x = phi - omega (t - t0)/tau.
#pragma once
#include <cmath>

#include "core/network.hpp"
#include "models/qif.hpp"
#include "models/qif_batch.hpp"
#include "models/room.hpp"

namespace sp {

template <>
struct Deriv<Qif> {
  static constexpr bool kInputIsShift = false;
  // Rows without a repeated target are reversed in batches (reverse_row_batched).
  static constexpr bool kBatchedInputs = true;
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
  // dV/dt at a fixed state: (I + V^2)/tau = I (1 + tan^2)/tau.
  static double voltage_rate(const Network &net, double x, double drive, double t, double t0) {
    double tn = std::tan(0.5 * (x + 2.0 * std::sqrt(drive) * (t - t0) / net.tau));
    return drive * (1.0 + tn * tn) / net.tau;
  }
  static double held_state_dI(const Network &net, double drive, double tr, double t0, double lam) {
    return lam * (-((tr - t0) / net.tau) / std::sqrt(drive));
  }
  // V = sqrt(I) tan((x + omega s)/2) (the voltage at the start of a recording).
  static double voltage_at(const Network &net, double x, double drive, double t, double t0) {
    return Qif::voltage(x, drive, Qif::clock(t, t0, net.tau));
  }
  // Re-base by d: x' = x + omega d, so dx'/dI = d / sqrt(I); the adjoints are unchanged.
  static bool rebase(const Network &net, const double *lambda, double *grad_drive, double d) {
    for (uint32_t i = 0; i < net.n; ++i) grad_drive[i] += lambda[i] * (d / std::sqrt(net.drive[i]));
    return false;
  }
  // The state held at reset is linear in the clock: no adjoint is scaled (see Deriv<Lif>).
  static bool held_adjoint_lost(const Network &, double, double, double, bool, double) {
    return false;
  }
  static bool end_seed_lost(const Network &, double, double) { return false; }

  // Reverses the deliveries of a row without a repeated target (so they are independent), the
  // tangents the partials need computed in batches (models/qif_batch.hpp): visit(s, lam,
  // partials) for each delivery s not ignored (pre[s] not NaN) whose target's adjoint lam is
  // not 0, from the last delivery to the first.
  template <class Visit>
  static void reverse_row_batched(const Network &net, const Event &de, const Row &row,
                                  const double *pre, const double *lambda, Visit visit) {
    constexpr uint32_t kBlock = 64;
    double phi[kBlock], tn[kBlock];
    uint32_t at[kBlock];
    for (uint32_t end = row.count; end > 0;) {
      const uint32_t begin = end > kBlock ? end - kBlock : 0;
      uint32_t m = 0;
      double omega_drive = NAN, omega = 0.0;
      for (uint32_t s = end; s-- > begin;) {
        double x = pre[s];
        uint32_t i = row.targets[s];
        if (std::isnan(x) || lambda[i] == 0.0) continue;
        if (!(net.drive[i] == omega_drive)) {
          omega_drive = net.drive[i];
          omega = 2.0 * std::sqrt(omega_drive);
        }
        at[m] = s;
        phi[m++] = phase_at(de, x, omega);
      }
      qif_tan_half_batch(phi, tn, m);
      // The weight- and drive-only part, recomputed only when either changes.
      double last_w = NAN, last_drive = NAN;
      Synapse syn{};
      for (uint32_t q = 0; q < m; ++q) {
        uint32_t s = at[q], i = row.targets[s];
        double w = row.weights ? row.weights[s] : row.weight;
        double lam = lambda[i];
        if (!(w == last_w && net.drive[i] == last_drive)) {
          last_w = w;
          last_drive = net.drive[i];
          syn = synapse(w, last_drive, net.tau);
        }
        visit(s, lam, input_from_tan(de, tn[q], syn));
      }
      end = begin;
    }
  }
};

}  // namespace sp
