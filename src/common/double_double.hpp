// Constants to better than 2^-95 as the unevaluated sum of two doubles (hi + lo), for factors that
// an event applies again and again: a factor rounded once to a double has the same relative error,
// of up to 2^-53, at every use, and those errors add up in one direction (LIF's refractory factor
// exp(t_ref/tau), src/ARCHITECTURE.md, Models, LIF). Computed once per network, never while
// running.
#pragma once

#include <cmath>

#include "common/rounding.hpp"

namespace sp {

struct DoubleDouble {
  double hi, lo;
};

// a + b as hi + lo, exactly.
inline DoubleDouble dd_sum(double a, double b) {
  const double s = a + b;
  return {s, two_sum_error(a, b, s)};
}

inline DoubleDouble dd_add(DoubleDouble a, DoubleDouble b) {
  const double s = a.hi + b.hi;
  const double e = two_sum_error(a.hi, b.hi, s) + a.lo + b.lo;
  return dd_sum(s, e);
}

inline DoubleDouble dd_mul(DoubleDouble a, DoubleDouble b) {
  const double p = a.hi * b.hi;
  const double e = std::fma(a.hi, b.hi, -p) + (a.hi * b.lo + a.lo * b.hi);
  return dd_sum(p, e);
}

// a / n for a small positive integer n.
inline DoubleDouble dd_div(DoubleDouble a, double n) {
  const double q = a.hi / n;
  const double r = std::fma(-q, n, a.hi) + a.lo;
  return dd_sum(q, r / n);
}

// x / y as hi + lo (the remainder of the quotient, exactly, divided by y).
inline DoubleDouble dd_quotient(double x, double y) {
  const double q = x / y;
  return {q, std::fma(-q, y, x) / y};
}

// exp(x) for x = x.hi + x.lo with 0 <= x.hi, relative error below 2^-95 (an outside check: 2^-95.75
// at worst over 42,544 arguments); {inf, 0} where exp overflows a double. x = k ln 2 + r with |r|
// <= ln 2 / 2, then exp(r / 1024) - 1 by its Taylor series (|r / 1024| < 3.4e-4: ten terms are far
// below 2^-106), squared ten times in the form m -> 2m + m^2 (m = e - 1, which keeps the small part
// exact), and scaled by 2^k. Any other argument gives a defined result too (a loaded file's t_ref
// and tau reach it before the checks that refuse them: a fuzz_load finding): 0 below -746, NaN for
// NaN.
inline DoubleDouble dd_exp(DoubleDouble x) {
  if (std::isnan(x.hi)) return {x.hi, 0.0};
  if (!(x.hi <= 709.0)) return {INFINITY, 0.0};
  if (!(x.hi >= -746.0)) return {0.0, 0.0};
  constexpr DoubleDouble kLn2 = {0x1.62e42fefa39efp-1, 0x1.abc9e3b39803fp-56};
  const double k = std::nearbyint(x.hi / kLn2.hi);
  const DoubleDouble k_ln2 = dd_mul({k, 0.0}, kLn2);
  DoubleDouble s = dd_add(x, {-k_ln2.hi, -k_ln2.lo});
  s = {std::ldexp(s.hi, -10), std::ldexp(s.lo, -10)};
  DoubleDouble term = s, m = s;
  for (int n = 2; n <= 10; ++n) {
    term = dd_div(dd_mul(term, s), n);
    m = dd_add(m, term);
  }
  for (int i = 0; i < 10; ++i) m = dd_add({2.0 * m.hi, 2.0 * m.lo}, dd_mul(m, m));
  const DoubleDouble e = dd_add({1.0, 0.0}, m);
  const int ki = static_cast<int>(k);
  return {std::ldexp(e.hi, ki), std::ldexp(e.lo, ki)};
}

}  // namespace sp
