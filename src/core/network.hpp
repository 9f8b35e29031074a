// The network object behind the opaque sp_network handle: parameters, connectivity, dynamic
// state and the training tape, all in flat arrays carved from one arena at creation.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "common/double_double.hpp"
#include "grad/tape.hpp"
#include "models/lif_syn.hpp"
#include "models/tabulated/kick_map.hpp"
#include "models/tabulated/table.hpp"
#include "queue/bucket_queue.hpp"
#include "queue/input_queue.hpp"
#include "sparseprop/sparseprop.h"
#include "topology/procedural.hpp"

namespace sp {

// Connectivity from n_sources sources to the network's neurons (explicit CSR, procedural, or
// none).
struct Synapses {
  uint32_t n_sources = 0;
  bool exclude_self = false;  // recurrent: procedural targets never include the source
  uint32_t k = 0;             // procedural out-degree
  uint64_t seed = 0;
  uint64_t *row_ptr = nullptr;  // explicit: n_sources + 1 entries
  uint32_t *targets = nullptr;  // explicit: nnz entries
  double *weights = nullptr;    // nnz entries, or nullptr: every synapse has `weight`
  double weight = 0.0;
  uint64_t nnz = 0;
  uint32_t max_row = 0;  // largest out-degree

  bool is_explicit() const { return row_ptr != nullptr; }
  // The out-degree of `source`.
  uint64_t row_length(uint32_t source) const {
    return is_explicit() ? row_ptr[source + 1] - row_ptr[source] : k;
  }
  // Whether some synapse of `source` has a weight of 0 or more: an input through it may take a
  // target to threshold (or trigger one at it, event rule 2); one of negative weights only
  // delays its targets, in every model (the flow of V, and of V with J, is monotone), up to
  // rounding (Tape::own_spike_near).
  bool row_may_excite(uint32_t source) const {
    if (!weights) return row_length(source) > 0 && weight >= 0;
    for (uint64_t s = row_ptr[source]; s < row_ptr[source + 1]; ++s)
      if (!(weights[s] < 0)) return true;
    return false;
  }
  // Trainable weights: one per synapse (explicit with weights), else one shared weight, or
  // none when there are no synapses.
  uint64_t param_count() const {
    if (weights) return nnz;
    return (is_explicit() || k > 0) ? 1 : 0;
  }
};

// Everything an event reads and writes about one target neuron, in one 16-byte slot (four per
// cache line), so that a synaptic event touches one cache line: the state, and the spike
// queue's tag; in the phase frame the queue's key is implied by the state.
struct NeuronSlot {
  // The co-moving coordinate, constant between events: LIF u = (I - V) exp((t - t0)/tau),
  // QIF x = phi - omega (t - t0)/tau.
  double state;
  uint32_t tag;    // where the spike queue keeps the neuron (owned by BucketQueue)
  uint32_t flags;  // kSlotRecent | kSlotDue | kSlotStale | kSlotInexact, and the instant stamp
};
static_assert(sizeof(NeuronSlot) == BucketQueue::kRecordBytes, "four slots per cache line");
static_assert(offsetof(NeuronSlot, state) == 0 && offsetof(NeuronSlot, tag) == 8 &&
                  offsetof(NeuronSlot, flags) == 12,
              "the queue finds states, tags and flags at fixed offsets");
// refr_end[i] may not have passed yet: only then is it read (it is cleared once an event comes
// after it), so that events to neurons long past their last spike never touch refr_end.
constexpr uint32_t kSlotRecent = 1;
// Phase frame: the neuron is due to spike at now() (its queue key is cur_key).
constexpr uint32_t kSlotDue = BucketQueue::kDueFlag;
// LIF time frame: the neuron's time_key is a lower bound of its next spike time, left by
// inhibitory inputs that did not compute the new one (a log each); see BucketQueue::kStaleFlag
// and network_refresh_key.
constexpr uint32_t kSlotStale = BucketQueue::kStaleFlag;
// LIF time frame: the neuron's time_key may not be the key its state gives now (a re-base
// rescaled the state and kept the key; a load or a rebuild took keys it did not compute), so
// it is no lower bound for the key after an inhibitory input: that input computes the key (and
// clears the flag) instead of flagging it stale. Set for every neuron by network_mark_inexact.
constexpr uint32_t kSlotInexact = 8;
static_assert(kSlotRecent != kSlotDue && kSlotStale != kSlotRecent && kSlotStale != kSlotDue &&
                  kSlotInexact != kSlotRecent && kSlotInexact != kSlotDue &&
                  kSlotInexact != kSlotStale,
              "distinct flags");
// The upper 28 bits of the flags: the stamp of the instant at which kSlotRecent was set. With
// t_ref = 0 an input is ignored only at that very instant, so a different stamp settles it
// without reading refr_end (equal stamps, which may also come from a wrap-around, and the
// unknown stamp of a loaded network, read refr_end).
constexpr uint32_t kStampShift = 4;
constexpr uint32_t kStampUnknown = 0xffffffffu >> kStampShift;

// The compact layout's 12-byte record: the state and the spike queue's tag, as in NeuronSlot;
// its flags are a byte beside it (Network::side: kSideRecent, kSideDue, the cause bits).
struct __attribute__((packed)) CompactSlot {
  double state;
  uint32_t tag;
};
static_assert(sizeof(CompactSlot) == CompactQueue::kRecordBytes && offsetof(CompactSlot, tag) == 8,
              "the queue finds states and tags at fixed offsets");
// Spiked or was taken to threshold at the current instant (cleared when the instant ends:
// Network::recent lists who has it).
constexpr uint8_t kSideRecent = 1;
constexpr uint8_t kSideDue = CompactQueue::kSideDueFlag;  // (the queue reads it)
static_assert(kSideRecent != kSideDue, "distinct flags");

struct Network {
  // Memory.
  sp_allocator alloc;
  void *block;
  size_t block_bytes;

