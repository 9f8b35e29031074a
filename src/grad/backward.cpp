// The exact reverse sweep over the tape (sp_backward).
//
// The forward pass keeps every neuron in a co-moving coordinate x_i that is constant between
// events, so the whole run is a composition of per-event maps: inputs x' = k(x, t, w, I),
// resets r(t, I), spike times T(x, I), and re-basings. The backward pass walks the recorded
// events in reverse with adjoints lambda_i = dL/dx_i (src/ARCHITECTURE.md, Backward pass),
// touching only each event's targets: O(K) per spike.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "core/network.hpp"
#include "models/dispatch.hpp"
#include "grad/grad.hpp"
#include "grad/params.hpp"
#include "models/lif_syn_engine.hpp"

namespace sp {
namespace {

// The reverse sweep for one model.
template <class M>
class Backward {
  using D = Deriv<M>;

 public:
  explicit Backward(Network &net) : net_(net), tape_(net.tape), lambda_(net.tape.lambda) {}

  // The first neuron met whose adjoint may have been lost across a long refractory period (see
  // held_lost), or UINT32_MAX; the spike that started that period (NaN: before the recording).
  // (Which neuron's adjoint went to 0 is not known: any held neuron with a zero adjoint is a
  // suspect once one went.)
  uint32_t lost_neuron() const { return lost_neuron_; }
  double lost_spike() const { return lost_spike_; }
  // Whether it was lost in the seed of its voltage at now() (Deriv<M>::end_seed_lost).
  bool lost_at_end() const { return lost_at_end_; }

