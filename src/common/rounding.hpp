// Measures of a double's rounding, for the precision guards of the rooms and engines.
#pragma once

#include <cmath>

namespace sp {

// The spacing of doubles at |x|: the gap from |x| to the next double up.
inline double ulp_of(double x) {
  const double m = std::fabs(x);
  return std::nextafter(m, INFINITY) - m;
}

// (a + b) - fl(a + b), exactly, given s = fl(a + b) (Knuth's two-sum; any order of magnitudes).
inline double two_sum_error(double a, double b, double s) {
  const double b_part = s - a;
  return (a - (s - b_part)) + (b - b_part);
}

}  // namespace sp
