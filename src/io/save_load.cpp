// Saving and loading networks in the versioned, little-endian, checksummed format of
// src/io/FORMAT.md. Loading validates every byte it uses: a truncated, corrupted or
// future-version buffer gives SP_ERR_FORMAT, never a crash.
#include "io/save_load.hpp"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "core/network.hpp"
#include "models/dispatch.hpp"

namespace sp {
namespace {

constexpr unsigned char kMagic[8] = {'S', 'P', 'N', 'E', 'T', 'W', 'K', 0x1a};
// Version 2 appends each neuron's same-instant flags (see kSavedDue), which version 1 could
// only guess from the keys; version-1 files still load, with that guess. Version 3, written
// only for networks with current-based synapses, appends their section after the flags.
constexpr uint32_t kFormatVersion = 3;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;  // magic, version, reserved, payload length
constexpr size_t kChecksumBytes = 8;

enum SynapseKind : uint32_t { kNone = 0, kExplicit = 1, kProcedural = 2 };

// A neuron's same-instant flags, one byte each (version 2). Due: it spikes at now() whatever
// its state says (kSlotDue: taken to threshold, or kept due by a drive change at now()).
// Spiked now: it spiked (or was taken to threshold) at the instant of now(), so that it cannot
// spike again then. Neither follows from the keys and refractory ends alone: a due neuron's
// key may also be its state's own key, and a neuron's refractory end may equal now() + t_ref
// from a spike at an earlier instant that rounds to the same time.
constexpr unsigned char kSavedDue = 1;
constexpr unsigned char kSavedSpikedNow = 2;
// Bits 2 and 3: the SP_SPIKE_* cause of a due neuron's spike (Network::marks & kMarkCause),
// which its spike reports.
constexpr unsigned kSavedCauseShift = 2;
constexpr unsigned char kSavedBits = kSavedDue | kSavedSpikedNow | kMarkCause << kSavedCauseShift;

unsigned char saved_flags(const Network &net, uint32_t i) {
  uint32_t flags = net.neuron[i].flags;
  bool spiked_now = (flags & kSlotRecent) && (flags >> kStampShift) == net.instant_stamp &&
                    net.instant_time == net.now && net.refr_end[i] >= net.now;
  return static_cast<unsigned char>(((flags & kSlotDue) ? kSavedDue : 0) |
                                    (spiked_now ? kSavedSpikedNow : 0) |
                                    (net.marks[i] & kMarkCause) << kSavedCauseShift);
}

// FNV-1a, 64-bit: every single-byte change alters the result.
uint64_t checksum(const unsigned char *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Writes little-endian values; with a null buffer it only counts.
class Writer {
 public:
  explicit Writer(unsigned char *buf) : buf_(buf) {}
  size_t size() const { return pos_; }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    le(bits, 8);
  }
  void bytes(const void *p, size_t n) {
    if (buf_) std::memcpy(buf_ + pos_, p, n);
    pos_ += n;
  }
  unsigned char *at(size_t offset) { return buf_ + offset; }

 private:
  void le(uint64_t v, int n) {
    if (buf_) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
      if (n == 8) {
        std::memcpy(buf_ + pos_, &v, 8);
      } else {
        uint32_t w = static_cast<uint32_t>(v);
        std::memcpy(buf_ + pos_, &w, 4);
      }
#else
      for (int i = 0; i < n; ++i) buf_[pos_ + i] = static_cast<unsigned char>(v >> (8 * i));
#endif
    }
    pos_ += n;
  }
  unsigned char *buf_;
  size_t pos_ = 0;
};

// Reads little-endian values with bounds checks; the first overrun sticks.
class Reader {
 public:
  Reader(const unsigned char *p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return n_ - pos_; }
  bool has(uint64_t count, size_t size) {
    if (!ok_ || size == 0) return ok_;
    if (count > remaining() / size) ok_ = false;
    return ok_;
  }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  // Advances past bytes already known to be there (has() checked them).
  void skip(uint64_t bytes) { pos_ += static_cast<size_t>(bytes); }
  double f64() {
    uint64_t bits = le(8);
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }

