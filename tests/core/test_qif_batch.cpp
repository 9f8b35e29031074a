// QIF kicks in batches (src/models/qif_batch.hpp), vector or scalar path, against the phase
// transition curve evaluated independently in long double: 2 atan(tan(phi/2) + c) - off with
// phi = min(x + off, pi), the phase taken at most to the spike (a phase rounded past pi must not
// wrap to -pi); and the backward pass's batched tangents against long double tan.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {  // this CMocka's header has no C++ guard
#include <cmocka.h>
}

#include <cmath>
#include <cstdio>

#include "models/qif_batch.hpp"

namespace {

void test_batch_matches_long_double(void **) {
  const uint32_t n = 1003;  // not a multiple of 4: the tail too
  static double x[n], y[n];
  uint64_t s = 88172645463325252ULL;
  double worst = 0;
  for (int trial = 0; trial < 200; ++trial) {
    sp::Qif::Kick kick = sp::Qif::kick(trial % 2 ? -0.1 : 0.05, 0.1 + 0.01 * trial, 0.37 * trial);
    for (uint32_t j = 0; j < n; ++j) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      // A neuron's phase phi in [-pi, pi] (it spikes at pi), kept co-moving: x = phi - off,
      // with offsets up to about 70 (the engine re-bases before 64 radians). Every 50th at pi
      // or a little past it (rounding).
      double phi = -3.2 + 6.4 * static_cast<double>(s >> 11) * 0x1.0p-53;
      if (j % 50 == 0) phi = 3.14159265358979 + 1e-14 * (j % 7);
      x[j] = phi - kick.off;
    }
    sp::qif_apply_batch(x, y, n, kick);
    for (uint32_t j = 0; j < n; ++j) {
      long double phi = static_cast<long double>(x[j]) + kick.off;
      if (phi > static_cast<long double>(sp::kPi)) phi = sp::kPi;
      long double want = 2.0L * std::atan(std::tan(0.5L * phi) + kick.c) - kick.off;
      // The result is a phase of size |off|: compare on that scale (tan near pi/2 amplifies the
      // rounding of x + off itself, which both computations share).
      double scale = std::fabs(kick.off) > 1 ? std::fabs(kick.off) : 1.0;
      double err = static_cast<double>(std::fabs(y[j] - want)) / scale;
      if (err > worst) worst = err;
      if (!(err < 1e-12))  // (a phase wrapped to -pi is 2 pi off)
        fail_msg("x = %.17g, off = %.17g, c = %.17g: got %.17g, want %.17Lg", x[j], kick.off,
                 kick.c, y[j], want);
    }
  }
  printf("# %s path: worst error %.2e (relative to max(1, |offset|))\n",
         sp::qif_batch_vectorised() ? "vector (libmvec AVX2)" : "scalar", worst);
}

// The scalar path is Qif::apply exactly; the vector path agrees with it to a few ulps.
void test_batch_matches_apply(void **) {
  const uint32_t n = 257;
  static double x[n], y[n];
  for (uint32_t j = 0; j < n; ++j) x[j] = -3.1 + 0.0241 * j;
  sp::Qif::Kick kick = sp::Qif::kick(-0.1, 0.1, 1.25);
  sp::qif_apply_batch(x, y, n, kick);
  for (uint32_t j = 0; j < n; ++j) {
    double want = sp::Qif::apply(x[j], kick);
    if (sp::qif_batch_vectorised()) {
      if (!(std::fabs(y[j] - want) <= 1e-14 * (std::fabs(want) > 1 ? std::fabs(want) : 1)))
        fail_msg("x = %.17g: vector %.17g, scalar %.17g", x[j], y[j], want);
    } else if (y[j] != want) {
      fail_msg("x = %.17g: batch %.17g differs from Qif::apply %.17g", x[j], y[j], want);
    }
  }
}

// The backward pass's tangents, tan(phi/2), against long double.
void test_tan_half_matches_long_double(void **) {
  const uint32_t n = 1001;
  static double phi[n], t[n];
  for (uint32_t j = 0; j < n; ++j) phi[j] = -3.14 + 6.28 * j / (n - 1);
  sp::qif_tan_half_batch(phi, t, n);
  for (uint32_t j = 0; j < n; ++j) {
    long double want = std::tan(0.5L * phi[j]);
    double scale = std::fabs(static_cast<double>(want)) > 1 ? std::fabs(static_cast<double>(want))
                                                            : 1.0;
    if (!(std::fabs(t[j] - want) / scale < 1e-14))
      fail_msg("phi = %.17g: got %.17g, want %.17Lg", phi[j], t[j], want);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batch_matches_long_double),
      cmocka_unit_test(test_batch_matches_apply),
      cmocka_unit_test(test_tan_half_matches_long_double),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
