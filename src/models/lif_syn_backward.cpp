// The reverse sweep for LIF with exponential synaptic currents (sp_backward; the caller in
// grad/backward.cpp checks the arguments and the result).
//
// Every map of the forward pass is affine in the co-moving state (A, B) for fixed times: an
// input adds (ka, kb), which depend on the weight and the input's time only; a reset sets A to
// the value that gives V = 0 at the refractory end r; a re-base scales. Adjoints (lambda_A,
// lambda_B) per neuron, plus dL/dr for the current refractory period, swept backwards:
//   delivery:      grad_w += lambda . dk/dw,  dL/dt_event += lambda . dk/dt  (lambda unchanged)
//   held delivery: A = -(I + B/E_s(r)) E_m(r) after B += kb: lambda_B += lambda_A dA/dB,
//                  grad_I += lambda_A dA/dI, dL/dr += lambda_A dA/dr, lambda_A = 0
//   spike:         the reset as above, dL/dt_s += dL/dr (r = t_s + t_ref), then the spike time
//                  T(A, B, I) by the implicit function theorem, dT/dθ = -(dV/dθ)/(dV/dt).
//                  (An input at the spike's instant that made dV/dt negative: the slope before
//                  it, the continuous side, spike first; see spike_event.)
// A spike that only touches threshold has dV/dt = 0 there: its gradient is unbounded, and the
// non-finite result makes sp_backward return SP_ERR_NUMERIC.
#include <cmath>

#include "models/lif_syn.hpp"
#include "models/lif_syn_engine.hpp"

namespace sp {
namespace {

// The partials of A = reset_a(B, I, clock(r)) (V = 0 at r).
struct ResetPartials {
  double db, di, dr;
};
ResetPartials reset_partials(const LifSyn::Shape &sh, const LifSyn::Clock &cr, double b,
                             double drive) {
  if (sh.alpha) {
    // A = -(I E + B x), E = exp(x), x = (r - t0)/tau
    return ResetPartials{-cr.x, -cr.em, -(drive * cr.em + b) * sh.inv_m};
  }
  // A = -I E_m - B E_m/E_s
  double g = cr.em / cr.es;
  return ResetPartials{-g, -cr.em, -drive * cr.em * sh.inv_m - b * g * (sh.inv_m - sh.inv_s)};
}

class SynBackward {
 public:
  explicit SynBackward(Network &net)
      : net_(net),
        tape_(net.tape),
        sh_(net.syn_shape),
        lam_(net.tape.lambda),
        lam_r_(net.tape.lambda + 2 * size_t(net.n)),
        cur_r_(net.tape.lambda + 3 * size_t(net.n)) {}

  void run(const double *dl_dt, const double *dl_dv_end) {
    const uint32_t n = net_.n;
    double t0 = net_.t0;
    for (uint32_t i = 0; i < n; ++i) {
      lam_[2 * i] = lam_[2 * i + 1] = 0.0;
      lam_r_[i] = 0.0;
      cur_r_[i] = net_.refr_end[i];
    }
    // (A recording that ended at a spike: now() is its time, and L depends on it through the
    // voltages' drift, end_rate; see the delta-synapse sweep's seed_end.)
    const uint64_t end = tape_.end_spike(net_.now);
    end_ = end;
    double end_rate = dl_dv_end ? seed_end(dl_dv_end, t0) : 0.0;
    dl_dv_end_ = dl_dv_end;
    uint64_t spike = tape_.n_spikes;
    for (uint64_t e = tape_.n_events; e-- > 0;) {
      const TapeEvent &ev = tape_.events[e];
      switch (static_cast<TapeKind>(ev.kind)) {
        case TapeKind::Rebase:
          undo_rebase(ev);
          t0 = ev.t;
          break;
        case TapeKind::Input: deliveries(ev, 0, net_.inputs, tape_.grad_in, t0); break;
        case TapeKind::Spike:
        case TapeKind::Triggered: {
          // (dl_dt of the event: a correction a spike at its instant passed on, see
          // same_instant_weight; reset as recorded, so a failed pass can be repeated.)
          const double passed_on = tape_.events[e].dl_dt;
          tape_.events[e].dl_dt = 0.0;
          spike_event(e, dl_dt[--spike] + passed_on + (e == end ? end_rate : 0.0), t0);
          break;
        }
      }
    }
    finish_start(t0);
  }

