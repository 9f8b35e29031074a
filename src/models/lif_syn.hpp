// LIF with exponentially decaying synaptic currents (current-based synapses): the dynamics in
// co-moving coordinates, input kicks, reset, readers, and the first-crossing spike-time solver.
// tau_m dV/dt = -V + I + J, tau_s dJ/dt = -J; threshold 1, reset V = 0, J continuous.
//
// A synaptic input of weight w raises J by w tau_m/tau_s: its voltage response from rest is
// c_w (exp(-s/tau_m) - exp(-s/tau_s)) with c_w = w tau_m/(tau_m - tau_s), whose integral over
// s is w tau_m, the same as a delta synapse of weight w (tau_s -> 0 gives the delta model).
//
// Between events V(t) = I + a exp(-(t-t0)/tau_m) + b exp(-(t-t0)/tau_s). With the clocks
// E_m = exp((t-t0)/tau_m) and E_s = exp((t-t0)/tau_s), shared by every neuron, the co-moving
// coordinates A = a, B = b are constant between events:
//   V = I + A/E_m + B/E_s,   J = (1 - tau_m/tau_s) B/E_s.
// An input at clocks (E_m, E_s) adds c_w E_m to A and -c_w E_s to B (V is continuous, J
// jumps): two multiply-adds per target with a kick shared by the whole row, no exp or log.
//
// tau_s = tau_m (the "alpha" case) has a repeated exponent; there the coordinates are
//   V = I + (A + B x)/E,   J = B/E,   x = (t - t0)/tau, E = exp(x),
// and an input adds w E to B and -w E x to A (the same two multiply-adds).
//
// The relative rounding of V grows like tau_m/|tau_m - tau_s| as tau_s approaches tau_m
// without equalling it (A and B are then large and of opposite signs); validation keeps the
// ratio away from 1 unless it is exactly 1 (kMinRatioGap).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace sp {

// The engine's second per-neuron record (the first, NeuronSlot, holds A): the coordinate B and
// whether the neuron's queue key is only a lower bound (inhibitory inputs since it was computed).
struct LifSynAux {
  double b;
  uint32_t stale;
  uint32_t unused;
};

struct LifSyn {
  // |tau_s/tau_m - 1| must be 0 or at least this: closer ratios lose more than 2^-12 of V's
  // precision to cancellation between A and B.
  static constexpr double kMinRatioGap = 0x1p-12;

  // The constants of one network (every neuron shares tau_m and tau_s).
  struct Shape {
    double tau_m, tau_s;
    double inv_m, inv_s;  // 1/tau_m, 1/tau_s
    bool alpha;           // tau_s == tau_m: the t exp(-t/tau) form
    double c_per_w;       // tau_m/(tau_m - tau_s): c_w = w c_per_w (0 in the alpha case)
    int quadratic;        // 2: tau_s = tau_m/2, 1: tau_s = 2 tau_m, 0: neither (exactly)
    // k in 2..kMaxPower when tau_m = k tau_s exactly (m_per_s) or tau_s = k tau_m (s_per_m),
    // else 0: the faster exponential is then the slower one to the k-th power, k - 1
    // multiplications instead of a second exp (a relative rounding of about k ulps, the same
    // as the direct exp's from its argument's rounding).
    int m_per_s, s_per_m;
  };
  static constexpr int kMaxPower = 8;
  static int integer_ratio(double big, double small) {
    for (int k = 2; k <= kMaxPower; ++k)
      if (small * k == big) return k;
    return 0;
  }
  static Shape shape(double tau_m, double tau_s) {
    Shape s;
    s.tau_m = tau_m;
    s.tau_s = tau_s;
    s.inv_m = 1.0 / tau_m;
    s.inv_s = 1.0 / tau_s;
    s.alpha = tau_s == tau_m;
    s.c_per_w = s.alpha ? 0.0 : tau_m / (tau_m - tau_s);
    s.quadratic = tau_s * 2.0 == tau_m ? 2 : (tau_m * 2.0 == tau_s ? 1 : 0);
    s.m_per_s = integer_ratio(tau_m, tau_s);
    s.s_per_m = integer_ratio(tau_s, tau_m);
    return s;
  }