 private:
  uint64_t le(int n) {
    if (!ok_ || remaining() < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(&v, p_ + pos_, n);
#else
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(p_[pos_ + i]) << (8 * i);
#endif
    pos_ += n;
    return v;
  }
  const unsigned char *p_;
  size_t n_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void write_synapses(Writer &w, const Synapses &s) {
  uint32_t kind = s.is_explicit() ? kExplicit : (s.k ? kProcedural : kNone);
  w.u32(kind);
  w.u32(s.weights ? 1 : 0);
  w.u32(s.k);
  w.u32(0);
  w.u64(s.seed);
  w.f64(s.weight);
  w.u64(s.is_explicit() ? s.nnz : 0);
  if (!s.is_explicit()) return;
  for (uint64_t j = 0; j <= s.n_sources; ++j) w.u64(s.row_ptr[j]);
  for (uint64_t e = 0; e < s.nnz; ++e) w.u32(s.targets[e]);
  if (s.weights)
    for (uint64_t e = 0; e < s.nnz; ++e) w.f64(s.weights[e]);
}

void write_network(Writer &w, const Network &net) {
  w.u32(net.model);
  w.u32(net.n);
  w.f64(net.tau);
  w.f64(net.t_ref);
  w.u32(net.frame_request);
  w.u32(net.frame);
  w.u64(net.init_seed);
  w.u32(net.inputs.n_sources);
  w.u32(net.queue.capacity());
  write_synapses(w, net.recurrent);
  write_synapses(w, net.inputs);
  for (uint32_t i = 0; i < net.n; ++i) w.f64(net.drive[i]);
  for (uint32_t i = 0; i < net.n; ++i) w.f64(net.v0[i]);
  w.f64(net.now);
  w.f64(net.t0);
  w.f64(net.cur_key);
  w.f64(net.cur_key_time);
  w.f64(net.clock_time);
  w.f64(net.clock_value);
  for (uint32_t i = 0; i < net.n; ++i) w.f64(net.neuron[i].state);
  for (uint32_t i = 0; i < net.n; ++i) w.f64(net.refr_end[i]);
  for (uint32_t i = 0; i < net.n; ++i) w.f64(net.spike_queue.key_of(i));
  w.u32(net.queue.size());
  w.u64(net.queue.issued());
  for (uint32_t q = 0; q < net.queue.size(); ++q) {
    w.f64(net.queue.time_at(q));
    w.u64(net.queue.seq_at(q));
    w.u32(net.queue.channel_at(q));
  }
  for (uint32_t i = 0; i < net.n; ++i) {
    unsigned char f = saved_flags(net, i);
    w.bytes(&f, 1);
  }
  if (net.tau_syn > 0.0) {
    w.f64(net.tau_syn);
    for (uint32_t i = 0; i < net.n; ++i) {
      w.f64(net.syn_aux[i].b);
      w.u32(net.syn_aux[i].stale);
    }
  }
}

uint32_t format_version_of(const Network &net) { return net.tau_syn > 0.0 ? 3 : 2; }

// A synapse block as read: its arrays point into the buffer only after validation, so they
// are copied into temporary storage owned by the loaded network's arena by network_create.
struct SynapseBlock {
  uint32_t kind = 0, has_weights = 0, k = 0;
  uint64_t seed = 0, nnz = 0;
  double weight = 0;
  const unsigned char *row_ptr = nullptr, *targets = nullptr, *weights = nullptr;
};

// Skips over an array of count values of `size` bytes, remembering where it starts.
const unsigned char *take_array(Reader &r, const unsigned char *base, size_t total, uint64_t count,
                                size_t size) {
  if (!r.has(count, size)) return nullptr;
  const unsigned char *start = base + (total - r.remaining());
  r.skip(count * size);
  return start;
}

bool read_synapses(Reader &r, const unsigned char *base, size_t total, uint32_t n_sources,
                   SynapseBlock &b) {
  b.kind = r.u32();
  b.has_weights = r.u32();
  b.k = r.u32();
  (void)r.u32();
  b.seed = r.u64();
  b.weight = r.f64();
  b.nnz = r.u64();
  if (!r.ok() || b.kind > kProcedural || b.has_weights > 1) return false;
  if (b.kind != kExplicit) return b.nnz == 0 && b.has_weights == 0;
  b.row_ptr = take_array(r, base, total, uint64_t(n_sources) + 1, 8);
  b.targets = take_array(r, base, total, b.nnz, 4);
  if (b.has_weights) b.weights = take_array(r, base, total, b.nnz, 8);
  return r.ok();
}

uint64_t load_u64(const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
#else
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
#endif
}
uint32_t load_u32(const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
#else
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
#endif
}
double load_f64(const unsigned char *p) {
  uint64_t bits = load_u64(p);
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

// Decoded arrays for the description. The sizes are bounded by the buffer length, so they are
// allocated through the caller's allocator for the duration of the load.
struct Scratch {
  const sp_allocator *a;
  void *block = nullptr;
  size_t bytes = 0;
  ~Scratch() {
    if (block) a->free(a->ctx, block, bytes);
  }
};

sp_status format_error(const char *what) {
  return fail(SP_ERR_FORMAT, "not a valid saved network: %s", what);
}

// The input queue's capacity is not backed by bytes in the file, so it is bounded here: a
// few hundred bytes must not make the loader allocate (and zero) gigabytes.
constexpr uint32_t kMaxInputCapacity = uint32_t(1) << 24;

// The loaded dynamic state, checked against the invariants every running network keeps
// before anything is built from it.
struct LoadedTimes {
  double now, t0, cur_key, cur_key_time, clock_time, clock_value;
};

// (now - t0 itself is not bounded: a network run far ahead without any event has such a
// state.)
template <class O>
sp_status check_times(const LoadedTimes &t, uint32_t frame, double tau) {
  if (!std::isfinite(t.now) || t.now < 0)
    return fail(SP_ERR_FORMAT, "not a valid saved network: now = %g: must be finite and >= 0",
                t.now);
  // t0 only moves forward, to at most the time of an event (up to the rounding of the
  // re-basing step).
  if (!std::isfinite(t.t0) || t.t0 < 0 || t.t0 - t.now > 1e-12 * (t.now + tau))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: t0 = %.17g: must be finite, >= 0 and not after "
                "now = %.17g",
                t.t0, t.now);
  if (frame != SP_FRAME_PHASE && frame != SP_FRAME_TIME)
    return fail(SP_ERR_FORMAT, "not a valid saved network: running frame = %u: must be %d or %d",
                frame, SP_FRAME_PHASE, SP_FRAME_TIME);
  if (frame == SP_FRAME_PHASE) {
    sp_status st = O::check_loaded_phase_clock(t.now, t.t0, tau);
    if (st != SP_OK) return st;
  }
  if (!std::isfinite(t.cur_key) ||
      (frame == SP_FRAME_PHASE && !O::loaded_phase_due_key_ok(t.cur_key)))
    return fail(SP_ERR_FORMAT, "not a valid saved network: due key = %g: must be finite%s",
                t.cur_key, frame == SP_FRAME_PHASE ? O::kLoadedPhaseDueKeyRule : "");
  if (!std::isfinite(t.cur_key_time) || t.cur_key_time > t.now)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: due key time = %.17g: must be finite and not after "
                "now = %.17g",
                t.cur_key_time, t.now);
  if (!std::isnan(t.clock_time)) {
    if (!std::isfinite(t.clock_time) || t.clock_time > t.now)
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: clock time = %.17g: must be NaN or finite and "
                  "not after now = %.17g",
                  t.clock_time, t.now);
    if (!std::isfinite(t.clock_value) || !O::loaded_clock_ok(t.clock_value))
      return fail(SP_ERR_FORMAT, "not a valid saved network: clock value = %g: must be finite%s",
                  t.clock_value, O::kLoadedClockRule);
  }
  return SP_OK;
}

// Decodes and checks the payload of a saved network of model Ops<M> = O (after the header).
template <class O>
sp_status load_payload(const unsigned char *base, size_t total, uint32_t version,
                       const sp_allocator *alloc, Network **out);

}  // namespace