 private:
  // dL/dV at now() into the adjoints of the final coordinates (and the drives); returns
  // sum_i dL/dV_i dV_i/dt at them, tau_m dV/dt = -V + I + J.
  // A recording that ends at a spike leaves its neuron at its reset at now() whatever the
  // parameters: no term (the delta-synapse sweep's mark_reset_at_end; V is continuous here, so
  // no other spike shares the instant but by coincidence).
  double seed_end(const double *dl_dv, double t0) {
    LifSyn::Clock c = LifSyn::clock(net_.now, t0, sh_);
    const uint32_t reset_at_end = end_ < tape_.n_events ? tape_.events[end_].who : UINT32_MAX;
    double rate = 0.0;
    for (uint32_t i = 0; i < net_.n; ++i) {
      double g = dl_dv[i];
      if (g == 0.0 || net_.now < net_.refr_end[i] || i == reset_at_end) continue;  // constant
      lam_[2 * i] += g / c.em;
      lam_[2 * i + 1] += sh_.alpha ? g * c.x / c.em : g / c.es;
      tape_.grad_drive[i] += g;
      const double a = net_.neuron[i].state, b = net_.syn_aux[i].b, drive = net_.drive[i];
      const double v = LifSyn::voltage(a, b, drive, sh_, c), j = LifSyn::current(b, sh_, c);
      rate += g * (drive - v + j) * sh_.inv_m;
    }
    return rate;
  }

  // Forward: A' = A f_m, B' = B f_s (alpha: A' = (A + B d/tau) f, B' = B f), d = t0' - t0.
  void undo_rebase(const TapeEvent &ev) {
    double d = ev.aux - ev.t;
    double fm = std::exp(-d * sh_.inv_m), fs = sh_.alpha ? fm : std::exp(-d * sh_.inv_s);
    double x = d * sh_.inv_m;
    for (uint32_t i = 0; i < net_.n; ++i) {
      double la = lam_[2 * i], lb = lam_[2 * i + 1];
      lam_[2 * i] = la * fm;
      lam_[2 * i + 1] = sh_.alpha ? (lb + la * x) * fm : lb * fs;
    }
  }

  // An input's kick of (A, B) per unit weight at clock c: dk/dw (a, b) and d^2k/dw dt.
  struct Kick {
    double a_w, b_w, a_t, b_t;
  };
  Kick kick(const LifSyn::Clock &c) const {
    if (sh_.alpha)
      return Kick{-c.em * c.x, c.em, -c.em * (c.x + 1.0) * sh_.inv_m, c.em * sh_.inv_m};
    const double a_w = sh_.c_per_w * c.em, b_w = -sh_.c_per_w * c.es;
    return Kick{a_w, b_w, a_w * sh_.inv_m, b_w * sh_.inv_s};
  }

