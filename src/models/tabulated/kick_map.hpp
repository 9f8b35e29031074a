// The kick map of a tabulated model for one weight: phi -> phi(V(phi) + w) tabulated on uniform
// segments of the phase, so that a delivery is one short polynomial instead of two table look-ups.
//
// A network whose recurrent synapses share one weight w gets one map per phase table (per
// drive), built from that table when the network is created or loaded (so sp_load needs no
// callback and the map costs no bytes in a saved file; building it from the same table bytes
// gives the same map, so a loaded network continues bit for bit). The phase range
// [phi_lo, T_I) of the table is cut into kKickSegments equal segments; on each, the shift
// D(phi) = phi(V(phi) + w) - phi is fitted by a discrete Chebyshev transform of 4 kKickCoefs
// samples (values from the table's own look-ups), kept to degree kKickCoefs - 1 and stored as
// monomial coefficients in t in [0, 1), evaluated by Estrin's scheme. A segment is used only
// where the series has converged to the rounding level of the phase (every Chebyshev
// coefficient from degree kKickCoefs - 1 on at most 2^-52 max(1, the largest sampled |phase|))
// and the kick stays below T_I on the whole segment; elsewhere (near T_I, where V(phi) blows
// up; at a finite threshold or the custom clamp at v_lo; below phi_lo) its first coefficient
// is NaN and the kick takes the two look-ups, so the threshold semantics are those of the
// table.
#pragma once
#include <cstdint>

#include "models/tabulated/table.hpp"

namespace sp {

constexpr uint32_t kKickSegments = 512;
constexpr uint32_t kKickCoefs = 9;  // degree 8

struct KickMap {
  double weight;  // the w of the map; NaN when the map is empty (no segment usable)
  double start;   // phase where segment 0 starts (the table's phi_lo)
  double inv_h;   // segments per unit of phase
  double reserved;
  // Per segment i, the coefficients of D in t = (phi - start) inv_h - i in [0, 1), constant
  // first; NaN first: the segment is not resolved (take the look-ups).
  double c[kKickSegments][kKickCoefs];

  // The shift D(phi) into *d when phi lies on a resolved segment; false otherwise. r is the
  // position (phi - start) inv_h, in segments.
  __attribute__((always_inline)) bool shift_at(double r, double *d) const {
    if (!(r >= 0 && r < static_cast<double>(kKickSegments))) return false;
    const uint32_t i = static_cast<uint32_t>(r);
    const double *k = c[i];
    if (k[0] != k[0]) return false;
    const double t = r - i;  // in [0, 1)
    // Estrin's scheme: four independent pairs, then two levels (a shorter chain of dependent
    // operations than Horner's, which is what a delivery waits for).
    static_assert(kKickCoefs == 9, "the evaluation below is written for degree 8");
    const double t2 = t * t, t4 = t2 * t2;
    const double p01 = k[0] + k[1] * t, p23 = k[2] + k[3] * t;
    const double p45 = k[4] + k[5] * t, p67 = k[6] + k[7] * t;
    *d = (p01 + p23 * t2) + ((p45 + p67 * t2) + k[8] * t4) * t4;
    return true;
  }
  __attribute__((always_inline)) bool shift(double phi, double *d) const {
    return shift_at((phi - start) * inv_h, d);
  }
};

// Builds the map of table t for weight w into *m (every segment unresolved when w is 0 or not
// finite). Returns the number of resolved segments.
uint32_t kick_map_build(const Table &t, double w, KickMap *m);

}  // namespace sp
