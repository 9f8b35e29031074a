// Parameter access (sp_param_count, sp_get_params, sp_set_params) and the helpers every
// training function uses to name, count and check parameter kinds.
#include "grad/params.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "core/network.hpp"
#include "grad/grad.hpp"

namespace sp {
namespace {

// Weights and initial voltages (drives are checked by network_set_drives).
sp_status validate_values(const Network *net, sp_param p, const double *in, size_t len) {
  if (p == SP_PARAM_DRIVES) return SP_OK;
  for (size_t i = 0; i < len; ++i) {
    double x = in[i];
    const double v_spike = net->n_tables ? net->tables[0]->v_spike : INFINITY;
    bool ok = p == SP_PARAM_V0 ? v0_in_range(net->model, x, v_spike)
                               : weight_in_range(net->model, x);
    bool syn_ok = p == SP_PARAM_V0 || !(net->tau_syn > 0) || std::fabs(x) <= kMaxSynWeight;
    if (ok && syn_ok) continue;  // (the label is formatted for a failure only)
    char label[64];
    std::snprintf(label, sizeof label, "%s[%zu]", param_name(p), i);
    if (ok) return network_check_syn_weight(x, label);
    return p == SP_PARAM_V0 ? network_check_v0(net->model, x, v_spike, label)
                            : network_check_weight(net->model, x, label);
  }
  return SP_OK;
}

}  // namespace

const char *param_name(sp_param p) {
  switch (p) {
    case SP_PARAM_WEIGHTS: return "SP_PARAM_WEIGHTS";
    case SP_PARAM_INPUT_WEIGHTS: return "SP_PARAM_INPUT_WEIGHTS";
    case SP_PARAM_DRIVES: return "SP_PARAM_DRIVES";
    case SP_PARAM_V0: return "SP_PARAM_V0";
  }
  return "?";
}

bool known_param(sp_param p) {
  return p == SP_PARAM_WEIGHTS || p == SP_PARAM_INPUT_WEIGHTS || p == SP_PARAM_DRIVES ||
         p == SP_PARAM_V0;
}

uint64_t count_of(const Network *net, sp_param p) {
  switch (p) {
    case SP_PARAM_WEIGHTS: return net->recurrent.param_count();
    case SP_PARAM_INPUT_WEIGHTS: return net->inputs.param_count();
    case SP_PARAM_DRIVES:
    case SP_PARAM_V0: return net->n;
  }
  return 0;
}

sp_status check_access(const Network *net, sp_param p, const void *ptr, const char *ptr_name,
                       size_t len) {
  if (!known_param(p))
    return fail(SP_ERR_ARGUMENT, "p = %d: unknown parameter kind", static_cast<int>(p));
  uint64_t want = count_of(net, p);
  if (len != want)
    return fail(SP_ERR_ARGUMENT, "len = %zu: %s has %llu values", len, param_name(p),
                static_cast<unsigned long long>(want));
  if (!ptr && len)
    return fail(SP_ERR_ARGUMENT, "%s = NULL with len = %zu: it must point to the %s values",
                ptr_name, len, param_name(p));
  return SP_OK;
}

double *param_storage(Network *net, sp_param p) {
  switch (p) {
    case SP_PARAM_WEIGHTS:
      return net->recurrent.weights ? net->recurrent.weights : &net->recurrent.weight;
    case SP_PARAM_INPUT_WEIGHTS:
      return net->inputs.weights ? net->inputs.weights : &net->inputs.weight;
    case SP_PARAM_DRIVES: return nullptr;  // inside the neuron slots: copied one by one
    case SP_PARAM_V0: return net->v0;
  }
  return nullptr;
}

sp_status params_count(const Network *net, sp_param p, size_t *len) {
  if (!known_param(p))
    return fail(SP_ERR_ARGUMENT, "p = %d: unknown parameter kind", static_cast<int>(p));
  *len = static_cast<size_t>(count_of(net, p));
  return SP_OK;
}

sp_status params_get(const Network *net, sp_param p, double *out, size_t len) {
  sp_status s = check_access(net, p, out, "out", len);
  if (s != SP_OK) return s;
  if (p == SP_PARAM_DRIVES || (p == SP_PARAM_V0 && !net->v0)) {
    for (uint32_t i = 0; i < net->n; ++i)
      out[i] = p == SP_PARAM_DRIVES ? drive_of(*net, i) : network_v0(net, i);
    return SP_OK;
  }
  const double *src = param_storage(const_cast<Network *>(net), p);
  if (len) std::memcpy(out, src, len * sizeof(double));
  return SP_OK;
}

// Whether in[0..len) differs from the current values of p, bit for bit.
static bool params_differ(Network *net, sp_param p, const double *in, size_t len) {
  if (p == SP_PARAM_DRIVES) {
    for (uint32_t i = 0; i < net->n; ++i) {
      const double d = drive_of(*net, i);
      if (std::memcmp(&d, &in[i], sizeof d) != 0) return true;
    }
    return false;
  }
  return len && std::memcmp(param_storage(net, p), in, len * sizeof(double)) != 0;
}

sp_status params_set(Network *net, sp_param p, const double *in, size_t len, bool *changed) {
  *changed = false;
  sp_status s = check_access(net, p, in, "in", len);
  if (s != SP_OK) return s;
  if (net->tape.recording)
    return fail(SP_ERR_STATE, "cannot set %s while recording (call sp_backward first)",
                param_name(p));
  if (net->compact && (p == SP_PARAM_V0 || p == SP_PARAM_DRIVES))
    return network_refuse_compact(net, p == SP_PARAM_V0 ? "SP_PARAM_V0 (sp_set_params)"
                                                        : "SP_PARAM_DRIVES (sp_set_params)");
  s = validate_values(net, p, in, len);
  if (s != SP_OK) return s;
  if (!params_differ(net, p, in, len)) return SP_OK;
  if (p == SP_PARAM_DRIVES) {
    s = network_set_drives(net, in);
    *changed = s == SP_OK;
    return s;
  }
  *changed = true;  // (keeps the voltages at now())
  if (len) std::memcpy(param_storage(net, p), in, len * sizeof(double));
  // (A replica shares these maps: parameters change only while no replica is in a call.)
  if (p == SP_PARAM_WEIGHTS && !net->recurrent.weights) network_build_kick_maps(net);
  return SP_OK;
}

}  // namespace sp
