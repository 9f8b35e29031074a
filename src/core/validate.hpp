// Checking a network description before anything is allocated (validate.cpp), and the small
// rules the network's own checks share with it.
#pragma once
#include <cmath>
#include <cstdint>

#include "sparseprop/sparseprop.h"

namespace sp {

inline bool finite(double x) { return std::isfinite(x); }

// Checks every field of a description (with defaults applied); the first failure is returned
// with its message. The value checks network_check_drive, network_check_weight and
// network_check_v0 (network.hpp) are defined in validate.cpp too.
sp_status validate(const sp_network_desc &d);

}  // namespace sp
