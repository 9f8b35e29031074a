// Creating (from a description validate.cpp has checked), resetting and destroying networks;
// frame choice and queue keys.
#include "core/network.hpp"

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <new>

#if defined(__linux__)
#  include <sys/mman.h>
#endif

#include "common/error.hpp"
#include "core/arena.hpp"
#include "core/validate.hpp"
#include "models/dispatch.hpp"
#include "models/lif_syn_engine.hpp"
#include "models/qif_batch.hpp"

namespace sp {
namespace {

constexpr uint32_t kDefaultInputCapacity = 4096;
constexpr double kDefaultTau = 0.01;

// Blocks from this size on are placed on 2 MiB boundaries and offered to the kernel as huge
// pages: a large network's random accesses then miss the TLB far less often.
constexpr size_t kHugePage = size_t(2) << 20;

void *default_alloc(void *, size_t size, size_t align) {
  if (size >= 2 * kHugePage) align = kHugePage;
  // aligned_alloc needs a size that is a multiple of the alignment.
  size_t rounded = (size + align - 1) / align * align;
  void *p = std::aligned_alloc(align, rounded ? rounded : align);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (p && align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: ignore errors
#endif
  return p;
}
void default_free(void *, void *p, size_t) { std::free(p); }

// The description with defaults applied, read only up to the caller's struct_size (the rules
// are in the header, at SP_NETWORK_DESC_SIZE_V1).
sp_status read_desc(const sp_network_desc *in, sp_network_desc *d) {
  if (!in) return fail(SP_ERR_ARGUMENT, "desc is NULL");
  const uint32_t size = in->struct_size;
  // (Multiples of 8, the layout's unit, on every target: the struct's alignment is 4 on
  // i386, where a size ending inside tau_syn would otherwise pass.)
  if (size < SP_NETWORK_DESC_SIZE_MIN || size > SP_NETWORK_DESC_SIZE_MAX || size % 8 != 0)
    return fail(SP_ERR_ARGUMENT,
                "desc.struct_size = %u: must be a multiple of 8 from %u to %u (call "
                "sp_network_desc_init)",
                size, static_cast<unsigned>(SP_NETWORK_DESC_SIZE_MIN),
                static_cast<unsigned>(SP_NETWORK_DESC_SIZE_MAX));
  sp_network_desc_init(d, sizeof *d);
  size_t known = size < sizeof *d ? size : sizeof *d;
  std::memcpy(d, in, known);
  for (size_t b = sizeof *d; b < size; ++b)
    if (reinterpret_cast<const unsigned char *>(in)[b] != 0)
      return fail(SP_ERR_UNSUPPORTED,
                  "desc.struct_size = %u: the description sets fields this library version "
                  "(%s) does not know (byte %zu is not 0)",
                  size, SP_VERSION_STRING, b);
  d->struct_size = sizeof *d;
  if (d->tau == 0.0) d->tau = kDefaultTau;
  if (d->input_capacity == 0) d->input_capacity = kDefaultInputCapacity;
  return SP_OK;
}

// Everything the arena layout depends on.
// The compact layout's list of the neurons flagged recent at the current instant: an instant
// with more of them clears every neuron's flag at its end, at most once per n/128 spikes.
uint32_t compact_recent_cap(uint32_t n) { return n / 128 > 64 ? n / 128 : 64; }

struct Shape {
  uint32_t n, n_inputs, queue_capacity, k_max;
  uint64_t rec_nnz, in_nnz;
  bool rec_explicit, in_explicit, rec_weights, in_weights, syn;
  bool replica;            // the parameter arrays are the parent's: not carved
  bool compact;            // the compact layout (network_compact_refusal)
  uint32_t compact_min_n;  // the threshold it was chosen by (network_compact_min_n)
  // Tabulated models: the distinct drives and the bytes of their tables.
  uint32_t n_tables;
  double table_drive[Ops<Tabulated>::kMaxTables];
  size_t table_bytes[Ops<Tabulated>::kMaxTables];
};

// *tables: whether the phase tables could be measured. A loaded network's come from its file
// (with_tables false): they are not measured here, where the description's placeholder drive
// would make a tabulated model's builder fail and format a message nobody reads (printf's
// floating-point path is the deepest stack of a load: see the header's Memory paragraph).
Shape shape_of(const sp_network_desc &d, sp_status *tables, bool with_tables = true) {
  Shape s{};
  s.n = d.n;
  s.n_inputs = d.n_inputs;
  // Without input channels nothing can be queued: no queue storage.
  s.queue_capacity = d.n_inputs ? d.input_capacity : 0;
  s.rec_explicit = d.recurrent.row_ptr != nullptr;
  s.in_explicit = d.n_inputs && d.inputs.row_ptr != nullptr;
  s.rec_nnz = s.rec_explicit ? d.recurrent.row_ptr[d.n] : 0;
  s.in_nnz = s.in_explicit ? d.inputs.row_ptr[d.n_inputs] : 0;
  s.rec_weights = s.rec_explicit && d.recurrent.weights;
  s.in_weights = s.in_explicit && d.inputs.weights;
  uint32_t kr = s.rec_explicit ? 0 : d.recurrent.k;
  uint32_t ki = (d.n_inputs && !s.in_explicit) ? d.inputs.k : 0;
  s.k_max = kr > ki ? kr : ki;
  s.syn = d.tau_syn > 0.0;
  bool drives_equal = true;
  for (uint32_t i = 1; d.drives && i < d.n && drives_equal; ++i)
    drives_equal = d.drives[i] == d.drives[0];
  s.compact_min_n = network_compact_min_n();
  s.compact = d.n >= s.compact_min_n && !network_compact_refusal(d, drives_equal, d.v0 == nullptr);
  // (validate() has measured the tables once already; a custom F that is not deterministic
  // can still fail here, and the network must not be carved without them.)
  *tables = SP_OK;
  if (!with_tables) return s;
  *tables = with_model(d.model, [&](auto m) {
    return Ops<decltype(m)>::desc_tables(d, s.table_drive, s.table_bytes, &s.n_tables);
  });
  return s;
}

// Carves the arena; with net == nullptr it only measures.
void layout(Arena &a, const Shape &s, Network *net) {
  const uint64_t own = s.replica ? 0 : 1;  // a replica carves no parameter array
  Network *self = a.take<Network>(1);
  (void)self;
  // The compact layout keeps one drive and none of the other per-neuron arrays (no marks: the
  // cause bits go in the slot's flags), and the near
  // heap and the bucket chunks in one block (BucketQueue::bind_shared).
  const uint64_t full = s.compact ? 0 : 1;
  NeuronSlot *neurons = a.take<NeuronSlot>(full * s.n);
  CompactSlot *cslots = a.take<CompactSlot>(s.compact ? s.n : 0);
  uint8_t *side = a.take<uint8_t>(s.compact ? s.n : 0);
  uint32_t *recent = a.take<uint32_t>(s.compact ? compact_recent_cap(s.n) : 0);
  double *v0 = a.take<double>(full * own * s.n);
  double *refr_end = a.take<double>(full * s.n);
  double *drive = a.take<double>(own * (s.compact ? 1 : s.n));
  double *time_key = a.take<double>(full * s.n);
  uint32_t *near_heap = a.take<uint32_t>(full * BucketQueue::heap_slots(s.n));
  BucketChunk *chunks = a.take<BucketChunk>(full * BucketQueue::chunk_count(s.n));
  uint32_t *shared = a.take<uint32_t>(s.compact ? BucketQueue::shared_words(s.n) : 0);
  uint32_t *heads = a.take<uint32_t>(BucketQueue::window_for(s.n));
  uint64_t *occupied = a.take<uint64_t>(BucketQueue::window_for(s.n) / 64);
  double *qt = a.take<double>(s.queue_capacity);
  uint64_t *qs = a.take<uint64_t>(s.queue_capacity);
  uint32_t *qc = a.take<uint32_t>(s.queue_capacity);
  uint64_t *rrow = a.take<uint64_t>(own * (s.rec_explicit ? uint64_t(s.n) + 1 : 0));
  uint32_t *rtgt = a.take<uint32_t>(own * s.rec_nnz);
  // Per-synapse weights take at least one slot: with zero synapses the pointer must still be
  // non-null, as it is what says "per-synapse weights, nnz of them" (0 for SP_PARAM_WEIGHTS,
  // not a shared weight's 1), in sp_param_count, get/set/grads and sp_save alike.
  double *rw = a.take<double>(own * (s.rec_weights ? (s.rec_nnz ? s.rec_nnz : 1) : 0));
  uint64_t *irow = a.take<uint64_t>(own * (s.in_explicit ? uint64_t(s.n_inputs) + 1 : 0));
  uint32_t *itgt = a.take<uint32_t>(own * s.in_nnz);
  double *iw = a.take<double>(own * (s.in_weights ? (s.in_nnz ? s.in_nnz : 1) : 0));
  uint64_t fwords = s.k_max ? TargetScratch::filter_words(s.k_max) : 0;
  uint64_t *sfilter = a.take<uint64_t>(fwords);
  uint32_t *sout = a.take<uint32_t>(s.k_max);
  uint8_t *marks = a.take<uint8_t>(full * s.n);
  LifSynAux *syn_aux = a.take<LifSynAux>(s.syn ? s.n : 0);
  double *tdrive = a.take<double>(s.n_tables);
  const Table **tables = a.take<const Table *>(s.n_tables);
  uint32_t *table_users = a.take<uint32_t>(s.n_tables);
  unsigned char *tmem[Ops<Tabulated>::kMaxTables];
  for (uint32_t k = 0; k < s.n_tables; ++k) tmem[k] = a.take<unsigned char>(s.table_bytes[k]);
  KickMap *kick_maps = a.take<KickMap>(own * (s.rec_weights ? 0 : s.n_tables));
  if (!net) return;
  net->marks = marks;
  net->syn_aux = s.syn ? syn_aux : nullptr;
  net->n_tables = s.n_tables;
  net->table_drive = tdrive;
  net->tables = tables;
  net->table_users = table_users;
  net->kick_maps = kick_maps;
  for (uint32_t k = 0; k < s.n_tables; ++k) {
    tdrive[k] = s.table_drive[k];
    tables[k] = reinterpret_cast<const Table *>(tmem[k]);  // (built by build_tables)
  }
  net->neuron = s.compact ? nullptr : neurons;
  net->cslot = s.compact ? cslots : nullptr;
  net->side = s.compact ? side : nullptr;
  net->recent = s.compact ? recent : nullptr;
  net->recent_cap = s.compact ? compact_recent_cap(s.n) : 0;
  net->recent_count = 0;
  net->due_count = 0;
  net->v0 = v0;
  net->refr_end = refr_end;
  net->drive = drive;
  net->time_key = time_key;
  net->compact = s.compact;
  net->compact_min_n = s.compact_min_n;
  net->drive_mask = s.compact ? 0u : ~0u;
  if (s.compact) {
    // (The queue reads the records' states through memcpy: they are 4-byte aligned.)
    void *base = cslots;
    net->cqueue.bind_shared(static_cast<double *>(base),
                            reinterpret_cast<uint32_t *>(static_cast<char *>(base) + 8), side,
                            &net->due_count, s.n, shared, heads, occupied);
  } else {
    net->spike_queue.bind(&neurons[0].state, &neurons[0].tag, &neurons[0].flags, s.n, near_heap,
                          chunks, BucketQueue::chunk_count(s.n), heads, occupied);
  }
  net->queue_time = qt;
  net->queue_seq = qs;
  net->queue_channel = qc;
  net->recurrent.row_ptr = rrow;
  net->recurrent.targets = rtgt;
  net->recurrent.weights = rw;
  net->inputs.row_ptr = irow;
  net->inputs.targets = itgt;
  net->inputs.weights = iw;
  net->scratch.filter = sfilter;
  net->scratch.filter_mask = fwords ? static_cast<uint32_t>(fwords * 64 - 1) : 0;
  net->scratch.out = sout;
}

// (The arrays may already be in place: network_create_filled.)
void copy_synapses(Synapses &dst, const sp_synapses &src, uint32_t n_sources, bool recurrent) {
  dst.n_sources = n_sources;
  dst.exclude_self = recurrent;
  dst.weight = src.weight;
  if (src.row_ptr) {
    dst.k = 0;
    dst.seed = 0;
    if (dst.row_ptr != src.row_ptr)
      std::memcpy(dst.row_ptr, src.row_ptr, (uint64_t(n_sources) + 1) * sizeof(uint64_t));
    dst.nnz = src.row_ptr[n_sources];
    if (dst.nnz && dst.targets != src.targets)
      std::memcpy(dst.targets, src.targets, dst.nnz * sizeof(uint32_t));
    if (src.weights && dst.nnz && dst.weights != src.weights)
      std::memcpy(dst.weights, src.weights, dst.nnz * sizeof(double));
    if (!src.weights) dst.weights = nullptr;
    dst.max_row = 0;
    for (uint32_t j = 0; j < n_sources; ++j) {
      uint64_t len = src.row_ptr[j + 1] - src.row_ptr[j];
      if (len > dst.max_row) dst.max_row = static_cast<uint32_t>(len);
    }
  } else {
    dst.row_ptr = nullptr;
    dst.targets = nullptr;
    dst.weights = nullptr;
    dst.k = src.k;
    dst.seed = src.seed;
    dst.nnz = uint64_t(src.k) * n_sources;
    dst.max_row = src.k;
  }
}

// Builds the tables of a tabulated model into the blocks layout() carved, and checks their
// periods as validate() checks closed-form ones.
sp_status build_tables(Network *net, const sp_network_desc &d, const Shape &s) {
  for (uint32_t k = 0; k < net->n_tables; ++k) {
    TableError err{};
    void *mem = const_cast<Table *>(net->tables[k]);
    const Table *t = table_build(Ops<Tabulated>::table_params(d.model, d.model_params,
                                                              net->table_drive[k]),
                                 mem, s.table_bytes[k], &err);
    if (!t)
      return fail(Ops<Tabulated>::table_status(err), "drive = %.17g: no phase table: %s",
                  net->table_drive[k], err.message);
    net->tables[k] = t;
    double period = t->period;
    if (!(period >= kMinPeriodOverTau) || !finite(period))
      return fail(SP_ERR_NUMERIC,
                  "drive = %.17g: the free period (%g tau) is %s; it must be finite and at "
                  "least 2^-30 tau",
                  net->table_drive[k], period,
                  finite(period) ? "below the time resolution" : "not finite");
  }
  return SP_OK;
}

// Seeded initial voltage of an oscillatory neuron: a phase uniform over its free period.
double seeded_voltage(const Network &net, double drive, uint64_t seed, uint32_t i) {
  uint64_t r = mix64(mix64(seed) + i);
  double frac = static_cast<double>(r >> 11) * 0x1.0p-53;
  return with_model(net.model,
                    [&](auto m) { return Ops<decltype(m)>::seeded_voltage(net, drive, frac); });
}

template <class M>
void reset_states(Network *net) {
  using O = Ops<M>;
  double c = O::clock(*net, 0.0);
  for (uint32_t i = 0; i < net->n; ++i) {
    set_state(*net, i, O::from_voltage(*net, network_v0(net, i), drive_of(*net, i), c));
    if (net->compact) {
      net->side[i] = 0;
    } else {
      net->neuron[i].flags = 0;
      if (net->refr_end) net->refr_end[i] = -INFINITY;
    }
  }
  net->recent_count = 0;
  net->due_count = 0;
}

template <class M>
double key_for(const Network *net, uint32_t i) {
  using O = Ops<M>;
  if (net->tau_syn > 0.0) return lif_syn_key(net, i);
  if (net->frame == SP_FRAME_PHASE) return O::phase_key(state_of(*net, i));
  return time_frame_key(O::neuron_spike_time(*net, i), net->now);
}

// The phase-frame key of a neuron at threshold at now().
template <class M>
double threshold_key_now(const Network *net) {
  return Ops<M>::phase_threshold_key(*net, Ops<M>::clock(*net, net->now));
}

// Recomputes every key from the states; a neuron due to spike at now() stays due. Call with
// net->frame already set to the new frame.
template <class M>
void rekey_all(Network *net, uint32_t old_frame, double old_due) {
  if (net->frame == SP_FRAME_PHASE) {
    net->cur_key = threshold_key_now<M>(net);
    net->cur_key_time = net->now;
  }
  double due = network_due_key(net);
  if (old_frame == SP_FRAME_TIME) network_refresh_keys(net);
  // (Only a frame change or the phase frame comes here: between time-frame keys a drive change
  // re-keys only the neurons whose drives changed, network_set_drives.)
  for (uint32_t i = 0; i < net->n; ++i) {
    NeuronSlot &slot = net->neuron[i];
    bool was_due = old_frame == SP_FRAME_PHASE ? (slot.flags & kSlotDue) != 0
                                               : net->time_key[i] <= old_due;
    // (The time frame keeps the flag too, so that a neuron due at now() is told apart from
    // one that has spiked at now(): see the event loop.)
    // (Phase frame: a neuron whose state's key is below the threshold key at now() is at or
    // above threshold at now(): it spikes now, from the instant's clock, as in the time frame.)
    if (net->frame == SP_FRAME_PHASE && Ops<M>::phase_key(slot.state) < net->cur_key)
      was_due = true;
    slot.flags &= ~kSlotDue;
    slot.flags |= was_due ? kSlotDue : 0;
    if (net->frame == SP_FRAME_TIME) net->time_key[i] = was_due ? due : key_for<M>(net, i);
  }
  network_rebuild_queue(net);
}

template <class M>
double voltage_of(const Network *net, uint32_t i) {
  using O = Ops<M>;
  if (net->tau_syn > 0.0) return lif_syn_voltage(net, i);
  if (net->now < refr_end_of(*net, i)) return O::reset_voltage(*net, drive_of(*net, i));
  return O::neuron_voltage(*net, i, net->now);
}

template <class M>
void change_drive(Network *net, uint32_t i, double drive) {
  using O = Ops<M>;
  if (net->tau_syn > 0.0) {
    lif_syn_change_drive(net, i, drive);
    return;
  }
  // An event took it to threshold at now() and its spike is still to come (mark_due, core/
  // run.cpp, flags it due and sets its refractory end to now): it has not reset, so it is not
  // held. Its voltage, at or above threshold, is kept like any other (the header's sp_voltage
  // and sp_set_drive), and it stays due. (Taken as held, a LIF state re-expressed as the reset
  // read 0 until the spike: an outside client's check of the header. Read before the time
  // frame's flag below, which a drive change sets.)
  const bool taken = flagged_due(*net, i) && net->refr_end[i] == net->now;
  // (A stale key from the state the inputs left, before the state changes: see kSlotStale.)
  if (!net->compact && (net->neuron[i].flags & kSlotStale)) network_refresh_key(net, i);
  // (Its state is re-expressed below and its key set by the caller: see kSlotInexact.)
  if (!net->compact) net->neuron[i].flags |= kSlotInexact;
  // Time frame: a neuron due at now() stays due (its key stays now()), flagged: its re-expressed
  // state need not spike now, so it spikes from the instant's clock, not from its own
  // (own_spike_at_key, core/run.cpp; rekey_all keeps the flag).
  if (net->frame == SP_FRAME_TIME && network_is_due(net, i)) net->neuron[i].flags |= kSlotDue;
  // The voltage kept is the one sp_voltage reads now, taken before the re-base below. (Its
  // clock, exp((now - t0)/tau), carries the rounding of the argument: a relative error of up to
  // 32 ulps for an argument up to 32. The re-base scales the states by a factor computed
  // otherwise, so V taken after it could differ from the reading by 32 ulps of |I_old - V|: an
  // outside client's check of the header's bound, sp_set_drive; test_edge_cases.c.)
  const bool held = !taken && net->now <= net->refr_end[i];
  const double v = held ? 0.0 : voltage_of<M>(net, i);
  // Drives never change while recording, so the tape needs no record of this re-base.
  network_rebase_near_now(net);
  if (held) {
    // Held at reset (or reset at this very instant): the reset takes effect at refr_end.
    net->neuron[i].state = O::held_state_for(*net, net->neuron[i].state, net->drive[i], drive,
                                             net->refr_end[i]);
  } else {
    net->neuron[i].state = O::from_voltage(*net, v, drive, O::clock(*net, net->now));
  }
  net->drive[i] = drive;
}

}  // namespace

void network_rebase_near_now(Network *net) {
  if (!network_rebase_due(*net, net->now)) return;
  if (net->tau_syn > 0.0) {
    lif_syn_rebase(net, net->now);
    return;
  }
  with_model(net->model, [&](auto m) { Ops<decltype(m)>::rebase(*net, net->now); });
}

sp_allocator default_allocator() { return sp_allocator{default_alloc, default_free, nullptr}; }

void *arena_alloc(const sp_allocator &a, size_t bytes) {
  return a.alloc(a.ctx, bytes, Arena::kAlign);
}
void arena_free(const sp_allocator &a, void *p, size_t bytes) {
  if (p) a.free(a.ctx, p, bytes);
}

sp_status network_measure(const sp_network_desc *in, size_t *bytes) {
  sp_network_desc d;
  sp_status s = read_desc(in, &d);
  if (s != SP_OK) return s;
  s = validate(d);
  if (s != SP_OK) return s;
  const Shape shape = shape_of(d, &s);
  if (s != SP_OK) return s;
  Arena a;
  layout(a, shape, nullptr);
  if (a.overflow())
    return fail(SP_ERR_NOMEM, "n = %u: the network needs more memory than can be addressed", d.n);
  *bytes = static_cast<size_t>(a.size());
  return SP_OK;
}

namespace {

// Tabulated models: how many neurons run at each table's drive (network.hpp, table_users).
void count_table_users(Network *net) {
  if (!net->n_tables) return;
  if (net->n_tables == 1) {  // (no pass over 10^9 drives of a compact network)
    net->table_users[0] = net->n;
    return;
  }
  for (uint32_t k = 0; k < net->n_tables; ++k) net->table_users[k] = 0;
  for (uint32_t i = 0; i < net->n; ++i)
    ++net->table_users[Ops<Tabulated>::table_index(*net, drive_of(*net, i))];
}

sp_status create(const sp_network_desc *in, const ArrayFill *fill, Network **out) {
  sp_network_desc d;
  sp_status s = read_desc(in, &d);
  if (s != SP_OK) return s;
  Shape shape;
  if (fill) {
    // Validated once the arrays are in place, below.
    d.drives = nullptr;
    d.recurrent.row_ptr = nullptr;
    d.inputs.row_ptr = nullptr;
    sp_status no_tables;  // (the file's tables are used)
    shape = shape_of(d, &no_tables, false);
    shape.rec_explicit = fill->rec_explicit;
    shape.in_explicit = d.n_inputs && fill->in_explicit;
    shape.rec_nnz = shape.rec_explicit ? fill->rec_nnz : 0;
    shape.in_nnz = shape.in_explicit ? fill->in_nnz : 0;
    shape.rec_weights = shape.rec_explicit && fill->rec_weights;
    shape.in_weights = shape.in_explicit && fill->in_weights;
    uint32_t kr = shape.rec_explicit ? 0 : d.recurrent.k;
    uint32_t ki = (d.n_inputs && !shape.in_explicit) ? d.inputs.k : 0;
    shape.k_max = kr > ki ? kr : ki;
    if (fill->n_tables) {
      shape.n_tables = fill->n_tables;
      for (uint32_t k = 0; k < fill->n_tables; ++k) {
        shape.table_drive[k] = fill->table_drive[k];
        shape.table_bytes[k] = fill->table_bytes[k];
      }
    }
    shape.compact = shape.compact && fill->may_compact;
  } else {
    s = validate(d);
    if (s != SP_OK) return s;
    shape = shape_of(d, &s);
    if (s != SP_OK) return s;
  }
  Arena measure;
  layout(measure, shape, nullptr);
  if (measure.overflow())
    return fail(SP_ERR_NOMEM, "n = %u: the network needs more memory than can be addressed", d.n);
  sp_allocator alloc = d.allocator ? *d.allocator : default_allocator();
  size_t bytes = static_cast<size_t>(measure.size());
  void *block = arena_alloc(alloc, bytes);
  if (!block)
    return fail(SP_ERR_NOMEM, "allocating %zu bytes for a network of n = %u failed", bytes, d.n);
  std::memset(block, 0, bytes);
  Arena carve(static_cast<unsigned char *>(block));
  Network *net = new (block) Network();
  layout(carve, shape, net);
  net->alloc = alloc;
  net->block = block;
  net->block_bytes = bytes;
  net->model = d.model;
  net->n = d.n;
  net->tau = d.tau;
  net->t_ref = d.t_ref;
  net->refr_factor = dd_exp(dd_quotient(d.t_ref, d.tau));
  net->tau_syn = d.tau_syn;
  if (d.tau_syn > 0.0) net->syn_shape = LifSyn::shape(d.tau, d.tau_syn);
  net->frame_request = d.frame;
  net->init_seed = d.init_seed;
  if (fill) {
    s = fill->fill(fill->ctx, net);
    d.drives = net->drive;
    if (net->compact) {
      d.drive = net->drive[0];  // (the fill checked that every drive is this one)
      d.drives = nullptr;
    }
    auto point = [](sp_synapses &syn, const Synapses &at, bool is_explicit, bool weights) {
      if (!is_explicit) return;
      syn.row_ptr = at.row_ptr;
      syn.targets = at.targets;
      syn.weights = weights ? at.weights : nullptr;
    };
    point(d.recurrent, net->recurrent, shape.rec_explicit, shape.rec_weights);
    point(d.inputs, net->inputs, shape.in_explicit, shape.in_weights);
    if (s == SP_OK) s = validate(d, fill->n_tables > 0);
    if (s != SP_OK) {
      net->~Network();
      arena_free(alloc, block, bytes);
      return s;
    }
  }
  for (uint32_t i = 0; i < (net->compact ? 1 : d.n); ++i)
    net->drive[i] = d.drives ? d.drives[i] : d.drive;
  // (Loaded tables were written and checked by fill.)
  if (!(fill && fill->n_tables)) s = build_tables(net, d, shape);
  if (s != SP_OK) {
    network_destroy(net);
    return s;
  }
  for (uint32_t i = 0; !net->compact && i < d.n; ++i)
    net->v0[i] = d.v0 ? d.v0[i] : seeded_voltage(*net, net->drive[i], d.init_seed, i);
  copy_synapses(net->recurrent, d.recurrent, d.n, true);
  if (d.n_inputs) {
    copy_synapses(net->inputs, d.inputs, d.n_inputs, false);
  } else {
    net->inputs = Synapses();
  }
  network_build_kick_maps(net);
  net->queue.bind(net->queue_time, net->queue_seq, net->queue_channel, shape.queue_capacity);
  count_table_users(net);
  network_update_rebase_span(net);
  network_reset_state(net);
  s = network_check_state(net);
  if (s != SP_OK) {
    network_destroy(net);
    return s;
  }
  // QIF's vector-math path is chosen once per process from the environment: here, so that no
  // step or run (which embedders may call from a real-time thread) ever reads it.
  if (net->model == SP_MODEL_QIF) (void)qif_batch_vectorised();
  *out = net;
  return SP_OK;
}

}  // namespace

sp_status network_create(const sp_network_desc *d, Network **out) {
  return create(d, nullptr, out);
}

sp_status network_create_filled(const sp_network_desc *d, const ArrayFill &fill, Network **out) {
  return create(d, &fill, out);
}

void network_destroy(Network *net) {
  if (!net) return;
  sp_allocator a = net->alloc;
  arena_free(a, net->tape.block, net->tape.block_bytes);
  arena_free(a, net->tape.grad_block, net->tape.grad_block_bytes);
  size_t bytes = net->block_bytes;
  void *block = net->block;
  net->~Network();
  arena_free(a, block, bytes);
}

sp_status network_replica(const Network *parent, Network **out) {
  if (parent->parent) parent = parent->parent;
  if (parent->compact) return network_refuse_compact(parent, "sp_network_replica");
  Shape shape{};
  shape.n = parent->n;
  shape.n_inputs = parent->inputs.n_sources;
  shape.queue_capacity = parent->queue.capacity();
  uint32_t kr = parent->recurrent.is_explicit() ? 0 : parent->recurrent.k;
  uint32_t ki = parent->inputs.is_explicit() ? 0 : parent->inputs.k;
  shape.k_max = kr > ki ? kr : ki;
  shape.replica = true;
  shape.syn = parent->tau_syn > 0.0;
  Arena measure;
  layout(measure, shape, nullptr);
  size_t bytes = static_cast<size_t>(measure.size());
  void *block = arena_alloc(parent->alloc, bytes);
  if (!block)
    return fail(SP_ERR_NOMEM, "allocating %zu bytes for a replica of a network of n = %u failed",
                bytes, parent->n);
  std::memset(block, 0, bytes);
  Arena carve(static_cast<unsigned char *>(block));
  Network *net = new (block) Network();
  layout(carve, shape, net);
  net->alloc = parent->alloc;
  net->block = block;
  net->block_bytes = bytes;
  net->model = parent->model;
  net->n = parent->n;
  net->tau = parent->tau;
  net->t_ref = parent->t_ref;
  net->refr_factor = parent->refr_factor;
  net->tau_syn = parent->tau_syn;
  net->syn_shape = parent->syn_shape;
  net->init_seed = parent->init_seed;
  net->v0 = parent->v0;
  net->drive = parent->drive;
  // The phase tables are parameters too (read-only after creation): the parent's.
  net->n_tables = parent->n_tables;
  net->table_drive = parent->table_drive;
  net->tables = parent->tables;
  net->table_users = parent->table_users;
  net->kick_maps = parent->kick_maps;
  net->parent = parent;
  net->queue.bind(net->queue_time, net->queue_seq, net->queue_channel, shape.queue_capacity);
  network_replica_sync(net);
  network_reset_state(net);
  *out = net;
  return SP_OK;
}

void network_replica_sync(Network *net) {
  const Network *p = net->parent;
  if (!p) return;
  // (By value: the shared weights, procedural seeds and the arrays' addresses.)
  net->recurrent = p->recurrent;
  net->inputs = p->inputs;
  net->frame_request = p->frame_request;
  net->rebase_span = p->rebase_span;
  net->seen_version = p->param_version;
}

void network_update_rebase_span(Network *net) {
  if (net->tau_syn > 0.0) {
    // Both clocks stay below e^32.
    double fast = net->tau < net->tau_syn ? net->tau : net->tau_syn;
    net->rebase_span = kSynRebaseSpans * fast;
    return;
  }
  net->rebase_span = with_model(net->model,
                                [&](auto m) { return Ops<decltype(m)>::rebase_span(*net); });
}

bool phase_eligible_drive(uint32_t model, double drive) {
  return with_model(model, [&](auto m) { return Ops<decltype(m)>::oscillatory(drive); });
}

namespace {

// Whether the phase frame may run the network with these drives (count of them: n, or 1 for
// the compact layout's shared drive).
bool phase_eligible_with(const Network *net, const double *drives, uint32_t count) {
  if (net->tau_syn > 0.0) return false;  // keys are spike times: the time frame only
  bool refractory_ok = with_model(net->model, [&](auto m) {
    return Ops<decltype(m)>::phase_refractory_ok(net->t_ref, net->tau);
  });
  if (!refractory_ok) return false;
  for (uint32_t i = 1; i < count; ++i)
    if (drives[i] != drives[0]) return false;
  return phase_eligible_drive(net->model, drives[0]);
}

}  // namespace

bool network_phase_eligible(const Network *net) {
  return phase_eligible_with(net, net->drive, net->compact ? 1 : net->n);
}

void network_rekey(Network *net, uint32_t old_frame, double old_due) {
  with_model(net->model, [&](auto m) { rekey_all<decltype(m)>(net, old_frame, old_due); });
}

void network_rebuild_queue(Network *net) {
  if (net->frame == SP_FRAME_PHASE) {
    // The phase-frame key is the state itself, up to the model's sign and scale.
    with_model(net->model, [&](auto m) {
      using O = Ops<decltype(m)>;
      if (net->compact)
        net->cqueue.use_implied_keys(O::kPhaseKeySign, &net->cur_key, O::kPhaseKeyScale);
      else
        net->spike_queue.use_implied_keys(O::kPhaseKeySign, &net->cur_key, O::kPhaseKeyScale);
    });
  } else {
    // (The refresh of a stale key reads the neuron's drive.)
    const bool stale_keys = network_leaves_stale_keys(net);
    net->spike_queue.use_stored_keys(net->time_key, BucketQueue::Scale::Linear, network_refresh_key,
                                     net, stale_keys ? net->drive : nullptr);
    // (The keys may come from a file or from before a drive change: see kSlotInexact.)
    network_mark_inexact(net);
  }
  queue_rebuild(*net);
}

uint32_t network_frame_rule(const Network *net) {
  if (net->frame_request == SP_FRAME_TIME) return SP_FRAME_TIME;
  return network_phase_eligible(net) ? SP_FRAME_PHASE : SP_FRAME_TIME;
}

namespace {

// The frame network_frame_rule gives once every drive is drives[i] (a forced phase frame the
// drives do not allow is released to SP_FRAME_AUTO first: release_forced_phase).
uint32_t frame_rule_with(const Network *net, const double *drives) {
  if (net->frame_request == SP_FRAME_TIME) return SP_FRAME_TIME;
  return phase_eligible_with(net, drives, net->n) ? SP_FRAME_PHASE : SP_FRAME_TIME;
}

// Time frame, kept: re-keys neuron i after its drive changed, unless it was due at now() (its
// key stays now(), and change_drive has flagged it).
void rekey_changed(Network *net, uint32_t i, bool was_due) {
  if (!was_due) net->spike_queue.update(i, network_key(net, i));
}

// Applies the frame rule after drives changed (old_frame and old_due from before the change):
// every key is rebuilt when the frame changes or is the phase frame (whose keys depend on the
// shared drive); otherwise only neuron `changed` is re-keyed (UINT32_MAX: all of them).
void follow_frame_rule(Network *net, uint32_t old_frame, double old_due, uint32_t changed,
                       bool changed_was_due) {
  uint32_t frame = network_frame_rule(net);
  if (frame != old_frame || frame == SP_FRAME_PHASE || changed == UINT32_MAX) {
    net->frame = frame;
    network_rekey(net, old_frame, old_due);
  } else {
    rekey_changed(net, changed, changed_was_due);
  }
}

// A forced phase frame the drives no longer allow is released: the request becomes
// SP_FRAME_AUTO (and is saved so), whose rule then picks the time frame.
void release_forced_phase(Network *net) {
  if (net->frame_request == SP_FRAME_PHASE && !network_phase_eligible(net))
    net->frame_request = SP_FRAME_AUTO;
}

// A free period must also be resolved at now(): otherwise the neuron's next spike after a
// reset would not advance past it.
sp_status check_period_at_now(const Network *net, double drive, const char *label) {
  if (!phase_eligible_drive(net->model, drive)) return SP_OK;
  double period = with_model(net->model,
                             [&](auto m) { return Ops<decltype(m)>::period(*net, drive); });
  if (net->now + 0.25 * period > net->now) return SP_OK;
  return fail(SP_ERR_NUMERIC,
              "%s = %.17g: the free period (%g s) is below the time resolution at now() = %.17g",
              label, drive, period, net->now);
}

// Before drives change in the phase frame: a neuron due at now() by its own key is flagged
// due, so that it stays due whatever its re-expressed state and the frame that follows say
// (rekey_all keeps flagged neurons due). Due by its own key: a tie with the instant's spiker
// (its key at the due key), or a key whose time is now() without an event there, after sp_run
// to exactly its spike time (the due key is then an earlier instant's; the next step would
// spike it at now(), as next_spike_time() says). Otherwise its state, re-expressed for the new
// drive at V = 1 up to rounding, may no longer spike then: with the new drive just above V it
// spiked up to 5.7e-3 s late, with a drive at most 1 never, and with V above a new drive just
// above 1 its time-frame key was NaN (an outside tester's findings). A drive change in the
// phase frame always re-keys every neuron (follow_frame_rule), so this O(n) pass costs no more
// than that. (A key's time, a log for LIF, is computed only for keys up to the threshold key
// two ulps of now() later, plus a margin far above the keys' rounding: phase_key_time is
// monotone, so no key above that has its time at or before now().)
template <class M>
void flag_due_at_now(Network *net) {
  using O = Ops<M>;
  const double later = std::nextafter(std::nextafter(net->now, INFINITY), INFINITY);
  const double k_later = O::phase_threshold_key(*net, O::clock(*net, later));
  const double k_near = k_later + 1e-9 * (std::fabs(k_later) + 1.0);
  for (uint32_t i = 0; i < net->n; ++i) {
    double key = queue_key(*net, i);
    if (network_is_due(net, i) || (key <= k_near && O::phase_key_time(*net, key) <= net->now))
      net->neuron[i].flags |= kSlotDue;
  }
}

void flag_due_before_drive_change(Network *net) {
  if (net->frame != SP_FRAME_PHASE) return;  // (the time frame keys a tie at now(): kept)
  with_model(net->model, [&](auto m) { flag_due_at_now<decltype(m)>(net); });
}

sp_status check_drive_available(const Network *net, double drive, const char *label) {
  return with_model(net->model, [&](auto m) {
    return Ops<decltype(m)>::check_drive_available(*net, drive, label);
  });
}

}  // namespace

sp_status network_set_drive(Network *net, uint32_t i, double drive) {
  if (net->compact) return network_refuse_compact(net, "sp_set_drive");
  sp_status s = network_check_drive(net->model, net->tau, drive, "drive");
  if (s == SP_OK && net->tau_syn > 0) s = network_check_syn_drive(drive, "drive");
  if (s == SP_OK) s = check_drive_available(net, drive, "drive");
  if (s == SP_OK) s = check_period_at_now(net, drive, "drive");
  if (s != SP_OK) return s;
  if (drive == net->drive[i]) return SP_OK;
  uint32_t old_frame = net->frame;
  double old_due = network_due_key(net);
  bool due = network_is_due(net, i);
  flag_due_before_drive_change(net);
  network_change_drive(net, i, drive);
  net->clock_time = NAN;            // (a spiker's own clock, exact only under the old drives)
  network_update_rebase_span(net);  // (it may depend on the drives)
  release_forced_phase(net);
  follow_frame_rule(net, old_frame, old_due, i, due);
  return SP_OK;
}

sp_status network_set_drives(Network *net, const double *drives) {
  if (net->compact) return network_refuse_compact(net, "SP_PARAM_DRIVES (sp_set_params)");
  for (uint32_t i = 0; i < net->n; ++i) {
    char label[64];
    std::snprintf(label, sizeof label, "SP_PARAM_DRIVES[%u]", i);
    sp_status s = network_check_drive(net->model, net->tau, drives[i], label);
    if (s == SP_OK && net->tau_syn > 0) s = network_check_syn_drive(drives[i], label);
    if (s == SP_OK) s = check_drive_available(net, drives[i], label);
    if (s == SP_OK && drives[i] != net->drive[i]) s = check_period_at_now(net, drives[i], label);
    if (s != SP_OK) return s;
  }
  uint32_t old_frame = net->frame;
  double old_due = network_due_key(net);
  bool changes = false;
  for (uint32_t i = 0; i < net->n && !changes; ++i) changes = drives[i] != net->drive[i];
  if (changes) flag_due_before_drive_change(net);
  // Time frame before and after: every changed neuron is re-keyed as sp_set_drive re-keys it,
  // and no other key changes. (Recomputing every key from its state, as a frame change does,
  // would move the keys of unchanged QIF neurons by the rounding of the re-bases since they
  // were computed, and their later spikes with them: an outside tester's finding.)
  const bool keys_kept = old_frame == SP_FRAME_TIME &&
                         frame_rule_with(net, drives) == SP_FRAME_TIME;
  for (uint32_t i = 0; i < net->n; ++i) {
    if (drives[i] == net->drive[i]) continue;
    const bool was_due = network_is_due(net, i);
    network_change_drive(net, i, drives[i]);
    if (keys_kept) rekey_changed(net, i, was_due);
  }
  if (changes) net->clock_time = NAN;  // (a spiker's own clock, exact only under the old drives)
  network_update_rebase_span(net);
  release_forced_phase(net);
  if (!keys_kept) follow_frame_rule(net, old_frame, old_due, UINT32_MAX, false);
  return SP_OK;
}

void network_reset_state(Network *net) {
  if (net->marks) std::memset(net->marks, 0, net->n);
  net->now = 0.0;
  net->t0 = 0.0;
  net->queue.clear();
  net->tape.recording = false;
  with_model(net->model, [&](auto m) {
    using M = decltype(m);
    if (net->tau_syn > 0.0)
      lif_syn_reset_states(net);
    else
      reset_states<M>(net);
    uint32_t frame = network_frame_rule(net);
    net->frame = frame;
    net->clock_time = NAN;
    net->instant_time = NAN;
    net->instant_stamp = 0;
    net->cur_key_time = 0.0;
    net->cur_key = frame == SP_FRAME_PHASE ? threshold_key_now<M>(net) : 0.0;
    if (frame == SP_FRAME_TIME)
      for (uint32_t i = 0; i < net->n; ++i) net->time_key[i] = key_for<M>(net, i);
  });
  network_rebuild_queue(net);
}

sp_status network_check_state(const Network *net) {
  for (uint32_t i = 0; i < net->n; ++i) {
    double key = net->frame == SP_FRAME_TIME ? net->time_key[i] : 0.0;
    double b = net->syn_aux ? net->syn_aux[i].b : 0.0;
    double v0 = network_v0(net, i);
    if (!finite(v0) || !finite(state_of(*net, i)) || !finite(b) || std::isnan(key))
      return fail(SP_ERR_NUMERIC,
                  "neuron %u: a non-finite initial value arose (v0 = %g, state = %g, next spike "
                  "time = %g; tau = %g, drive = %g)",
                  i, v0, state_of(*net, i), key, net->tau, drive_of(*net, i));
  }
  return SP_OK;
}

double network_v0(const Network *net, uint32_t i) {
  if (net->v0) return net->v0[i];
  return seeded_voltage(*net, net->drive[0], net->init_seed, i);
}

double network_seeded_v0(uint32_t model, double tau, double drive, uint64_t seed, uint32_t i) {
  Network net{};
  net.model = model;
  net.tau = tau;
  return seeded_voltage(net, drive, seed, i);
}

void network_forget_recent(Network *net) {
  if (net->recent_count <= net->recent_cap) {
    for (uint32_t k = 0; k < net->recent_count; ++k) net->side[net->recent[k]] &= ~kSideRecent;
  } else {
    for (uint32_t i = 0; i < net->n; ++i) net->side[i] &= ~kSideRecent;
  }
  net->recent_count = 0;
}

uint32_t network_compact_min_n() {
  // A decimal number of neurons (digits only: strtoull would also take "-5" as 2^64 - 5);
  // anything else is ignored. Beyond 2^32 - 1 (or 2^64): no network is that large.
  const char *env = std::getenv("SPARSEPROP_COMPACT_MIN_N");
  if (env && *env >= '0' && *env <= '9') {
    char *end = nullptr;
    unsigned long long v = std::strtoull(env, &end, 10);
    if (end && *end == 0) return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v);
  }
  return kCompactMinN;
}

const char *network_compact_refusal(const sp_network_desc &d, bool drives_equal, bool v0_seeded) {
  if (d.model != SP_MODEL_LIF && d.model != SP_MODEL_QIF) return "the model is not LIF or QIF";
  if (d.tau_syn != 0.0) return "tau_syn > 0 (current-based synapses)";
  if (d.t_ref != 0.0) return "t_ref > 0 (per-neuron refractory ends)";
  if (d.frame == SP_FRAME_TIME) return "frame = SP_FRAME_TIME (per-neuron time keys)";
  if (!drives_equal) return "the drives differ (per-neuron drives)";
  if (!v0_seeded) return "v0 is given (per-neuron initial voltages)";
  double drive = d.drives ? d.drives[0] : d.drive;
  if (!phase_eligible_drive(d.model, drive))
    return "the drive is not oscillatory (the time frame's per-neuron keys)";
  return nullptr;
}

sp_status network_refuse_compact(const Network *net, const char *what) {
  // (The threshold the layout was chosen by at the network's creation or load: the environment
  // is not read again while running: src/ARCHITECTURE.md, Memory and embedding.)
  char now[96];
  std::snprintf(now, sizeof now, "its creation or load gave the compact layout from n = %u on",
                net->compact_min_n);
  return fail(SP_ERR_UNSUPPORTED,
              "%s: this network (n = %u) has the compact layout (one shared drive, no per-neuron "
              "v0, refractory ends, time keys, marks or tape), which does not support it; the full "
              "layout does: create the network with the environment variable "
              "SPARSEPROP_COMPACT_MIN_N above n (the same spikes), or with frame = "
              "SP_FRAME_TIME (spikes equal to rounding) (%s; README.md, Memory "
              "layouts)",
              what, net->n, now);
}

void network_build_kick_maps(Network *net) {
  // The kick maps come from the tables, created or loaded, and the shared weight.
  for (uint32_t k = 0; net->kick_maps && k < net->n_tables; ++k)
    kick_map_build(*net->tables[k], net->recurrent.weight, &net->kick_maps[k]);
}

double network_key(const Network *net, uint32_t i) {
  return with_model(net->model, [&](auto m) { return key_for<decltype(m)>(net, i); });
}

bool network_leaves_stale_keys(const Network *net) {
  if (net->tau_syn != 0.0) return false;  // (the current-based loop has its own keys)
  return with_model(net->model, [](auto m) { return Ops<decltype(m)>::kNegativeWeightDelays; });
}

double network_fresh_key(const Network *net, uint32_t i) {
  // Only the time frame of a model whose inhibitory kicks only delay (O::kNegativeWeightDelays:
  // LIF) leaves stale keys (Loop::deliver_row): the state is unchanged since the last of its
  // inputs, so this is the key that input would have computed. It depends on the state alone,
  // not on the stale key (which a saved and loaded copy does not have), and is at least the
  // stale key: that was computed from the state before the inhibitory inputs, with the same
  // drive and t0 (kSlotInexact), and the key only grows as the state does.
  const double state = net->neuron[i].state, drive = net->drive[i];
  const double t = with_model(net->model, [&](auto m) {
    return Ops<decltype(m)>::spike_time(*net, state, drive);
  });
  return time_frame_key(t, net->now);
}

double network_refresh_key(void *context, uint32_t i) {
  Network *net = static_cast<Network *>(context);
  const double key = network_fresh_key(net, i);
  net->time_key[i] = key;
  net->neuron[i].flags &= ~kSlotStale;
  return key;
}

void network_mark_inexact(Network *net) {
  if (net->compact || net->frame != SP_FRAME_TIME || !network_leaves_stale_keys(net)) return;
  for (uint32_t i = 0; i < net->n; ++i) net->neuron[i].flags |= kSlotInexact;
}

void network_refresh_keys(Network *net) {
  // (Only the time frame makes stale keys; rekey_all calls this after setting the new frame,
  // so the flags, not the frame, say where they are.)
  if (net->compact) return;
  for (uint32_t i = 0; i < net->n; ++i)
    if (net->neuron[i].flags & kSlotStale) network_refresh_key(net, i);
}

// Whether neuron i's own spike time, as the next step would report it, is now(): its key is
// due, or in the phase frame its key's time rounds to now() or before (next_spike_time,
// core/run.cpp; flag_due_at_now makes the same test).
template <class M>
bool own_spike_at_now(const Network *net, uint32_t i) {
  if (network_is_due(net, i)) return true;
  return net->frame == SP_FRAME_PHASE &&
         Ops<M>::phase_key_time(*net, queue_key(*net, i)) <= net->now;
}

// Whether the model's neurons spike at V = +inf (QIF; EIF and custom without a finite v_spike):
// those whose due neurons ignore the instant's inputs (Loop::at_own_spike).
template <class M>
bool spikes_at_infinity(const Network *net) {
  using O = Ops<M>;
  if constexpr (!O::kDueIgnoresInputs)
    return false;
  else if constexpr (O::kInputsCanFire)
    return !O::due_takes_inputs(*net);
  else
    return true;
}

double network_voltage(const Network *net, uint32_t i) {
  return with_model(net->model, [&](auto m) -> double {
    using M = decltype(m);
    // A neuron spiking at V = +inf whose own spike is at now() is at V = +inf, as the event loop
    // takes it (it ignores the instant's inputs), though its phase may read a finite V a
    // rounding before the blow-up (an outside tester: EIF 4.5 = V_T + 35 D_T, QIF 1.8e16, after
    // sp_run to exactly the spike; sp_backward then took a dl_dv_end for it).
    if (net->tau_syn == 0.0 && !(net->now < refr_end_of(*net, i)) && spikes_at_infinity<M>(net) &&
        own_spike_at_now<M>(net, i))
      return INFINITY;
    return voltage_of<M>(net, i);
  });
}

void network_change_drive(Network *net, uint32_t i, double drive) {
  if (net->n_tables) {
    --net->table_users[Ops<Tabulated>::table_index(*net, net->drive[i])];
    ++net->table_users[Ops<Tabulated>::table_index(*net, drive)];
  }
  with_model(net->model, [&](auto m) { change_drive<decltype(m)>(net, i, drive); });
}

}  // namespace sp
