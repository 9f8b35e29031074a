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
// tables_given: the tabulated model's tables are loaded, not built (a saved network): the
// callback and the tables' construction are not checked (the loader checks the tables).
sp_status validate(const sp_network_desc &d, bool tables_given = false);

}  // namespace sp
