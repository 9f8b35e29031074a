// QIF inputs to many targets at once: y[j] = Qif::apply(x[j], kick) for j < n.
//
// The scalar path is Qif::apply itself. Where the build found glibc's vector math library
// (meson option vector_math) and the CPU has AVX2, four inputs go through libmvec's tan and
// atan together, about five times faster per input; those functions are accurate to a few
// units in the last place, so results can differ in the last bits between the two paths (and
// so between machines with and without AVX2). Every other step is the same arithmetic.
#pragma once
#include <cstdint>

#include "models/qif.hpp"

namespace sp {

void qif_apply_batch(const double *x, double *y, uint32_t n, const Qif::Kick &kick);

// t[j] = tan(phi[j] / 2) for j < n (the backward pass's partials), on the same two paths.
void qif_tan_half_batch(const double *phi, double *t, uint32_t n);

// Whether qif_apply_batch uses the vector path in this process: the build has it, the CPU
// has AVX2 and the environment variable SPARSEPROP_VECTOR_MATH is not "off" or "0" (read once,
// at the first call).
bool qif_batch_vectorised();

}  // namespace sp
