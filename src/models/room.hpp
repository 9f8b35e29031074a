// What a neuron model's room provides to the engine, and the helpers every room shares. A model
// M is a struct of its mathematics (models/<name>.hpp) plus two specialisations: Ops<M>, its glue
// to the network (models/<name>_ops.hpp), and Deriv<M>, its partial derivatives for the backward
// pass (models/<name>_deriv.hpp). src/ARCHITECTURE.md ("Adding a neuron model") lists the
// members every room has; the event loop, the voltage readers, the backward pass and save/load
// use only those (a missing one is a compile error at its first use).
#pragma once
#include <cmath>
#include <cstdint>

#include "common/error.hpp"
#include "sparseprop/sparseprop.h"

namespace sp {

// The network glue of model M: clocks, kicks, resets, spike times, voltages, queue keys of both
// frames, re-basing, value checks and the loader's model-specific checks.
template <class M>
struct Ops;

// The partial derivatives of model M's event maps (grad/backward.cpp).
template <class M>
struct Deriv;

// Derivatives of one input delivery x' = k(x, t, w, I).
struct InputPartials {
  double dx, dt, dw, dI;
};
// Derivatives of a state with respect to the voltage and drive that define it.
struct StatePartials {
  double dv, dI;
};

// (t - t0)/tau for t >= t0 as q + c, q the rounded quotient and c (|c| <= ulp(q)) what
// rounding it dropped, with the difference t - t0 taken exactly (it may not be a double when
// t0 is much smaller than t).
struct Span {
  double q, c;
};
inline Span exact_span_parts(double t, double t0, double tau) {
  // TwoSum (Knuth): d + err = t - t0 exactly.
  double d = t - t0;
  double t_part = d + t0, t0_part = d - t_part;
  double err = (t - t_part) - (t0 + t0_part);
  double q = d / tau;
  if (!std::isfinite(q)) return Span{q, 0.0};  // (a silence beyond the largest double)
  // q tau + r = d exactly; the quotient of (r + err) by tau corrects q.
  double r = std::fma(-q, tau, d);
  return Span{q, (r + err) / tau};
}
// The same rounded once.
inline double exact_span(double t, double t0, double tau) {
  Span s = exact_span_parts(t, t0, tau);
  return s.q + s.c;
}
// exp(-(t - t0)/tau) without the rounding of the exponent (an ulp of an exponent near 32 would
// be a relative error of 7e-15): exp(-q) (1 - c).
inline double exp_minus_span(double t, double t0, double tau) {
  Span s = exact_span_parts(t, t0, tau);
  return std::exp(-s.q) * (1.0 - s.c);
}

// Phase models (QIF, tabulated): the loader's bound on a loaded phase and on the shift the next
// re-basing adds to it, so that their sum stays finite. Far above what a running network
// reaches: its phases stay within a few periods of its clock's last re-basing (about
// omega t_ref/tau at most, with t_ref <= 1e15 tau).
constexpr double kLoadedPhaseLimit = 1e300;
inline sp_status check_loaded_phase(double x, uint32_t i) {
  if (std::fabs(x) <= kLoadedPhaseLimit) return SP_OK;
  return fail(SP_ERR_FORMAT, "not a valid saved network: state[%u] = %g: a phase must be within %g",
              i, x, kLoadedPhaseLimit);
}

}  // namespace sp
