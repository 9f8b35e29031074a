// The event loop, written once and instantiated per model, frame and memory layout (chosen once
// per call).
//
// Every neuron's state is a co-moving coordinate that is constant between events, so an event
// touches only the neurons it delivers to. The next spiker is the top of the spike queue
// (queue/bucket_queue.hpp), keyed on the co-moving phase (phase frame) or on the next spike time
// (time frame).
#include "core/run.hpp"

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "common/error.hpp"
#include "core/run_driver.hpp"
#include "models/dispatch.hpp"
#include "models/lif_syn_engine.hpp"

namespace sp {
namespace {

// Time frame: whether a neuron due at now() by its own key (its key is now(), no input took it
// to threshold) reached threshold on its own and resets from its own clock, as it would have
// if the run had not stopped at its spike time (its key then after now()). A drive change that
// keeps a neuron due flags it due (kSlotDue, saved with the network): its re-expressed state
// may not spike then, its own clock may not exist (LIF drive 1: 0/0), and it takes the
// instant's clock. An unflagged one is a tie with the instant's spiker or a neuron whose spike
// time a call ended at. Its state's spike time t_state is then its key to rounding, which
// grows with the re-bases since the key was computed and with the model's conditioning (9
// ulps for a slow QIF neuron beside a fast one, an outside tester found; an exact test made a
// run split at that spike reset differently from one run). A test of t_state remains: one not
// finite or more than 1e-9 relative from the key still takes the instant's clock. A file from
// an engine that did not flag such drive changes may hold such a neuron, and so may a QIF
// neuron of a tiny drive, whose own clock (pi - x)/omega has lost every digit (a drive of
// 1e-300: 0, which the loader refuses as the clock cached at now()).
inline bool own_spike_at_key(bool flagged_due, double t_state, double key, double tau) {
  return !flagged_due && std::fabs(t_state - key) <= 1e-9 * (std::fabs(key) + tau);
}

// kCompact: the compact layout (phase frame, t_ref = 0, no refractory-end array, 12-byte
// records with their flags beside them): a neuron ignores an input exactly when its kSideRecent
// flag is set, which the end of every instant clears.
template <class M, bool kPhase, bool kCompact = false>
class Loop {
  using O = Ops<M>;
  using Slot = std::conditional_t<kCompact, CompactSlot, NeuronSlot>;
  using Queue = std::conditional_t<kCompact, CompactQueue, BucketQueue>;

 public:
  explicit Loop(Network &net)
      : net_(net),
        neuron_(slots(net)),
        queue_(queue_of(net)),
        drawn_prefetch_(uint64_t(net.n) * sizeof(Slot) >= kPrefetchDrawnFromBytes ? neuron_
                                                                                  : nullptr) {}

  // Time of the next network spike; +inf if no neuron will ever spike.
  double next_spike_time() {
    double key = queue_.top_key();
    if (key <= due_key()) return net_.now;
    double t = kPhase ? O::phase_key_time(net_, key) : key;
    return t > net_.now ? t : net_.now;
  }
  double next_input_time() const { return net_.queue.next_time(); }
  // For the run driver's checks: next_spike_time() changes nothing here but the queue's order.
  double first_spike_time() { return next_spike_time(); }
  void undo_first() {}

  // The next event: the earliest queued input or the next spike, the input first at equal
  // times (event rule 1). An input at +inf: no input is queued and no neuron will spike.
  struct NextEvent {
    double t;
    bool is_input;
  };
  NextEvent next_event() {
    double ts = next_spike_time();
    next_spike_ = ts;
    double ti = next_input_time();
    if (ti <= ts) return {ti, true};
    return {ts, false};
  }