sp_status save_network(const Network *net, void *buf, size_t cap, size_t *len) {
  if (net->n_tables)
    return fail(SP_ERR_UNSUPPORTED,
                "model = %u (EIF or custom): saving tabulated networks is not supported by this "
                "version",
                net->model);
  Writer count(nullptr);
  write_network(count, *net);
  size_t need = kHeaderBytes + count.size() + kChecksumBytes;
  if (!buf) {
    *len = need;
    return SP_OK;
  }
  if (cap < need)
    return fail(SP_ERR_CAPACITY, "cap = %zu: the saved network needs %zu bytes", cap, need);
  Writer w(static_cast<unsigned char *>(buf));
  w.bytes(kMagic, 8);
  w.u32(format_version_of(*net));
  w.u32(0);
  w.u64(count.size());
  write_network(w, *net);
  w.u64(checksum(static_cast<unsigned char *>(buf), w.size()));
  *len = need;
  return SP_OK;
}

sp_status load_network(const void *buf, size_t len, const sp_allocator *alloc, Network **out) {
  if (!buf) return fail(SP_ERR_ARGUMENT, "buf is NULL");
  const unsigned char *p = static_cast<const unsigned char *>(buf);
  if (len < kHeaderBytes + kChecksumBytes)
    return fail(SP_ERR_FORMAT, "not a valid saved network: %zu bytes is shorter than the header",
                len);
  if (std::memcmp(p, kMagic, 8) != 0) return format_error("wrong magic bytes");
  uint32_t version = load_u32(p + 8);
  if (version > kFormatVersion)
    return fail(SP_ERR_FORMAT, "saved network has format version %u, newer than this library's %u",
                version, kFormatVersion);
  if (version == 0) return format_error("format version 0");
  uint64_t payload = load_u64(p + 16);
  if (payload != len - kHeaderBytes - kChecksumBytes)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: the header says %llu payload bytes, the buffer "
                "holds %zu (truncated or extended)",
                static_cast<unsigned long long>(payload), len - kHeaderBytes - kChecksumBytes);
  if (checksum(p, len - kChecksumBytes) != load_u64(p + len - kChecksumBytes))
    return format_error("checksum mismatch (the bytes are corrupted)");
  // The payload starts with the model number: the checks of the state depend on the model.
  if (payload < 4) return format_error("truncated header fields");
  uint32_t model = load_u32(p + kHeaderBytes);
  if (!model_runs(model))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: model = %u: not a model this version runs", model);
  return with_model(model, [&](auto m) {
    return load_payload<Ops<decltype(m)>>(p + kHeaderBytes, static_cast<size_t>(payload), version,
                                          alloc, out);
  });
}

