// The compact layout's instant stamps wrapping around, white-box: the stamp counter is moved to
// just before its wrap (as if 2^28 instants had passed without touching the neuron), and an
// input that comes at the instant whose stamp equals that of the neuron's last spike must still
// count. Checked against the LIF closed form and the full layout, which reads refractory ends.
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <setjmp.h>

// (Before cmocka.h, whose fail() macro would replace the engine's fail().)
#include "core/network.hpp"
#include "sparseprop/sparseprop.h"
extern "C" {
#include <cmocka.h>
}

namespace {

constexpr double kTau = 0.01, kDrive = 1.2, kKick = 0.3;
constexpr double kT1 = 0.001;  // channel 0 takes neuron 0 to threshold: it spikes then
constexpr double kDt = 1e-6;   // the ticks (channel 2, no targets) and the kick (channel 1)

sp::Network *impl(sp_network *net) { return reinterpret_cast<sp::Network *>(net); }

struct Desc {
  sp_network_desc d;
  uint64_t row[4] = {0, 1, 2, 2};  // channel 2 has no targets: each input is only an instant
  uint32_t tgt[2] = {0, 0};
  double w[2] = {2.0, kKick};
};

sp_network *create(Desc *b, bool compact) {
  sp_network_desc_init(&b->d, sizeof b->d);
  b->d.model = SP_MODEL_LIF;
  b->d.n = 1;
  b->d.tau = kTau;
  b->d.drive = kDrive;
  b->d.init_seed = 3;
  b->d.n_inputs = 3;
  b->d.inputs.row_ptr = b->row;
  b->d.inputs.targets = b->tgt;
  b->d.inputs.weights = b->w;
  setenv("SPARSEPROP_COMPACT_MIN_N", compact ? "1" : "4294967295", 1);
  sp_network *net = nullptr;
  assert_int_equal(sp_network_create(&b->d, &net), SP_OK);
  assert_int_equal(impl(net)->compact, compact);
  return net;
}

// Runs to just after t; returns the spikes (at most 4) in out.
size_t run_past(sp_network *net, double t, sp_spike *out) {
  size_t count = 0;
  assert_int_equal(sp_run(net, t + kDt / 4, out, 4, &count), SP_OK);
  return count;
}

// Drives one network through: the spike at kT1, `ticks` instants, the kick. With `jump`, the
// stamp counter is moved after the spike so that the wrap comes at the first tick and the kick
// comes at the spike's stamp again. Returns the voltage just after the kick.
double scenario(bool compact, bool jump) {
  Desc b;
  sp_network *net = create(&b, compact);
  sp::Network *in = impl(net);
  sp_spike s[4];
  assert_int_equal(sp_input(net, 0, kT1), SP_OK);
  size_t count = run_past(net, kT1, s);
  assert_true(count >= 1);
  assert_int_equal(s[count - 1].neuron, 0);
  assert_true(s[count - 1].t == kT1);
  assert_int_equal(s[count - 1].flags, SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED);
  const uint32_t shift = compact ? sp::kCompactStampShift : sp::kStampShift;
  const uint32_t unknown = compact ? sp::kCompactStampUnknown : sp::kStampUnknown;
  const uint32_t spike_stamp = in->instant_stamp;
  assert_true(in->neuron[0].flags & sp::kSlotRecent);
  assert_int_equal(in->neuron[0].flags >> shift, spike_stamp);
  if (jump) in->instant_stamp = unknown - 1;  // the next instant wraps to 0
  // Instants (stamps 0, 1, ... after a jump) until the next one has the spike's stamp (as many
  // without the jump, so that the four runs see the same events).
  const uint32_t ticks = spike_stamp;
  double t = kT1;
  for (uint32_t k = 0; k < ticks; ++k) {
    t += kDt;
    assert_int_equal(sp_input(net, 2, t), SP_OK);
    assert_int_equal(run_past(net, t, s), 0);
    if (jump && k == 0) assert_int_equal(in->instant_stamp, 0);
  }
  t += kDt;
  assert_int_equal(sp_input(net, 1, t), SP_OK);
  assert_int_equal(run_past(net, t, s), 0);
  if (jump) assert_int_equal(in->instant_stamp, spike_stamp);  // (the case the wrap must settle)
  double v = NAN;
  assert_int_equal(sp_voltage(net, 0, &v), SP_OK);
  // Closed form: reset to 0 at kT1, free LIF relaxation towards the drive until t, the kick,
  // and relaxation again until now() (sp_run's end).
  const double at_kick = kDrive * -std::expm1(-(t - kT1) / kTau) + kKick;
  const double expect = kDrive - (kDrive - at_kick) * std::exp(-(sp_now(net) - t) / kTau);
  assert_true(std::fabs(v - expect) < 1e-12);
  sp_network_destroy(net);
  return v;
}

void test_wrap_keeps_inputs(void **) {
  const double full = scenario(false, false);
  // The full layout's stamps wrap too (it reads the refractory end whenever stamps are equal).
  assert_true(scenario(false, true) == full);
  assert_true(scenario(true, false) == full);
  assert_true(scenario(true, true) == full);
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrap_keeps_inputs),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