  // Processes the spike of the queue's top at time t (= next_spike_time(), which the caller
  // has just computed to compare it with the next input).
  sp_status spike(double t, sp_spike *out) {
    uint32_t j = queue_.top();
    prefetch_spiker(j);  // (done after the last spike; in case the front has changed since)
    sp_status s = check_advances(j, t);
    if (s != SP_OK) return s;
    // A re-base at this spike moves every key of the phase frame (scaled or shifted alike), and
    // rounding can make two close keys equal: the queue's (key, index) order may then put
    // another neuron first, the same key's lower index, and that one spikes now (the other
    // follows at the same instant, due by the tie). So the tape's room is checked for the
    // longest row when a re-base is due, before anything changes.
    const bool rebase = network_rebase_due(net_, t), phase_rebase = kPhase && rebase;
    s = net_.tape.reserve(true,
                          phase_rebase ? net_.recurrent.max_row : net_.recurrent.row_length(j),
                          rebase);
    if (s != SP_OK) return s;
    maybe_rebase(t);
    if (phase_rebase && queue_.top() != j) {
      j = queue_.top();
      // (Refused, as above, only for a network whose free period is below the resolution of
      // the time; the re-base has been done then, a change of coordinates only.)
      s = check_advances(j, t);
      if (s != SP_OK) return s;
    }
    double key = queue_.top_key();
    // Whether an event at this instant took it to threshold: mark_due flags such a neuron due
    // and sets its refractory end to the instant, and it keeps both until it spikes (it ignores
    // further inputs at the instant). Neither alone says so: a drive change also flags a
    // neuron due, and a refractory end can equal the instant by rounding, from the neuron's own
    // last spike when its free period after t_ref is below the resolution of the time (its
    // spike time then rounds to its refractory end: a run split exactly there found it due at
    // now() with that end, and reported SP_SPIKE_TRIGGERED where one run reported 0). (Both
    // together still mislead in one case: a drive change at exactly such a rounded end.)
    const bool flagged = flagged_due(net_, j);
    const bool triggered = flagged && refr_end_of(net_, j) >= net_.now;
    // A neuron that reached threshold on its own resets from its own clock, computed from its
    // key (phase frame, no exp) or state (time frame): not from its rounded spike time, nor
    // from another neuron's clock when their spike times round to the same double (either
    // error would feed back into the reset and accumulate). A neuron an input took to
    // threshold uses the clock of the instant; so does a time-frame neuron a drive change at
    // this instant kept due (own_spike_at_key: its own clock may not exist, e.g. a LIF drive of
    // exactly 1 gives 0/0). Both are flagged due, which own_spike_at_key excludes.
    // (Phase frame: a neuron whose own key equals the instant's due key, not flagged due, ties
    // with the instant's first spiker and reached threshold on its own as well.)
    bool own = kPhase
                   ? key > net_.cur_key || !flagged
                   : key > net_.now ||
                         (key == net_.now &&
                          own_spike_at_key(flagged, O::neuron_spike_time(net_, j), key, net_.tau));
    // What its flags report: a neuron due at this instant that no event took to threshold
    // reached threshold on its own, also where its clock is the instant's: kept due by a drive
    // change at the instant.
    const bool reached_alone = own || !triggered;
    double clk;
    if (own) {
      clk = kPhase ? O::phase_clock(net_, key)
                   : O::spiker_clock(net_, neuron_[j].state, net_.drive[j], t);
      net_.clock_time = t;
      net_.clock_value = clk;
    } else {
      clk = clock_at(t, [&] { return kPhase ? O::phase_clock(net_, key) : O::clock(net_, t); });
    }
    // A new instant: its spiker's key is the due key. (A key below the due key is not one: a
    // spike whose exact time precedes the instant's, reported at it by rounding, e.g. at an
    // input's time. Lowering the due key then would leave the neurons already flagged due
    // with a larger key, in the heap's nodes, than the due key, and they would be taken to
    // have reached threshold on their own.)
    if (kPhase && own && key > net_.cur_key) {
      net_.cur_key = key;
      net_.cur_key_time = t;
    }
    net_.now = t;

    Tape &tape = net_.tape;
    uint64_t ev = tape.n_events;
    if (tape.recording) {
      bool triggered = tape.trigger[j] != 0;
      tape.record(triggered ? TapeKind::Triggered : TapeKind::Spike, t, neuron_[j].state, j,
                  triggered ? tape.trigger[j] - 1 : UINT64_MAX);
      tape.trigger[j] = 0;
      tape.n_spikes++;
    }

    // Why it spikes now (SP_SPIKE_* flags): its own dynamics, or the jump that made it due.
    // (The cause is read only for a triggered spike: for the others it would be a cache miss
    // per spike, about 5% of the time at N = 10^5.)
    const uint32_t why = reached_alone ? 0u : SP_SPIKE_TRIGGERED | network_cause(net_, j);
    begin_instant(t);
    // (No longer due. The cause stays, as Network::marks keeps it, until the next trigger: a
    // neuron due by a tie with the spiker's key reports the last one.)
    if constexpr (kCompact) {
      if (net_.side[j] & kSideDue) --net_.due_count;
      net_.side[j] &= ~kSideDue;
      network_mark_recent(&net_, j);
    } else {
      net_.refr_end[j] = t + net_.t_ref;
      neuron_[j].flags = recent_flags();
    }
    // (In the phase frame every drive is drive[0], which stays in cache.)
    neuron_[j].state = O::reset_after_spike(net_, net_.drive[kPhase ? 0 : j], clk);
    queue_.update_top(kPhase ? key_of(j) : O::neuron_spike_time(net_, j));
    // (A reset pending beyond the clock's range is keyed by its refractory end, not its state:
    // see kSlotInexact.)
    if constexpr (!kPhase && !kCompact && O::kNegativeWeightDelays)
      if (O::held(net_, neuron_[j].state)) neuron_[j].flags |= kSlotInexact;
    // The heap's new front is most likely the next spiker: load its records during this
    // spike's deliveries (the heap's nodes carry their keys, so nothing else has read them).
    if (const uint32_t next = queue_.front(); next != UINT32_MAX) prefetch_spiker(next);
    Row row = synapse_row(net_.recurrent, j, net_.n, net_.scratch, drawn_prefetch_, sizeof(Slot));
    cause_ = SP_SPIKE_TRIGGERED | (why & SP_SPIKE_INPUT_TRIGGERED);
    deliver(row, t, clk, ev);
    if (out) {
      out->t = t;
      out->neuron = j;
      out->flags = why;
    }
    return SP_OK;
  }

  sp_status input() {
    double t = net_.queue.next_time();
    uint32_t c = net_.queue.next_channel();
    sp_status s = net_.tape.reserve(false, net_.inputs.row_length(c), network_rebase_due(net_, t));
    if (s != SP_OK) return s;
    // A neuron whose own spike time is t (next_spike_time(), before a re-base moves its key) is
    // at its spike (V = +inf) and ignores the input, as in the time frame, which compares
    // times: also when its key lies above the threshold key at t by t's rounding (after sp_run
    // to exactly its spike time, say). The queue's top is such a neuron if any is; its key is
    // then the instant's due key. (LIF, and EIF or custom at a finite v_spike: it is due on its
    // own and takes the input, event rule 2. Read after a re-base at this input, its key's time
    // could round to an ulp after t: an input of 0 then moved its spike there, with flags 0.)
    // (next_spike_ is next_spike_time(), which next_event() computed just before: no second
    // log of the top's key.)
    bool top_at_t = false;
    if constexpr (kPhase) top_at_t = t != net_.cur_key_time && next_spike_ <= t;
    maybe_rebase(t);
    net_.queue.pop();
    double clk = clock_at(t, [&] { return O::clock(net_, t); });
    if (kPhase && t != net_.cur_key_time) {
      net_.cur_key = O::phase_threshold_key(net_, clk);
      if (top_at_t && queue_.top_key() > net_.cur_key) net_.cur_key = queue_.top_key();
      net_.cur_key_time = t;
    }
    net_.now = t;
    begin_instant(t);
    uint64_t ev = net_.tape.n_events;
    if (net_.tape.recording) net_.tape.record(TapeKind::Input, t, 0.0, c, UINT64_MAX);
    Row row = synapse_row(net_.inputs, c, net_.n, net_.scratch, drawn_prefetch_, sizeof(Slot));
    cause_ = SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED;
    deliver(row, t, clk, ev);
    return SP_OK;
  }

