// The training tape: what the forward pass records while sp_record is on (events, the targets'
// pre-states, the triggers), the backward pass's scratch and the accumulated gradients.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "sparseprop/sparseprop.h"

namespace sp {

enum class TapeKind : uint32_t { Spike = 1, Triggered = 2, Input = 3, Rebase = 4 };

// One recorded event. Spikes and inputs own a run of target pre-states in Tape::pre.
struct TapeEvent {
  double t;        // event time (rebase: t0 before the re-base)
  double aux;      // spike: spiker's state before reset; rebase: LIF's factor f, QIF's d
  uint64_t first;  // first pre-state index
  uint32_t who;    // neuron (spike) or channel (input)
  uint32_t kind;   // TapeKind
  uint64_t cause;  // triggered spike: index of the event that took it to threshold
  double dl_dt;    // backward: dL/dt passed on by the spikes this event triggered
};

// (The header's tape size, sp_record, counts 48 bytes per event.)
static_assert(sizeof(TapeEvent) == 48, "sp_record's documented size");

struct Tape {
  bool recording = false;
  void *block = nullptr;
  size_t block_bytes = 0;
  void *grad_block = nullptr;
  size_t grad_block_bytes = 0;
  size_t max_spikes = 0;
  uint64_t event_capacity = 0, pre_capacity = 0;
  uint64_t n_events = 0, n_spikes = 0, n_pre = 0;
  TapeEvent *events = nullptr;
  double *pre = nullptr;          // target states before each delivery (NaN: ignored)
  uint32_t *trigger = nullptr;    // n: 1 + event that took the neuron to threshold, or 0
  double *lambda = nullptr;       // n adjoints (backward scratch; 4n with tau_syn > 0)
  double *start_state = nullptr;  // n: states when recording started (2n with tau_syn > 0)
  double *start_refr = nullptr;   // n: refractory ends when recording started
  double start_t = 0.0;           // (the sweep recovers t0 there from the re-base records)
  // Accumulated gradients (allocated with the first tape, kept until destroy).
  double *grad_w = nullptr, *grad_in = nullptr, *grad_drive = nullptr, *grad_v0 = nullptr;

  // Written by the event loop (core/run.cpp), which also appends the targets' pre-states to
  // `pre` and sets `trigger` in its delivery walks, where they are part of the hot path.

  // The entries `events` events at times in (t0, limit] take with their re-bases: at most one
  // per event, and fewer than (limit - t0) / span + 1 in all, as each re-base comes more than
  // span after the last and moves t0 to its event's time. (An upper bound: a run checks it
  // before it changes anything, then each event its own.)
  static uint64_t entries_with_rebases(uint64_t events, double t0, double limit, double span) {
    double most = std::floor((limit - t0) / span) + 1.0;  // (+inf for limit +inf)
    return events + (most < double(events) ? static_cast<uint64_t>(most) : events);
  }

  // Appends an event to the tape (the caller checked the room with reserve).
  void record(TapeKind kind, double t, double aux, uint32_t who, uint64_t cause) {
    TapeEvent &e = events[n_events++];
    e.t = t;
    e.aux = aux;
    e.first = n_pre;
    e.who = who;
    e.kind = static_cast<uint32_t>(kind);
    e.cause = cause;
    e.dl_dt = 0;
  }

  // The index of the last event when it is a spike at `now`: the recording ended at a spike
  // (sp_run_until completing its set, sp_step, a run stopped by its buffer or the tape), so the
  // end time moves with that spike's time; n_events when it ended at a t_end the caller chose
  // (a run processes events before t_end only).
  uint64_t end_spike(double now) const {
    if (n_events == 0) return n_events;
    const TapeEvent &e = events[n_events - 1];
    const bool spike = e.kind == static_cast<uint32_t>(TapeKind::Spike) ||
                       e.kind == static_cast<uint32_t>(TapeKind::Triggered);
    return spike && e.t == now ? n_events - 1 : n_events;
  }

  // Whether a neuron's own spike at t_spike, at or after t_end, could come before it: an input
  // of negative weight only delays its targets in exact arithmetic, but the rounding of its
  // kick (for EIF and custom models, through the voltage and back) can move a crossing an ulp
  // or so earlier (an outside review: a weight of -1e-300 one ulp before a spike due at t_end).
  // 1e-9 of the larger of t_end and the time left is far more than such roundings.
  static bool own_spike_near(double t_spike, double t_end, double now) {
    return t_spike < INFINITY &&
           t_spike - t_end <= 1e-9 * std::fmax(std::fabs(t_end), t_spike - now);
  }

