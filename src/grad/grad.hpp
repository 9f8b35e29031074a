// Training: parameter access, the recording tape and the exact backward pass (src/ARCHITECTURE.md,
// Tape; Backward pass).
#pragma once
#include "core/network.hpp"

namespace sp {

sp_status params_count(const Network *net, sp_param p, size_t *len);
sp_status params_get(const Network *net, sp_param p, double *out, size_t len);
// *changed: whether any value changed (bit for bit; replicas go stale only then).
sp_status params_set(Network *net, sp_param p, const double *in, size_t len, bool *changed);
sp_status tape_start(Network *net, size_t max_spikes);
// Allocates the accumulated gradients (zero) unless they exist.
sp_status grads_alloc(Network *net);
// Adds src's accumulated gradients to dst's (networks sharing one parameter set).
sp_status grads_accumulate(Network *dst, const Network *src);
sp_status backward(Network *net, const double *dl_dt, size_t n_spikes, const double *dl_dv_end);
sp_status grads_get(const Network *net, sp_param p, double *out, size_t len);
void grads_zero(Network *net);

}  // namespace sp
