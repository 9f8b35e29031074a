// The run driver shared by every event loop (core/run.cpp's Loop<M, kPhase, kCompact> and the
// current-synapse loop): events in order before t_end, spikes into the caller's buffer.
#pragma once
#include <cmath>
#include <cstddef>

#include "common/error.hpp"
#include "core/network.hpp"
#include "sparseprop/sparseprop.h"

namespace sp {

// L provides first_spike_time (next_spike_time for the checks: what it changes, undo_first puts
// back), check_top, reserve_step, next_event (with .t and .is_input), input and
// spike(t, sp_spike *).
template <class L>
sp_status drive_run(L &loop, Network &net, double t_end, sp_spike *buf, size_t cap, size_t *count) {
  size_t written = 0;
  // (Until the first spike a failure would leave the call failed with inputs applied.)
  double first = loop.first_spike_time();
  sp_status status = loop.check_top(first, t_end);
  if (status == SP_OK) status = loop.reserve_step(first, t_end);
  if (status != SP_OK) {
    loop.undo_first();
    *count = 0;
    return status;
  }
  for (;;) {
    auto next = loop.next_event();
    if (!(next.t < t_end)) break;
    if (next.is_input) {
      status = loop.input();
      if (status != SP_OK) break;
      continue;
    }
    sp_spike spike;
    status = loop.spike(next.t, &spike);
    if (status != SP_OK) break;
    if (cap) {
      buf[written] = spike;
      if (++written == cap) {
        *count = written;
        return SP_OK;
      }
    } else {
      ++written;
    }
  }
  *count = written;
  if (status != SP_OK) return status;
  if (t_end > net.now) net.now = t_end;
  return SP_OK;
}

// One step: the queued inputs up to the next spike, then that spike. Both checks come before
// any input is applied, so that a refused step changes nothing.
template <class L>
sp_status drive_step(L &loop, Network &net, sp_spike *out) {
  double first = loop.first_spike_time();
  sp_status checked = loop.check_top(first, INFINITY);
  if (checked == SP_OK) checked = loop.reserve_step(first, INFINITY);
  if (checked != SP_OK) {
    loop.undo_first();
    return checked;
  }
  bool applied_inputs = false;
  for (;;) {
    auto next = loop.next_event();
    if (next.is_input && next.t < INFINITY) {
      sp_status s = loop.input();
      if (s != SP_OK) return s;
      applied_inputs = true;
      continue;
    }
    if (next.t == INFINITY) {
      if (applied_inputs)
        return fail(SP_ERR_STATE,
                    "no neuron will ever spike: the queued inputs were applied (now = %g) and "
                    "none led to a spike",
                    net.now);
      loop.undo_first();  // (nothing else has changed: a refusal)
      return fail(SP_ERR_STATE, "no neuron will ever spike and no input is queued (now = %g)",
                  net.now);
    }
    return loop.spike(next.t, out);
  }
}

}  // namespace sp