  // Parameters.
  uint32_t model;  // sp_model
  uint32_t n;
  double tau;
  double t_ref;
  // exp(t_ref/tau) to better than 2^-95 (LIF resets, Ops<Lif>::after_refractory): derived from tau
  // and t_ref at creation, not saved.
  DoubleDouble refr_factor;
  uint32_t frame_request;  // sp_frame as asked for
  uint32_t frame;          // SP_FRAME_PHASE or SP_FRAME_TIME, as running
  double *v0;              // n initial voltages (seeded phases resolved at creation)
  uint64_t init_seed;
  Synapses recurrent;
  Synapses inputs;
  double rebase_span;  // re-base the co-moving frame when an event is this far from t0
  // Current-based synapses (LIF with tau_syn > 0, models/lif_syn_engine.hpp): the synaptic time
  // constant (0: delta synapses), its constants, and the second coordinate of every neuron
  // (nullptr without).
  double tau_syn;
  LifSyn::Shape syn_shape;
  LifSynAux *syn_aux;

  // The compact layout (network_compact_rule): one drive, no v0, refr_end or time_key arrays
  // (nullptr), the near heap inside the bucket pool. drive_mask is 0 there (drive[i & mask]
  // is the one drive), ~0u in the full layout.
  bool compact;
  uint32_t compact_min_n;  // the threshold that chose it (network_compact_min_n, for messages)
  uint32_t drive_mask;
  // The compact layout's neurons: 12-byte records (neuron is nullptr), a byte of flags each,
  // and the neurons with kSideRecent, so that the instant's end clears only theirs: the first
  // recent_cap of them (recent_count > recent_cap: clear every byte). due_count neurons have
  // kSideDue (the queue reads the flag only when there are any).
  CompactSlot *cslot;
  uint8_t *side;
  uint32_t *recent;
  uint32_t recent_cap;
  uint32_t recent_count;
  uint32_t due_count;
  CompactQueue cqueue;  // the compact layout's spike queue (spike_queue is unused there)

