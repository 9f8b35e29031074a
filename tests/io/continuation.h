/* continuation.h - helpers of the save/load tests (include after cmocka.h and the public
 * header): save a network into a fresh buffer, and run two networks in lockstep checking that
 * they stay bit-identical (the save -> load continuation guarantee). Inline, so that a test
 * that uses one of them does not warn about the other. */
#ifndef SPARSEPROP_TESTS_IO_CONTINUATION_H
#define SPARSEPROP_TESTS_IO_CONTINUATION_H

#include <stdlib.h>
#include <string.h>

/* sp_save into a malloc'd buffer of exactly the size sp_save reports (free it). */
static inline unsigned char *save(const sp_network *net, size_t *len) {
  size_t need = 0;
  unsigned char *buf;
  assert_int_equal(sp_save(net, NULL, 0, &need), SP_OK);
  buf = (unsigned char *)malloc(need);
  assert_non_null(buf);
  assert_int_equal(sp_save(net, buf, need, len), SP_OK);
  assert_int_equal(*len, need);
  return buf;
}

/* Runs both networks (n neurons, two input channels) in lockstep for `count` spikes, with
 * inputs queued alike every 50 spikes: spikes and a voltage bit-identical at every step. */
static inline void same_future(sp_network *a, sp_network *b, uint32_t n, int count) {
  int k;
  for (k = 0; k < count; ++k) {
    sp_spike sa, sb;
    double va, vb;
    if (k % 50 == 0) {
      double t = sp_now(a) + 0.001 * (k % 7 + 1);
      assert_true(sp_now(a) == sp_now(b));
      assert_int_equal(sp_input(a, (uint32_t)k % 2, t), SP_OK);
      assert_int_equal(sp_input(b, (uint32_t)k % 2, t), SP_OK);
    }
    assert_int_equal(sp_step(a, &sa), SP_OK);
    assert_int_equal(sp_step(b, &sb), SP_OK);
    if (sa.neuron != sb.neuron || memcmp(&sa.t, &sb.t, sizeof sa.t) != 0)
      fail_msg("spike %d after load: neuron %u at %.17g, loaded copy neuron %u at %.17g", k,
               sa.neuron, sa.t, sb.neuron, sb.t);
    assert_int_equal(sp_voltage(a, (sa.neuron + 7) % n, &va), SP_OK);
    assert_int_equal(sp_voltage(b, (sa.neuron + 7) % n, &vb), SP_OK);
    assert_true(memcmp(&va, &vb, sizeof va) == 0);
  }
}

#endif
