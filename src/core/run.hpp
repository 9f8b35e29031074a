// Stepping and running: the event loop (src/ARCHITECTURE.md, Event loop).
#pragma once
#include "core/network.hpp"

namespace sp {

// Processes the next network spike (applying inputs due at or before it). SP_ERR_STATE when
// nothing will happen; SP_ERR_CAPACITY when recording and the tape is full.
sp_status network_step(Network *net, sp_spike *out);
// Processes events with time < t_end; see sp_run. *count is always written.
sp_status network_run(Network *net, double t_end, sp_spike *buf, size_t cap, size_t *count);

}  // namespace sp
