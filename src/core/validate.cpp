// Validating network descriptions: every field and array of an sp_network_desc, and the value
// checks (drives, weights, initial voltages) that setting parameters uses as well.
#include "core/validate.hpp"

#include <cmath>
#include <cstdio>

#include "common/error.hpp"
#include "core/network.hpp"
#include "models/dispatch.hpp"
#include "models/lif_syn.hpp"
#include "models/lif_syn_engine.hpp"

namespace sp {
namespace {

// The drives given for a forced phase frame: one shared drive, every neuron oscillatory.
sp_status forced_phase_check(uint32_t model, const double *drives, double shared, uint32_t n) {
  bool same = true;
  double first = drives ? drives[0] : shared;
  if (drives)
    for (uint32_t i = 1; i < n && same; ++i) same = drives[i] == first;
  if (!same || !phase_eligible_drive(model, first))
    return fail(SP_ERR_UNSUPPORTED,
                "frame = SP_FRAME_PHASE: needs one shared drive with every neuron oscillatory "
                "(%s)",
                !same ? "the drives differ" : "the drive is not above threshold");
  return SP_OK;
}

sp_status check_synapses(const char *name, const sp_synapses &s, uint32_t n_sources, uint32_t n,
                         bool recurrent, uint32_t model) {
  if (s.row_ptr) {
    if (s.row_ptr[0] != 0)
      return fail(SP_ERR_ARGUMENT, "%s.row_ptr[0] = %llu: must be 0", name,
                  static_cast<unsigned long long>(s.row_ptr[0]));
    for (uint32_t j = 0; j < n_sources; ++j) {
      if (s.row_ptr[j + 1] < s.row_ptr[j])
        return fail(SP_ERR_ARGUMENT, "%s.row_ptr[%u] = %llu is less than row_ptr[%u] = %llu", name,
                    j + 1, static_cast<unsigned long long>(s.row_ptr[j + 1]), j,
                    static_cast<unsigned long long>(s.row_ptr[j]));
      if (s.row_ptr[j + 1] - s.row_ptr[j] > UINT32_MAX)
        return fail(SP_ERR_ARGUMENT, "%s: row %u has more than 2^32 - 1 synapses", name, j);
    }
    uint64_t nnz = s.row_ptr[n_sources];
    if (nnz > (UINT64_MAX >> 5))
      return fail(SP_ERR_ARGUMENT, "%s.row_ptr[%u] = %llu synapses is too many", name, n_sources,
                  static_cast<unsigned long long>(nnz));
    if (nnz > 0 && !s.targets)
      return fail(SP_ERR_ARGUMENT, "%s.targets is NULL but row_ptr[%u] = %llu", name, n_sources,
                  static_cast<unsigned long long>(nnz));
    for (uint64_t e = 0; e < nnz; ++e)
      if (s.targets[e] >= n)
        return fail(SP_ERR_ARGUMENT, "%s.targets[%llu] = %u: must be less than n = %u", name,
                    static_cast<unsigned long long>(e), s.targets[e], n);
    if (s.weights) {
      for (uint64_t e = 0; e < nnz; ++e) {
        if (weight_in_range(model, s.weights[e])) continue;  // (no label for the common case)
        char label[64];
        std::snprintf(label, sizeof label, "%s.weights[%llu]", name,
                      static_cast<unsigned long long>(e));
        sp_status st = network_check_weight(model, s.weights[e], label);
        if (st != SP_OK) return st;
      }
    }
    // The shared weight is kept and saved even when per-synapse weights (or no synapses at
    // all) make it unused, so it is checked too.
    char label[64];
    std::snprintf(label, sizeof label, "%s.weight", name);
    sp_status st = network_check_weight(model, s.weight, label);
    if (st != SP_OK) return st;
    if (s.k != 0)
      return fail(SP_ERR_ARGUMENT, "%s.k = %u: must be 0 when row_ptr is given (explicit CSR)",
                  name, s.k);
    return SP_OK;
  }
  if (s.targets || s.weights)
    return fail(SP_ERR_ARGUMENT, "%s.%s is set but %s.row_ptr is NULL", name,
                s.targets ? "targets" : "weights", name);
  if (s.k == 0) {
    char label[64];
    std::snprintf(label, sizeof label, "%s.weight", name);
    return network_check_weight(model, s.weight, label);
  }
  uint32_t candidates = recurrent ? n - 1 : n;
  if (s.k > candidates)
    return fail(SP_ERR_ARGUMENT,
                "%s.k = %u: must be at most %u (distinct targets among %u neurons%s)", name, s.k,
                candidates, n, recurrent ? ", never the source itself" : "");
  char label[64];
  std::snprintf(label, sizeof label, "%s.weight", name);
  return network_check_weight(model, s.weight, label);
}

// The weights of one set of synapses (explicit and shared) against kMaxSynWeight.
sp_status check_syn_weights(const char *name, const sp_synapses &s, uint32_t n_sources) {
  char label[64];
  if (s.row_ptr && s.weights) {
    uint64_t nnz = s.row_ptr[n_sources];
    for (uint64_t e = 0; e < nnz; ++e) {
      if (std::fabs(s.weights[e]) <= kMaxSynWeight) continue;
      std::snprintf(label, sizeof label, "%s.weights[%llu]", name,
                    static_cast<unsigned long long>(e));
      return network_check_syn_weight(s.weights[e], label);
    }
  }
  std::snprintf(label, sizeof label, "%s.weight", name);
  return network_check_syn_weight(s.weight, label);
}

// A drive: finite, in the model's range, and if the neuron is oscillatory with a free period
// that is finite and resolved (one that is not makes the neuron spike again at the same instant
// forever; one that overflows gives non-finite phases).
template <class M>
sp_status check_drive_of(double tau, double drive, const char *label) {
  using O = Ops<M>;
  if (!finite(drive)) return fail(SP_ERR_ARGUMENT, "%s = %g: must be finite", label, drive);
  sp_status s = O::check_drive(drive, label);
  if (s != SP_OK) return s;
  if constexpr (!O::kClosedFormPeriod) {
    return SP_OK;  // (checked when the network's tables are built)
  } else {
    if (!O::oscillatory(drive)) return SP_OK;
    double period = O::closed_form_period(drive, tau);
    if (!(period >= kMinPeriodOverTau * tau) || !finite(period))
      return fail(SP_ERR_NUMERIC,
                  "%s = %.17g: the free period (%g s with tau = %g) is %s; it must be finite and "
                  "at least 2^-30 tau",
                  label, drive, period, tau,
                  finite(period) ? "below the time resolution" : "not finite");
    return SP_OK;
  }
}

sp_status check_drive(uint32_t model, double tau, double drive, const char *field, uint32_t index,
                      bool indexed) {
  char label[64];
  if (indexed)
    std::snprintf(label, sizeof label, "%s[%u]", field, index);
  else
    std::snprintf(label, sizeof label, "%s", field);
  return network_check_drive(model, tau, drive, label);
}

// Current-based synapses (models/lif_syn.hpp): LIF only, time frame only, tau_syn/tau either 1
// or away from it (the co-moving coordinates cancel as the ratio nears 1), within 1e-4..1e4 of
// tau (the faster clock sets the re-base span: each re-base is O(N)), and a refractory end
// within kSynMaxRefractorySpans of the faster time constant (its clocks are computed).
sp_status check_tau_syn(const sp_network_desc &d) {
  if (!(d.tau_syn >= 0.0) || !finite(d.tau_syn))
    return fail(SP_ERR_ARGUMENT, "tau_syn = %g: must be finite and >= 0 (0: delta synapses)",
                d.tau_syn);
  if (d.model != SP_MODEL_LIF) {
    const char *name = d.model == SP_MODEL_QIF      ? "SP_MODEL_QIF"
                       : d.model == SP_MODEL_EIF    ? "SP_MODEL_EIF"
                       : d.model == SP_MODEL_CUSTOM ? "SP_MODEL_CUSTOM"
                                                    : "unknown";  // (a new model: add it)
    return fail(SP_ERR_UNSUPPORTED,
                "tau_syn = %g: current-based synapses are implemented for SP_MODEL_LIF only, "
                "not for model = %u (%s); use tau_syn = 0",
                d.tau_syn, d.model, name);
  }
  double ratio = d.tau_syn / d.tau;
  if (!(ratio >= 1e-4 && ratio <= 1e4))
    return fail(SP_ERR_UNSUPPORTED,
                "tau_syn = %.17g: tau_syn/tau = %.17g is outside 1e-4 to 1e4 (tau = %.17g); %s",
                d.tau_syn, ratio, d.tau,
                ratio < 1e-4 ? "for much faster synapses use delta synapses (tau_syn = 0)"
                             : "synapses this much slower than the membrane are not supported");
  if (ratio != 1.0 && std::fabs(ratio - 1.0) < LifSyn::kMinRatioGap)
    return fail(SP_ERR_NUMERIC,
                "tau_syn = %.17g: tau_syn/tau = %.17g is within 2^-12 of 1 but not 1 (the voltage "
                "would lose precision to cancellation); use tau_syn = tau exactly",
                d.tau_syn, ratio);
  double fast = d.tau < d.tau_syn ? d.tau : d.tau_syn;
  double max_ref = (kSynMaxRefractorySpans - kSynRebaseSpans) * fast;
  if (d.t_ref > max_ref)
    return fail(
        SP_ERR_UNSUPPORTED,
        "t_ref = %.17g: with current-based synapses at most %.17g s (%g times the faster of "
        "tau = %g and tau_syn = %g)",
        d.t_ref, max_ref, kSynMaxRefractorySpans - kSynRebaseSpans, d.tau, d.tau_syn);
  if (d.frame == SP_FRAME_PHASE)
    return fail(SP_ERR_UNSUPPORTED,
                "frame = SP_FRAME_PHASE: current-based synapses (tau_syn = %g) run in the time "
                "frame only",
                d.tau_syn);
  return SP_OK;
}

// The tabulated models' parameters (EIF, custom), each named with its value. The tables check
// them again (models/tabulated/table.cpp); here the message names the field of model_params.
sp_status check_model_params(uint32_t model, const sp_model_params &p) {
  if (p.struct_size != sizeof(sp_model_params))
    return fail(SP_ERR_ARGUMENT, "model_params->struct_size = %u: must be %u", p.struct_size,
                static_cast<unsigned>(sizeof(sp_model_params)));
  if (p.reserved != 0)
    return fail(SP_ERR_ARGUMENT, "model_params->reserved = %u: must be 0", p.reserved);
  const double kBig = 1e100;
  if (!(std::fabs(p.v_reset) <= kBig))
    return fail(SP_ERR_ARGUMENT,
                "model_params->v_reset = %g: must be finite, at most 1e100 in "
                "magnitude",
                p.v_reset);
  if (!(p.v_spike > p.v_reset) || (p.v_spike < INFINITY && !(p.v_spike <= kBig)))
    return fail(SP_ERR_ARGUMENT,
                "model_params->v_spike = %g: must be above v_reset = %g, and at most 1e100 or "
                "+INFINITY (the blow-up)",
                p.v_spike, p.v_reset);
  if (model == SP_MODEL_EIF) {
    // Above about 1e8 the phase table's segments no longer pass the loader's check (F is
    // nearly linear over a huge voltage range and rounding ties segment ends), so a saved
    // network would not load; 1e6 leaves two decades of margin.
    if (!(p.delta_t > 1e-100 && p.delta_t <= 1e6))
      return fail(SP_ERR_ARGUMENT,
                  "model_params->delta_t = %g: must be finite and > 0 (above "
                  "1e-100, at most 1e6)",
                  p.delta_t);
    if (!(std::fabs(p.v_t) <= kBig))
      return fail(SP_ERR_ARGUMENT,
                  "model_params->v_t = %g: must be finite, at most 1e100 in "
                  "magnitude",
                  p.v_t);
    // The exponential rises over a few D_T around V_T, and the phase table resolves it by
    // halving a span of |V_T - V_r| (and voltages of size |V_T|) down to segments of about
    // D_T: much below 2^-40 of that, the halvings reach the doubles' resolution (the table
    // either fails or, as the first versions did, misses the rise).
    const double span = std::fmax(std::fabs(p.v_t), std::fabs(p.v_t - p.v_reset));
    if (p.delta_t < 0x1p-40 * span)
      return fail(SP_ERR_ARGUMENT,
                  "model_params->delta_t = %g: below 2^-40 max(|v_t|, |v_t - v_reset|) = %g, "
                  "the resolution the phase table needs for the exponential's rise",
                  p.delta_t, 0x1p-40 * span);
    if (p.f || p.df || p.ctx)
      return fail(SP_ERR_ARGUMENT,
                  "model_params->%s is set: SP_MODEL_EIF has its own F (use SP_MODEL_CUSTOM for "
                  "a callback)",
                  p.f ? "f" : (p.df ? "df" : "ctx"));
  }
  return SP_OK;
}

}  // namespace

constexpr double kMaxRefractoryTaus = 1e15;

sp_status validate(const sp_network_desc &d, bool tables_given) {
  if (!model_runs(d.model))
    return fail(SP_ERR_ARGUMENT,
                "model = %u: unknown (use SP_MODEL_LIF, SP_MODEL_QIF, SP_MODEL_EIF or "
                "SP_MODEL_CUSTOM)",
                d.model);
  bool reads_params = with_model(d.model, [](auto m) { return Ops<decltype(m)>::kTables; });
  if (d.model_params && !reads_params)
    return fail(SP_ERR_UNSUPPORTED,
                "model_params is set: model %u (LIF or QIF) reads no model parameters", d.model);
  if (d.model_params) {
    sp_status s = check_model_params(d.model, *d.model_params);
    if (s != SP_OK) return s;
  }
  if (d.model == SP_MODEL_CUSTOM && !tables_given && !(d.model_params && d.model_params->f))
    return fail(SP_ERR_ARGUMENT,
                "model = SP_MODEL_CUSTOM: needs model_params with the function f (F in "
                "tau dV/dt = F(V) + I)");
  if (d.n == 0) return fail(SP_ERR_ARGUMENT, "n = 0: must be at least 1");
  if (d.n > (1u << 31)) return fail(SP_ERR_ARGUMENT, "n = %u: must be at most 2^31", d.n);
  if (!(d.tau > 0.0) || !finite(d.tau))
    return fail(SP_ERR_ARGUMENT, "tau = %g: must be finite and > 0", d.tau);
  // Below 1e-100 s the spike times of a neuron with tau would reach the subnormal doubles,
  // where they lose the resolution the engine needs (a spike time rounding to now()).
  if (d.tau < 1.0 / kMaxMagnitude)
    return fail(SP_ERR_NUMERIC, "tau = %.*g: below %g s, spike times would lose their resolution",
                exact_digits(d.tau), d.tau, 1.0 / kMaxMagnitude);
  if (d.tau > kMaxMagnitude)
    return fail(SP_ERR_NUMERIC, "tau = %.*g: above %g s, times would overflow", exact_digits(d.tau),
                d.tau, kMaxMagnitude);
  if (!(d.t_ref >= 0.0) || !finite(d.t_ref))
    return fail(SP_ERR_ARGUMENT, "t_ref = %g: must be finite and >= 0", d.t_ref);
  // Spike time + t_ref must stay far from overflow (1e100 s is 1e82 years: "never again"),
  // and the re-basing of a held reset needs t_ref / tau (the exponent of its clock) well
  // inside the doubles' integer range: 1e15 tau is beyond any run (10^13 periods).
  if (d.t_ref > kMaxMagnitude || d.t_ref > kMaxRefractoryTaus * d.tau)
    return fail(SP_ERR_NUMERIC,
                "t_ref = %.*g: above %g s or %g tau (tau = %.*g), refractory ends would overflow",
                exact_digits(d.t_ref), d.t_ref, kMaxMagnitude, kMaxRefractoryTaus,
                exact_digits(d.tau), d.tau);
  if (d.frame > SP_FRAME_TIME)
    return fail(SP_ERR_ARGUMENT,
                "frame = %u: unknown (use SP_FRAME_AUTO, SP_FRAME_PHASE or SP_FRAME_TIME)",
                d.frame);
  if (d.tau_syn != 0.0) {
    sp_status s = check_tau_syn(d);
    if (s != SP_OK) return s;
  }
  if (d.drives) {
    for (uint32_t i = 0; i < d.n; ++i) {
      sp_status s = check_drive(d.model, d.tau, d.drives[i], "drives", i, true);
      if (s == SP_OK && d.tau_syn > 0 && std::fabs(d.drives[i]) > kMaxSynWeight) {
        char label[64];
        std::snprintf(label, sizeof label, "drives[%u]", i);
        s = network_check_syn_drive(d.drives[i], label);
      }
      if (s != SP_OK) return s;
    }
  } else {
    sp_status s = check_drive(d.model, d.tau, d.drive, "drive", 0, false);
    if (s == SP_OK && d.tau_syn > 0) s = network_check_syn_drive(d.drive, "drive");
    if (s != SP_OK) return s;
  }
  if (d.v0) {
    for (uint32_t i = 0; i < d.n; ++i) {
      char label[64];
      std::snprintf(label, sizeof label, "v0[%u]", i);
      sp_status s = network_check_v0(d.model, d.v0[i], desc_v_spike(d), label);
      if (s != SP_OK) return s;
    }
  }
  sp_status s = check_synapses("recurrent", d.recurrent, d.n, d.n, true, d.model);
  if (s != SP_OK) return s;
  if (d.n_inputs == 0 && (d.inputs.row_ptr || d.inputs.k))
    return fail(SP_ERR_ARGUMENT, "inputs: synapses are given but n_inputs = 0");
  if (d.n_inputs == 0 && (d.inputs.targets || d.inputs.weights))
    return fail(SP_ERR_ARGUMENT, "inputs.%s is not NULL but n_inputs = 0 (and row_ptr is NULL)",
                d.inputs.targets ? "targets" : "weights");
  // (Without input channels the shared input weight is still kept and saved: checked as the
  // recurrent one is without synapses.)
  s = d.n_inputs ? check_synapses("inputs", d.inputs, d.n_inputs, d.n, false, d.model)
                 : network_check_weight(d.model, d.inputs.weight, "inputs.weight");
  if (s != SP_OK) return s;
  if (d.tau_syn > 0) {
    s = check_syn_weights("recurrent", d.recurrent, d.n);
    if (s == SP_OK) s = check_syn_weights("inputs", d.inputs, d.n_inputs);
    if (s != SP_OK) return s;
  }
  if (d.allocator && (!d.allocator->alloc || !d.allocator->free))
    return fail(SP_ERR_ARGUMENT, "allocator->%s is NULL: alloc and free must both be set",
                d.allocator->alloc ? "free" : "alloc");
  if (!tables_given) {
    double drives[Ops<Tabulated>::kMaxTables];
    size_t bytes[Ops<Tabulated>::kMaxTables];
    uint32_t count = 0;
    sp_status st = with_model(d.model, [&](auto m) {
      return Ops<decltype(m)>::desc_tables(d, drives, bytes, &count);
    });
    if (st != SP_OK) return st;
  }
  if (d.frame == SP_FRAME_PHASE) {
    sp_status s1 = with_model(d.model, [&](auto m) {
      return Ops<decltype(m)>::check_phase_refractory(d.t_ref, d.tau);
    });
    if (s1 != SP_OK) return s1;
    sp_status s2 = forced_phase_check(d.model, d.drives, d.drives ? 0.0 : d.drive, d.n);
    if (s2 != SP_OK) return s2;
  }
  return SP_OK;
}

sp_status network_check_drive(uint32_t model, double tau, double drive, const char *label) {
  return with_model(model, [&](auto m) { return check_drive_of<decltype(m)>(tau, drive, label); });
}

bool weight_in_range(uint32_t model, double w) {
  return finite(w) &&
         with_model(model, [&](auto m) { return Ops<decltype(m)>::weight_in_range(w); });
}

sp_status network_check_weight(uint32_t model, double w, const char *label) {
  if (!finite(w)) return fail(SP_ERR_ARGUMENT, "%s = %g: must be finite", label, w);
  return with_model(model, [&](auto m) { return Ops<decltype(m)>::check_weight(w, label); });
}

// Current-based synapses keep V = I + A e^{-t/tau} + B e^{-t/tau_s} with A and B of the order
// of the weights and of opposite signs: V's rounding error grows like 1e-16 |w|, and with weights
// of 1e27 (a fuzz_load finding) it was larger than the threshold, so the engine's and the
// loader's crossing times disagreed. A million thresholds per synapse keeps it below 1e-10.
// The drive is one of V's terms too, and A (V - I - B at a reset or input) is of its order: a
// drive of -6e66 made V's rounding 1e50, and the engine (the neuron never spikes) and the loader
// (a crossing found in that noise) disagreed (a fuzz_load finding). The same bound applies.
static sp_status check_syn_term(double x, const char *label, const char *what) {
  if (std::fabs(x) <= kMaxSynWeight) return SP_OK;
  return fail(SP_ERR_NUMERIC,
              "%s = %.17g: with current-based synapses (tau_syn > 0) %s above %g in magnitude "
              "are not supported",
              label, x, what, kMaxSynWeight);
}
sp_status network_check_syn_weight(double w, const char *label) {
  return check_syn_term(w, label, "weights");
}
sp_status network_check_syn_drive(double drive, const char *label) {
  return check_syn_term(drive, label, "drives");
}

bool v0_in_range(uint32_t model, double v, double v_spike) {
  return finite(v) && v < v_spike &&
         with_model(model, [&](auto m) { return Ops<decltype(m)>::v0_in_range(v); });
}

sp_status network_check_v0(uint32_t model, double v, double v_spike, const char *label) {
  if (!finite(v)) return fail(SP_ERR_ARGUMENT, "%s = %g: must be finite", label, v);
  // (A finite v_spike: a custom model's threshold; an initial voltage at or above it would be
  // a neuron past its spike.)
  if (!(v < v_spike))
    return fail(SP_ERR_ARGUMENT, "%s = %.17g: must be below the model's v_spike = %.17g", label, v,
                v_spike);
  return with_model(model, [&](auto m) { return Ops<decltype(m)>::check_v0(v, label); });
}

double desc_v_spike(const sp_network_desc &d) {
  bool tabulated = d.model == SP_MODEL_EIF || d.model == SP_MODEL_CUSTOM;
  return tabulated && d.model_params ? d.model_params->v_spike : INFINITY;
}

}  // namespace sp