  // Reverses an event's deliveries (their tape records start `offset` after the event's
  // first); returns dL/dt of the event.
  double deliveries(const TapeEvent &ev, uint64_t offset, const Synapses &syn, double *grad_w,
                    double t0) {
    Row row = synapse_row(syn, ev.who, net_.n, net_.scratch);
    LifSyn::Clock c = LifSyn::clock(ev.t, t0, sh_);
    const Kick k = kick(c);
    const double ka_w = k.a_w, kb_w = k.b_w, ka_t = k.a_t, kb_t = k.b_t;
    const double *pre = tape_.pre + ev.first + offset;
    double dt = 0.0, shared_dw = 0.0;
    for (uint32_t s = row.count; s-- > 0;) {
      uint32_t i = row.targets[s];
      double w = row.weights ? row.weights[s] : row.weight;
      double la = lam_[2 * i], lb = lam_[2 * i + 1];
      double g;
      if (std::isnan(pre[s])) {
        if (la == 0.0 && lb == 0.0) continue;
        g = la * ka_w + lb * kb_w;
        dt += w * (la * ka_t + lb * kb_t);
      } else {
        // Held: A was set from the new B (recorded) at the refractory end r.
        double r = cur_r_[i];
        ResetPartials p = reset_partials(sh_, release_clock(r, release_residue(r), t0), pre[s],
                                         net_.drive[i]);
        lb += la * p.db;
        tape_.grad_drive[i] += la * p.di;
        lam_r_[i] += la * p.dr;
        lam_[2 * i] = 0.0;
        lam_[2 * i + 1] = lb;
        g = lb * kb_w;
        dt += w * lb * kb_t;
      }
      if (row.weights)
        grad_w[row.first + s] += g;
      else
        shared_dw += g;
    }
    if (!row.weights && row.count) grad_w[0] += shared_dw;
    return dt;
  }

  // The total weight the events at spike e's instant, before it, delivered to its neuron j
  // (not held); with `correct`, each spike among them gets -correct times its weight to j in
  // its dl_dt (see spike_event). Events at one instant are adjacent on the tape (a re-base
  // comes before an instant's first event, and its record carries the earlier t0).
  double same_instant_weight(uint64_t e, double correct) {
    const TapeEvent &ev = tape_.events[e];
    const uint32_t j = ev.who;
    double total = 0.0;
    for (uint64_t f = e; f-- > 0 && tape_.events[f].t == ev.t;) {
      TapeEvent &src = tape_.events[f];
      if (static_cast<TapeKind>(src.kind) == TapeKind::Rebase) break;
      const bool input = static_cast<TapeKind>(src.kind) == TapeKind::Input;
      Row row = synapse_row(input ? net_.inputs : net_.recurrent, src.who, net_.n, net_.scratch);
      const double *pre = tape_.pre + src.first + (input ? 0 : 2);
      double w_j = 0.0;
      for (uint32_t s = 0; s < row.count; ++s)
        if (row.targets[s] == j && std::isnan(pre[s]))
          w_j += row.weights ? row.weights[s] : row.weight;
      total += w_j;
      if (!input) src.dl_dt -= correct * w_j;
    }
    return total;
  }

  // The drift of the other neurons' V at the end (seed_end's rate, dL/dV_i dV_i/dt) that the
  // external inputs at the instant of the end spike e, before it, add through their currents
  // (see spike_event: on its side the recording ends before them). Neuron j's own is taken
  // back there.
  double end_inputs_drift(uint64_t e, uint32_t j, double b_w, const LifSyn::Clock &c) const {
    const double t = tape_.events[e].t;
    double drift = 0.0;
    for (uint64_t f = e; f-- > 0 && tape_.events[f].t == t;) {
      const TapeEvent &src = tape_.events[f];
      if (static_cast<TapeKind>(src.kind) == TapeKind::Rebase) break;
      if (static_cast<TapeKind>(src.kind) != TapeKind::Input) continue;
      Row row = synapse_row(net_.inputs, src.who, net_.n, net_.scratch);
      for (uint32_t s = 0; s < row.count; ++s) {
        const uint32_t i = row.targets[s];
        if (i == j || dl_dv_end_[i] == 0.0 || net_.now < net_.refr_end[i]) continue;
        const double w = row.weights ? row.weights[s] : row.weight;
        drift += dl_dv_end_[i] * LifSyn::current(w * b_w, sh_, c) * sh_.inv_m;
      }
    }
    return drift;
  }