  // Per-neuron data: the hot slots (see NeuronSlot), and arrays read more rarely.
  NeuronSlot *neuron;       // (compact layout: nullptr, see cslot)
  double *refr_end;         // n: last spike time + t_ref (-inf before the first spike); inputs
                            // at times <= refr_end are ignored (read when kSlotRecent is set)
  double *drive;            // n drives I (compact: 1)
  double *time_key;         // n: time frame: the queue keys (next spike times, or now() if due)
  BucketQueue spike_queue;  // the next spiker
  InputQueue queue;
  double *queue_time;
  uint64_t *queue_seq;
  uint32_t *queue_channel;
  double now;
  double t0;
  // Phase frame: the queue key of a neuron at threshold at now(). A neuron an input takes to
  // threshold gets this key, so it spikes at now() in index order with every other neuron due
  // then. (Time frame: the key of now() is now() itself.)
  double cur_key;
  double cur_key_time;  // the instant cur_key belongs to
  // The model clock at clock_time, reused by every event at that instant so that neurons reset
  // together get bit-identical states.
  double clock_time;
  double clock_value;
  // The current instant (time of the last event) and its stamp (never kStampUnknown).
  double instant_time;
  uint32_t instant_stamp;
  TargetScratch scratch;
  // n per-neuron marks for the training calls: a due neuron's SP_SPIKE_* flags (its spike's
  // cause, set when an event takes it to threshold) and kMarkWatched (sp_run_until).
  uint8_t *marks;  // (compact layout: nullptr)

  // Replicas (sp_network_replica): parent is the network whose parameter arrays (connectivity,
  // weights, drives, v0) this one reads; nullptr for a network that owns its own.
  // param_version counts a parent's parameter changes; seen_version is the parent's count at
  // a replica's last rewind (a replica whose parent changed since must be rewound).
  const Network *parent;
  uint64_t param_version;
  uint64_t seen_version;

  // Tabulated models (EIF, custom; models/tab_ops.hpp): one phase table per distinct drive,
  // sorted by drive, carved with the arena at creation (n_tables = 0 for the other models).
  uint32_t n_tables;
  double *table_drive;
  const Table **tables;
  // How many neurons run at each table's drive now (the re-base span counts only tables in
  // use; kept by network_change_drive, shared with replicas as the drives are).
  uint32_t *table_users;
  // With a shared recurrent weight, the kick map of each table for it (kick_map.hpp), built
  // at creation and loading; nullptr without.
  KickMap *kick_maps;

