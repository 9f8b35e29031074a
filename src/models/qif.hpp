// Quadratic integrate-and-fire (theta neuron) in co-moving phase coordinates (src/ARCHITECTURE.md,
// Models). tau dV/dt = V^2 + I with I > 0; V = sqrt(I) tan(phi/2), phi in (-pi, pi], spike at pi,
// reset to -pi. The phase advances at omega = 2 sqrt(I) per tau, so x = phi - omega (t - t0)/tau
// is constant between events.
#pragma once
#include <cmath>
#include <cstdint>

namespace sp {

constexpr double kPi = 3.14159265358979323846;

struct Qif {
  // The clock value at time t: scaled time s = (t - t0)/tau. The phase offset of a neuron is
  // omega * s.
  static double clock(double t, double t0, double tau) { return (t - t0) / tau; }
  static double omega(double drive) { return 2.0 * std::sqrt(drive); }

  // The phase x + omega s lies in [-pi, pi] in exact arithmetic, but right after a reset it can
  // round to just below -pi (or, at a spike, just above pi), where tan(phi/2) wraps to the other
  // branch (+1.97e15 for I = 0.1 instead of -1.6e16 sqrt(I)): clamp it so V is monotone in phi.
  static double voltage(double x, double drive, double s) {
    double phi = std::fmin(std::fmax(x + omega(drive) * s, -kPi), kPi);
    return std::sqrt(drive) * std::tan(0.5 * phi);
  }
  static double from_voltage(double v, double drive, double s) {
    double sq = std::sqrt(drive);
    return 2.0 * std::atan(v / sq) - 2.0 * sq * s;
  }
  // Phase transition curve g(phi) = 2 atan(tan(phi/2) + c), c = w / sqrt(I).
  static double ptc(double phi, double c) { return 2.0 * std::atan(std::tan(0.5 * phi) + c); }
  // A jump of the voltage by w at clock value s, in two parts: the kick, the same for every
  // target with this drive (phase offset omega s, c = w / sqrt(I)), and its application.
  struct Kick {
    double off, c;
  };
  static Kick kick(double w, double drive, double s) {
    double sq = std::sqrt(drive);
    return Kick{2.0 * sq * s, w / sq};
  }
  // The phase is taken at most to pi (a phase rounded past it is at the spike, V = +inf, not
  // just after it, where tan(phi/2) would turn to -inf and the kick wrap it to -pi: a spike
  // lost). A NaN stays NaN.
  static double apply(double x, const Kick &k) {
    double phi = x + k.off;
    return ptc(phi > kPi ? kPi : phi, k.c) - k.off;
  }
  static double reset(double drive, double s) { return -kPi - omega(drive) * s; }
  static double spike_time(double x, double drive, double t0, double tau) {
    return t0 + tau * (kPi - x) / omega(drive);
  }
  static bool oscillatory(double drive) { return drive > 0.0; }
  static double period(double drive, double tau) { return kPi * tau / std::sqrt(drive); }
};

}  // namespace sp
