// The accumulated gradients: where they are stored, reading them (sp_get_grads) and clearing
// them (sp_zero_grads). They are allocated with the first tape (tape.cpp), or by
// sp_grads_accumulate into a network that never recorded (grads_alloc), and added to by the
// reverse sweep (backward.cpp).
#include <cmath>
#include <cstring>

#include "common/error.hpp"
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
  sp_status s = check_access(net, p, out, "out", len);
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

namespace sp {

sp_status grads_accumulate(Network *dst, const Network *src) {
  if (!src->tape.grad_block) return SP_OK;  // (nothing accumulated there yet: all 0)
  const sp_param kinds[] = {SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES, SP_PARAM_V0};
  // Checked before anything is added, so that a failure changes nothing.
  if (dst->tape.grad_block)
    for (sp_param p : kinds) {
      const double *d = grad_storage(dst, p), *g = grad_storage(src, p);
      for (uint64_t i = 0, c = count_of(dst, p); i < c; ++i)
        if (!std::isfinite(d[i] + g[i]))
          return fail(SP_ERR_NUMERIC,
                      "the sum of the gradients %s[%llu] = %g + %g is not finite: nothing was "
                      "added",
                      param_name(p), static_cast<unsigned long long>(i), d[i], g[i]);
    }
  sp_status s = grads_alloc(dst);
  if (s != SP_OK) return s;
  for (sp_param p : kinds) {
    double *d = grad_storage(dst, p);
    const double *g = grad_storage(src, p);
    for (uint64_t i = 0, c = count_of(dst, p); i < c; ++i) d[i] += g[i];
  }
  return SP_OK;
}

}  // namespace sp
