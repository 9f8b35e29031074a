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

// The root in (0, 1) of c + a1 x + ak x^k (k >= 2) for c > 0, a1 < 0, ak > 0 and
// c + a1 + ak < 0, or -1 if the iteration does not settle. The polynomial is convex on
// (0, 1), positive at 0 and negative at 1, so its root there is unique, and Newton's iteration
// from x0 = -c/a1 (where it is ak x0^k > 0) rises monotonically to it. No exp or log: a guess
// that first_crossing then checks with one evaluation of V.
double convex_root(double c, double a1, double ak, int k) {
  double x = -c / a1;
  for (int it = 0; it < 32; ++it) {
    double xk1 = LifSyn::power(x, k - 1);
    double f = c + a1 * x + ak * xk1 * x;
    double df = a1 + k * ak * xk1;
    if (!(f > 0.0) || !(df < 0.0)) return x;  // at the root to rounding
    double next = x - f / df;
    if (!(next > x) || !(next < 1.0)) return -1.0;
    // Quadratic convergence: the error after this step is about the step squared (relative),
    // far below what the polishing Newton step in time needs.
    if (next - x <= 0x1p-30 * next) return next;
    x = next;
  }
  return -1.0;
}

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
  // V - 1, dV/ds and d2V/ds2 at s from the same exponentials (two exps, one in the alpha
  // case); the second derivative only decides when Newton has converged.
  double d2 = 0.0;
  auto eval = [&](double s, double *dv) {
    double em, es;
    if (sh.s_per_m) {
      es = std::exp(-s * sh.inv_s);
      em = LifSyn::power(es, sh.s_per_m);
    } else {
      em = std::exp(-s * sh.inv_m);
      if (sh.alpha) {
        double x = s * sh.inv_m;
        *dv = (q - p - q * x) * sh.inv_m * em;
        d2 = (p - 2.0 * q + q * x) * sh.inv_m * sh.inv_m * em;
        return c + (p + q * x) * em;
      }
      es = sh.m_per_s ? LifSyn::power(em, sh.m_per_s) : std::exp(-s * sh.inv_s);
    }
    *dv = -p * sh.inv_m * em - q * sh.inv_s * es;
    d2 = p * sh.inv_m * sh.inv_m * em + q * sh.inv_s * sh.inv_s * es;
    return c + p * em + q * es;
  };
  // At s = 0 without exps.
  double f0 = sh.alpha ? c + p : c + p + q;
  // A state relaxed to its drive I <= 1 (both coefficients 0, e.g. underflowed after a silence
  // of 800 tau) is V = I for good: the asymptote, never a crossing, even when I is exactly 1.
  if (p == 0.0 && q == 0.0 && !(c > 0.0)) return INFINITY;
  if (!(f0 < 0.0)) return 0.0;
  if (c == 0.0) {
    // A drive of exactly 1: V - 1 = e^(-s/tau_m) (p + q s/tau) (alpha) or
    // e^(-s/tau_m) (p + q e^(-s (1/tau_s - 1/tau_m))): the crossing is the root of the second
    // factor, in closed form. (Evaluating c + (...) e^(-s/tau) instead reads 0, "at threshold",
    // wherever the exponential underflows, some 745 tau on, long before such a root.)
    if (sh.alpha) {
      if (!(q > 0.0)) return INFINITY;
      double s = -p / q * sh.tau_m;
      return s >= 0.0 ? s : INFINITY;
    }
    double ratio = -q / p;
    if (!(ratio > 0.0)) return INFINITY;
    double s = std::log(ratio) / (sh.inv_s - sh.inv_m);
    return s > 0.0 ? s : INFINITY;
  }
  double d0 = sh.alpha ? (q - p) * sh.inv_m : -p * sh.inv_m - q * sh.inv_s;
  double lo, hi, s = -1.0, fs = 0.0, ds = 0.0;
  if (d0 > 0.0) {
    // Rising now: up to the maximum (then falling to I for good), or for good. dV/ds has at
    // most one sign change and late in the rise the slower exponential decides its sign: with
    // a negative coefficient there, V rises for good and there is no maximum to look for.
    double slow_coef = sh.tau_m > sh.tau_s ? p : q;
    double sc = slow_coef < 0.0 ? -1.0 : critical(p, q, sh);
    lo = 0.0;
    if (sc > 0.0) {
      double dc;
      if (eval(sc, &dc) < 0.0) return INFINITY;  // the maximum stays below threshold
      // After its maximum V falls to I: with I > 1 it stays at or above 1 once it has crossed,
      // so a maximum far beyond both time constants (a tiny positive coefficient, e.g. from
      // a weight of 1e-300) is no bracket to bisect (400 halvings of 1e297 s leave 1e177 s):
      // search from 0 as for a rise for good.
      const double slowest = sh.tau_m > sh.tau_s ? sh.tau_m : sh.tau_s;
      hi = c > 0.0 && sc > 64.0 * slowest ? INFINITY : sc;
    } else if (!(c > 0.0)) {
      return INFINITY;  // rising to the asymptote I <= 1
    } else {
      hi = INFINITY;
    }
  } else {
    // Falling now: a minimum, then rising to I; only I > 1 crosses. V < 1 up to the minimum,
    // so [0, hi] holds one crossing even though V is not monotone on it (the iteration below
    // needs only the sign change; Newton steps where dV/ds <= 0 are replaced by bisection),
    // and the minimum's time need not be computed.
    if (!(c > 0.0)) return INFINITY;
    lo = 0.0;
    hi = INFINITY;
  }
  if (sh.quadratic != 0) {
    // tau_s = tau_m/2: in x = exp(-s/tau_m), (I - 1) + p x + q x^2 = 0; tau_s = 2 tau_m: in
    // x = exp(-s/tau_s), (I - 1) + q x + p x^2 = 0. The first crossing is the largest root
    // x < 1 (s grows as x falls): a starting point to polish.
    double x = sh.quadratic == 2 ? largest_root_below_one(q, p, c)
                                 : largest_root_below_one(p, q, c);
    double tau_x = sh.quadratic == 2 ? sh.tau_m : sh.tau_s;
    if (x > 0.0) {
      double sx = -tau_x * std::log(x);
      if (sx >= lo && sx <= hi) s = sx;
    }
  }
  if (s < 0.0 && !(hi < INFINITY) && (sh.m_per_s || sh.s_per_m)) {
    // tau_m = k tau_s (tau_s = k tau_m): in x = exp(-s/tau_slow), V = 1 reads
    // (I - 1) + P x + Q x^k = 0 (P, Q the slower and faster coefficients). With P < 0 < Q
    // (an inhibited neuron on a drive above threshold, the common case of a balanced network)
    // the root is found without exp or log; one evaluation of V at it usually shows that a
    // single Newton step in time reaches the rounding (two fewer evaluations than the general
    // path below, which takes over otherwise).
    int k = sh.m_per_s ? sh.m_per_s : sh.s_per_m;
    double slow = sh.m_per_s ? p : q, fast = sh.m_per_s ? q : p;
    double tau_slow = sh.m_per_s ? sh.tau_m : sh.tau_s;
    if (slow < 0.0 && fast > 0.0) {
      double x = convex_root(c, slow, fast, k);
      if (x > 0.0 && x < 1.0) {
        double sx = -tau_slow * std::log(x);
        if (sx > lo) {
          s = sx;
          fs = eval(s, &ds);
          if (ds > 0.0) {
            double step = fs / ds;
            if (0.5 * std::fabs(d2) * step * step <= 0.25 * DBL_EPSILON * s * ds) {
              double r = s - step;
              return r > lo ? r : lo;
            }
          }
        }
      }
    }
  }
  if (s < 0.0 && !(hi < INFINITY)) {
    // Late in the rise the slower exponential dominates: I - 1 + P e^(-s/tau_slow) = 0.
    bool m_slow = sh.tau_m >= sh.tau_s;
    double slow = m_slow || sh.alpha ? p : q, tau_slow = m_slow ? sh.tau_m : sh.tau_s;
    if (slow < 0.0) {
      double sg = tau_slow * std::log(-slow / c);
      if (sg > lo) s = sg;
    }
  }
  if (!(hi < INFINITY)) {
    // V ends rising monotonically to I > 1: from the guess (or lo + the slower time
    // constant), double the distance until V >= 1 (V < 1 before the crossing, so each point
    // found below 1 is a valid lo).
    double step = sh.tau_m > sh.tau_s ? sh.tau_m : sh.tau_s;
    double t = s > lo ? s : lo + step;
    for (;;) {
      fs = eval(t, &ds);
      if (!(fs < 0.0)) break;
      lo = t;
      step *= 2.0;
      t = lo + step;
      if (!(t < INFINITY)) return INFINITY;
    }
    hi = t;
    if (!(s > 0.0) || s < lo) s = hi;
    if (s != hi) fs = eval(s, &ds);
  } else {
    if (!(s >= lo && s <= hi)) s = 0.5 * (lo + hi);
    fs = eval(s, &ds);
  }
  // f(lo) < 0 <= f(hi), the first crossing in (lo, hi], fs = f(s) and ds = f'(s) at s in it.
  // Safeguarded Newton: a step that leaves the bracket or does not halve the last step is
  // replaced by bisection, so the bracket shrinks geometrically even where dV/ds -> 0 (a
  // touch).
  double last_step = hi - lo;
  if (!(last_step < INFINITY)) last_step = INFINITY;
  for (int it = 0; it < 400; ++it) {
    if (fs < 0.0)
      lo = s;
    else
      hi = s;
    if (!(hi - lo > 2.0 * DBL_EPSILON * hi)) break;
    if (ds > 0.0) {
      // Newton's error after this step is about (d2/(2 ds)) step^2 (the curvature is nearly
      // constant over so short a step): below a quarter of s's rounding, the step ends it.
      // Without this test the last steps, too short to move s, would fall back to bisection
      // and take some twenty more evaluations.
      double step = fs / ds;
      if (0.5 * std::fabs(d2) * step * step <= 0.25 * DBL_EPSILON * s * ds) {
        double r = s - step;
        return r < lo ? lo : (r > hi ? hi : r);
      }
    }
    double next = s - fs / ds;
    bool newton = ds > 0.0 && next > lo && next < hi && std::fabs(next - s) < 0.5 * last_step;
    if (!newton) next = lo + 0.5 * (hi - lo);
    last_step = std::fabs(next - s);
    if (newton && last_step <= DBL_EPSILON * s) {
      // Converged to rounding: one more evaluation could only move it within the noise.
      return next;
    }
    s = next;
    fs = eval(s, &ds);
  }
  return hi;
}

}  // namespace sp
