// White-box test of src/common/double_double.hpp: dd_exp of a double-double argument against
// 300-bit values (computed with mpmath for this test from the exact arguments written here, each as
// the nearest double to exp(x) and the nearest double to the rest), and dd_quotient's remainder
// against the same. The engine uses dd_exp(dd_quotient(t_ref, tau)) as LIF's refractory factor,
// whose error recurs at every spike (tests/core/test_precision.c measures that through the API);
// the bound checked here at these arguments, 2^-96 relative (an outside check found 2^-95.75 at
// worst over 42,544 arguments), is far below a double's.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {  // this CMocka's header has no C++ guard
#include <cmocka.h>
}

#include <cmath>
#include <initializer_list>

#include "common/double_double.hpp"

namespace {

struct Case {
  double x_hi, x_lo;      // the argument, exactly x_hi + x_lo
  double exp_hi, exp_lo;  // exp(x) to 300 bits, as the nearest double and the nearest to the rest
};

const Case kCases[] = {
    {0.0, 0.0, 0x1.0000000000000p+0, 0.0},
    {1.0, 0.0, 0x1.5bf0a8b145769p+1, 0x1.4d57ee2b1013ap-53},
    {0.5, 0.0, 0x1.a61298e1e069cp+0, -0x1.b4690082a4906p-55},
    // 1e-6 / 0.01 and 0.0037 / 0.02 and 3 / 0.7 as dd_quotient gives them (checked below).
    {9.999999999999999e-05, 2.1534965650993334e-21, 0x1.00068dce3484ep+0, -0x1.8f1a1ab456038p-55},
    {0.185, 6.5572547391923305e-18, 0x1.34061faa4ae6ep+0, 0x1.7a12f81681357p-54},
    {4.285714285714286, 3.9877398435515827e-16, 0x1.229e21611df23p+6, 0x1.f51785bb3379ep-49},
    {10.0, 0.0, 0x1.5829dcf950560p+14, -0x1.83e055cfea4bbp-40},
    {100.25, 0.0, 0x1.8c39b9134bac4p+144, 0x1.56775ec333673p+88},
    {700.0, 0.0, 0x1.d945df4f8ec8ep+1009, 0x1.183392684a46ep+954},
    {-1.0, 0.0, 0x1.78b56362cef38p-2, -0x1.ca8a4270fadf5p-57},
};

void test_exp_to_2_minus_96(void **) {
  for (const Case &c : kCases) {
    const sp::DoubleDouble e = sp::dd_exp({c.x_hi, c.x_lo});
    // (e.hi - exp_hi) is exact where both are within an ulp of each other, as they must be.
    const double err = std::fabs((e.hi - c.exp_hi) + (e.lo - c.exp_lo));
    if (!(err <= std::ldexp(c.exp_hi, -96)))
      fail_msg("dd_exp(%a + %a) = %a + %a, exact %a + %a: relative error %g", c.x_hi, c.x_lo, e.hi,
               e.lo, c.exp_hi, c.exp_lo, err / c.exp_hi);
    // The pair is normalised: lo within half an ulp of hi.
    assert_true(std::fabs(e.lo) <= 0.5 * sp::ulp_of(e.hi));
  }
}

void test_exp_overflows_to_infinity(void **) {
  for (double x : {709.5, 710.0, 1e6, 1e300, double(INFINITY)}) {
    const sp::DoubleDouble e = sp::dd_exp({x, 0.0});
    assert_true(std::isinf(e.hi) && e.hi > 0);
    assert_true(e.lo == 0.0);
  }
}

// Arguments the engine never asks for still give defined results: a loaded file's t_ref and
// tau reach dd_exp before the checks that refuse them (a fuzz_load finding: a huge negative
// quotient, whose k overflowed the int of ldexp under UBSan).
void test_exp_of_any_argument(void **) {
  for (double x : {-746.5, -800.0, -4.4e235, -double(INFINITY)}) {
    const sp::DoubleDouble e = sp::dd_exp({x, 0.0});
    assert_true(e.hi == 0.0 && e.lo == 0.0);
  }
  const sp::DoubleDouble e = sp::dd_exp({NAN, 0.0});
  assert_true(std::isnan(e.hi));
  const sp::DoubleDouble tiny = sp::dd_exp({-700.0, 0.0});  // (subnormal lo: hi alone checked)
  assert_true(tiny.hi == 0x1.14f2b0fb9307fp-1010);
}

void test_quotient_remainder(void **) {
  const double args[][4] = {{1e-6, 0.01, 9.999999999999999e-05, 2.1534965650993334e-21},
                            {0.0037, 0.02, 0.185, 6.5572547391923305e-18},
                            {3.0, 0.7, 4.285714285714286, 3.9877398435515827e-16}};
  for (const auto &a : args) {
    const sp::DoubleDouble q = sp::dd_quotient(a[0], a[1]);
    assert_true(q.hi == a[2]);
    // The remainder's own quotient is rounded once: within an ulp of lo's.
    if (!(std::fabs(q.lo - a[3]) <= sp::ulp_of(a[3])))
      fail_msg("dd_quotient(%g, %g).lo = %a, exact %a", a[0], a[1], q.lo, a[3]);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exp_to_2_minus_96),
      cmocka_unit_test(test_exp_overflows_to_infinity),
      cmocka_unit_test(test_exp_of_any_argument),
      cmocka_unit_test(test_quotient_remainder),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