  // While recording, checks before a step (or a run's first spike) changes anything that the tape
  // has room for its spike and for every queued input due before it (at or before the spike
  // time expected now, and before t_end): so a step refused for the tape changes nothing.
  // (Inhibitory inputs can delay the spike past further inputs; those are checked as they
  // come.) With inputs due and no spike expected (before t_end), one of them may cause one, so
  // a spike needs room as well: a run that applied an input and then stopped for the spike it
  // caused changed its network and returned no spike (an outside embedder's finding).
  sp_status reserve_step(double t_spike, double t_end) const {
    const Tape &tape = net_.tape;
    if (!tape.recording) return SP_OK;
    const bool expected = t_spike < t_end;
    double limit = expected ? t_spike : t_end;
    uint64_t inputs = 0, deliveries = 0;
    double latest = -INFINITY;
    count_due_inputs(0, limit, expected, &inputs, &deliveries, &latest);
    if (!expected && inputs == 0) return SP_OK;  // (nothing comes before t_end)
    // The entries of the inputs, and of a spike after them (in a step with no spike expected,
    // limit is +inf: the inputs come up to the latest, and a spike one of them causes at one
    // of those times or later, with one more re-base).
    auto entries = [&](bool spike) {
      if (limit < INFINITY)
        return Tape::entries_with_rebases(inputs + spike, net_.t0, limit, net_.rebase_span);
      return Tape::entries_with_rebases(inputs + spike, net_.t0, latest, net_.rebase_span) + spike;
    };
    return tape.reserve_ahead(expected, inputs,
                              {entries(true), deliveries + net_.recurrent.max_row},
                              {entries(false), deliveries}, [&] {
                                return Tape::own_spike_near(t_spike, t_end, net_.now) ||
                                       due_inputs_may_excite(0, limit);
                              });
  }

  // check_advances for the queue's top when it is due before t_end.
  sp_status check_top(double t_spike, double t_end) const {
    if (!(t_spike < t_end)) return SP_OK;
    return check_advances(queue_.top(), t_spike);
  }

 private:
  // Counts the queued inputs at times <= limit (< limit unless inclusive) in the input heap's
  // subtree at p, with their deliveries and the latest of their times.
  void count_due_inputs(uint32_t p, double limit, bool inclusive, uint64_t *inputs,
                        uint64_t *deliveries, double *latest) const {
    const InputQueue &q = net_.queue;
    if (p >= q.size()) return;
    double t = q.time_at(p);
    if (!(t < limit || (inclusive && t == limit))) return;  // (a heap: its subtree is later)
    ++*inputs;
    *deliveries += net_.inputs.row_length(q.channel_at(p));
    if (t > *latest) *latest = t;
    count_due_inputs(2 * p + 1, limit, inclusive, inputs, deliveries, latest);
    count_due_inputs(2 * p + 2, limit, inclusive, inputs, deliveries, latest);
  }

  // Whether a queued input before limit (in the input heap's subtree at p) has a synapse that
  // may take its target to threshold (Synapses::row_may_excite).
  bool due_inputs_may_excite(uint32_t p, double limit) const {
    const InputQueue &q = net_.queue;
    if (p >= q.size() || !(q.time_at(p) < limit)) return false;
    return net_.inputs.row_may_excite(q.channel_at(p)) || due_inputs_may_excite(2 * p + 1, limit) ||
           due_inputs_may_excite(2 * p + 2, limit);
  }

  // A neuron that has already spiked at this instant cannot spike again then (it ignores
  // every input at it): if it is due again, its next spike time did not advance past now (a
  // free period below the resolution of the time), and it would spike at now forever.
  // Refused before the event changes anything.
  sp_status check_advances(uint32_t j, double t) const {
    bool again;
    if constexpr (kCompact) {
      again = t == net_.instant_time && (net_.side[j] & (kSideRecent | kSideDue)) == kSideRecent;
    } else {
      uint32_t flags = neuron_[j].flags;
      again = t == net_.instant_time && (flags & (kSlotRecent | kSlotDue)) == kSlotRecent &&
              (flags >> kStampShift) == net_.instant_stamp && refr_end_of(net_, j) >= t;
    }
    if (!again) return SP_OK;
    return fail(SP_ERR_NUMERIC,
                "neuron %u would spike again at t = %.17g: its next spike time does not advance "
                "past now (its free period, %g s with drive %g, is below the time resolution "
                "there)",
                j, t, O::period(net_, drive_of(net_, j)), drive_of(net_, j));
  }

  double due_key() const { return kPhase ? net_.cur_key : net_.now; }

  // The model clock at t. Every event at one instant reuses the first one's value, so that
  // neurons reset together get bit-identical states; a new instant computes it with compute().
  template <class F>
  double clock_at(double t, F compute) {
    if (t != net_.clock_time) {
      net_.clock_time = t;
      net_.clock_value = compute();
    }
    return net_.clock_value;
  }