  void spike_event(uint64_t e, double dl, double t0) {
    const TapeEvent &ev = tape_.events[e];
    uint32_t j = ev.who;
    const double a = ev.aux, b = tape_.pre[ev.first], prev_r = tape_.pre[ev.first + 1];
    double lt = dl + deliveries(ev, 2, net_.recurrent, tape_.grad_w, t0);
    const bool at_start = ev.t == tape_.start_t;
    // The spike time: V(t_s; A, B, I) = 1, dV/dA, dV/dB and dV/dt there.
    LifSyn::Clock c = LifSyn::clock(ev.t, t0, sh_);
    const double dv_da = 1.0 / c.em, dv_db = sh_.alpha ? c.x / c.em : 1.0 / c.es;
    auto slope = [&](double a_, double b_) {
      return sh_.alpha ? (b_ - a_ - b_ * c.x) * sh_.inv_m / c.em
                       : -a_ * sh_.inv_m / c.em - b_ * sh_.inv_s / c.es;
    };
    double vdot = slope(a, b);
    // An input at this instant that made dV/dt negative (the neuron spikes anyway: the
    // crossing was the state's before the instant's inputs): the continuous side is the spike
    // first, the inputs just after it. So the slope is the one before them (B0), their times
    // do not move the crossing, and with t_ref = 0 the reset, at the spike, takes B0 (the
    // inputs' kicks then follow it; they leave V, so their weights move neither).
    double w_now = 0.0, b_reset = b;
    Kick kk{};
    if (!at_start && !(vdot > 0.0)) {
      w_now = same_instant_weight(e, 0.0);
      kk = kick(c);
      const double b0 = b - w_now * kk.b_w, vdot0 = slope(a - w_now * kk.a_w, b0);
      if (w_now != 0.0 && vdot0 > 0.0) {
        vdot = vdot0;
        if (!(net_.t_ref > 0.0)) b_reset = b0;
        // A recording that ends at this spike ends before those inputs on this side: the
        // drift of V at the end (seed_end's rate, taken after them) has the currents before
        // them, the other neurons' (external inputs; the spiker's own V has no drift term).
        if (e == end_ && dl_dv_end_) lt -= end_inputs_drift(e, j, kk.b_w, c);
      } else {
        w_now = 0.0;
      }
    }
    // The reset at r = t_s + t_ref.
    double r = cur_r_[j], la = lam_[2 * j];
    const double late = net_.t_ref > 0.0 && r == ev.t + net_.t_ref
                            ? two_sum_error(ev.t, net_.t_ref, r)
                            : 0.0;
    ResetPartials p = reset_partials(sh_, release_clock(r, late, t0), b_reset, net_.drive[j]);
    lam_[2 * j + 1] += la * p.db;
    tape_.grad_drive[j] += la * p.di;
    lt += lam_r_[j] + la * p.dr;
    lam_r_[j] = 0.0;
    cur_r_[j] = prev_r;
    // A neuron due at the recording's start spikes at the start, which is fixed with the
    // starting state: no gradient through its time (grad/backward.cpp, spike_event), whose
    // slope there may be 0 (a drive of exactly 1 kept due by a drive change).
    if (at_start) {
      lam_[2 * j] = 0.0;
      return;
    }
    double k = -lt / vdot;
    // (The spike-first side: take back what the reversal of the instant's deliveries from
    // spikes will add through this adjoint, w k (dV/dA ka_t + dV/dB kb_t); an input's time is
    // not a parameter. With t_ref = 0 their kicks come after the reset, so their times move A
    // after it too, w la ka_t, where the reversal passes la through the reset to B instead,
    // w la dA/dB kb_t.)
    if (w_now != 0.0) {
      double correct = k * (dv_da * kk.a_t + dv_db * kk.b_t);
      if (!(net_.t_ref > 0.0)) correct -= la * (kk.a_t - p.db * kk.b_t);
      same_instant_weight(e, correct);
    }
    lam_[2 * j] = k * dv_da;
    lam_[2 * j + 1] += k * dv_db;
    tape_.grad_drive[j] += k;
  }

