// The one dispatch from a model number (sp_model) to a model's room (every room is included
// here): with_model(model, f) calls f(M{}) for the model struct M, so that code written once
// against Ops<M> and Deriv<M> runs for every model. A switch over the enumeration without a
// default: -Wswitch names this place when a model is added to sp_model_code. (The few other
// places that test a model number, which no compiler flags, are listed in src/ARCHITECTURE.md,
// "Adding a neuron model".)
#pragma once
#include <cstdint>

#include "models/lif_deriv.hpp"
#include "models/lif_ops.hpp"
#include "models/qif_deriv.hpp"
#include "models/qif_ops.hpp"
#include "models/tab_deriv.hpp"
#include "models/tab_ops.hpp"
#include "sparseprop/sparseprop.h"

namespace sp {

// Whether this version runs the model (validate() refuses the others before anything is built).
// The number is unchecked (a description's or a file's), so it is compared as a number: the
// enumeration has no fixed underlying type, and converting a value outside its range (0-7 for
// enumerators up to 4) to it is undefined (C++17 [expr.static.cast]/10; an outside maintainer's
// reading). with_model's switch, over the enumeration, is where -Wswitch names a new model.
inline bool model_runs(uint32_t model) {
  switch (model) {
    case SP_MODEL_LIF:
    case SP_MODEL_QIF:
    case SP_MODEL_EIF:
    case SP_MODEL_CUSTOM: return true;
    default: return false;  // (not an sp_model value)
  }
}

// f(M{}) for the model numbered `model`, which must be one model_runs() accepts (every network
// holds one: validate() checked it).
template <class F>
auto with_model(uint32_t model, F &&f) -> decltype(f(Lif{})) {
  switch (static_cast<sp_model_code>(model)) {
    case SP_MODEL_LIF: return f(Lif{});
    case SP_MODEL_QIF: return f(Qif{});
    case SP_MODEL_EIF:
    case SP_MODEL_CUSTOM: return f(Tabulated{});
  }
  __builtin_trap();
}

}  // namespace sp