  // The clocks at time t, relative to the reference time t0.
  struct Clock {
    double em, es;  // exp((t-t0)/tau_m), exp((t-t0)/tau_s) (equal in the alpha case)
    double x;       // (t - t0)/tau_m
  };
  static Clock clock(double t, double t0, const Shape &sh) {
    Clock c;
    c.x = (t - t0) * sh.inv_m;
    c.em = std::exp(c.x);
    c.es = sh.alpha ? c.em : std::exp((t - t0) * sh.inv_s);
    return c;
  }

  static double voltage(double a, double b, double drive, const Shape &sh, const Clock &c) {
    // (After a silence of more than about 710 tau the clock is +inf and both terms have
    // decayed below any double: V = I. B x alone could then overflow, and inf/inf is NaN.)
    if (sh.alpha) return c.em < INFINITY ? drive + (a + b * c.x) / c.em : drive;
    return drive + a / c.em + b / c.es;
  }
  static double current(double b, const Shape &sh, const Clock &c) {
    if (sh.alpha) return b / c.em;
    return (1.0 - sh.tau_m * sh.inv_s) * b / c.es;
  }
  // Coordinates of voltage v and current j at clock c.
  static void from_state(double v, double j, double drive, const Shape &sh, const Clock &c,
                         double *a, double *b) {
    if (sh.alpha) {
      *b = j * c.em;
      *a = (v - drive) * c.em - *b * c.x;
    } else {
      *b = j * c.es / (1.0 - sh.tau_m * sh.inv_s);
      *a = (v - drive - *b / c.es) * c.em;
    }
  }

  // An input of weight w at clock c: the kick shared by a row, then its application.
  struct Kick {
    double ka, kb;
  };
  static Kick kick(double w, const Shape &sh, const Clock &c) {
    if (sh.alpha) return Kick{-w * c.em * c.x, w * c.em};
    double cw = w * sh.c_per_w;
    return Kick{cw * c.em, -(cw * c.es)};
  }
  static void apply(double *a, double *b, const Kick &k) {
    *a += k.ka;
    *b += k.kb;
  }
  // A reset (V = 0, J kept) at clock c: the new A.
  static double reset_a(double b, double drive, const Shape &sh, const Clock &c) {
    if (sh.alpha) return -(drive * c.em + b * c.x);
    return -(drive + b / c.es) * c.em;
  }