  // Entries a step or run may need: `events` (with the re-bases they may bring) and
  // `deliveries` (synapses).
  struct Room {
    uint64_t events, deliveries;
  };

  // While recording, checks before a step or run changes anything that the tape has room for
  // its first spike and the `inputs` queued inputs before it (`with_spike`). With no spike
  // expected (before t_end) the spike is one the inputs may cause, so it needs room only when
  // `may_excite()` (a due input has a synapse of weight >= 0, or a neuron's own spike is due
  // just after t_end: own_spike_near; one of negative weights only delays its targets, to
  // rounding), otherwise the inputs alone need `inputs_only`: keeping a spike's room
  // for inhibitory inputs refused them once the spike slots were used (an outside review), and
  // not keeping it for excitatory ones let a run apply an input and then stop, changed, for the
  // spike it caused (an outside embedder).
  template <class MayExcite>
  sp_status reserve_ahead(bool expected, uint64_t inputs, Room with_spike, Room inputs_only,
                          MayExcite may_excite) const {
    if (fits_ahead(true, with_spike)) return SP_OK;
    const unsigned long long n = inputs;
    const char *noun = n == 1 ? "input" : "inputs";
    char what[96];
    if (expected) {
      if (n == 0) return refuse_ahead(true, "the next spike", false, with_spike);
      std::snprintf(what, sizeof what, "the next spike and the %llu queued %s before it", n, noun);
      return refuse_ahead(true, what, true, with_spike);
    }
    if (may_excite()) {
      std::snprintf(what, sizeof what, "the %llu queued %s due and a spike that may come with %s",
                    n, noun, n == 1 ? "it" : "them");
      return refuse_ahead(true, what, true, with_spike);
    }
    if (fits_ahead(false, inputs_only)) return SP_OK;
    std::snprintf(what, sizeof what, "the %llu queued %s due", n, noun);
    return refuse_ahead(false, what, n != 1, inputs_only);
  }

  bool fits_ahead(bool spike, Room r) const {
    return !(spike && n_spikes >= max_spikes) && n_events + r.events <= event_capacity &&
           n_pre + r.deliveries <= pre_capacity;
  }
  // The refusal when they do not fit, naming every limit that fails. `what`: the events, e.g.
  // "the next spike and the 3 queued inputs before it" (`plural`: more than one).
  sp_status refuse_ahead(bool spike, const char *what, bool plural, Room r) const {
    char need[320] = "", part[112];
    auto append = [&] {
      const size_t used = std::strlen(need);
      std::snprintf(need + used, sizeof need - used, "%s%s", used ? "; " : "", part);
    };
    using ull = unsigned long long;
    if (spike && n_spikes >= max_spikes) {
      std::snprintf(part, sizeof part, "a spike slot, and none is free (%zu used)", max_spikes);
      append();
    }
    if (n_events + r.events > event_capacity) {
      std::snprintf(part, sizeof part, "%llu event %s, and %llu of %llu are in use", ull(r.events),
                    r.events == 1 ? "entry" : "entries", ull(n_events), ull(event_capacity));
      append();
    }
    if (n_pre + r.deliveries > pre_capacity) {
      std::snprintf(part, sizeof part, "%llu synapse %s, and %llu of %llu are in use",
                    ull(r.deliveries), r.deliveries == 1 ? "entry" : "entries", ull(n_pre),
                    ull(pre_capacity));
      append();
    }
    return fail(SP_ERR_CAPACITY,
                "no room on the tape for %s: %s %s (sp_record max_spikes = %zu; event entries "
                "count the re-bases the events may bring)",
                what, plural ? "they need" : "it needs", need, max_spikes);
  }

  // While recording, checks that the event (and its re-base, when one is due) fits on the tape.
  sp_status reserve(bool is_spike, uint64_t deliveries, bool rebases) const {
    if (!recording) return SP_OK;
    if (is_spike && n_spikes >= max_spikes)
      return fail(SP_ERR_CAPACITY,
                  "the tape is full: %zu spikes recorded (sp_record max_spikes = %zu)",
                  static_cast<size_t>(n_spikes), max_spikes);
    if (n_events + 1 + (rebases ? 1 : 0) > event_capacity || n_pre + deliveries > pre_capacity)
      return fail(SP_ERR_CAPACITY, "the tape is full: %llu events recorded",
                  static_cast<unsigned long long>(n_events));
    return SP_OK;
  }
};

}  // namespace sp