  // Stamps a new instant when t differs from the last event's time (the compact layout: ends
  // the last one, clearing its kSideRecent flags).
  void begin_instant(double t) {
    if (t == net_.instant_time) return;
    net_.instant_time = t;
    if constexpr (kCompact) {
      if (net_.recent_count) network_forget_recent(&net_);
    } else {
      net_.instant_stamp = (net_.instant_stamp + 1) & kStampUnknown;
      if (net_.instant_stamp == kStampUnknown) net_.instant_stamp = 0;
    }
  }
  uint32_t recent_flags() const { return kSlotRecent | net_.instant_stamp << kStampShift; }

  double key_of(uint32_t i) const {
    if (kPhase) return O::phase_key(neuron_[i].state);
    return time_frame_key(O::spike_time(net_, neuron_[i].state, net_.drive[i]), net_.now);
  }

  // Re-bases the co-moving frame before an event far from t0, so precision never decays.
  void maybe_rebase(double t) {
    if (!network_rebase_due(net_, t)) return;
    double old_t0 = net_.t0;
    double shift = O::rebase(net_, t);
    if (net_.tape.recording) net_.tape.record(TapeKind::Rebase, old_t0, shift, 0, UINT64_MAX);
  }

  // Applies one event's synapses at time t (clock value clk). Targets taken to threshold are
  // marked due and spike at t after this event, in index order.
  void deliver(const Row &row, double t, double clk, uint64_t ev) {
    clk_ = clk;
    // A model whose kicks are expensive (O::kBatchedDelivery) computes them in batches when the
    // whole row takes one kick (phase frame, shared weight) and no target comes twice.
    if constexpr (O::kBatchedDelivery && kPhase) {
      if (!row.weights && row.distinct) {
        if (net_.tape.recording)
          deliver_batched<true>(row, t, clk);
        else
          deliver_batched<false>(row, t, clk);
        return;
      }
    }
    // A model whose inhibitory kicks only delay (O::kNegativeWeightDelays: LIF) skips the
    // queue's bucket test for a row of one negative weight (the balanced network's rows), and
    // in the time frame the new key's log (the key is left stale, a lower bound).
    if constexpr (O::kNegativeWeightDelays) {
      if (!row.weights && row.weight < 0) {
        if (net_.tape.recording)
          deliver_row<true, true>(row, t, clk, ev);
        else
          deliver_row<false, true>(row, t, clk, ev);
        return;
      }
    }
    if (net_.tape.recording)
      deliver_row<true, false>(row, t, clk, ev);
    else
      deliver_row<false, false>(row, t, clk, ev);
  }

  // Starts loading what spike() reads and writes of the spiker j: its record, and its refractory
  // end or its flag byte (one or two cache misses per spike otherwise).
  void prefetch_spiker(uint32_t j) const {
    prefetch_target(j);
    if constexpr (kCompact)
      __builtin_prefetch(&net_.side[j], 1);
    else
      __builtin_prefetch(&net_.refr_end[j], 1);
  }

  // Starts loading a neuron's record. (The delivery loops pass their local base: a store to a
  // state could alias neuron_.)
  static void prefetch_record(const Slot *slot) {
    __builtin_prefetch(slot);
    // (A 12-byte record may cross into the next cache line.)
    if constexpr (kCompact) __builtin_prefetch(reinterpret_cast<const char *>(slot) + 11);
  }
  // Starts loading what delivering to neuron i reads.
  void prefetch_target(uint32_t i) const {
    prefetch_record(&neuron_[i]);
    if (!kPhase) {
      __builtin_prefetch(&net_.drive[i]);
      __builtin_prefetch(&net_.time_key[i]);
    }
  }

  // Whether an input at t is ignored by neuron i: refractory, just spiked, or already due to
  // spike at t. Forgets a refractory end that has passed.
  bool ignores(Slot &slot, uint32_t i, double t, bool no_refractory) const {
    if (at_own_spike(slot, i)) return true;
    if constexpr (kCompact) {
      // (t_ref = 0, and t is the current instant: only the neurons flagged at it ignore it. The
      // few of a usual instant are found in the list, not in their flags' cache lines.)
      (void)slot, (void)t, (void)no_refractory;
      const uint32_t count = net_.recent_count;
      if (count == 0) return false;
      if (count <= kListed) {
        for (uint32_t k = 0; k < count; ++k)
          if (net_.recent[k] == i) return true;
        return false;
      }
      return net_.side[i] & kSideRecent;
    } else {
      if (!(slot.flags & kSlotRecent)) return false;
      uint32_t stamp = slot.flags >> kStampShift;
      bool maybe = !no_refractory || stamp == net_.instant_stamp || stamp == kStampUnknown;
      if (maybe && t <= net_.refr_end[i]) return true;
      slot.flags &= ~kSlotRecent;  // every later event comes after refr_end too
      return false;
    }
  }

  // Whether neuron i is at its own spike, V = +inf, and ignores the instant's inputs (QIF, and
  // EIF or custom with the blow-up): due at t by its own key (a tie with the instant's spiker)
  // or, tabulated, at its spike to the phase's rounding; or flagged due by a drive change at
  // t, whose re-expressed state no longer says so.
  bool at_own_spike(const Slot &slot, uint32_t i) const {
    if constexpr (O::kDueIgnoresInputs) {
      const bool due = (kPhase ? O::phase_key(slot.state) : net_.time_key[i]) <= due_key() ||
                       (kPhase && flagged_due(net_, i));
      return O::ignores_at_spike(net_, due, slot.state, net_.drive[kPhase ? 0 : i], clk_);
    }
    return false;
  }

