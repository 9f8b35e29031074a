// Training: parameter access, the recording tape and the exact reverse sweep over it.
//
// The forward pass keeps every neuron in a co-moving coordinate x_i that is constant between
// events, so the whole run is a composition of per-event maps: inputs x' = k(x, t, w, I),
// resets r(t, I), spike times T(x, I), and re-basings. The backward pass walks the recorded
// events in reverse with adjoints lambda_i = dL/dx_i (src/ARCHITECTURE.md, Backward pass), touching only each
// event's targets: O(K) per spike.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "common/error.hpp"
#include "core/arena.hpp"
#include "core/network.hpp"
#include "grad/derivatives.hpp"
#include "grad/grad.hpp"
#include "models/qif_batch.hpp"

namespace sp {
namespace {

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

sp_status check_access(const Network *net, sp_param p, const void *ptr, size_t len) {
  if (!known_param(p))
    return fail(SP_ERR_ARGUMENT, "p = %d: unknown parameter kind", static_cast<int>(p));
  uint64_t want = count_of(net, p);
  if (len != want)
    return fail(SP_ERR_ARGUMENT, "len = %zu: %s has %llu values", len, param_name(p),
                static_cast<unsigned long long>(want));
  if (!ptr && len) return fail(SP_ERR_ARGUMENT, "the %s array is NULL", param_name(p));
  return SP_OK;
}

// Storage of a parameter kind (weights: the CSR weights or the shared weight).
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

// Weights and initial voltages (drives are checked by network_set_drives).
sp_status validate_values(const Network *net, sp_param p, const double *in, size_t len) {
  if (p == SP_PARAM_DRIVES) return SP_OK;
  for (size_t i = 0; i < len; ++i) {
    double x = in[i];
    bool ok = p == SP_PARAM_V0
                  ? std::isfinite(x) && (net->model != SP_MODEL_LIF ||
                                         (x < 1.0 && std::fabs(x) <= kMaxMagnitude))
                  : weight_in_range(net->model, x);
    if (ok) continue;  // (the label is formatted for a failure only)
    char label[64];
    std::snprintf(label, sizeof label, "%s[%zu]", param_name(p), i);
    return p == SP_PARAM_V0 ? network_check_v0(net->model, x, label)
                            : network_check_weight(net->model, x, label);
  }
  return SP_OK;
}

// The reverse sweep for one model.
template <class M>
class Backward {
  using D = Deriv<M>;

 public:
  explicit Backward(Network &net) : net_(net), tape_(net.tape), lambda_(net.tape.lambda) {}

  void run(const double *dl_dt, const double *dl_dv_end) {
    double t0 = net_.t0;
    for (uint32_t i = 0; i < net_.n; ++i) lambda_[i] = 0.0;
    if (dl_dv_end) seed_end(dl_dv_end, t0);
    uint64_t spike = tape_.n_spikes;
    for (uint64_t e = tape_.n_events; e-- > 0;) {
      TapeEvent &ev = tape_.events[e];
      switch (static_cast<TapeKind>(ev.kind)) {
        case TapeKind::Rebase:
          undo_rebase(ev);
          t0 = ev.t;
          break;
        case TapeKind::Input:
          deliveries(ev, net_.inputs, tape_.grad_in, t0);
          break;
        case TapeKind::Spike:
        case TapeKind::Triggered: {
          double passed_on = ev.dl_dt;
          ev.dl_dt = 0;  // (as recorded again: a failed pass can be repeated)
          spike_event(ev, dl_dt[--spike] + passed_on, t0);
          break;
        }
      }
    }
    finish_start(t0);
  }

 private:
  // dL/dV at now() turned into adjoints of the final states (and direct drive terms).
  void seed_end(const double *dl_dv, double t0) {
    for (uint32_t i = 0; i < net_.n; ++i) {
      if (dl_dv[i] == 0.0 || net_.now < net_.refr_end[i]) continue;  // held at reset: constant
      StatePartials p = D::voltage_of_state(net_, net_.neuron[i].state, net_.drive[i], net_.now, t0);
      lambda_[i] += dl_dv[i] * p.dv;
      tape_.grad_drive[i] += dl_dv[i] * p.dI;
    }
  }

  void undo_rebase(const TapeEvent &ev) {
    D::rebase(net_, lambda_, ev.aux);
    if constexpr (std::is_same<M, Qif>::value) {
      for (uint32_t i = 0; i < net_.n; ++i)
        tape_.grad_drive[i] += lambda_[i] * D::rebase_dI(net_.drive[i], ev.aux);
    }
  }