namespace {

template <class O>
sp_status load_payload(const unsigned char *base, size_t total, uint32_t version,
                       const sp_allocator *alloc, Network **out) {
  Reader r(base, total);
  sp_network_desc d;
  sp_network_desc_init(&d, sizeof d);
  d.model = r.u32();
  d.n = r.u32();
  d.tau = r.f64();
  d.t_ref = r.f64();
  uint32_t frame_request = r.u32();
  uint32_t frame = r.u32();
  d.init_seed = r.u64();
  d.n_inputs = r.u32();
  d.input_capacity = r.u32();
  if (!r.ok()) return format_error("truncated header fields");
  if (d.n == 0) return format_error("n = 0");
  if (d.input_capacity > kMaxInputCapacity)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: input_capacity = %u: more than the %u a saved "
                "network may have",
                d.input_capacity, kMaxInputCapacity);
  if (d.n_inputs == 0 && d.input_capacity != 0)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: input_capacity = %u without input channels",
                d.input_capacity);
  if (d.n_inputs != 0 && d.input_capacity == 0)
    return format_error("input_capacity = 0 with input channels");
  if (d.input_capacity == 0) d.input_capacity = 1;  // no input channels: no queue storage
  if (frame_request > SP_FRAME_TIME)
    return fail(SP_ERR_FORMAT, "not a valid saved network: requested frame = %u", frame_request);
  SynapseBlock rec, in;
  if (!read_synapses(r, base, total, d.n, rec)) return format_error("bad recurrent synapses");
  if (!read_synapses(r, base, total, d.n_inputs, in)) return format_error("bad input synapses");
  if (d.n_inputs == 0 && in.kind != kNone)
    return format_error("input synapses without input channels");
  const unsigned char *drives = take_array(r, base, total, d.n, 8);
  const unsigned char *v0 = take_array(r, base, total, d.n, 8);
  LoadedTimes times;
  times.now = r.f64();
  times.t0 = r.f64();
  times.cur_key = r.f64();
  times.cur_key_time = r.f64();
  times.clock_time = r.f64();
  times.clock_value = r.f64();
  const unsigned char *state = take_array(r, base, total, d.n, 8);
  const unsigned char *refr = take_array(r, base, total, d.n, 8);
  const unsigned char *keys = take_array(r, base, total, d.n, 8);
  uint32_t queued = r.u32();
  uint64_t issued = r.u64();
  const unsigned char *queue = take_array(r, base, total, queued, 20);
  const unsigned char *same_instant = version >= 2 ? take_array(r, base, total, d.n, 1) : nullptr;
  // Version 3: current-based synapses (tau_syn, then B and the lazy-key flag of every neuron).
  const unsigned char *syn = nullptr;
  if (version >= 3) {
    d.tau_syn = r.f64();
    syn = take_array(r, base, total, d.n, 12);
  }
  if (!r.ok() || !queue || (version >= 2 && !same_instant) || (version >= 3 && !syn) ||
      r.remaining() != 0)
    return format_error("truncated or inconsistent sections");
  if (version >= 3 && !(d.tau_syn > 0.0))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: tau_syn = %g in a version 3 file: must be > 0",
                d.tau_syn);
  if (queued > d.input_capacity) return format_error("more queued inputs than the capacity");

  // The dynamic state must be sane before the network is built around it.
  sp_status s = check_times<O>(times, frame, d.tau > 0 ? d.tau : 1.0);
  if (s != SP_OK) return s;
  for (uint32_t i = 0; i < d.n; ++i) {
    double x = load_f64(state + 8 * i), re = load_f64(refr + 8 * i);
    if (!std::isfinite(x))
      return fail(SP_ERR_FORMAT, "not a valid saved network: state[%u] = %g: must be finite", i, x);
    // -inf before the first spike, else the last spike (at or before now) plus t_ref.
    if (std::isnan(re) || re == INFINITY || (re > -INFINITY && !(re <= times.now + d.t_ref)))
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: refractory end[%u] = %.17g: must be -inf or at "
                  "most now + t_ref = %.17g",
                  i, re, times.now + d.t_ref);
    if (std::isnan(load_f64(keys + 8 * i)))
      return fail(SP_ERR_FORMAT, "not a valid saved network: queue key[%u] is NaN", i);
    if (same_instant) {
      unsigned f = same_instant[i];
      if (f & ~unsigned(kSavedBits))
        return fail(SP_ERR_FORMAT,
                    "not a valid saved network: same-instant flags[%u] = %u: only bits 0 (due), "
                    "1 (spiked at now), 2 and 3 (the cause of its spike) may be set",
                    i, f);
      if ((f & kSavedSpikedNow) && !(re >= times.now))
        return fail(SP_ERR_FORMAT,
                    "not a valid saved network: same-instant flags[%u] say it spiked at now = "
                    "%.17g, but its refractory end is %.17g",
                    i, times.now, re);
    }
  }
  for (uint32_t q = 0; q < queued; ++q) {
    double t = load_f64(queue + 20 * q);
    uint32_t c = load_u32(queue + 20 * q + 16);
    uint64_t seq = load_u64(queue + 20 * q + 8);
    if (!std::isfinite(t) || t < times.now || c >= d.n_inputs || seq >= issued)
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: queued input %u (t = %.17g, channel %u, "
                  "sequence %llu): needs now <= t < inf, channel < n_inputs = %u and sequence "
                  "< %llu",
                  q, t, c, static_cast<unsigned long long>(seq), d.n_inputs,
                  static_cast<unsigned long long>(issued));
  }

  // Decode the arrays the description needs (the buffer may be unaligned and is
  // little-endian) into one scratch block: the 8-byte arrays first, then the 4-byte targets,
  // so that every array is aligned whatever the number of synapses.
  sp_allocator a = alloc ? *alloc : default_allocator();
  if (alloc && (!alloc->alloc || !alloc->free))
    return fail(SP_ERR_ARGUMENT, "allocator: alloc and free must both be set");
  uint64_t rec_rows = rec.kind == kExplicit ? uint64_t(d.n) + 1 : 0;
  uint64_t in_rows = in.kind == kExplicit ? uint64_t(d.n_inputs) + 1 : 0;
  uint64_t words = rec_rows + in_rows + 2ull * d.n + (rec.has_weights ? rec.nnz : 0) +
                   (in.has_weights ? in.nnz : 0);
  uint64_t small = rec.nnz + in.nnz;  // 32-bit targets
  Scratch scratch{&a};
  scratch.bytes = static_cast<size_t>(words * 8 + small * 4 + 64);
  scratch.block = a.alloc(a.ctx, scratch.bytes, 64);
  if (!scratch.block)
    return fail(SP_ERR_NOMEM, "allocating %zu bytes to decode a saved network failed",
                scratch.bytes);
  unsigned char *cursor = static_cast<unsigned char *>(scratch.block);
  auto words_from = [&](const unsigned char *src, uint64_t count) {
    uint64_t *dst = reinterpret_cast<uint64_t *>(cursor);
    for (uint64_t i = 0; i < count; ++i) dst[i] = load_u64(src + 8 * i);
    cursor += count * 8;
    return dst;
  };
  auto doubles_from = [&](const unsigned char *src, uint64_t count) {
    double *dst = reinterpret_cast<double *>(cursor);
    for (uint64_t i = 0; i < count; ++i) dst[i] = load_f64(src + 8 * i);
    cursor += count * 8;
    return dst;
  };
  auto targets_from = [&](const unsigned char *src, uint64_t count) {
    uint32_t *dst = reinterpret_cast<uint32_t *>(cursor);
    for (uint64_t i = 0; i < count; ++i) dst[i] = load_u32(src + 4 * i);
    cursor += count * 4;
    return dst;
  };
  auto fill_wide = [&](sp_synapses &syn, const SynapseBlock &b, uint64_t rows) {
    syn.k = b.kind == kProcedural ? b.k : 0;
    syn.seed = b.seed;
    syn.weight = b.weight;
    if (b.kind != kExplicit) return;
    syn.row_ptr = words_from(b.row_ptr, rows);
    syn.weights = b.has_weights ? doubles_from(b.weights, b.nnz) : nullptr;
  };
  auto fill_targets = [&](sp_synapses &syn, const SynapseBlock &b) {
    if (b.kind == kExplicit) syn.targets = targets_from(b.targets, b.nnz);
  };
  d.drives = doubles_from(drives, d.n);
  double *loaded_v0 = doubles_from(v0, d.n);
  fill_wide(d.recurrent, rec, rec_rows);
  fill_wide(d.inputs, in, in_rows);
  fill_targets(d.recurrent, rec);
  fill_targets(d.inputs, in);
  if (rec.kind == kExplicit && d.recurrent.row_ptr[d.n] != rec.nnz)
    return format_error("recurrent row_ptr does not end at nnz");
  if (in.kind == kExplicit && d.inputs.row_ptr[d.n_inputs] != in.nnz)
    return format_error("input row_ptr does not end at nnz");
  for (uint32_t i = 0; i < d.n; ++i)
    if (!std::isfinite(loaded_v0[i]))
      return fail(SP_ERR_FORMAT, "not a valid saved network: v0[%u] = %g: must be finite", i,
                  loaded_v0[i]);
  d.allocator = &a;
  // The initial voltages and the frame request are set after creation: a network may hold
  // seeded voltages create would refuse as explicit ones (at threshold by rounding), and a
  // phase-frame request whose drives have since been made to differ (it then runs in the
  // time frame until they agree again).
  d.v0 = nullptr;
  d.frame = frame_request == SP_FRAME_PHASE ? uint32_t(SP_FRAME_AUTO) : frame_request;

  Network *net = nullptr;
  s = network_create(&d, &net);
  if (s == SP_ERR_ARGUMENT || s == SP_ERR_UNSUPPORTED || s == SP_ERR_NUMERIC) {
    char why[400];
    std::snprintf(why, sizeof why, "%s", last_error());
    return fail(SP_ERR_FORMAT, "not a valid saved network: %s", why);
  }
  if (s != SP_OK) return s;
  // From here on every refusal destroys the network.
  auto refuse = [&](sp_status status) {
    network_destroy(net);
    return status;
  };
  net->frame_request = frame_request;
  for (uint32_t i = 0; i < d.n; ++i) {
    sp_status v0_status = O::check_loaded_v0(loaded_v0[i], net->v0[i], i);
    if (v0_status != SP_OK) return refuse(v0_status);
    net->v0[i] = loaded_v0[i];
  }
  if (frame == SP_FRAME_PHASE && (frame_request == SP_FRAME_TIME || !network_phase_eligible(net)))
    return refuse(format_error("running frame = phase for a network it cannot run"));
  if (frame == SP_FRAME_PHASE) {
    // The phase frame's due key is the threshold key at its instant, up to rounding: it may
    // be a spiker's own key, whose time was rounded (by up to some ulps of the times, which
    // is a large error in the clock when the times are large against tau).
    double s_err = 8 * DBL_EPSILON * (std::fabs(times.cur_key_time) + times.t0) / d.tau;
    double tol;
    double expect = O::loaded_due_key(*net, times.cur_key_time, times.t0, d.tau, s_err, &tol);
    if (!(std::fabs(times.cur_key - expect) <= tol))
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: due key = %.17g: the threshold key at its "
                         "time %.17g is %.17g",
                         times.cur_key, times.cur_key_time, expect));
  }
  net->now = times.now;
  net->t0 = times.t0;
  net->cur_key = times.cur_key;
  net->cur_key_time = times.cur_key_time;
  net->clock_time = times.clock_time;
  net->clock_value = times.clock_value;
  net->instant_time = NAN;
  net->instant_stamp = 0;
  net->frame = frame;
  const bool is_syn = net->tau_syn > 0.0;
  for (uint32_t i = 0; is_syn && i < d.n; ++i) {
    double b = load_f64(syn + 12 * i);
    uint32_t stale = load_u32(syn + 12 * i + 8);
    if (!std::isfinite(b) || stale > 1)
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: synaptic coordinate[%u] = %g, flag %u: must "
                         "be finite, and 0 or 1",
                         i, b, stale));
    net->syn_aux[i].b = b;
    net->syn_aux[i].stale = stale;
  }
  for (uint32_t i = 0; i < d.n; ++i) {
    net->neuron[i].state = load_f64(state + 8 * i);
    net->refr_end[i] = load_f64(refr + 8 * i);
    net->neuron[i].flags = net->refr_end[i] > -INFINITY ? kSlotRecent | kStampUnknown << kStampShift
                                                        : 0;
  }
  for (uint32_t i = 0; i < d.n; ++i) {
    double key = load_f64(keys + 8 * i);
    // Due to spike at now: the time frame's key is at or before now, the phase frame's is
    // the due key (flagged, when it is not also the state's own key).
    bool due = frame == SP_FRAME_TIME ? key <= times.now : key <= times.cur_key;
    // A due neuron spikes at the due key's instant before time moves on: that instant is now.
    // (Else its reset would take the clock of that earlier instant, or a due key scaled to 0 by
    // a re-base long after it.)
    if (frame == SP_FRAME_PHASE && due && times.cur_key_time != times.now)
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: queue key[%u] = %.17g is due at the due "
                         "key's instant %.17g, before now = %.17g",
                         i, key, times.cur_key_time, times.now));
    // (With current-based synapses the state is A, of either sign: nothing to check.)
    sp_status state_status = is_syn ? SP_OK : O::check_loaded_state(*net, i, due, times.now);
    if (state_status != SP_OK) return refuse(state_status);
    double expect = network_key(net, i);
    if (frame == SP_FRAME_TIME) {
      // A time-frame key is the next spike time computed from the state (kept as saved: a
      // re-basing since it was computed may have moved its recomputation by some ulps), or
      // a time at or before now for a due neuron. Anything further off (a spike far beyond
      // what the state allows, say) is refused.
      // With current-based synapses the recomputation is a root search started elsewhere (a
      // crossing near a touch of threshold is ill-conditioned: 1e-6), and a key marked stale
      // is a lower bound of it, not before now.
      double tol = (is_syn ? 1e-6 : 1e-9) * (std::fabs(expect) + times.t0 + d.tau);
      bool near = key == expect || (std::isfinite(expect) && std::fabs(key - expect) <= tol);
      if (is_syn && net->syn_aux[i].stale) near = key >= times.now && key <= expect + tol;
      if (!due && !near)
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: queue key[%u] = %.17g: neither at or "
                           "before now = %.17g nor the next spike time %.17g of its state",
                           i, key, times.now, expect));
      net->time_key[i] = key;
      if (same_instant) {
        // (A time-frame neuron may keep the flag after an input moved its key: harmless.)
        if (same_instant[i] & kSavedDue) net->neuron[i].flags |= kSlotDue;
      } else if (due && net->refr_end[i] == times.now) {
        // Version 1 guesses: a neuron due at now() is flagged due, as the event loop flags it:
        // its refractory end is now(), like a neuron that spiked at now() with t_ref = 0 and
        // whose next spike time rounds to now() (which must not spike again then). Due: its
        // key is the due key, not its state's spike time (after sp_set_drive its state is a
        // reset), or a LIF input took it to threshold (the state is at threshold; a reset
        // state is not).
        bool at_threshold = false;
        if constexpr (O::kInputsCanFire) {
          double e = times.clock_time == times.now ? times.clock_value : O::clock(*net, times.now);
          at_threshold = O::at_threshold(*net, net->neuron[i].state, net->drive[i], e);
        }
        if (at_threshold || !(expect <= times.now)) net->neuron[i].flags |= kSlotDue;
      }
    } else if (same_instant) {
      // The phase frame's key is the state's, or the due key exactly for a flagged neuron.
      bool flagged = (same_instant[i] & kSavedDue) != 0;
      if (key != (flagged ? times.cur_key : expect))
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: queue key[%u] = %.17g: a neuron %s due "
                           "has the key %.17g",
                           i, key, flagged ? "flagged" : "not flagged",
                           flagged ? times.cur_key : expect));
      if (flagged) net->neuron[i].flags |= kSlotDue;
    } else if (key != expect) {
      // The phase frame's key is the state, except for a neuron due at now().
      if (key != times.cur_key)
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: queue key[%u] = %.17g matches neither "
                           "its state's key %.17g nor the due key %.17g",
                           i, key, expect, times.cur_key));
      net->neuron[i].flags |= kSlotDue;
    }
    // now() is the instant of the last event (or later, when no neuron matches): a neuron
    // that spiked at it (refractory end now() + t_ref) and is not due gets its stamp, so that
    // the same-instant rule holds as in the saved network (it cannot spike again at now():
    // SP_ERR_NUMERIC, not one more spike). A phase-frame neuron at or below the due key may
    // be due without a flag (its state's key is the due key): it keeps the unknown stamp, as
    // do all others (which reads their refractory end).
    // Version 2 says which neurons spiked at now(); version 1 guesses it from the refractory
    // end.
    uint32_t &flags = net->neuron[i].flags;
    if (same_instant)
      net->marks[i] = static_cast<uint8_t>((same_instant[i] >> kSavedCauseShift) & kMarkCause);
    if (same_instant
            ? (same_instant[i] & kSavedSpikedNow) != 0
            : (flags & (kSlotRecent | kSlotDue)) == kSlotRecent &&
                  net->refr_end[i] == times.now + net->t_ref && !(frame == SP_FRAME_PHASE && due))
      flags = kSlotRecent | (flags & kSlotDue);  // stamp 0, the instant's
  }
  net->instant_time = times.now;
  net->instant_stamp = 0;
  network_rebuild_queue(net);
  for (uint32_t q = 0; q < queued; ++q) {
    net->queue_time[q] = load_f64(queue + 20 * q);
    net->queue_seq[q] = load_u64(queue + 20 * q + 8);
    net->queue_channel[q] = load_u32(queue + 20 * q + 16);
  }
  net->queue.restore(queued, issued);
  if (!net->queue.valid()) return refuse(format_error("queued inputs out of heap order"));
  *out = net;
  return SP_OK;
}

}  // namespace