  // Walks targets [begin, end) of a row, their slots fetched kAhead targets ahead (so that the
  // cache misses of many targets overlap), and visits each (visit()).
  template <bool rec, class F>
  void each_target(const Row &row, uint32_t begin, uint32_t end, double t, F f) {
    const uint32_t *const targets = row.targets;
    Slot *const neuron = neuron_;
    const bool no_refractory = !(net_.t_ref > 0);
    walk(
        row.count, begin, end, [&](uint32_t s) { prefetch_target(targets[s]); },
        [&](uint32_t s) {
          const uint32_t i = targets[s];
          visit<rec>(s, i, neuron[i], t, no_refractory, f);
        });
  }
  // Calls one(s) for s in [begin, end) of a row of `count` targets, and prefetch(s + kAhead)
  // before each while that is in the row (prefetch(s) for the first kAhead when begin is 0).
  // (Two loops: the one with prefetches tests no bound per target.)
  template <class P, class F>
  static void walk(uint32_t count, uint32_t begin, uint32_t end, P prefetch, F one) {
    if (begin == 0)
      for (uint32_t s = 0; s < count && s < kAhead; ++s) prefetch(s);
    const uint32_t last_ahead = count > kAhead ? count - kAhead : 0;
    const uint32_t end_ahead = end < last_ahead ? end : last_ahead;
    uint32_t s = begin;
    for (; s < end_ahead; ++s) {
      prefetch(s + kAhead);
      one(s);
    }
    for (; s < end; ++s) one(s);
  }
  static constexpr uint32_t kAhead = 16;

  // One target of a row: a target that ignores an input at t is recorded as such (NaN
  // pre-state) and skipped; for the others the pre-state is recorded and f(s, i, slot) called.
  // (An EIF or custom neuron at its own spike, V = +inf, is recorded as a state of +inf: the
  // backward pass takes the input first, just before the blow-up, where it scales the time
  // left by Table::blowup_ratio(w), exp(-w/D_T) for EIF; see Deriv<Tabulated>::input. The
  // marker, not the state, so that a phase a rounding short of the period takes that limit
  // too. QIF's limit is 1, no effect: NaN.)
  template <bool rec, class F>
  void visit(uint32_t s, uint32_t i, Slot &slot, double t, bool no_refractory, F &f) {
    const bool ignored = ignores(slot, i, t, no_refractory);
    if (rec) {
      Tape &tape = net_.tape;
      double pre = slot.state;
      if (ignored) pre = std::is_same_v<M, Tabulated> && at_own_spike(slot, i) ? INFINITY : NAN;
      tape.pre[tape.n_pre++] = pre;
    }
    if (!ignored) f(s, i, slot);
  }

  // deliver_row for rows whose targets all take the same kick and never reach threshold by it:
  // gathers a block of states, applies the kicks in one batch, then updates the queue.
  template <bool rec>
  void deliver_batched(const Row &row, double t, double clk) {
    static_assert(!O::kInputsCanFire, "a batched kick never takes a target to threshold");
    constexpr uint32_t kBlock = 64;
    const typename O::Kick kick = O::kick(net_, row.weight, net_.drive[0], clk);
    const uint32_t count = row.count;
    const uint32_t *const targets = row.targets;
    // (Locals: the queue calls below are opaque to the compiler, which would reload members.)
    Slot *const neuron = neuron_;
    const bool no_refractory = !(net_.t_ref > 0);
    double x[kBlock], y[kBlock];
    uint32_t who[kBlock], later[kBlock];
    uint32_t m = 0;
    auto gather = [&](uint32_t, uint32_t i, Slot &slot) {
      who[m] = i;
      x[m++] = slot.state;
    };
    auto one = [&](uint32_t s) {
      const uint32_t i = targets[s];
      visit<rec>(s, i, neuron[i], t, no_refractory, gather);
    };
    auto prefetch = [&](uint32_t s) { prefetch_record(&neuron[targets[s]]); };
    for (uint32_t b = 0; b < count; b += kBlock) {
      const uint32_t e = count - b < kBlock ? count : b + kBlock;
      m = 0;
      walk(count, b, e, prefetch, one);
      O::apply_batch(x, y, m, kick);
      // A key that did not move earlier (an inhibitory kick) keeps a far entry valid: a far
      // target takes its new state and nothing else (its tag is in the slot). A near target, or
      // one whose key moved earlier, takes it after this loop, each just before its queue
      // update (the heap may read near neurons' keys from their slots: one key at a time may
      // differ from the heap's order). (A far target's key is its state's; a target flagged
      // due is near, and both calls then do the same.)
      uint32_t n_later = 0;
      for (uint32_t q = 0; q < m; ++q) {
        Slot &slot = neuron[who[q]];
        const bool earlier = O::phase_key(y[q]) < O::phase_key(x[q]);
        if (__builtin_expect(earlier || (slot.tag & Queue::kNearTag), 0))
          later[n_later++] = q;
        else
          slot.state = y[q];
      }
      for (uint32_t l = 0; l < n_later; ++l) {
        const uint32_t q = later[l];
        neuron[who[q]].state = y[q];
        const double k = O::phase_key(y[q]);
        if (k >= O::phase_key(x[q]) && !leave_due(who[q], neuron[who[q]]))
          queue_.update_later(who[q], k);
        else
          queue_.update(who[q], k);
      }
    }
  }