  // Reverses an event's deliveries; returns sum_i lambda_i dk_i/dt.
  double deliveries(const TapeEvent &ev, const Synapses &syn, double *grad_w, double t0) {
    Row row = synapse_row(syn, ev.who, net_.n, net_.scratch);
    const typename D::Event de = D::event(net_, ev.t, t0);
    if constexpr (std::is_same<M, Qif>::value) {
      if (row.distinct) return qif_deliveries(ev, row, de, grad_w);
    }
    RowSums sums;
    for (uint32_t s = row.count; s-- > 0;) {
      double pre = tape_.pre[ev.first + s];
      if (std::isnan(pre)) continue;  // ignored: refractory or already due
      uint32_t i = row.targets[s];
      double w = row.weights ? row.weights[s] : row.weight;
      double lam = lambda_[i];
      if (lam == 0.0) continue;
      reverse_delivery(sums, row, s, lam, D::input(de, pre, w, net_.drive[i]), grad_w);
    }
    return finish_row(sums, row, grad_w);
  }

  // What one event's deliveries add up to: dL/dt of the event, and a shared weight's gradient,
  // summed here and added once (accumulating into memory would chain every delivery through a
  // store and a load).
  struct RowSums {
    double dt = 0.0, shared_dw = 0.0;
  };

  // Reverses delivery s of a row (target adjoint lam, partials p).
  void reverse_delivery(RowSums &sums, const Row &row, uint32_t s, double lam,
                        const InputPartials &p, double *grad_w) {
    sums.dt += lam * p.dt;
    if (row.weights)
      grad_w[row.first + s] += lam * p.dw;
    else
      sums.shared_dw += lam * p.dw;
    // A LIF input is a shift (dx = 1, dI = 0): the target's adjoint and drive gradient stay.
    if constexpr (!std::is_same<M, Lif>::value) {
      uint32_t i = row.targets[s];
      tape_.grad_drive[i] += lam * p.dI;
      lambda_[i] = lam * p.dx;
    }
  }

  double finish_row(const RowSums &sums, const Row &row, double *grad_w) {
    if (!row.weights && row.count) grad_w[0] += sums.shared_dw;
    return sums.dt;
  }

  // The same for QIF rows without a repeated target (so the deliveries are independent): the
  // tangents the partials need are computed in batches (models/qif_batch.hpp).
  double qif_deliveries(const TapeEvent &ev, const Row &row, const typename D::Event &de,
                        double *grad_w) {
    constexpr uint32_t kBlock = 64;
    double phi[kBlock], tn[kBlock];
    uint32_t at[kBlock];
    RowSums sums;
    for (uint32_t end = row.count; end > 0;) {
      const uint32_t begin = end > kBlock ? end - kBlock : 0;
      uint32_t m = 0;
      double omega_drive = NAN, omega = 0.0;
      for (uint32_t s = end; s-- > begin;) {
        double pre = tape_.pre[ev.first + s];
        uint32_t i = row.targets[s];
        if (std::isnan(pre) || lambda_[i] == 0.0) continue;
        if (!(net_.drive[i] == omega_drive)) {
          omega_drive = net_.drive[i];
          omega = 2.0 * std::sqrt(omega_drive);
        }
        at[m] = s;
        phi[m++] = D::phase_at(de, pre, omega);
      }
      qif_tan_half_batch(phi, tn, m);
      // The weight- and drive-only part, recomputed only when either changes.
      double last_w = NAN, last_drive = NAN;
      typename D::Synapse syn{};
      for (uint32_t q = 0; q < m; ++q) {
        uint32_t s = at[q], i = row.targets[s];
        double w = row.weights ? row.weights[s] : row.weight;
        double lam = lambda_[i];
        if (!(w == last_w && net_.drive[i] == last_drive)) {
          last_w = w;
          last_drive = net_.drive[i];
          syn = D::synapse(w, last_drive, net_.tau);
        }
        reverse_delivery(sums, row, s, lam, D::input_from_tan(de, tn[q], syn), grad_w);
      }
      end = begin;
    }
    return finish_row(sums, row, grad_w);
  }

  void spike_event(TapeEvent &ev, double lambda_t, double t0) {
    uint32_t j = ev.who;
    lambda_t += deliveries(ev, net_.recurrent, tape_.grad_w, t0);
    // The reset replaced the spiker's state by r(t, I): its adjoint goes to t and I.
    InputPartials r = D::reset_adjoint(net_, ev.t, net_.drive[j], t0, lambda_[j]);
    lambda_t += r.dt;
    tape_.grad_drive[j] += r.dI;
    lambda_[j] = 0.0;
    if (static_cast<TapeKind>(ev.kind) == TapeKind::Triggered) {
      // Its time is the time of the event that took it to threshold: pass dL/dt on to a
      // causing spike (an input's time is not a parameter).
      if (ev.cause != UINT64_MAX) {
        TapeEvent &cause = tape_.events[ev.cause];
        if (static_cast<TapeKind>(cause.kind) != TapeKind::Input) cause.dl_dt += lambda_t;
      }
      return;
    }
    StatePartials T = D::spike_time(net_, ev.aux, net_.drive[j], t0);
    lambda_[j] = lambda_t * T.dv;
    tape_.grad_drive[j] += lambda_t * T.dI;
  }