  // (Always the whole sweep, even after a loss: it sets every event's dl_dt back to 0, so a
  // failed call can be repeated.)
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
        case TapeKind::Input: deliveries(ev, net_.inputs, tape_.grad_in, t0); break;
        case TapeKind::Spike:
        case TapeKind::Triggered: {
          double passed_on = ev.dl_dt;
          ev.dl_dt = 0;  // (as recorded again: a failed pass can be repeated)
          skip_end_dt_ = end_dl_dv_ != nullptr && ev.t == net_.now;
          spike_event(ev, dl_dt[--spike] + passed_on, t0);
          skip_end_dt_ = false;
          break;
        }
      }
    }
    finish_start(t0);
  }

 private:
  // dL/dV at now() turned into adjoints of the final states (and direct drive terms), and
  // when now() moves with the last spike, the term of its time.
  void seed_end(const double *dl_dv, double t0) {
    const uint64_t end = tape_.end_spike(net_.now);
    if (end < tape_.n_events) mark_reset_at_end();
    if (end < tape_.n_events && one_cascade_at_end(end)) end_dl_dv_ = dl_dv;
    double rate = 0.0;  // sum_i dL/dV_i dV_i/dt at the final states (end_seeded: below)
    for (uint32_t i = 0; i < net_.n; ++i) {
      if (std::isnan(lambda_[i])) {  // (mark_reset_at_end's mark)
        lambda_[i] = 0.0;
        continue;
      }
      if (dl_dv[i] == 0.0 || net_.now < net_.refr_end[i]) continue;  // held at reset: constant
      const double x = net_.neuron[i].state;
      StatePartials p = D::voltage_of_state(net_, x, net_.drive[i], net_.now, t0);
      lambda_[i] += dl_dv[i] * p.dv;
      if (lost_neuron_ == UINT32_MAX && D::end_seed_lost(net_, x, lambda_[i])) {
        lost_neuron_ = i;  // (refused like a held adjoint lost across the re-bases)
        lost_at_end_ = true;
      }
      tape_.grad_drive[i] += dl_dv[i] * p.dI;
      if (!end_seeded(i)) rate += dl_dv[i] * D::voltage_rate(net_, x, net_.drive[i], net_.now, t0);
    }
    if (end_dl_dv_) rate += end_rate_before_kicks(dl_dv, t0);
    // When the recording ended at a spike, now() is that spike's time: L also depends on it
    // through the voltages' drift, dL/dt_s += sum_i dL/dV_i dV_i/dt (the states' own dependence
    // on t_s, its reset and its deliveries, is the spike's ordinary backward step).
    if (end < tape_.n_events) tape_.events[end].dl_dt += rate;
  }

  // Whether neuron i's dL/dV at now() is seeded while now() moves with the last spike and it does
  // not spike at now(): not held at reset, not reset at now(); flagged due but unspiked counts (its
  // due flag set its refractory end to now()). The end instant's spikes may kick such a neuron, and
  // V_i(now) = V_i before them + their weights: its drift through the end time is that before the
  // kicks, G(V_i)/tau for EIF. Taken as the drift after them plus the kicks' time partials, it was
  // the difference of two terms of size G(V_i after)/tau, lost for a kick far up the upswing (an
  // outside check: EIF, a kick to V = 4.5, 27% off; to v_spike = 5, the ending spike's gradient 0).
  // So the kicks' time partials to these neurons are left out (skip_end_dt_) and the drift is
  // end_rate_before_kicks'.
  bool end_seeded(uint32_t i) const {
    if (end_dl_dv_ == nullptr || end_dl_dv_[i] == 0.0) return false;
    const double r = net_.refr_end[i];
    return r < net_.now || (r == net_.now && flagged_due(net_, i));
  }

  // Whether every spike at the end instant belongs to the ending spike's cascade (the spikes
  // whose times move with it, through the cause links). Spikes that reached threshold at that
  // instant on their own move independently (an outside review: two identical neurons tied at
  // the end), and each kick's time partial must then go to its own spiker: the end's drift is
  // taken after the kicks, as before end_seeded (exact, only not protected from cancellation).
  bool one_cascade_at_end(uint64_t end) const {
    const uint64_t root = cascade_root(end);
    for (uint64_t e = tape_.n_events; e-- > 0;) {
      const TapeEvent &ev = tape_.events[e];
      const TapeKind kind = static_cast<TapeKind>(ev.kind);
      if (kind == TapeKind::Rebase || kind == TapeKind::Input) continue;
      if (ev.t != net_.now) break;
      if (cascade_root(e) != root) return false;
    }
    return true;
  }
  // The spike a triggered spike's time comes from (its cause's, through spikes), itself for a
  // spike that reached threshold on its own or has no recorded cause, UINT64_MAX for an input
  // (a fixed time).
  uint64_t cascade_root(uint64_t e) const {
    for (;;) {
      const TapeEvent &ev = tape_.events[e];
      if (static_cast<TapeKind>(ev.kind) != TapeKind::Triggered || ev.cause == UINT64_MAX) return e;
      if (static_cast<TapeKind>(tape_.events[ev.cause].kind) == TapeKind::Input) return UINT64_MAX;
      e = ev.cause;
    }
  }

  // sum_i dL/dV_i dV_i/dt over the end_seeded neurons, each at its state before the end
  // instant's first spike kicked it (the pre-state the tape recorded for that kick; the final
  // state for a neuron none kicked). lambda_ holds those states meanwhile (NaN: none), and the
  // seeded adjoints are set again afterwards.
  double end_rate_before_kicks(const double *dl_dv, double t0) {
    for (uint32_t i = 0; i < net_.n; ++i)
      if (end_seeded(i)) lambda_[i] = NAN;
    for (uint64_t e = tape_.n_events; e-- > 0;) {  // (the last kick first: the first one stays)
      const TapeEvent &ev = tape_.events[e];
      const TapeKind kind = static_cast<TapeKind>(ev.kind);
      if (kind == TapeKind::Rebase) continue;
      if (ev.t != net_.now) break;
      if (kind == TapeKind::Input) continue;
      Row row = synapse_row(net_.recurrent, ev.who, net_.n, net_.scratch);
      for (uint32_t s = row.count; s-- > 0;) {
        const double pre = tape_.pre[ev.first + s];
        const uint32_t i = row.targets[s];
        if (!std::isnan(pre) && end_seeded(i)) lambda_[i] = pre;
      }
    }
    double rate = 0.0;
    for (uint32_t i = 0; i < net_.n; ++i) {
      if (!end_seeded(i)) continue;
      const double drive = net_.drive[i], x = net_.neuron[i].state;
      const double before = std::isnan(lambda_[i]) ? x : lambda_[i];
      rate += dl_dv[i] * D::voltage_rate(net_, before, drive, net_.now, t0);
      lambda_[i] = dl_dv[i] * D::voltage_of_state(net_, x, drive, net_.now, t0).dv;
    }
    return rate;
  }

  // When now() moves with the last spike, a neuron that spiked at now() (that spike, and the
  // others of its instant, which its cascade shares) is at its reset there whatever the
  // parameters, so its dL/dV adds nothing. Through its state and the drift instead, the
  // reset's partials and the end's would cancel only up to rounding, which for QIF's reset at
  // V = -inf is of order 1e15. Marks those neurons' adjoints NaN (all 0 until seed_end).
  void mark_reset_at_end() {
    for (uint64_t e = tape_.n_events; e-- > 0;) {
      const TapeEvent &ev = tape_.events[e];
      const TapeKind kind = static_cast<TapeKind>(ev.kind);
      if (kind == TapeKind::Rebase) continue;  // (its t is the old origin, not an instant)
      if (ev.t != net_.now) break;
      if (kind == TapeKind::Spike || kind == TapeKind::Triggered) lambda_[ev.who] = NAN;
    }
  }

  void undo_rebase(const TapeEvent &ev) {
    any_lost_ |= D::rebase(net_, lambda_, tape_.grad_drive, ev.aux);
  }

  // Notes the first neuron whose adjoint, held at reset until tr, may have left the range of
  // doubles across the reverse re-basings (Deriv<M>::held_adjoint_lost): its gradient would be
  // wrong, not small, and sp_backward refuses it.
  void held_lost(uint32_t j, double spike, double tr, double t0) {
    if (lost_neuron_ != UINT32_MAX ||
        !D::held_adjoint_lost(net_, tr, t0, lambda_[j], any_lost_, net_.drive[j]))
      return;
    lost_neuron_ = j;
    lost_spike_ = spike;
  }

  // Reverses an event's deliveries; returns sum_i lambda_i dk_i/dt.
  double deliveries(const TapeEvent &ev, const Synapses &syn, double *grad_w, double t0) {
    Row row = synapse_row(syn, ev.who, net_.n, net_.scratch);
    const typename D::Event de = D::event(net_, ev.t, t0);
    RowSums sums;
    if constexpr (D::kBatchedInputs) {
      if (row.distinct) {
        D::reverse_row_batched(net_, de, row, tape_.pre + ev.first, lambda_,
                               [&](uint32_t s, double lam, const InputPartials &p) {
                                 reverse_delivery(sums, row, s, lam, p, grad_w);
                               });
        return finish_row(sums, row, grad_w);
      }
    }
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
    if (!(skip_end_dt_ && end_seeded(row.targets[s]))) sums.dt += lam * p.dt;
    if (row.weights)
      grad_w[row.first + s] += lam * p.dw;
    else
      sums.shared_dw += lam * p.dw;
    // An input that shifts the state (dx = 1, dI = 0) leaves the target's adjoint and drive
    // gradient alone.
    if constexpr (!D::kInputIsShift) {
      uint32_t i = row.targets[s];
      tape_.grad_drive[i] += lam * p.dI;
      lambda_[i] = lam * p.dx;
    }
  }

  double finish_row(const RowSums &sums, const Row &row, double *grad_w) {
    if (!row.weights && row.count) grad_w[0] += sums.shared_dw;
    return sums.dt;
  }

  void spike_event(TapeEvent &ev, double lambda_t, double t0) {
    uint32_t j = ev.who;
    lambda_t += deliveries(ev, net_.recurrent, tape_.grad_w, t0);
    // The reset replaced the spiker's state by r(t, I): its adjoint goes to t and I.
    held_lost(j, ev.t, ev.t + net_.t_ref, t0);
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
    // A neuron due at the recording's start (at threshold then, or kept due by a drive change)
    // spikes at the start, which is fixed with the starting state (sp_record): its time depends
    // on nothing, on the side that keeps it there (the order-keeping side, as at an input's
    // instant). Its state there is replaced by the reset, so it gets no adjoint either. (The
    // state's own spike-time partials are singular there for some models: LIF at a drive of
    // exactly 1 has u = 0 and I - 1 = 0, EIF V = +inf.)
    if (ev.t == tape_.start_t) return;
    StatePartials T = D::spike_time(net_, ev.aux, net_.drive[j], t0);
    lambda_[j] = lambda_t * T.dv;
    tape_.grad_drive[j] += lambda_t * T.dI;
  }

  // Adjoints of the states at the start of the recording, to voltages and drives there.
  void finish_start(double t0) {
    for (uint32_t i = 0; i < net_.n; ++i) {
      const bool held = tape_.start_t < tape_.start_refr[i];
      if (held) held_lost(i, NAN, tape_.start_refr[i], t0);
      double lam = lambda_[i];
      if (lam == 0.0) continue;
      double drive = net_.drive[i];
      if (held) {
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
    return D::voltage_at(net_, tape_.start_state[i], net_.drive[i], tape_.start_t, t0);
  }

  Network &net_;
  Tape &tape_;
  double *lambda_;
  bool any_lost_ = false;  // a re-base scaled a non-zero adjoint below Deriv<Lif>::kLostBelow
  uint32_t lost_neuron_ = UINT32_MAX;
  double lost_spike_ = NAN;
  bool lost_at_end_ = false;
  // dl_dv_end while now() moves with the last spike (end_seeded), else nullptr.
  const double *end_dl_dv_ = nullptr;
  bool skip_end_dt_ = false;  // reversing a spike at the end instant (end_seeded)
};

}  // namespace