  // Every other row: each target's kick, threshold check and queue update in turn (a target
  // may repeat in an explicit row, so the deliveries are applied in order). kDelays: every
  // kick of the row is known not to make a key earlier (see deliver()), so a far target's entry
  // stays a valid lower bound and the queue's bucket test, which would pass, is skipped; in the
  // time frame a far target's key is not computed either (a log): its stored key, the one
  // before the kick, is flagged stale (kSlotStale), and the queue computes the new one when it
  // opens the target's bucket (network_refresh_key), from the same state, so the same key. (In
  // the time frame every LIF kick of a negative weight to a far target does so, whatever the
  // row, unless its stored key is not its state's, kSlotInexact: that kick computes the key.)
  template <bool rec, bool kDelays>
  void deliver_row(const Row &row, double t, double clk, uint64_t ev) {
    Tape &tape = net_.tape;
    const double due = due_key();
    // Loop invariants in locals: the stores to the neurons' states could alias them otherwise.
    const double *const drives = net_.drive;
    const double drive0 = drives[0];
    const double *const weights = kDelays ? nullptr : row.weights;
    const typename O::Kick row_kick = O::kick(net_, row.weight, drive0, clk);
    // kDelays (LIF): the threshold test's product is the same for the whole row (the compiler
    // recomputed it per target).
    const double threshold = [&] {
      if constexpr (kDelays && kPhase)
        return O::threshold_state(drive0, clk);
      else
        return 0.0;
    }();
    // Due now: it spikes after this event, in index order with the others due at t, and
    // ignores any further input at t.
    auto mark_due = [&](uint32_t i, Slot &slot) {
      if constexpr (kCompact) {
        // (Not recent: a neuron flagged at this instant ignores its inputs. It may be due
        // already only in a loaded network: see leave_due.)
        if (!(net_.side[i] & kSideDue)) ++net_.due_count;
        net_.side[i] = static_cast<uint8_t>(kSideDue | cause_ << kCompactCauseShift);
        network_mark_recent(&net_, i);
      } else {
        slot.flags = recent_flags() | kSlotDue;
        net_.refr_end[i] = t;
        net_.marks[i] = static_cast<uint8_t>((net_.marks[i] & kMarkWatched) | cause_);
      }
      queue_.update(i, due);
      if (rec) tape.trigger[i] = static_cast<uint32_t>(ev + 1);
    };
    // Event rule 2 to rounding: an input of weight >= 0 to a target due at t before or after
    // the kick (its spike time, as next_spike_time() gives it, is t), or flagged due by a drive
    // change, triggers its spike. at_threshold misses a crossing just after the double t (V a
    // rounding below 1). Not the models whose due neurons ignore inputs (at_own_spike). Phase
    // frame: keys above the due key but below own_bound (a bound) take the log of phase_key_time.
    const bool due_takes_inputs = [&] {
      if constexpr (O::kInputsCanFire)
        return O::due_takes_inputs(net_);
      else
        return false;
    }();
    const double own_bound = [&] {
      if constexpr (O::kInputsCanFire && kPhase)
        return O::phase_key_bound(net_, clk, 0x1p-50 * std::fabs(t));  // (>= 4 ulps of t)
      else
        return 0.0;
    }();
    auto key_due = [&](double k) {
      if constexpr (kPhase)
        return k <= due || (k <= own_bound && O::phase_key_time(net_, k) <= t);
      else
        return k <= t;
    };
    auto was_due = [&](uint32_t i, const Slot &slot, double x0) {
      if constexpr (kPhase && std::is_same_v<M, Lif>) {
        // (A LIF kick of w >= 0 never raises the key, u - w E: due before is due after.)
        (void)i, (void)slot, (void)x0;
        return false;
      } else if constexpr (kPhase) {
        (void)i, (void)slot;
        return key_due(O::phase_key(x0));
      } else {
        return net_.time_key[i] <= t &&
               (!(slot.flags & kSlotStale) || O::spike_time(net_, x0, drives[i]) <= t);
      }
    };
    auto kick_one = [&](uint32_t s, uint32_t i, Slot &slot) {
      // In the phase frame every neuron has the same drive, so a shared weight makes the
      // input's preparation (for QIF a square root and a division) the same for the row.
      double drive = kPhase ? drive0 : drives[i];
      double w = weights ? weights[s] : row.weight;
      typename O::Kick kick = (kPhase && !weights) ? row_kick : O::kick(net_, w, drive, clk);
      const double x0 = slot.state;
      double x = O::apply(x0, kick);
      slot.state = x;
      bool fires;
      if constexpr (kDelays && kPhase)
        fires = x <= threshold;
      else
        fires = O::at_threshold(net_, x, drive, clk);
      if (fires) {
        mark_due(i, slot);
        return;
      }
      if (w >= 0 && due_takes_inputs) {
        // (Time frame: the new key, a log, is computed once, for the test and the update. Not a
        // kDelays row: those have one negative weight.)
        const double k = kPhase ? O::phase_key(x) : key_of(i);
        if (key_due(k) || was_due(i, slot, x0) || is_flagged_due(i, slot)) {
          mark_due(i, slot);
          return;
        }
        if constexpr (!kPhase && !kCompact && O::kNegativeWeightDelays) slot.flags &= ~kSlotInexact;
        queue_.update(i, k);
        return;
      }
      // (Its key may be on either side of the due key it had: the general update.)
      if (leave_due(i, slot)) {
        queue_.update(i, kPhase ? O::phase_key(x) : key_of(i));
        return;
      }
      // Time frame: a far target that an inhibitory kick only delays keeps its stored key as a
      // lower bound, flagged stale, as in the quiet walk below, if that key is its state's
      // before the kick (not kSlotInexact); otherwise the kick computes the key, which is.
      if constexpr (!kPhase && !kCompact && O::kNegativeWeightDelays) {
        if (w < 0 && !(slot.tag & Queue::kNearTag) && !(slot.flags & kSlotInexact)) {
          slot.flags |= kSlotStale;
          return;
        }
        slot.flags &= ~kSlotInexact;
      }
      if constexpr (kDelays && kPhase)
        queue_.update_later(i, O::phase_key(x));
      else
        queue_.update(i, kPhase ? O::phase_key(x) : key_of(i));
    };
    if constexpr (kDelays) {
      // (A model whose due neurons ignore inputs would need its own-due test here, as in
      // deliver_batched: a neuron due by its own key is not flagged.)
      static_assert(!O::kDueIgnoresInputs, "the quiet test below reads no key");
      // Most targets of a delaying row are far in the queue and have not spiked lately: their
      // tag and flags, read as one word, say so in one test, and then the kick and the
      // threshold test are all there is to do (no input is ignored, leave_due() and
      // update_later() have nothing to do). The others take the general path. (About 40% fewer
      // instructions per target than the general path for every target.)
      // (Time frame: a target whose key is not its state's, kSlotInexact, takes the general
      // path, which computes its key before it can be left stale.)
      // The compact layout keeps its flags in a byte array, not in the records: there a far
      // target is quiet when no neuron is flagged due and at most one is flagged at this
      // instant (the usual case: the spiker, or none for an input row), unless it is that one;
      // otherwise every target takes the general path. (A target this row takes to threshold
      // is near from then on: if it comes again, it takes the general path.)
      if constexpr (kCompact) {
        if (net_.due_count != 0 || net_.recent_count > 1) {
          each_target<rec>(row, 0, row.count, t, kick_one);
          return;
        }
      }
      const uint32_t recent = [&] {
        if constexpr (kCompact)
          return net_.recent_count ? net_.recent[0] : UINT32_MAX;  // (recent_cap >= 64)
        else
          return UINT32_MAX;
      }();
      auto quiet = [&](uint32_t i, const Slot &slot) __attribute__((always_inline)) {
        if constexpr (kCompact) {
          return !(slot.tag & Queue::kNearTag) && i != recent;
        } else {
          (void)i;
          const uint64_t mask = slot_word(Queue::kNearTag,
                                          kSlotRecent | (kPhase ? 0u : kSlotInexact));
          return (tag_and_flags(slot) & mask) == 0;
        }
      };
      const uint32_t count = row.count;
      const uint32_t *const targets = row.targets;
      Slot *const neuron = neuron_;
      const bool no_refractory = !(net_.t_ref > 0);
      // (The general path out of line, so that the quiet one inlines into the loop.)
      auto general = [&](uint32_t s, uint32_t i, Slot & slot) __attribute__((noinline)) {
        visit<rec>(s, i, slot, t, no_refractory, kick_one);
      };
      // (The kick and the threshold by value: general() takes their addresses, and the stores
      // to the states would otherwise reload them for every target.)
      auto one = [&, kick = row_kick, thr = threshold ](uint32_t s) __attribute__((always_inline)) {
        const uint32_t i = targets[s];
        Slot &slot = neuron[i];
        if (__builtin_expect(!quiet(i, slot), 0)) {
          general(s, i, slot);
          return;
        }
        if (rec) tape.pre[tape.n_pre++] = slot.state;
        if constexpr (kPhase) {
          const double x = O::apply(slot.state, kick);
          slot.state = x;
          if (__builtin_expect(x <= thr, 0)) mark_due(i, slot);
        } else {
          (void)kick, (void)thr;  // (the time frame's kick and threshold are per target)
          const double drive = drives[i];
          const double x = O::apply(slot.state, O::kick(net_, row.weight, drive, clk));
          slot.state = x;
          if (__builtin_expect(x <= O::threshold_state(drive, clk), 0))
            mark_due(i, slot);
          else
            slot.flags |= kSlotStale;
        }
      };
      // (The prefetches use the local base: a store to a state could alias neuron_.)
      walk(
          count, 0, count,
          [&](uint32_t s) {
            prefetch_record(&neuron[targets[s]]);
            if (!kPhase) __builtin_prefetch(&drives[targets[s]]);
          },
          one);
    } else {
      if constexpr (kQuietTabulated) {
        if (!weights && row.weight < 0) {
          // A tabulated model's row of one negative weight in the phase frame (the balanced
          // network's). Most targets are quiet: far in the queue, not recent, not flagged due,
          // not due by their own key (phase_key(x) <= due: usually a near neuron, but a spiker's
          // own clock may be an ulp below the clock an input set cur_key from, and the ties in
          // between are far when a bucket edge falls there: an outside reviewer's finding), below
          // the threshold (at_threshold's x >= T_I - s) and the blow-up (ignores_at_spike's
          // x + s >= T_I). A quiet target does not ignore the input, so the kick and the threshold
          // test are all there is to do, and a key that did not move earlier keeps its far entry
          // valid (as in deliver_batched; the kick map is a fit, so a key moved earlier by its
          // rounding takes the update). The others take kick_one. The same states, keys and tape
          // as kick_one for every target.
          const uint64_t quiet_mask = slot_word(Queue::kNearTag, kSlotRecent | kSlotDue);
          const double period = O::table(net_, drive0).period;
          const double bound = O::threshold_phase(net_, drive0, clk);
          const uint32_t *const targets = row.targets;
          Slot *const neuron = neuron_;
          const bool no_refractory = !(net_.t_ref > 0);
          auto one = [&](uint32_t s) __attribute__((always_inline)) {
            const uint32_t i = targets[s];
            Slot &slot = neuron[i];
            const double x0 = slot.state;
            if (__builtin_expect((tag_and_flags(slot) & quiet_mask) != 0 || x0 >= bound ||
                                     x0 + clk >= period || O::phase_key(x0) <= due,
                                 0)) {
              visit<rec>(s, i, slot, t, no_refractory, kick_one);
              return;
            }
            if (rec) tape.pre[tape.n_pre++] = x0;
            const double x = O::apply(x0, row_kick);
            slot.state = x;
            if (__builtin_expect(x >= bound, 0))
              mark_due(i, slot);
            else if (__builtin_expect(O::phase_key(x) < O::phase_key(x0), 0))
              queue_.update(i, O::phase_key(x));
          };
          walk(
              row.count, 0, row.count, [&](uint32_t s) { __builtin_prefetch(&neuron[targets[s]]); },
              one);
          return;
        }
      }
      each_target<rec>(row, 0, row.count, t, kick_one);
    }
  }
  // Tabulated models in the phase frame, full layout: deliver_row's quiet path for rows of one
  // negative weight.
  static constexpr bool kQuietTabulated = std::is_same_v<M, Tabulated> && kPhase && !kCompact;