sp_status load_network_file(const char *path, Network **out) {
  std::FILE *f = std::fopen(path, "rb");
  if (!f) return fail(SP_ERR_IO, "cannot open '%s' for reading", path);
  // A directory opens (on POSIX systems) and may report any size, but reading it fails: read
  // one byte before trusting the size.
  int first = std::fgetc(f);
  if (first == EOF && std::ferror(f)) {
    std::fclose(f);
    return fail(SP_ERR_IO, "cannot read '%s' (a directory or an unreadable file)", path);
  }
  long size = -1;
  if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
  if (size < 0 || std::fseek(f, 0, SEEK_SET) != 0) {
    std::fclose(f);
    return fail(SP_ERR_IO, "cannot determine the size of '%s' (not a regular file?)", path);
  }
  sp_allocator a = default_allocator();
  size_t len = static_cast<size_t>(size);
  void *buf = a.alloc(a.ctx, len ? len : 1, 64);
  if (!buf) {
    std::fclose(f);
    return fail(SP_ERR_NOMEM, "allocating %zu bytes to read '%s' failed", len, path);
  }
  sp_status s = SP_OK;
  if (std::fread(buf, 1, len, f) != len) s = fail(SP_ERR_IO, "reading '%s' failed", path);
  std::fclose(f);
  if (s == SP_OK) s = load_network(buf, len, nullptr, out);
  a.free(a.ctx, buf, len ? len : 1);
  return s;
}

}  // namespace sp
