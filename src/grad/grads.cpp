// The accumulated gradients: where they are stored, reading them (sp_get_grads) and clearing
// them (sp_zero_grads). They are allocated with the first tape (tape.cpp) and added to by the
// reverse sweep (backward.cpp).
#include <cstring>

#include "core/network.hpp"
#include "grad/grad.hpp"
#include "grad/params.hpp"

namespace sp {

double *grad_storage(const Network *net, sp_param p) {
  const Tape &t = net->tape;
  switch (p) {
    case SP_PARAM_WEIGHTS: return t.grad_w;
    case SP_PARAM_INPUT_WEIGHTS: return t.grad_in;
    case SP_PARAM_DRIVES: return t.grad_drive;
    case SP_PARAM_V0: return t.grad_v0;
  }
  return nullptr;
}

sp_status grads_get(const Network *net, sp_param p, double *out, size_t len) {
  sp_status s = check_access(net, p, out, len);
  if (s != SP_OK) return s;
  const double *g = grad_storage(net, p);
  for (size_t i = 0; i < len; ++i) out[i] = g ? g[i] : 0.0;
  return SP_OK;
}

void grads_zero(Network *net) {
  const sp_param kinds[] = {SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES, SP_PARAM_V0};
  for (sp_param p : kinds) {
    double *g = grad_storage(net, p);
    if (g) std::memset(g, 0, sizeof(double) * count_of(net, p));
  }
}

}  // namespace sp