  // The clock of the release after a spike at t, r* = t + t_ref, where the forward pass
  // releases the neuron (reset_a, held_reset_voltage), given r, that sum rounded as the tape
  // recorded it, and late = r* - r. The residue recurs with nearly the same value at every
  // spike of a regular neuron, and partials taken at r's clock drifted along the chain of
  // resets (an outside check: 1.5e-6 relative after 3 x 10^5 spikes of one neuron;
  // test_long_refractory_chain_current_based). So r's clock moves by the residue, to first
  // order (it is below an ulp of r). The spike's own reset takes the residue as a two-sum of t;
  // an input during the hold, reversed before the spike, takes it from r (release_residue):
  // with the rounded end there, one input per hold brought the drift back (the fix's review).
  LifSyn::Clock release_clock(double r, double late, double t0) const {
    LifSyn::Clock cr = LifSyn::clock(r, t0, sh_);
    if (late == 0.0) return cr;
    cr.x += late * sh_.inv_m;
    cr.em += cr.em * (late * sh_.inv_m);
    cr.es = sh_.alpha ? cr.em : cr.es + cr.es * (late * sh_.inv_s);
    return cr;
  }

  // The residue (t + t_ref) - r of a release r = fl(t + t_ref) whose spike time t is not at
  // hand (an input during the hold, reversed before the spike; a hold at the recording's
  // start). Where t lies in r's binade (spacing u), r - t is a multiple of u, so the residue is
  // t_ref less the multiple of u nearest to it: the two-sum spike_event takes. 0 where t may lie
  // in a lower binade, or t_ref is an odd multiple of u/2 (a tie, either way).
  double release_residue(double r) const {
    const double t_ref = net_.t_ref;
    if (!(t_ref > 0.0) || !(r > 0.0) || !std::isfinite(r)) return 0.0;
    const double u = ulp_of(r);
    int e;
    std::frexp(r, &e);  // r in [2^(e-1), 2^e)
    if (!(r - t_ref - 2.0 * u >= std::ldexp(0.5, e))) return 0.0;
    const double k = t_ref / u, nearest = std::nearbyint(k);  // (u a power of two: exact)
    if (!std::isfinite(k) || std::fabs(k - nearest) == 0.5) return 0.0;
    return t_ref - nearest * u;  // exact (within u/2 of t_ref)
  }

  // Adjoints at the start of the recording to the voltages and drives there (J held fixed).
  void finish_start(double t0) {
    const uint32_t n = net_.n;
    for (uint32_t i = 0; i < n; ++i) {
      double la = lam_[2 * i];
      if (la == 0.0) continue;
      double r = tape_.start_refr[i];
      if (tape_.start_t < r) {
        double b = tape_.start_state[n + i];
        ResetPartials p = reset_partials(sh_, release_clock(r, release_residue(r), t0), b,
                                         net_.drive[i]);
        tape_.grad_drive[i] += la * p.di;
        continue;
      }
      LifSyn::Clock c = LifSyn::clock(tape_.start_t, t0, sh_);
      tape_.grad_v0[i] += la * c.em;
      tape_.grad_drive[i] -= la * c.em;
    }
  }

  Network &net_;
  Tape &tape_;
  const LifSyn::Shape &sh_;
  double *lam_;
  double *lam_r_;
  double *cur_r_;
  uint64_t end_ = UINT64_MAX;          // the spike the recording ended at (run)
  const double *dl_dv_end_ = nullptr;  // (run's)
};

}  // namespace

void lif_syn_backward(Network *net, const double *dl_dt, const double *dl_dv_end) {
  SynBackward(*net).run(dl_dt, dl_dv_end);
}

}  // namespace sp
