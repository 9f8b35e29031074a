// LIF with exponential synaptic currents: the readers of the local form and the first-crossing
// solver (bracket from the closed-form critical point, then safeguarded Newton).
#include "models/lif_syn.hpp"

#include <cfloat>

namespace sp {

double LifSyn::local_v(double p, double q, double drive, const Shape &sh, double s) {
  if (sh.alpha) return drive + (p + q * s * sh.inv_m) * std::exp(-s * sh.inv_m);
  return drive + p * std::exp(-s * sh.inv_m) + q * std::exp(-s * sh.inv_s);
}

double LifSyn::local_dv(double p, double q, const Shape &sh, double s) {
  if (sh.alpha) {
    double x = s * sh.inv_m;
    return (q - p - q * x) * sh.inv_m * std::exp(-x);
  }
  return -p * sh.inv_m * std::exp(-s * sh.inv_m) - q * sh.inv_s * std::exp(-s * sh.inv_s);
}

double LifSyn::critical(double p, double q, const Shape &sh) {
  double s;
  if (sh.alpha) {
    // (q - p - q s/tau) = 0
    if (q == 0.0) return -1.0;
    s = sh.tau_m * (1.0 - p / q);
  } else {
    // p/tau_m exp(-s/tau_m) = -q/tau_s exp(-s/tau_s)
    // <=> exp(s (1/tau_s - 1/tau_m)) = -(q tau_m)/(p tau_s)
    double ratio = -(q * sh.tau_m) / (p * sh.tau_s);
    if (!(ratio > 0.0) || !(ratio < INFINITY)) return -1.0;
    s = std::log(ratio) / (sh.inv_s - sh.inv_m);
  }
  return s > 0.0 && s < INFINITY ? s : -1.0;
}

double LifSyn::v_max(double p, double q, double drive, const Shape &sh) {
  double v0 = local_v(p, q, drive, sh, 0.0);
  double best = v0 > drive ? v0 : drive;
  double sc = critical(p, q, sh);
  if (sc > 0.0) {
    double vc = local_v(p, q, drive, sh, sc);
    if (vc > best) best = vc;
  }
  return best;
}

namespace {

// The larger root in (0, 1) of c2 x^2 + c1 x + c0 with c0 + c1 + c2 < 0 at x = 1 (the
// numerically stable form), or -1 if none: V(s) = 1 written in x = exp(-s/tau_fast)... see
// first_crossing. Only a starting point for the safeguarded iteration.
double largest_root_below_one(double c2, double c1, double c0) {
  if (c2 == 0.0) {
    if (c1 == 0.0) return -1.0;
    double x = -c0 / c1;
    return x > 0.0 && x < 1.0 ? x : -1.0;
  }
  double disc = c1 * c1 - 4.0 * c2 * c0;
  if (disc < 0.0) return -1.0;
  double sq = std::sqrt(disc);
  double qq = -0.5 * (c1 + (c1 >= 0 ? sq : -sq));
  double r1 = qq / c2, r2 = qq != 0.0 ? c0 / qq : -1.0;
  double best = -1.0;
  if (r1 > 0.0 && r1 < 1.0) best = r1;
  if (r2 > 0.0 && r2 < 1.0 && r2 > best) best = r2;
  return best;
}

}  // namespace

double LifSyn::first_crossing(double p, double q, double drive, const Shape &sh) {
  const double c = drive - 1.0;
  auto f = [&](double s) { return local_v(p, q, drive, sh, s) - 1.0; };
  if (!(f(0.0) < 0.0)) return 0.0;
  double sc = critical(p, q, sh);
  double d0 = local_dv(p, q, sh, 0.0);
  double lo, hi;
  bool hi_known = false;
  if (d0 > 0.0) {
    // Rising now: up to the maximum (then falling to I for good), or for good.
    lo = 0.0;
    if (sc > 0.0) {
      if (f(sc) < 0.0) return INFINITY;  // the maximum stays below threshold
      hi = sc;
      hi_known = true;
    } else if (!(c > 0.0)) {
      return INFINITY;  // rising to the asymptote I <= 1
    }
  } else {
    // Falling now: a minimum, then rising to I; only I > 1 crosses.
    if (!(c > 0.0)) return INFINITY;
    lo = sc > 0.0 ? sc : 0.0;
  }
  if (!hi_known) {
    // V rises monotonically to I > 1 beyond lo: double the distance until V >= 1.
    double step = sh.tau_m > sh.tau_s ? sh.tau_m : sh.tau_s;
    hi = lo + step;
    while (f(hi) < 0.0) {
      lo = hi;
      step *= 2.0;
      hi = lo + step;
      if (!(hi < INFINITY)) return INFINITY;
    }
  }
  // f(lo) < 0 <= f(hi) and f is increasing on [lo, hi].
  double s = 0.5 * (lo + hi);
  if (sh.quadratic != 0) {
    // tau_s = tau_m/2: in x = exp(-s/tau_m), (I - 1) + p x + q x^2 = 0; tau_s = 2 tau_m: in
    // x = exp(-s/tau_s), (I - 1) + q x + p x^2 = 0. The first crossing is the largest root
    // x < 1 (s grows as x falls).
    double x = sh.quadratic == 2 ? largest_root_below_one(q, p, c)
                                 : largest_root_below_one(p, q, c);
    double tau_x = sh.quadratic == 2 ? sh.tau_m : sh.tau_s;
    if (x > 0.0) {
      double sx = -tau_x * std::log(x);
      if (sx >= lo && sx <= hi) s = sx;
    }
  }
  // Safeguarded Newton: a step that leaves the bracket or does not halve the last step is
  // replaced by bisection, so the bracket shrinks geometrically even where dV/ds -> 0 (a
  // touch).
  double last_step = hi - lo;
  for (int it = 0; it < 400; ++it) {
    double fs = f(s);
    if (fs < 0.0)
      lo = s;
    else
      hi = s;
    if (!(hi - lo > 2.0 * DBL_EPSILON * hi)) break;
    double ds = local_dv(p, q, sh, s);
    double next = s - fs / ds;
    bool newton = ds > 0.0 && next > lo && next < hi && std::fabs(next - s) < 0.5 * last_step;
    if (!newton) next = lo + 0.5 * (hi - lo);
    last_step = std::fabs(next - s);
    if (newton && last_step <= DBL_EPSILON * s) {
      // Converged to rounding: one more evaluation could only move it within the noise.
      s = next;
      if (s < lo) s = lo;
      if (s > hi) s = hi;
      return s;
    }
    s = next;
  }
  return hi;
}

}  // namespace sp
