// LIF with exponential synaptic currents in the engine: the network-level operations (state
// at creation, keys, voltages, drive changes, re-basing, the event loop and the reverse sweep)
// for networks created with tau_syn > 0. Always the time frame: a neuron's key is its next
// spike time (+inf if V never reaches 1), kept as a lower bound after inhibitory inputs (raised
// to a cheap bound of the new crossing where LifSyn::crossing_bound applies) and recomputed when
// it reaches the top of the queue.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/network.hpp"

namespace sp {

// Refractory ends are kept within this many of the faster time constant after t0, so that the
// clocks at a refractory end stay finite (validation limits t_ref to kMaxRefractorySpans minus
// the re-base span).
constexpr double kSynRebaseSpans = 32.0;
constexpr double kSynMaxRefractorySpans = 512.0;

void lif_syn_reset_states(Network *net);
// Neuron i's next spike time from now() (or from the end of its refractory period).
double lif_syn_key(const Network *net, uint32_t i);
// Whether `key` is a key the engine keeps for neuron i (not held) that its state at now() can no
// longer reproduce, at threshold by its rounding: a stale key at or after now() where V reads
// 1 to that rounding and falls, no later than its next upward crossing; a finite key at or
// after now() on a drive of exactly 1 where one of the two terms of V - 1 underflowed to 0 and
// the other alone never reaches 1 (a crossing hundreds of tau on, e.g. tau/J for a small
// current J with tau_syn = tau, computed while both were representable); or +inf on a drive of
// at most 1 whose V reads exactly 1 at now() and falls (a relaxed V = 1 - e^(-10^5), inhibited:
// never reaches 1 again; the recomputation reads "at threshold now"), or whose maximum ahead is
// 1 to rounding (a touch). For the loader; src/io/FORMAT.md states the rules.
bool lif_syn_key_beyond_state(const Network *net, uint32_t i, double key);
double lif_syn_voltage(const Network *net, uint32_t i);
double lif_syn_current(const Network *net, uint32_t i);
void lif_syn_change_drive(Network *net, uint32_t i, double drive);
// Moves t0 to t (t > t0): A and B scaled by the clocks' factors.
void lif_syn_rebase(Network *net, double t);
sp_status lif_syn_step(Network *net, sp_spike *out);
sp_status lif_syn_run(Network *net, double t_end, sp_spike *buf, size_t cap, size_t *count);
// The reverse sweep (grad/backward.cpp checks the arguments and the result).
void lif_syn_backward(Network *net, const double *dl_dt, const double *dl_dv_end);

}  // namespace sp