  // Whether neuron i is flagged due (the compact layout reads its side byte only while a neuron
  // is due at this instant).
  bool is_flagged_due(uint32_t i, const Slot &slot) const {
    if constexpr (kCompact) {
      (void)slot;
      return net_.due_count != 0 && (net_.side[i] & kSideDue);
    } else {
      return (slot.flags & kSlotDue) != 0;
    }
  }
  // A neuron flagged due that takes an input of negative weight (one of weight >= 0 triggers it:
  // kick_one) is moved off threshold by it (event semantics): due no more, its key is its
  // state's, as for a tie with the spiker. Only a neuron kept due by a
  // drive change or a re-key at this instant takes inputs while flagged (one an event took to
  // threshold ignores them); a compact network cannot make one, but may load one (saved by a
  // network in the full layout), so its side byte is read while a neuron is due at this instant.
  // Returns whether neuron i was flagged due; the caller then updates its key.
  bool leave_due(uint32_t i, Slot &slot) {
    if (__builtin_expect(!is_flagged_due(i, slot), 1)) return false;
    if constexpr (kCompact) {
      net_.side[i] &= ~kSideDue;
      --net_.due_count;
    } else {
      slot.flags &= ~kSlotDue;
    }
    return true;
  }

  // A slot's tag and flags as one 64-bit word (the two 32-bit words at offset 8, in memory
  // order), and the word with the given tag and flags: a mask tests bits of both at once.
  static uint64_t tag_and_flags(const Slot &slot) {
    uint64_t w;
    std::memcpy(&w, reinterpret_cast<const char *>(&slot) + offsetof(NeuronSlot, tag), sizeof w);
    return w;
  }
  static uint64_t slot_word(uint32_t tag, uint32_t flags) {
    const uint32_t words[2] = {tag, flags};
    static_assert(offsetof(NeuronSlot, flags) == offsetof(NeuronSlot, tag) + 4, "adjacent");
    uint64_t w;
    std::memcpy(&w, words, sizeof w);
    return w;
  }

