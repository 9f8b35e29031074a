// The same-instant flags, white-box. The full layout's instant stamps wrap around: the counter
// is moved to just before its wrap (as if 2^28 - 1 instants had passed without touching the
// neuron), and an input at the instant whose stamp equals that of the neuron's last spike must
// still count; the compact layout has no stamps (its flags are cleared when an instant ends):
// the same input, against the LIF closed form. Cascades with many neurons flagged at one
// instant, past the compact layout's list of them, spike by spike against the full layout.
#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
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
  // (The compact layout has no stamps: its flag is cleared when the instant ends.)
  const uint32_t spike_stamp = in->instant_stamp;
  if (compact) {
    assert_true(in->side[0] & sp::kSideRecent);
    assert_int_equal(in->recent_count, 1);
  } else {
    assert_true(in->neuron[0].flags & sp::kSlotRecent);
    assert_int_equal(in->neuron[0].flags >> sp::kStampShift, spike_stamp);
  }
  // Stamps cycle through 0 .. kStampUnknown - 1: with the jump, the kick (instant ticks + 1)
  // gets the spike's stamp, after the wrap.
  const uint32_t ticks = 5;
  assert_true(spike_stamp < ticks);
  if (jump) in->instant_stamp = sp::kStampUnknown + spike_stamp - ticks - 1;
  bool wrapped = false;
  double t = kT1;
  for (uint32_t k = 0; k < ticks; ++k) {
    t += kDt;
    assert_int_equal(sp_input(net, 2, t), SP_OK);
    assert_int_equal(run_past(net, t, s), 0);
    wrapped = wrapped || in->instant_stamp == 0;
    if (compact) assert_true(!(in->side[0] & sp::kSideRecent) && in->recent_count == 0);
  }
  t += kDt;
  assert_int_equal(sp_input(net, 1, t), SP_OK);
  assert_int_equal(run_past(net, t, s), 0);
  if (jump) {
    assert_true(wrapped);
    assert_int_equal(in->instant_stamp, spike_stamp);  // (the case the wrap must settle)
  }
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
}

// An excitatory network whose cascades take many neurons to threshold at one instant, spike by
// spike in both layouts; the compact one with its list of the instant's flagged neurons cut to
// `cap` entries (so that longer cascades clear every flag at the instant's end). Returns the
// largest number of neurons flagged at one instant.
uint32_t cascades(double weight, uint32_t cap) {
  constexpr uint32_t kN = 3000, kSteps = 6000;
  sp_network *net[2];
  for (int c = 0; c < 2; ++c) {
    sp_network_desc d;
    sp_network_desc_init(&d, sizeof d);
    d.model = SP_MODEL_LIF;  // (a QIF input never takes a neuron to threshold)
    d.n = kN;
    d.tau = 0.01;
    d.drive = 1.2;
    d.recurrent.k = 40;
    d.recurrent.seed = 7;
    d.recurrent.weight = weight;
    d.init_seed = 9;
    setenv("SPARSEPROP_COMPACT_MIN_N", c ? "1" : "4294967295", 1);
    assert_int_equal(sp_network_create(&d, &net[c]), SP_OK);
    assert_int_equal(impl(net[c])->compact, c == 1);
  }
  sp::Network *in = impl(net[1]);
  assert_true(cap <= in->recent_cap);
  in->recent_cap = cap;
  uint32_t most = 0, same_instant = 0;
  double last_t = -1;
  for (uint32_t k = 0; k < kSteps; ++k) {
    sp_spike a, b;
    assert_int_equal(sp_step(net[0], &a), SP_OK);
    assert_int_equal(sp_step(net[1], &b), SP_OK);
    assert_true(a.t == b.t);
    assert_int_equal(a.neuron, b.neuron);
    assert_int_equal(a.flags, b.flags);
    same_instant += a.t == last_t;
    last_t = a.t;
    if (in->recent_count > most) most = in->recent_count;
  }
  assert_true(same_instant > kSteps / 10);  // (cascades indeed)
  for (int c = 0; c < 2; ++c) sp_network_destroy(net[c]);
  return most;
}

void test_cascades_listed_and_cleared(void **) {
  for (double weight : {0.004, 0.02}) {
    assert_true(cascades(weight, 4) > 4);   // past the list: every flag cleared
    assert_true(cascades(weight, 64) > 4);  // the list, then the flags' bytes
  }
}

}  // namespace

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wrap_keeps_inputs),
      cmocka_unit_test(test_cascades_listed_and_cleared),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
