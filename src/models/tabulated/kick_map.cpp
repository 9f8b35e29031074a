// Building the kick maps of tabulated models (kick_map.hpp has the method).
#include "models/tabulated/kick_map.hpp"

#include <cmath>

namespace sp {
namespace {
constexpr uint32_t N = kKickCoefs;
// Samples per segment: four times the coefficients kept, so that the series is fitted (in the
// least-squares sense of the discrete Chebyshev transform) rather than interpolated, and the
// rounding noise of the sampled phases is averaged, not amplified, at the segment's ends.
constexpr uint32_t M = 4 * N;
constexpr double kPi = 3.14159265358979323846;
// Converged: the Chebyshev coefficients of the dropped degrees below this fraction of
// max(1, |phi|), about the rounding of the sampled values (each a phase good to an ulp or two).
constexpr double kTol = 0x1p-52;

// Double-double numbers (hi + lo, |lo| <= ulp(hi)/2) for the change of basis below: about 106
// bits on every machine, with std::fma's exact products, where long double would give 64 on
// x86-64 and 53 on ARM, and so kick maps, and the spikes of a loaded network, that differ in
// the last bit between machines.
struct DoubleDouble {
  double hi = 0, lo = 0;
};
// a + b exactly, as a double-double (Knuth's two-sum).
DoubleDouble two_sum(double a, double b) {
  const double s = a + b, bb = s - a;
  return {s, (a - (s - bb)) + (b - bb)};
}
DoubleDouble add(DoubleDouble x, DoubleDouble y) {
  DoubleDouble s = two_sum(x.hi, y.hi);
  const DoubleDouble t = two_sum(x.lo, y.lo);
  s.lo += t.hi;
  s = two_sum(s.hi, s.lo);
  s.lo += t.lo;
  return two_sum(s.hi, s.lo);
}
// x times a double.
DoubleDouble mul(DoubleDouble x, double c) {
  const double p = x.hi * c;
  const double e = std::fma(x.hi, c, -p);  // (exact: the product's rounding error)
  return two_sum(p, e + x.lo * c);
}
// Monomial coefficients of the Chebyshev polynomials T_j, j < N (exact integers):
// coefficient(j, p) multiplies u^p. A constant table, not an N x N array on the stack.
struct Monomials {
  double c[N][N] = {};
  constexpr Monomials() {
    c[0][0] = 1;
    if (N > 1) c[1][1] = 1;
    for (uint32_t j = 2; j < N; ++j)
      for (uint32_t p = 0; p < N; ++p) c[j][p] = (p ? 2 * c[j - 1][p - 1] : 0) - c[j - 2][p];
  }
};
constexpr Monomials kMono;
}  // namespace

uint32_t kick_map_build(const Table &t, double w, KickMap *m) {
  m->weight = NAN;
  m->start = t.phi_lo;
  m->inv_h = kKickSegments / (t.period - t.phi_lo);
  m->reserved = 0;
  for (uint32_t i = 0; i < kKickSegments; ++i)
    for (uint32_t j = 0; j < N; ++j) m->c[i][j] = NAN;
  if (!(w != 0 && std::isfinite(w) && m->inv_h > 0 && m->inv_h < INFINITY)) return 0;
  const double h = 1 / m->inv_h;
  // T_j(cos theta) = cos(j theta) at the M nodes, the angle reduced in integers first: the
  // transform's entry (j, k) is cosines[(j (2k + 1)) mod 4M], 4M values (not an M x M matrix:
  // 10 KB more of stack, which a 16 KiB thread does not have to spare; the header's Memory).
  double node[M], cosines[4 * M];
  for (uint32_t k = 0; k < M; ++k) node[k] = std::cos(kPi * (k + 0.5) / M);
  for (uint32_t q = 0; q < 4 * M; ++q) cosines[q] = std::cos(kPi * q / (2 * M)) * 2.0 / M;
  auto kick = [&](double phi) { return t.phase(t.voltage(phi) + w); };
  uint32_t resolved = 0;
  for (uint32_t i = 0; i < kKickSegments; ++i) {
    const double a = m->start + i * h, b = m->start + (i + 1) * h;
    const double mid = 0.5 * (a + b), half = 0.5 * (b - a);
    // The kick must stay below the period on the whole segment (it increases with phi), so
    // that no threshold crossing is inside: those take the look-ups, which return T_I exactly.
    // (Checked a little past b: rounding may place a phase just past b on this segment.)
    const double past_b = m->start + (i + 1 + 0x1p-20) * h;
    if (!(kick(past_b) < t.period) || !(kick(a) > -INFINITY)) continue;
    double f[M], scale = 1;
    bool finite = true;
    for (uint32_t k = 0; k < M; ++k) {
      const double x = mid + half * node[k], y = kick(x);
      f[k] = y - x;
      finite = finite && std::isfinite(f[k]);
      scale = std::fmax(scale, std::fmax(std::fabs(x), std::fabs(y)));
    }
    if (!finite) continue;
    double ch[M];
    for (uint32_t j = 0; j < M; ++j) {
      double s = 0;
      for (uint32_t k = 0; k < M; ++k) s += cosines[(j * (2 * k + 1)) % (4 * M)] * f[k];
      ch[j] = s;
    }
    ch[0] *= 0.5;
    // Converged when every coefficient from degree N - 1 on is at the rounding level; the map
    // keeps degrees below N (the rest is dropped).
    bool converged = true;
    for (uint32_t j = N - 1; j < M; ++j) converged = converged && std::fabs(ch[j]) <= kTol * scale;
    if (!converged) continue;
    // To monomials in t = (u + 1)/2 (summed in double-doubles: the T_j have coefficients up to
    // 2^(N-2), and the terms cancel): first in u, then a_p u^p = a_p (2t - 1)^p expanded.
    DoubleDouble in_u[N], in_t[N];
    for (uint32_t p = 0; p < N; ++p)
      for (uint32_t j = p; j < N; ++j) in_u[p] = add(in_u[p], mul({ch[j], 0}, kMono.c[j][p]));
    for (uint32_t p = 0; p < N; ++p) {
      double binom = 1;  // C(p, q), an integer below 2^7 (exact)
      for (uint32_t q = 0; q <= p; ++q) {
        // (2t - 1)^p = sum_q C(p, q) (2t)^q (-1)^(p - q); the factor is an exact integer.
        const double factor = binom * std::ldexp(1.0, static_cast<int>(q)) *
                              (((p - q) & 1) ? -1 : 1);
        in_t[q] = add(in_t[q], mul(in_u[p], factor));
        binom = binom * (p - q) / (q + 1);
      }
    }
    for (uint32_t p = 0; p < N; ++p) m->c[i][p] = in_t[p].hi;  // (hi: the sum rounded)
    ++resolved;
  }
  if (resolved) m->weight = w;
  return resolved;
}

}  // namespace sp