  // The compact layout looks a target up in the list of the instant's flagged neurons while
  // it has at most this many (the list keeps at least 64: these are always in it).
  static constexpr uint32_t kListed = 4;
  static Slot *slots(Network &net) {
    if constexpr (kCompact)
      return net.cslot;
    else
      return net.neuron;
  }
  static Queue &queue_of(Network &net) {
    if constexpr (kCompact)
      return net.cqueue;
    else
      return net.spike_queue;
  }

  Network &net_;
  Slot *const neuron_;
  Queue &queue_;
  // The slots the generator starts loading as it draws a row's targets (procedural_targets),
  // or nullptr: only when they are larger than a core's cache. (tests/bench/RESULTS.md,
  // 2026-12-02: about 8% more time per spike for LIF at 10^5 and 2 x 10^5 neurons, whose slots
  // are mostly in cache; less from 3 x 10^5 on, 10-25% less at 10^6 for LIF and QIF.)
  const Slot *const drawn_prefetch_;
  static constexpr uint64_t kPrefetchDrawnFromBytes = uint64_t(4) << 20;
  uint32_t cause_ = 0;  // the SP_SPIKE_* flags of a spike the event being delivered triggers
  double clk_ = 0;      // the clock of the event being delivered
  double next_spike_ = INFINITY;  // next_event()'s next_spike_time(), for input()
};

template <class M, bool kPhase, bool kCompact>
sp_status step_impl(Network &net, sp_spike *out) {
  Loop<M, kPhase, kCompact> loop(net);
  return drive_step(loop, net, out);
}

template <class M, bool kPhase, bool kCompact>
sp_status run_impl(Network &net, double t_end, sp_spike *buf, size_t cap, size_t *count) {
  Loop<M, kPhase, kCompact> loop(net);
  return drive_run(loop, net, t_end, buf, cap, count);
}

}  // namespace

sp_status network_step(Network *net, sp_spike *out) {
  if (net->tau_syn > 0.0) return lif_syn_step(net, out);
  return with_model(net->model, [&](auto m) {
    using M = decltype(m);
    if (net->compact) return step_impl<M, true, true>(*net, out);  // (always the phase frame)
    return net->frame == SP_FRAME_PHASE ? step_impl<M, true, false>(*net, out)
                                        : step_impl<M, false, false>(*net, out);
  });
}

sp_status network_run(Network *net, double t_end, sp_spike *buf, size_t cap, size_t *count) {
  if (net->tau_syn > 0.0) return lif_syn_run(net, t_end, buf, cap, count);
  return with_model(net->model, [&](auto m) {
    using M = decltype(m);
    if (net->compact) return run_impl<M, true, true>(*net, t_end, buf, cap, count);
    return net->frame == SP_FRAME_PHASE ? run_impl<M, true, false>(*net, t_end, buf, cap, count)
                                        : run_impl<M, false, false>(*net, t_end, buf, cap, count);
  });
}

}  // namespace sp