  Tape tape;
};

// The watched mark in Network::marks (the SP_SPIKE_* flags take the low bits).
constexpr uint8_t kMarkWatched = 0x80;
constexpr uint8_t kMarkCause = SP_SPIKE_TRIGGERED | SP_SPIKE_INPUT_TRIGGERED;
// The compact layout has no marks: a due neuron's cause is in bits 2 and 3 of its side flags,
// and sp_run_until (the watched mark) is refused.
constexpr uint32_t kCompactCauseShift = 2;
static_assert((kMarkCause << kCompactCauseShift) < 256, "cause bits fit");
static_assert(((kMarkCause << kCompactCauseShift) & (kSideRecent | kSideDue)) == 0, "own bits");

// Neuron i's state, in either layout.
inline double state_of(const Network &net, uint32_t i) {
  return net.compact ? net.cslot[i].state : net.neuron[i].state;
}
inline void set_state(Network &net, uint32_t i, double x) {
  if (net.compact)
    net.cslot[i].state = x;
  else
    net.neuron[i].state = x;
}
// Whether neuron i is flagged due (phase frame: its key is cur_key), in either layout. (The
// compact layout's side byte is a second random read per target, a cache miss at large n: it
// is read only while some neuron is due, which is rare.)
inline bool flagged_due(const Network &net, uint32_t i) {
  if (net.compact) return net.due_count != 0 && (net.side[i] & kSideDue) != 0;
  return (net.neuron[i].flags & kSlotDue) != 0;
}
// Whether the time frame may leave keys stale (Loop::deliver_row): delta synapses and a model
// whose inhibitory kicks only delay (Ops<M>::kNegativeWeightDelays).
bool network_leaves_stale_keys(const Network *net);
// Neuron i's key in the spike queue, and the queue rebuilt from the keys, in either layout.
double network_fresh_key(const Network *net, uint32_t i);
inline double queue_key(const Network &net, uint32_t i) {
  if (net.compact) return net.cqueue.key_of(i);
  if (net.neuron[i].flags & kSlotStale) return network_fresh_key(&net, i);
  return net.spike_queue.key_of(i);
}
inline void queue_rebuild(Network &net) {
  if (net.compact)
    net.cqueue.rebuild();
  else
    net.spike_queue.rebuild();
}

// Neuron i's drive, in either layout.
inline double drive_of(const Network &net, uint32_t i) { return net.drive[i & net.drive_mask]; }
// Neuron i's refractory end, in either layout. The compact layout has t_ref = 0 and clears every
// kSideRecent flag when an instant ends, so the flag says "spiked (or taken to threshold) at
// the current instant" and nothing else does.
inline double refr_end_of(const Network &net, uint32_t i) {
  if (net.refr_end) return net.refr_end[i];
  return (net.side[i] & kSideRecent) ? net.instant_time : -INFINITY;
}
// A due neuron's SP_SPIKE_* cause (Network::marks, or the compact layout's side flags).
inline uint32_t network_cause(const Network &net, uint32_t i) {
  if (net.compact) return (net.side[i] >> kCompactCauseShift) & kMarkCause;
  return net.marks[i] & kMarkCause;
}
// The compact layout: neuron i gets kSideRecent at the current instant (listed, to be cleared
// when the instant ends), and the end of an instant.
inline void network_mark_recent(Network *net, uint32_t i) {
  if (net->side[i] & kSideRecent) return;
  net->side[i] |= kSideRecent;
  if (net->recent_count < net->recent_cap) net->recent[net->recent_count] = i;
  ++net->recent_count;  // (beyond recent_cap: the list is incomplete)
}
// Neuron i's initial voltage (the compact layout recomputes the seeded one).
double network_v0(const Network *net, uint32_t i);
// The seeded initial voltage of neuron i (desc.v0 = NULL) for a model, tau and drive.
double network_seeded_v0(uint32_t model, double tau, double drive, uint64_t seed, uint32_t i);
// Clears every kSideRecent flag (the compact layout, when an instant ends).
void network_forget_recent(Network *net);

// The compact layout: why a description cannot have it (a message naming the field), or nullptr.
// drives_equal and v0_seeded say whether the drives are one value and v0 the seeded voltages
// (the loader checks them in the file; creation requires drives and v0 to be NULL or, for the
// drives, all equal). From n >= network_compact_min_n() on, every description that allows it
// gets the compact layout (SPARSEPROP_COMPACT_MIN_N in the environment lowers it for tests).
const char *network_compact_refusal(const sp_network_desc &d, bool drives_equal, bool v0_seeded);
uint32_t network_compact_min_n();
constexpr uint32_t kCompactMinN = uint32_t(1) << 26;
// What the compact layout refuses after creation: SP_ERR_UNSUPPORTED naming `what`.
sp_status network_refuse_compact(const Network *net, const char *what);

// Validates a description; fills *bytes with the exact arena size create will request.
sp_status network_measure(const sp_network_desc *d, size_t *bytes);
sp_status network_create(const sp_network_desc *d, Network **out);

// Creation with the large arrays written straight into the new network's arena (the loader
// streams them from a file, so that no second copy of them is ever held). The description
// gives everything else (its drives and explicit synapse arrays are ignored); fill writes the
// n drives and, for explicit synapses, row_ptr, targets and weights of the sizes given here
// into net->drive, net->recurrent and net->inputs. The description is then validated with its
// arrays pointing there, exactly as a caller's. The caller bounds the sizes (and the
// procedural k) before: the arena is allocated for them before validation.
// Tabulated models: with n_tables > 0 the tables come from the bytes too (fill writes and checks
// each block into net->tables[k], table_bytes[k] bytes, for the drive table_drive[k]) and none
// is built, so no callback is needed.
// may_compact: the loader found one drive and seeded v0 (then the description's rule decides
// the layout; in the compact layout fill writes one drive, having checked that all are equal).
struct ArrayFill {
  bool rec_explicit = false, in_explicit = false, rec_weights = false, in_weights = false;
  bool may_compact = false;
  uint64_t rec_nnz = 0, in_nnz = 0;
  uint32_t n_tables = 0;
  const double *table_drive = nullptr;
  const size_t *table_bytes = nullptr;
  sp_status (*fill)(void *ctx, Network *net) = nullptr;
  void *ctx = nullptr;
};
sp_status network_create_filled(const sp_network_desc *d, const ArrayFill &fill, Network **out);
void network_destroy(Network *net);
// A network sharing parent's parameter arrays with dynamic state, queue and tape of its own
// (sp_network_replica); a replica's replica is one of the root parent.
sp_status network_replica(const Network *parent, Network **out);
// A replica takes its parent's scalar parameters again (shared weights, frame request, re-base
// span) before a rewind.
void network_replica_sync(Network *net);

// Sets the dynamic state to t = 0 and the initial voltages v0 (in the frame the rule picks).
void network_reset_state(Network *net);
// SP_ERR_NUMERIC when a state, initial voltage or queue key is non-finite (after creation).
sp_status network_check_state(const Network *net);

// The frame rule, the only place that chooses a frame: SP_FRAME_TIME when it was asked for,
// otherwise the phase frame exactly when it can run the network (one shared drive, every
// neuron oscillatory). Applied at creation, sp_rewind and every drive change, so the frame
// depends only on the request and the drives. A forced SP_FRAME_PHASE holds while the drives
// allow it; a drive change that makes them differ (or not oscillatory) releases it: the request
// becomes SP_FRAME_AUTO, so that the saved description stays one sp_load accepts.
uint32_t network_frame_rule(const Network *net);
// Whether the phase frame can run the network as it is.
bool network_phase_eligible(const Network *net);
// Whether a neuron with this drive is oscillatory (fires on its own).
bool phase_eligible_drive(uint32_t model, double drive);
// Changes one drive (sp_set_drive) or all of them (SP_PARAM_DRIVES) keeping the voltages at
// now(), and applies the frame rule. Checks the values (network_check_drive) and the forced
// frame first: on failure nothing changed.
sp_status network_set_drive(Network *net, uint32_t i, double drive);
sp_status network_set_drives(Network *net, const double *drives);

// The numeric range. LIF weights, drives and initial voltages and every tau are at most
// kMaxMagnitude in magnitude, so that no co-moving state can overflow in any feasible run
// (an input moves a LIF state by at most |w| exp(span/tau)); an oscillatory neuron's free
// period is finite and at least kMinPeriodOverTau tau, far above the rounding of spike times
// near t0. Outside it: SP_ERR_NUMERIC.
constexpr double kMaxMagnitude = 1e100;
constexpr double kMinPeriodOverTau = 0x1p-30;
// Value checks with the field named by label: SP_ERR_ARGUMENT (non-finite, LIF v0 >= 1),
// SP_ERR_UNSUPPORTED (QIF drive <= 0) or SP_ERR_NUMERIC (outside the numeric range).
sp_status network_check_drive(uint32_t model, double tau, double drive, const char *label);
sp_status network_check_weight(uint32_t model, double w, const char *label);
bool weight_in_range(uint32_t model, double w);  // network_check_weight would pass
// With current-based synapses (tau_syn > 0) also |w| <= kMaxSynWeight (validate.cpp says why).
constexpr double kMaxSynWeight = 1e6;
sp_status network_check_syn_weight(double w, const char *label);
// The same bound on a drive with current-based synapses (validate.cpp says why).
sp_status network_check_syn_drive(double drive, const char *label);
// v_spike: the model's spike voltage (network_v_spike, desc_v_spike; +inf but for custom models
// with a finite threshold), which v0 must stay below.
sp_status network_check_v0(uint32_t model, double v, double v_spike, const char *label);
bool v0_in_range(uint32_t model, double v, double v_spike);  // network_check_v0 would pass
double desc_v_spike(const sp_network_desc &d);
// Rebuilds every queue key from the states (after a frame change or a parameter change, with
// net->frame already the new frame); neurons that were due at now() in old_frame, whose due
// key was old_due, stay due.
void network_rekey(Network *net, uint32_t old_frame, double old_due);
// Points the spike queue at the keys of the current frame and rebuilds it.
void network_rebuild_queue(Network *net);
// The queue key of neuron i computed from its state in the current frame.
double network_key(const Network *net, uint32_t i);
// Tabulated models with a shared recurrent weight: (re)builds each drive's kick map for that
// weight, at creation, loading and sp_set_params (so a network whose weight changed runs as
// its saved copy, which builds its maps from the saved weight, does). No allocation.
void network_build_kick_maps(Network *net);
// A time-frame key from a neuron's spike time computed from its state: a time that rounds
// before now() is now(). Such a neuron is due, and it must come in index order with the others
// due at now() (event rule 1: spikes whose times round alike come in index order), not before
// them: a QIF state re-expressed for a drive of 1e-200, its phase rounded to pi, gave the
// frame's origin t0 (an outside tester's finding). A NaN stays NaN.
inline double time_frame_key(double spike_time, double now) {
  return spike_time < now ? now : spike_time;
}
// The queue key of a neuron due to spike at now().
inline double network_due_key(const Network *net) {
  return net->frame == SP_FRAME_PHASE ? net->cur_key : net->now;
}
// Whether neuron i is due to spike at now() (taken to threshold, or its time has come).
inline bool network_is_due(const Network *net, uint32_t i) {
  return queue_key(*net, i) <= network_due_key(net);
}
double network_voltage(const Network *net, uint32_t i);
// LIF time frame: neuron i's next spike time when its time_key is stale (kSlotStale), as the
// inputs since would have computed it (network_fresh_key), and the same stored as its key, the
// flag cleared (network_refresh_key; the queue's refresh function). Every stale key of the
// network refreshed (network_refresh_keys): before the states change other than by an input
// (a re-base, a drive change), so that the keys stay those of the inputs.
double network_refresh_key(void *net, uint32_t i);
void network_refresh_keys(Network *net);
// LIF time frame (delta synapses, full layout): flags every neuron kSlotInexact, after its
// state or key changed other than by computing the key from the state (a re-base, a rebuild).
void network_mark_inexact(Network *net);
// Re-expresses neuron i's state for a new drive keeping its voltage at now().
void network_change_drive(Network *net, uint32_t i, double drive);
void network_update_rebase_span(Network *net);
// Whether an event at t must re-base the co-moving frame first (t far from t0), so that
// precision never decays; every event loop and drive change asks this.
inline bool network_rebase_due(const Network &net, double t) {
  return t - net.t0 > net.rebase_span;
}
// Re-bases the co-moving frame to now() if it is far from t0: after a long silence the clock
// exp((now - t0)/tau) would overflow. Not recorded on the tape: call it only when not recording.
void network_rebase_near_now(Network *net);

// malloc/free behind the sp_allocator interface.
sp_allocator default_allocator();
// Memory through the network's allocator.
void *arena_alloc(const sp_allocator &a, size_t bytes);
void arena_free(const sp_allocator &a, void *p, size_t bytes);

// The k targets of a source: explicit rows point into the CSR arrays, procedural rows are
// generated into the scratch.
struct Row {
  const uint32_t *targets;
  const double *weights;  // nullptr: shared weight
  double weight;
  uint32_t count;
  uint64_t first;  // explicit: index of the first synapse (for weight gradients)
  bool distinct;   // no target twice (procedural rows; explicit rows may repeat one)
};

// prefetch, stride: see procedural_targets (explicit rows are not prefetched here).
inline Row synapse_row(const Synapses &s, uint32_t source, uint32_t n, TargetScratch &scratch,
                       const void *prefetch = nullptr, uint32_t stride = 0) {
  if (s.is_explicit()) {
    uint64_t b = s.row_ptr[source], e = s.row_ptr[source + 1];
    return Row{s.targets + b,
               s.weights ? s.weights + b : nullptr,
               s.weight,
               static_cast<uint32_t>(e - b),
               b,
               false};
  }
  if (s.k == 0) return Row{nullptr, nullptr, s.weight, 0, 0, true};
  uint32_t c = procedural_targets(s.seed, source, n, s.k, s.exclude_self, scratch, prefetch,
                                  stride);
  return Row{scratch.out, nullptr, s.weight, c, 0, true};
}

}  // namespace sp