  // Adjoints of the states at the start of the recording, to voltages and drives there.
  void finish_start(double t0) {
    for (uint32_t i = 0; i < net_.n; ++i) {
      double lam = lambda_[i];
      if (lam == 0.0) continue;
      double drive = net_.drive[i];
      if (tape_.start_t < tape_.start_refr[i]) {
        tape_.grad_drive[i] += D::held_state_dI(net_, drive, tape_.start_refr[i], t0, lam);
        continue;
      }
      double v = startup_voltage(i, t0);
      StatePartials p = D::state_of_voltage(net_, v, drive, tape_.start_t, t0);
      tape_.grad_v0[i] += lam * p.dv;
      tape_.grad_drive[i] += lam * p.dI;
    }
  }

  double startup_voltage(uint32_t i, double t0) const {
    double x = tape_.start_state[i], drive = net_.drive[i];
    if constexpr (std::is_same<M, Lif>::value) {
      return Lif::voltage(x, drive, std::exp((tape_.start_t - t0) / net_.tau));
    } else {
      return Qif::voltage(x, drive, (tape_.start_t - t0) / net_.tau);
    }
  }

  Network &net_;
  Tape &tape_;
  double *lambda_;
};

}  // namespace

sp_status params_count(const Network *net, sp_param p, size_t *len) {
  if (!known_param(p))
    return fail(SP_ERR_ARGUMENT, "p = %d: unknown parameter kind", static_cast<int>(p));
  *len = static_cast<size_t>(count_of(net, p));
  return SP_OK;
}

sp_status params_get(const Network *net, sp_param p, double *out, size_t len) {
  sp_status s = check_access(net, p, out, len);
  if (s != SP_OK) return s;
  if (p == SP_PARAM_DRIVES) {
    for (uint32_t i = 0; i < net->n; ++i) out[i] = net->drive[i];
    return SP_OK;
  }
  const double *src = param_storage(const_cast<Network *>(net), p);
  if (len) std::memcpy(out, src, len * sizeof(double));
  return SP_OK;
}

sp_status params_set(Network *net, sp_param p, const double *in, size_t len) {
  sp_status s = check_access(net, p, in, len);
  if (s != SP_OK) return s;
  if (net->tape.recording)
    return fail(SP_ERR_STATE, "cannot set %s while recording (call sp_backward first)",
                param_name(p));
  s = validate_values(net, p, in, len);
  if (s != SP_OK) return s;
  if (p == SP_PARAM_DRIVES) return network_set_drives(net, in);  // (keeps the voltages at now())
  if (len) std::memcpy(param_storage(net, p), in, len * sizeof(double));
  return SP_OK;
}

sp_status tape_start(Network *net, size_t max_spikes) {
  if (max_spikes == 0) return fail(SP_ERR_ARGUMENT, "max_spikes = 0: must be at least 1");
  Tape &t = net->tape;
  if (max_spikes > (SIZE_MAX >> 8))
    return fail(SP_ERR_ARGUMENT, "max_spikes = %zu: too large", max_spikes);
  // Inputs and re-basings are events too: room for as many inputs as spikes.
  uint64_t events = 2ull * max_spikes + 64;
  uint64_t pre = uint64_t(max_spikes) * net->recurrent.max_row +
                 (uint64_t(max_spikes) + 64) * net->inputs.max_row;
  if (events > UINT32_MAX - 1ull)
    return fail(SP_ERR_ARGUMENT, "max_spikes = %zu: too large for one tape", max_spikes);

  if (!t.grad_block) {
    Arena g;
    g.take<double>(net->recurrent.param_count());
    g.take<double>(net->inputs.param_count());
    g.take<double>(net->n);
    g.take<double>(net->n);
    // Twice: the second half keeps the gradients a failed backward pass restores.
    size_t bytes = 2 * static_cast<size_t>(g.size());
    void *block = arena_alloc(net->alloc, bytes);
    if (!block) return fail(SP_ERR_NOMEM, "allocating %zu bytes for gradients failed", bytes);
    std::memset(block, 0, bytes);
    Arena c(static_cast<unsigned char *>(block));
    t.grad_w = c.take<double>(net->recurrent.param_count());
    t.grad_in = c.take<double>(net->inputs.param_count());
    t.grad_drive = c.take<double>(net->n);
    t.grad_v0 = c.take<double>(net->n);
    t.grad_block = block;
    t.grad_block_bytes = bytes;
  }

  if (!t.block || events > t.event_capacity || pre > t.pre_capacity) {
    Arena m;
    m.take<TapeEvent>(events);
    m.take<double>(pre);
    m.take<uint32_t>(net->n);
    m.take<double>(net->n);
    m.take<double>(net->n);
    m.take<double>(net->n);
    if (m.overflow()) return fail(SP_ERR_NOMEM, "max_spikes = %zu: the tape is too large", max_spikes);
    size_t bytes = static_cast<size_t>(m.size());
    void *block = arena_alloc(net->alloc, bytes);
    if (!block)
      return fail(SP_ERR_NOMEM, "allocating %zu bytes for a tape of %zu spikes failed", bytes,
                  max_spikes);
    arena_free(net->alloc, t.block, t.block_bytes);
    Arena c(static_cast<unsigned char *>(block));
    t.events = c.take<TapeEvent>(events);
    t.pre = c.take<double>(pre);
    t.trigger = c.take<uint32_t>(net->n);
    t.lambda = c.take<double>(net->n);
    t.start_state = c.take<double>(net->n);
    t.start_refr = c.take<double>(net->n);
    t.block = block;
    t.block_bytes = bytes;
    t.event_capacity = events;
    t.pre_capacity = pre;
  }
  // The recording starts close to t0, so its start-state derivatives use a finite clock.
  t.recording = false;
  network_rebase_near_now(net);
  t.max_spikes = max_spikes;
  t.n_events = t.n_spikes = t.n_pre = 0;
  std::memset(t.trigger, 0, sizeof(uint32_t) * net->n);
  for (uint32_t i = 0; i < net->n; ++i) {
    t.start_state[i] = net->neuron[i].state;
    t.start_refr[i] = net->refr_end[i];
  }
  t.start_t = net->now;
  t.recording = true;
  return SP_OK;
}

sp_status backward(Network *net, const double *dl_dt, size_t n_spikes, const double *dl_dv_end) {
  Tape &t = net->tape;
  if (!t.recording)
    return fail(SP_ERR_STATE, "no recording to differentiate: call sp_record before running");
  if (n_spikes != t.n_spikes)
    return fail(SP_ERR_ARGUMENT, "n_spikes = %zu: %llu spikes were recorded", n_spikes,
                static_cast<unsigned long long>(t.n_spikes));
  if (n_spikes && !dl_dt) return fail(SP_ERR_ARGUMENT, "dl_dt is NULL but n_spikes = %zu", n_spikes);
  for (size_t s = 0; s < n_spikes; ++s)
    if (!std::isfinite(dl_dt[s]))
      return fail(SP_ERR_ARGUMENT, "dl_dt[%zu] = %g: must be finite", s, dl_dt[s]);
  if (dl_dv_end)
    for (uint32_t i = 0; i < net->n; ++i)
      if (!std::isfinite(dl_dv_end[i]))
        return fail(SP_ERR_ARGUMENT, "dl_dv_end[%u] = %g: must be finite", i, dl_dv_end[i]);
  // The sweep adds into the accumulated gradients; a copy taken first restores them if a
  // non-finite value arises (the tape is left as recorded, so the call can be repeated).
  size_t half = t.grad_block_bytes / 2;
  unsigned char *grads = static_cast<unsigned char *>(t.grad_block);
  std::memcpy(grads + half, grads, half);
  if (net->model == SP_MODEL_LIF)
    Backward<Lif>(*net).run(dl_dt, dl_dv_end);
  else
    Backward<Qif>(*net).run(dl_dt, dl_dv_end);
  const sp_param kinds[] = {SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES,
                            SP_PARAM_V0};
  for (sp_param p : kinds) {
    const double *g = grad_storage(net, p);
    uint64_t count = count_of(net, p);
    for (uint64_t i = 0; i < count; ++i) {
      if (std::isfinite(g[i])) continue;
      double bad = g[i];
      std::memcpy(grads, grads + half, half);
      return fail(SP_ERR_NUMERIC,
                  "the gradient %s[%llu] = %g is not finite (an exp or a product overflowed in "
                  "the backward pass): no gradient was accumulated, the recording is kept",
                  param_name(p), static_cast<unsigned long long>(i), bad);
    }
  }
  t.recording = false;
  return SP_OK;
}

sp_status grads_get(const Network *net, sp_param p, double *out, size_t len) {
  sp_status s = check_access(net, p, out, len);
  if (s != SP_OK) return s;
  const double *g = grad_storage(net, p);
  for (size_t i = 0; i < len; ++i) out[i] = g ? g[i] : 0.0;
  return SP_OK;
}

void grads_zero(Network *net) {
  const sp_param kinds[] = {SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES,
                            SP_PARAM_V0};
  for (sp_param p : kinds) {
    double *g = grad_storage(net, p);
    if (g) std::memset(g, 0, sizeof(double) * count_of(net, p));
  }
}

}  // namespace sp
