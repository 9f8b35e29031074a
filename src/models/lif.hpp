// Leaky integrate-and-fire in exponential co-moving coordinates (src/ARCHITECTURE.md, Models).
// tau dV/dt = -V + I, threshold 1, reset 0. The state u = (I - V) exp((t - t0)/tau) is constant
// between events, so an input costs one multiply-add and no exp/log.
#pragma once
#include <cmath>
#include <cstdint>

namespace sp {

struct Lif {
  // The model's clock value at time t: E = exp((t - t0)/tau). Shared by every neuron.
  static double clock(double t, double t0, double tau) { return std::exp((t - t0) / tau); }

  static double voltage(double u, double drive, double e) { return drive - u / e; }
  static double from_voltage(double v, double drive, double e) { return (drive - v) * e; }

  // A jump of the voltage by w at clock value e, in two parts: the kick, the same for every
  // target of a spike (w e), and its application to one state.
  struct Kick {
    double we;
  };
  static Kick kick(double w, double e) { return Kick{w * e}; }
  static double apply(double u, const Kick &k) { return u - k.we; }
  // Whether state u at clock value e is at or above threshold.
  static bool at_threshold(double u, double drive, double e) {
    return u <= threshold_state(drive, e);
  }
  static double threshold_state(double drive, double e) { return (drive - 1.0) * e; }
  // State just after a reset that takes effect at clock value e.
  static double reset(double drive, double e) { return drive * e; }

  // Next spike time without further input; +inf for a neuron that never reaches threshold.
  static double spike_time(double u, double drive, double t0, double tau) {
    if (!(drive > 1.0)) return INFINITY;
    // (A state near the largest double, after a long silence, over a drive just above 1 would
    // overflow the quotient: the difference of the logs then. A loaded file with such a state
    // was keyed +inf, never to spike above threshold, and its true key refused: an outside
    // loader fuzzer's finding.)
    const double r = u / (drive - 1.0);
    // A state at or below 0 is at or above threshold (V >= I > 1): due now. (A drive change's
    // rounding can leave one there, V being kept to an ulp of the larger drive: the log of a
    // negative quotient was a NaN key, and the neuron never spiked.)
    if (r <= 0.0) return -INFINITY;
    return t0 + tau * (r < INFINITY ? std::log(r) : std::log(u) - std::log(drive - 1.0));
  }
  static bool oscillatory(double drive) { return drive > 1.0; }
  // Free period from reset to threshold.
  static double period(double drive, double tau) { return tau * std::log(drive / (drive - 1.0)); }
  // The same without the quotient's rounding, for the creation check and its message: `period`
  // reads 0 once I/(I-1) rounds to 1 (I above about 2^53), where this gives about tau/I. (The
  // engine keeps `period`: seeded voltages and spike times are pinned to its rounding.)
  static double period_precise(double drive, double tau) {
    return tau * std::log1p(1.0 / (drive - 1.0));
  }
  // Voltage after time s from reset without input.
  static double voltage_after(double s, double drive, double tau) {
    return drive * -std::expm1(-s / tau);
  }
};

}  // namespace sp
