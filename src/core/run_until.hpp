// Running a sample: until a set of watched neurons has spiked (sp_run_until).
#pragma once
#include "core/network.hpp"

namespace sp {

// Processes events with time < t_end until every watched neuron has spiked once (arguments
// checked by the caller); see sp_run_until. *count is always written.
sp_status network_run_until(Network *net, double t_end, const uint32_t *watch, size_t n_watch,
                            sp_spike *buf, size_t cap, size_t *count);

}  // namespace sp