sp_status backward(Network *net, const double *dl_dt, size_t n_spikes, const double *dl_dv_end) {
  Tape &t = net->tape;
  if (!t.recording)
    return fail(SP_ERR_STATE, "no recording to differentiate: call sp_record before running");
  if (n_spikes != t.n_spikes)
    return fail(SP_ERR_ARGUMENT, "n_spikes = %zu: %llu spikes were recorded", n_spikes,
                static_cast<unsigned long long>(t.n_spikes));
  if (n_spikes && !dl_dt)
    return fail(SP_ERR_ARGUMENT, "dl_dt is NULL but n_spikes = %zu", n_spikes);
  for (size_t s = 0; s < n_spikes; ++s)
    if (!std::isfinite(dl_dt[s]))
      return fail(SP_ERR_ARGUMENT, "dl_dt[%zu] = %g: must be finite", s, dl_dt[s]);
  if (dl_dv_end)
    for (uint32_t i = 0; i < net->n; ++i)
      if (!std::isfinite(dl_dv_end[i]))
        return fail(SP_ERR_ARGUMENT, "dl_dv_end[%u] = %g: must be finite", i, dl_dv_end[i]);
  // A neuron at its blow-up at now() (QIF, EIF or custom with v_spike = +inf, its own spike at
  // now(): network_voltage) has no dV: say which, rather than the NaN or the meaningless huge
  // value its term would make.
  const bool blowup_model = net->model == SP_MODEL_QIF || net->model == SP_MODEL_EIF ||
                            net->model == SP_MODEL_CUSTOM;
  if (dl_dv_end && blowup_model)
    for (uint32_t i = 0; i < net->n; ++i)
      if (dl_dv_end[i] != 0.0 && !(network_voltage(net, i) < INFINITY))
        return fail(SP_ERR_NUMERIC,
                    "dl_dv_end[%u] = %g: neuron %u is at its blow-up at now() (V = +inf, it "
                    "spikes at the next step), where V has no gradient; give it 0: no gradient "
                    "was accumulated, the recording is kept",
                    i, dl_dv_end[i], i);
  // The sweep adds into the accumulated gradients; a copy taken first restores them if a
  // non-finite value arises (the tape is left as recorded, so the call can be repeated).
  size_t half = t.grad_block_bytes / 2;
  unsigned char *grads = static_cast<unsigned char *>(t.grad_block);
  std::memcpy(grads + half, grads, half);
  uint32_t lost = UINT32_MAX;
  double lost_spike = NAN;
  bool lost_at_end = false;
  if (net->tau_syn > 0.0) {
    lif_syn_backward(net, dl_dt, dl_dv_end);
  } else {
    with_model(net->model, [&](auto m) {
      Backward<decltype(m)> sweep(*net);
      sweep.run(dl_dt, dl_dv_end);
      lost = sweep.lost_neuron();
      lost_spike = sweep.lost_spike();
      lost_at_end = sweep.lost_at_end();
    });
  }
  if (lost != UINT32_MAX) {
    std::memcpy(grads, grads + half, half);
    char when[64] = "held from before the recording";
    if (lost_at_end)
      std::snprintf(when, sizeof when, "voltage at now() (dl_dv_end[%u])", lost);
    else if (!std::isnan(lost_spike))
      std::snprintf(when, sizeof when, "spike at t = %.17g", lost_spike);
    return fail(SP_ERR_NUMERIC,
                "the gradient through a refractory period (t_ref = %g tau) is beyond the range "
                "of a double: an adjoint carried across one fell below 2^-1042 (refractory "
                "periods of about 700 tau and more; met at neuron %u's %s); no gradient was "
                "accumulated, the recording is kept",
                net->t_ref / net->tau, lost, when);
  }
  const sp_param kinds[] = {SP_PARAM_WEIGHTS, SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES, SP_PARAM_V0};
  for (sp_param p : kinds) {
    const double *g = grad_storage(net, p);
    uint64_t count = count_of(net, p);
    for (uint64_t i = 0; i < count; ++i) {
      if (std::isfinite(g[i])) continue;
      const double bad = g[i];
      // (The copy's value of this gradient, from before the pass.)
      double before;
      std::memcpy(&before, reinterpret_cast<const unsigned char *>(g + i) + half, sizeof before);
      std::memcpy(grads, grads + half, half);
      if (before != 0.0)
        // The pass adds to a running total: its own term or the sum may have overflowed.
        return fail(SP_ERR_NUMERIC,
                    "the gradient %s[%llu] = %g is not finite: this pass added to the %.17g "
                    "accumulated before it, and its own term or the sum overflowed (an exp or "
                    "a product in the backward pass; sp_zero_grads first tells which): no "
                    "gradient was accumulated, the recording is kept",
                    param_name(p), static_cast<unsigned long long>(i), bad, before);
      return fail(SP_ERR_NUMERIC,
                  "the gradient %s[%llu] = %g is not finite (an exp or a product overflowed in "
                  "the backward pass): no gradient was accumulated, the recording is kept",
                  param_name(p), static_cast<unsigned long long>(i), bad);
    }
  }
  t.recording = false;
  return SP_OK;
}

}  // namespace sp