  // The local form at clock c: V(t + s) = I + p exp(-s/tau_m) + q exp(-s/tau_s), or in the
  // alpha case I + (p + q s/tau) exp(-s/tau). The solver and the readers below work on it.
  static void local(double a, double b, const Shape &sh, const Clock &c, double *p, double *q) {
    if (sh.alpha) {
      *p = (a + b * c.x) / c.em;
      *q = b / c.em;
    } else {
      *p = a / c.em;
      *q = b / c.es;
    }
  }
  // The local form at s >= 0 of the local form (p, q): V(t + s + u) in u.
  static void local_at(double p, double q, const Shape &sh, double s, double *p_s, double *q_s) {
    if (sh.alpha) {
      const double e = std::exp(-s * sh.inv_m);
      *p_s = (p + q * s * sh.inv_m) * e;
      *q_s = q * e;
    } else {
      *p_s = p * std::exp(-s * sh.inv_m);
      *q_s = q * std::exp(-s * sh.inv_s);
    }
  }
  // V and dV/ds of the local form at s >= 0.
  static double local_v(double p, double q, double drive, const Shape &sh, double s);
  static double local_dv(double p, double q, const Shape &sh, double s);
  // The interior critical point of V(s), s in (0, inf) (dV/ds = 0 has at most one root), or
  // -1 if there is none.
  static double critical(double p, double q, const Shape &sh);
  // The supremum of V(s) over s >= 0, in closed form (the critical point, V(0) or the
  // asymptote I).
  static double v_max(double p, double q, double drive, const Shape &sh);
  // x^k by k - 1 multiplications from the left (the same rounding for every k; unrolled for
  // the small k of the common ratios, where a loop's bookkeeping cost as much as the products).
  static double power(double x, int k) {
    switch (k) {
      case 1: return x;
      case 2: return x * x;
      case 3: return x * x * x;
      case 4: return x * x * x * x;
      default: {
        double r = x;
        for (int i = 1; i < k; ++i) r *= x;
        return r;
      }
    }
  }
  // A lower bound on first_crossing(p, q, drive) with no exp or log, for the neurons an
  // inhibitory input leaves with a lower-bound key: 0 when it does not apply. It applies when
  // one time constant is k <= kMaxPower times the other, the drive is above threshold
  // (c = I - 1 > 0), V(0) < 1 and the faster exponential's coefficient is positive (an
  // inhibited neuron: J < 0). Then V = 1 reads g(x) = c + P x + Q x^k = 0 in
  // x = exp(-s/tau_slow) (P < 0 < Q the slower and faster coefficients); g is convex on [0, 1]
  // with g(0) = c > 0 > g(1), so the first crossing is its one root x* there, and g lies below
  // its chords: the chord from x1 = -c/P (the slower exponential's own root, where
  // g = Q x1^k > 0, so x1 < x*) to 1 meets zero at an x_c >= x*. Then s* = tau_slow ln(1/x*)
  // >= tau_slow ln(1/x_c), and neg_log_below bounds the log from below. Roundings are covered by
  // moving g(x1) and g(1) up by 8 ulps of their terms' sizes (which moves x_c towards 1) and
  // shortening the result by 2^-30 of itself. (One Newton step from x1 before the chord cut
  // the exact solves per spike only from 2.25 to 2.06 and cost more than they did.)
  static double crossing_bound(double p, double q, double drive, const Shape &sh) {
    const int k = sh.m_per_s ? sh.m_per_s : sh.s_per_m;
    if (k == 0) return 0.0;
    const double c = drive - 1.0;
    const double slow = sh.m_per_s ? p : q, fast = sh.m_per_s ? q : p;
    const double tau_slow = sh.m_per_s ? sh.tau_m : sh.tau_s;
    if (!(c > 0.0) || !(fast > 0.0)) return 0.0;
    const double size = c - slow + fast;  // (slow < 0 below)
    const double tol = 8.0 * 0x1p-52 * size;
    const double g1 = c + slow + fast + tol;  // g(1), rounded up
    if (!(g1 < 0.0)) return 0.0;
    const double x1 = -c / slow;  // in (0, 1): c + slow < -fast < 0
    // g(x1) = fast x1^k, as c + slow x1 = 0 up to rounding; rounded up.
    const double e1 = fast * power(x1, k) + tol;
    // x_c = x1 + e1 (1 - x1)/(e1 - g1), and 1 - x_c without the cancellation.
    const double d = e1 - g1;
    const double u = (1.0 - x1) * -g1 / d;
    double s = tau_slow * neg_log_below(u, u <= 0.5 ? 1.0 - u : x1 + e1 * (1.0 - x1) / d);
    s -= s * 0x1p-30;
    return s > 0.0 ? s : 0.0;
  }
  // A lower bound on -ln x for x = 1 - u in (0, 1), given both u and x (each to its own
  // relative precision: u near x = 1, x near 0), within 0.4% of it (and up to a few ulps of
  // rounding), with no log: for u <= 1/2 the series sum u^n/n (positive terms) to the sixth;
  // else x = m 2^-e with m in [1/2, 1) from its bits, and -ln x = e ln 2 - ln m by the same
  // series in 1 - m.
  static double neg_log_below(double u, double x) {
    auto series = [](double v) {
      return v * (1.0 + v * (1.0 / 2 + v * (1.0 / 3 + v * (1.0 / 4 + v * (1.0 / 5 + v / 6)))));
    };
    if (u <= 0.5) return series(u);
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    const int biased = static_cast<int>(bits >> 52 & 0x7ff);
    // ln 2 rounded to double is below it: e ln 2 rounds down too (but for its product's
    // rounding, which the caller's margin covers).
    const double ln2 = 0x1.62e42fefa39efp-1;
    if (biased == 0) return 1022 * ln2;  // x below 2^-1022
    bits = (bits & ((uint64_t(1) << 52) - 1)) | uint64_t(1022) << 52;
    double m;
    std::memcpy(&m, &bits, sizeof m);
    return (1022 - biased) * ln2 + series(1.0 - m);
  }
  // The first s >= 0 with V(s) >= 1 (0 if V(0) >= 1 already), to full double precision, or
  // +inf if V never reaches 1. A tangential touch (V's maximum exactly 1) counts when V at the
  // critical point evaluates to >= 1 in double; its spike time is then the critical point, and
  // its gradient is unbounded (dV/dt = 0 there: the backward pass reports SP_ERR_NUMERIC).
  static double first_crossing(double p, double q, double drive, const Shape &sh);
};

}  // namespace sp
