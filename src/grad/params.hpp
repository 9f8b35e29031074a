// Parameter kinds as the training functions see them: names, counts, argument checks, and
// where the values and their accumulated gradients are stored.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/network.hpp"

namespace sp {

const char *param_name(sp_param p);
bool known_param(sp_param p);
uint64_t count_of(const Network *net, sp_param p);
sp_status check_access(const Network *net, sp_param p, const void *ptr, const char *ptr_name,
                       size_t len);
// Storage of a parameter kind (weights: the CSR weights or the shared weight).
double *param_storage(Network *net, sp_param p);
// The accumulated gradients of a parameter kind (null before the first sp_record); grads.cpp.
double *grad_storage(const Network *net, sp_param p);

}  // namespace sp
