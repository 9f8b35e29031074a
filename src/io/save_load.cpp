// Saving and loading networks in the versioned, little-endian, checksummed
// format of src/io/FORMAT.md. Files are streamed through a small buffer
// (nothing the size of the network is ever held besides the network), the
// checksum computed on the way. Loading validates every byte it uses: a
// truncated, corrupted or future-version input gives SP_ERR_FORMAT, never a
// crash.
#include "io/save_load.hpp"

#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>

#if defined(__unix__) || defined(__APPLE__)
#  include <fcntl.h>
#  include <sys/stat.h>
#  include <unistd.h>
#  define SP_POSIX_FILES 1
#endif

#include "common/error.hpp"
#include "core/network.hpp"
#include "models/dispatch.hpp"
#include "models/lif_syn.hpp"
#include "models/lif_syn_engine.hpp"

namespace sp {
namespace {

constexpr unsigned char kMagic[8] = {'S', 'P', 'N', 'E', 'T', 'W', 'K', 0x1a};
// Version 2 appends each neuron's same-instant flags (see kSavedDue), which version 1 could
// only guess from the keys; version-1 files still load, with that guess. Version 3, written
// only for networks with current-based synapses, appends their section after the flags.
// Version 4, written only for tabulated models (EIF, custom), appends their phase tables
// after the flags instead (see "Tables" below).
constexpr uint32_t kFormatVersion = 4;
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;  // magic, version, reserved, payload length
constexpr size_t kChecksumBytes = 8;
// Payload bytes before the recurrent synapses, of a synapse block before its
// arrays, of the times between v0 and the states, and of the input queue's
// count and next sequence number.
constexpr uint64_t kFixedFieldBytes = 4 + 4 + 8 + 8 + 4 + 4 + 8 + 4 + 4;
constexpr uint64_t kSynapseHeaderBytes = 4 + 4 + 4 + 4 + 8 + 8 + 8;
constexpr uint64_t kTimesBytes = 6 * 8;
constexpr uint64_t kQueueHeaderBytes = 4 + 8;
constexpr uint64_t kQueueEntryBytes = 8 + 8 + 4;

enum SynapseKind : uint32_t { kNone = 0, kExplicit = 1, kProcedural = 2 };

// A neuron's same-instant flags, one byte each (version 2). Due: it spikes at
// now() whatever its state says (kSlotDue: taken to threshold, or kept due by a
// drive change at now()). Spiked now: it spiked (or was taken to threshold) at
// the instant of now(), so that it cannot spike again then. Neither follows
// from the keys and refractory ends alone: a due neuron's key may also be its
// state's own key, and a neuron's refractory end may equal now() + t_ref from a
// spike at an earlier instant that rounds to the same time.
constexpr unsigned char kSavedDue = 1;
constexpr unsigned char kSavedSpikedNow = 2;
// Bits 2 and 3: the SP_SPIKE_* cause of a due neuron's spike (Network::marks & kMarkCause),
// which its spike reports.
constexpr unsigned kSavedCauseShift = 2;
constexpr unsigned char kSavedBits = kSavedDue | kSavedSpikedNow | kMarkCause << kSavedCauseShift;

// The compact layout's side flags use the slots' values of these two (and no stamps: a flag
// there is always the current instant's).
static_assert(kSideRecent == kSlotRecent && kSideDue == kSlotDue, "same flag values");

unsigned char saved_flags(const Network &net, uint32_t i) {
  uint32_t flags = net.compact ? net.side[i] : net.neuron[i].flags;
  bool stamp_now = net.compact || flags >> kStampShift == net.instant_stamp;
  bool spiked_now = (flags & kSlotRecent) && stamp_now && net.instant_time == net.now &&
                    refr_end_of(net, i) >= net.now;
  return static_cast<unsigned char>(((flags & kSlotDue) ? kSavedDue : 0) |
                                    (spiked_now ? kSavedSpikedNow : 0) |
                                    network_cause(net, i) << kSavedCauseShift);
}

// Whether the saver writes refractory ends before now() as -inf. With t_ref = 0 such an end no
// longer matters (the end of an instant's spike is that instant). For the networks that may load
// in the compact layout (LIF or QIF with delta synapses; README, Memory layouts) it is written
// as -inf, all the compact layout knows of it (no refractory ends, only this instant's flags):
// both layouts save the same bytes, and a file that loads in the other layout re-saves to
// itself. Other models keep the last spike's time, as their older files have it.
bool drops_past_refr_ends(const Network &net) {
  return (net.model == SP_MODEL_LIF || net.model == SP_MODEL_QIF) && net.tau_syn == 0.0 &&
         net.t_ref == 0.0;
}

constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ULL;

// FNV-1a, 64-bit, continued from h: every single-byte change alters the result.
uint64_t checksum(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The reason an errno gives, for SP_ERR_IO messages: the common ones by name, others by
// number (not strerror, whose buffer another thread may overwrite; strerror_r has two
// incompatible forms).
struct OsReason {
  char text[48];
};
OsReason os_reason(int err) {
  const char *name = nullptr;
  switch (err) {
    case 0: name = "no reason given"; break;
    case ENOENT: name = "no such file or directory"; break;
    case EACCES: name = "permission denied"; break;
    case EPERM: name = "operation not permitted"; break;
    case EISDIR: name = "is a directory"; break;
    case ENOTDIR: name = "a path component is not a directory"; break;
    case ENOSPC: name = "no space left on device"; break;
    case EROFS: name = "read-only file system"; break;
    case EFBIG: name = "file too large"; break;
    case EIO: name = "input/output error"; break;
    case EMFILE: name = "too many open files"; break;
    case ENAMETOOLONG: name = "file name too long"; break;
    case ELOOP: name = "too many symbolic links"; break;
    case EINTR: name = "interrupted"; break;
    default: break;
  }
  OsReason r;
  if (name)
    std::snprintf(r.text, sizeof r.text, "%s", name);
  else
    std::snprintf(r.text, sizeof r.text, "errno %d", err);
  return r;
}

// Writes little-endian values into a buffer. With a file, the buffer is a
// chunk, written out (and added to the checksum) whenever it is full; without
// one it is the caller's destination, large enough for everything.
class Writer {
 public:
  Writer(unsigned char *buf, size_t cap, std::FILE *file) : buf_(buf), cap_(cap), file_(file) {}
  bool ok() const { return ok_; }
  // The errno of a failed write (0 if none, or if the C library set none).
  int write_errno() const { return errno_; }
  uint64_t size() const { return flushed_ + pos_; }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void bytes(const void *p, size_t n) { put(p, n); }
  // Appends the checksum of everything written so far (itself outside it) and
  // writes out the rest of the buffer.
  void seal() {
    hash_pending();
    hashing_ = false;
    u64(hash_);
    if (file_) flush();
  }

 private:
  // The n low bytes of v, least significant first, whatever the machine's byte order. (A
  // big-endian copy of the value's first bytes wrote every u32 as 0 on s390x: an outside
  // portability check's finding. On little-endian machines this compiles to one store.)
  void le(uint64_t v, int n) {
    unsigned char b[8];
    for (int i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(v >> (8 * i));
    put(b, static_cast<size_t>(n));
  }
  void put(const void *p, size_t n) {
    if (cap_ - pos_ >= n) {
      std::memcpy(buf_ + pos_, p, n);
      pos_ += n;
      return;
    }
    // Only a file's chunk fills up (a caller's buffer was checked to be large
    // enough).
    if (!file_) {
      ok_ = false;
      return;
    }
    const unsigned char *src = static_cast<const unsigned char *>(p);
    while (n > 0) {
      if (pos_ == cap_) flush();
      size_t take = cap_ - pos_ < n ? cap_ - pos_ : n;
      std::memcpy(buf_ + pos_, src, take);
      pos_ += take;
      src += take;
      n -= take;
    }
  }
  void hash_pending() {
    if (hashing_) hash_ = checksum(hash_, buf_ + hashed_, pos_ - hashed_);
    hashed_ = pos_;
  }
  void flush() {
    hash_pending();
    if (ok_ && pos_ && std::fwrite(buf_, 1, pos_, file_) != pos_) {
      ok_ = false;
      errno_ = errno;
    }
    flushed_ += pos_;
    pos_ = hashed_ = 0;
  }
  unsigned char *buf_;
  size_t cap_;
  std::FILE *file_;
  int errno_ = 0;
  size_t pos_ = 0, hashed_ = 0;
  uint64_t flushed_ = 0;
  uint64_t hash_ = kFnvBasis;
  bool hashing_ = true, ok_ = true;
};

// Reads little-endian values front to back, with bounds checks (the first
// overrun sticks): from saved bytes in memory, or from a file through a buffer
// of a chunk's size. Offsets count from the start of the saved bytes; values
// are read up to `end` (the payload's end), the checksum behind it with
// stored_checksum(). A file's bytes before `end` go into the checksum as they
// are read.
class Reader {
 public:
  // Saved bytes p[0, len), read from `start` on.
  Reader(const unsigned char *p, size_t len, uint64_t start, uint64_t end)
      : cur_(p + start), stop_(p + len), end_(end), offset_(len) {}
  // A file of len bytes, read from its position `start` on; hash: the checksum
  // of the bytes before start.
  Reader(std::FILE *file, uint64_t len, uint64_t start, uint64_t end, unsigned char *buf,
         size_t cap, uint64_t hash)
      : cur_(buf),
        stop_(buf),
        end_(end),
        offset_(start),
        file_(file),
        file_len_(len),
        buf_(buf),
        cap_(cap),
        hash_(hash) {}
  bool ok() const { return ok_; }
  bool io_failed() const { return io_failed_; }
  // Where the next byte comes from.
  uint64_t position() const { return offset_ - static_cast<uint64_t>(stop_ - cur_); }
  uint64_t remaining() const { return end_ - position(); }
  bool has(uint64_t count, size_t size) {
    if (!ok_ || size == 0) return ok_;
    if (count > remaining() / size) ok_ = false;
    return ok_;
  }
  unsigned char u8() { return static_cast<unsigned char>(le(1)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  double f64() {
    uint64_t bits = le(8);
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  // Reads n bytes at the cursor (before end).
  bool bytes(unsigned char *dst, size_t n) {
    if (!ok_ || remaining() < n) return ok_ = false;
    copy_out(dst, n);
    return ok_;
  }
  // Reads n bytes at `offset` (before end) without moving the cursor.
  bool peek(uint64_t offset, unsigned char *dst, size_t n) {
    if (!ok_ || offset > end_ || end_ - offset < n) return false;
    if (!file_) {
      std::memcpy(dst, stop_ - offset_ + offset, n);
      return true;
    }
    bool done = std::fseek(file_, static_cast<long>(offset), SEEK_SET) == 0 &&
                std::fread(dst, 1, n, file_) == n &&
                std::fseek(file_, static_cast<long>(offset_), SEEK_SET) == 0;
    if (!done) ok_ = false, io_failed_ = true;
    return done;
  }
  // Reads up to the end of the payload (a file's bytes all go into the
  // checksum) and returns the checksum stored behind it; ok() is false if the
  // bytes are not all there.
  uint64_t stored_checksum() {
    ok_ = !io_failed_;  // (after a refusal the cursor is still where reading
                        // stopped)
    while (ok_ && position() < end_) {
      if (cur_ == stop_ && !refill()) break;
      uint64_t left = end_ - position();
      size_t have = static_cast<size_t>(stop_ - cur_);
      cur_ += left < have ? static_cast<size_t>(left) : have;
    }
    unsigned char b[8] = {};
    copy_out(b, 8);
    return decode(b, 8);
  }
  uint64_t computed_checksum() const { return hash_; }
  bool io_ok() const { return !io_failed_; }
  // A second reader of the same bytes from `start` to `end` (a later section
  // needed while an earlier one is read), through its own buffer (a file's;
  // unused in memory). Its bytes are read again by this reader for the
  // checksum.
  Reader ahead(uint64_t start, uint64_t end, unsigned char *buf, size_t cap) const {
    if (!file_) return Reader(stop_ - offset_, static_cast<size_t>(offset_), start, end);
    return Reader(file_, file_len_, start, end, buf, cap, kFnvBasis);
  }

 private:
  static uint64_t decode(const unsigned char *b, int n) {
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(&v, b, n);
#else
    for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
#endif
    return v;
  }
  uint64_t le(int n) {
    if (!ok_ || remaining() < static_cast<uint64_t>(n)) {
      ok_ = false;
      return 0;
    }
    if (stop_ - cur_ >= n) {
      uint64_t v = decode(cur_, n);
      cur_ += n;
      return v;
    }
    unsigned char b[8];
    copy_out(b, n);
    return ok_ ? decode(b, n) : 0;
  }
  // The slow path: a value across the end of the buffer.
  void copy_out(unsigned char *dst, size_t n) {
    while (ok_ && n > 0) {
      if (cur_ == stop_ && !refill()) return;
      size_t have = static_cast<size_t>(stop_ - cur_);
      size_t take = have < n ? have : n;
      std::memcpy(dst, cur_, take);
      cur_ += take;
      dst += take;
      n -= take;
    }
  }
  bool refill() {
    uint64_t left = file_ ? file_len_ - offset_ : 0;
    if (left == 0) {
      ok_ = false;
      return false;
    }
    size_t want = left < cap_ ? static_cast<size_t>(left) : cap_;
    // (Seeking first: a second reader may share the file, see ahead().)
    size_t got = std::fseek(file_, static_cast<long>(offset_), SEEK_SET) == 0
                     ? std::fread(buf_, 1, want, file_)
                     : 0;
    if (got != want) {
      ok_ = false;
      io_failed_ = true;
      return false;
    }
    if (offset_ < end_) {
      uint64_t hashed = end_ - offset_ < got ? end_ - offset_ : got;
      hash_ = checksum(hash_, buf_, static_cast<size_t>(hashed));
    }
    cur_ = buf_;
    stop_ = buf_ + got;
    offset_ += got;
    return true;
  }
  const unsigned char *cur_, *stop_;
  uint64_t end_;
  uint64_t offset_ = 0;  // of stop_ (memory: the length)
  std::FILE *file_ = nullptr;
  uint64_t file_len_ = 0;
  unsigned char *buf_ = nullptr;
  size_t cap_ = 0;
  uint64_t hash_ = kFnvBasis;
  bool ok_ = true, io_failed_ = false;
};

uint64_t synapse_bytes(const Synapses &s) {
  if (!s.is_explicit()) return kSynapseHeaderBytes;
  return kSynapseHeaderBytes + (uint64_t(s.n_sources) + 1) * 8 + s.nnz * (s.weights ? 12 : 4);
}

// Version 3's section, current-based synapses only: tau_syn, then B (f64) and
// the lazy-key flag (u32) of every neuron.
constexpr uint64_t kSynNeuronBytes = 8 + 4;
uint64_t syn_section_bytes(const Network &net) {
  return net.tau_syn > 0.0 ? 8 + kSynNeuronBytes * net.n : 0;
}

// ---------------------------------------------------------------------------------------
// Tables (version 4): the phase tables of a tabulated model, so that a saved EIF or custom
// network loads without its callback and continues bit for bit. The section: n_tables u32,
// reserved u32 = 0, then (drive f64, block bytes u64) per table, then the blocks in the same
// order, each the fields of its Table header (models/tabulated/table.hpp) followed by its
// coefficient arrays as f64. The loader reads the section ahead (the tables shape the network
// and the states need them), checks each block (table_check: sizes, finiteness, increasing
// break points and values) and reads it again in order for the checksum.

constexpr uint64_t kTableSectionHeaderBytes = 4 + 4;
constexpr uint64_t kTableEntryBytes = 8 + 8;
constexpr size_t kTableHeaderFields = 13;  // the f64 fields of a Table after its integers
constexpr size_t kTableHeaderBytes = 8 + 6 * 4 + kTableHeaderFields * 8;
static_assert(sizeof(Table) == kTableHeaderBytes, "a Table header is its fields, unpadded");

uint64_t table_section_bytes(const Network &net) {
  if (!net.n_tables) return 0;
  uint64_t b = kTableSectionHeaderBytes + kTableEntryBytes * net.n_tables;
  for (uint32_t k = 0; k < net.n_tables; ++k) b += table_block_bytes(*net.tables[k]);
  return b;
}

double *table_scalars(Table &t) { return &t.drive; }
const double *table_scalars(const Table &t) { return &t.drive; }
static_assert(offsetof(Table, tail_lo) == offsetof(Table, drive) + (kTableHeaderFields - 1) * 8,
              "the f64 fields of a Table are contiguous, drive first and tail_lo last");

void write_table(Writer &w, const Table &t) {
  w.u64(t.magic);
  const uint32_t ints[6] = {t.kind, t.order, t.n_fwd, t.n_inv, t.n_tail, t.reserved};
  for (uint32_t v : ints) w.u32(v);
  const double *f = table_scalars(t);
  for (size_t i = 0; i < kTableHeaderFields; ++i) w.f64(f[i]);
  const double *a = reinterpret_cast<const double *>(&t + 1);
  const size_t count = (table_block_bytes(t) - sizeof(Table)) / 8;
  for (size_t i = 0; i < count; ++i) w.f64(a[i]);
}

void write_tables(Writer &w, const Network &net) {
  w.u32(net.n_tables);
  w.u32(0);
  for (uint32_t k = 0; k < net.n_tables; ++k) {
    w.f64(net.table_drive[k]);
    w.u64(table_block_bytes(*net.tables[k]));
  }
  for (uint32_t k = 0; k < net.n_tables; ++k) write_table(w, *net.tables[k]);
}

// Networks without synaptic currents or tables are written as version 2.
uint32_t format_version_of(const Network &net) {
  return net.n_tables ? 4 : (net.tau_syn > 0.0 ? 3 : 2);
}

// The payload's length, section by section as write_network writes it.
uint64_t payload_bytes(const Network &net) {
  return kFixedFieldBytes + synapse_bytes(net.recurrent) + synapse_bytes(net.inputs) +
         2 * 8 * uint64_t(net.n) + kTimesBytes + 3 * 8 * uint64_t(net.n) + kQueueHeaderBytes +
         kQueueEntryBytes * net.queue.size() + uint64_t(net.n) +  // (the same-instant flags)
         syn_section_bytes(net) + table_section_bytes(net);
}

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
  w.bytes(kMagic, 8);
  w.u32(format_version_of(net));
  w.u32(0);
  w.u64(payload_bytes(net));
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
  // (The compact layout writes its one drive n times and recomputes the seeded v0: the same
  // bytes as the full layout's.)
  for (uint32_t i = 0; i < net.n; ++i) w.f64(drive_of(net, i));
  for (uint32_t i = 0; i < net.n; ++i) w.f64(network_v0(&net, i));
  w.f64(net.now);
  w.f64(net.t0);
  w.f64(net.cur_key);
  w.f64(net.cur_key_time);
  w.f64(net.clock_time);
  // (Without a cached clock its value is stale and never read: written as 0, so that two
  // networks in the same state, e.g. a replica and a loaded copy, save the same bytes.)
  w.f64(std::isnan(net.clock_time) ? 0.0 : net.clock_value);
  for (uint32_t i = 0; i < net.n; ++i) w.f64(state_of(net, i));
  const bool drop_past = drops_past_refr_ends(net);
  for (uint32_t i = 0; i < net.n; ++i) {
    const double end = refr_end_of(net, i);
    w.f64(drop_past && end < net.now ? -INFINITY : end);
  }
  for (uint32_t i = 0; i < net.n; ++i) w.f64(queue_key(net, i));
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
  if (net.n_tables) write_tables(w, net);
  w.seal();
}

// A synapse block's fields, and the bytes of its arrays (explicit: row_ptr,
// targets, weights).
struct SynapseBlock {
  uint32_t kind = 0, has_weights = 0, k = 0;
  uint64_t seed = 0, nnz = 0;
  double weight = 0;
  uint64_t array_bytes = 0;
};

// Reads a block's fields (`which`: "recurrent" or "input", for the messages): a refusal naming
// the field when they are not a block a network can have, or its arrays do not fit in `room`
// bytes.
sp_status read_synapse_header(Reader &r, uint32_t n_sources, uint64_t room, SynapseBlock &b,
                              const char *which) {
  b.kind = r.u32();
  b.has_weights = r.u32();
  b.k = r.u32();
  const uint32_t reserved = r.u32();
  b.seed = r.u64();
  b.weight = r.f64();
  b.nnz = r.u64();
  if (!r.ok())
    return fail(SP_ERR_FORMAT, "not a valid saved network: truncated %s synapses", which);
  if (b.kind > kProcedural)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: %s synapses: kind = %u: must be 0 (none), 1 "
                "(explicit) or 2 (procedural)",
                which, b.kind);
  if (b.has_weights > 1 || (b.has_weights && b.kind != kExplicit))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: %s synapses: has_weights = %u: must be 0, or 1 for "
                "explicit synapses (kind 1; kind %u)",
                which, b.has_weights, b.kind);
  if (reserved != 0)
    return fail(SP_ERR_FORMAT, "not a valid saved network: %s synapses: reserved = %u: must be 0",
                which, reserved);
  // (What sp_network_create would make of the description: k is the procedural out-degree,
  // at least 1, and 0 otherwise; explicit synapses alone have nnz.)
  if ((b.kind == kProcedural) != (b.k != 0))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: %s synapses: k = %u with kind %u: k must be at "
                "least 1 for procedural synapses (kind 2) and 0 otherwise",
                which, b.k, b.kind);
  if (b.kind != kExplicit) {
    if (b.nnz == 0) return SP_OK;
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: %s synapses: nnz = %llu with kind %u: must be 0 "
                "unless explicit",
                which, static_cast<unsigned long long>(b.nnz), b.kind);
  }
  uint64_t rows = (uint64_t(n_sources) + 1) * 8, per = b.has_weights ? 12 : 4;
  if (rows > room || b.nnz > (room - rows) / per)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: %s synapses: nnz = %llu and %u sources do not fit "
                "in the file (truncated or inconsistent sections)",
                which, static_cast<unsigned long long>(b.nnz), n_sources);
  b.array_bytes = rows + b.nnz * per;
  return SP_OK;
}

// A neuron's synaptic values (B, flag) added to a checksum, to compare the
// section as read ahead with the same bytes read in order.
uint64_t checksum_of(uint64_t h, double b, uint32_t stale) {
  unsigned char bytes[12];
  std::memcpy(bytes, &b, 8);
  std::memcpy(bytes + 8, &stale, 4);
  return checksum(h, bytes, sizeof bytes);
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Whether a and b are finite and at most `ulps` representable doubles apart.
bool within_ulps(double a, double b, uint64_t ulps) {
  if (!std::isfinite(a) || !std::isfinite(b)) return false;
  if (a == b) return true;
  if (std::signbit(a) != std::signbit(b)) return false;
  uint64_t ia, ib;
  std::memcpy(&ia, &a, sizeof ia);
  std::memcpy(&ib, &b, sizeof ib);
  return (ia > ib ? ia - ib : ib - ia) <= ulps;
}

// How far a saved initial voltage may be from the one this machine's libm seeds for it, for
// the file to load in the compact layout (which keeps no v0: it is recomputed from the seed).
// Another machine's exp and log may round otherwise (glibc on x86-64 picks FMA variants by CPU,
// other platforms have none); without this, such a file would need the full layout, about 3x
// the memory. Such a file then has this machine's seeded v0 (sp_rewind, sp_save), in either
// layout.
constexpr uint64_t kSeededV0Ulps = 4;

// Version 3: the largest synaptic coordinate B a file may hold. B is the synaptic current times
// its clock (below e^32 between re-bases), which inputs (weights at most 1e6) change by far less
// than an ulp of this bound and re-bases only shrink: a network never comes near it. The reset
// at the end of a refractory period (t_ref at most 480 of the faster time constants) carries B
// into the state A with a factor up to e^512 = 2e222: beyond 1e80 that overflowed to an infinite
// state, which the re-saved file could not hold (a fuzz_load finding: B = 3e284 loaded, a state
// of -inf came out). (A itself may legitimately be that large: a reset held for 480 time
// constants is I e^480 in the co-moving frame.)
constexpr double kMaxSynCoordinate = 1e80;

// Version 3: the largest membrane term of V - I a file may hold where its neuron's next spike is
// solved from (now(), or the refractory end of a neuron held at reset): p = A exp(-(t - t0)/tau),
// or (A + B (t - t0)/tau) exp(-(t - t0)/tau) for tau_syn = tau. A running network's starts at
// v0 - I (v0 at least -1e100, |I| at most 1e6), is -I less the synaptic term (B at most
// kMaxSynCoordinate) after a reset, moves by at most about 4e9 per input (a weight of 1e6 times
// tau/|tau - tau_syn|, at most 4097) and decays in between: it never comes near this bound. The
// spike-time solver takes p/tau and p/tau^2 (tau down to 1e-100 s), which overflowed beyond it:
// A = -1.7e308 (tau = 0.01 s) loaded with its key solved as +inf, and the neuron never spiked
// although V rose to its drive above 1. (A itself is not bounded: see kMaxSynCoordinate.)
constexpr double kMaxSynMembraneTerm = 1e101;

// Refuses a version-3 neuron whose membrane term is beyond kMaxSynMembraneTerm (net's now(),
// t0, states, B and refractory ends loaded).
sp_status check_syn_membrane(const Network &net, uint32_t i) {
  const double from = net.refr_end[i] > net.now ? net.refr_end[i] : net.now;
  const LifSyn::Clock c = LifSyn::clock(from, net.t0, net.syn_shape);
  // (After a silence of about 710 tau the clock is +inf: the term has decayed, V = I.)
  if (!(c.em < INFINITY)) return SP_OK;
  double p, q;
  LifSyn::local(state_of(net, i), net.syn_aux[i].b, net.syn_shape, c, &p, &q);
  if (std::fabs(p) <= kMaxSynMembraneTerm) return SP_OK;
  return fail(SP_ERR_FORMAT,
              "not a valid saved network: state[%u] = %g: its membrane term at t = %.17g is %g, "
              "beyond the %g a network reaches (B = %g)",
              i, state_of(net, i), from, p, kMaxSynMembraneTerm, net.syn_aux[i].b);
}

// The decoded header: the payload's length, or a refusal.
sp_status check_header(const unsigned char *p, uint64_t len, uint64_t *payload,
                       uint32_t *version_out) {
  if (len < kHeaderBytes + kChecksumBytes)
    return fail(SP_ERR_FORMAT, "not a valid saved network: %llu bytes is shorter than the header",
                static_cast<unsigned long long>(len));
  Reader r(p, kHeaderBytes, 0, kHeaderBytes);
  unsigned char magic[8];
  r.bytes(magic, 8);
  if (std::memcmp(magic, kMagic, 8) != 0)
    return fail(SP_ERR_FORMAT, "not a valid saved network: wrong magic bytes");
  uint32_t version = r.u32();
  // (A version that reads as one of ours byte-swapped: a writer that wrote big-endian words.)
  const uint32_t swapped = (version >> 24) | ((version >> 8) & 0xff00u) |
                           ((version << 8) & 0xff0000u) | (version << 24);
  if (version > kFormatVersion && swapped >= 1 && swapped <= kFormatVersion)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: format version %u, which is %u byte-swapped: the "
                "format is little-endian, and this file's words look big-endian",
                version, swapped);
  if (version > kFormatVersion)
    return fail(SP_ERR_FORMAT, "saved network has format version %u, newer than this library's %u",
                version, kFormatVersion);
  if (version == 0) return fail(SP_ERR_FORMAT, "not a valid saved network: format version 0");
  *version_out = version;
  const uint32_t reserved = r.u32();
  if (reserved != 0)
    return fail(SP_ERR_FORMAT, "not a valid saved network: header reserved = %u: must be 0",
                reserved);
  *payload = r.u64();
  if (*payload != len - kHeaderBytes - kChecksumBytes)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: the header says %llu payload bytes, the "
                "buffer "
                "holds %llu (truncated or extended)",
                static_cast<unsigned long long>(*payload),
                static_cast<unsigned long long>(len - kHeaderBytes - kChecksumBytes));
  return SP_OK;
}

sp_status format_error(const char *what) {
  return fail(SP_ERR_FORMAT, "not a valid saved network: %s", what);
}

// The input queue's capacity is not backed by bytes in the file, so it is
// bounded here: a few hundred bytes must not make the loader allocate (and
// zero) gigabytes.
constexpr uint32_t kMaxInputCapacity = uint32_t(1) << 24;

// The loaded dynamic state, checked against the invariants every running
// network keeps before anything is built from it.
struct LoadedTimes {
  double now, t0, cur_key, cur_key_time, clock_time, clock_value;
};

// (now - t0 itself is not bounded: a network run far ahead without any event
// has such a state.)
template <class O>
sp_status check_times(const Network &net, const LoadedTimes &t, uint32_t frame, double tau) {
  if (!std::isfinite(t.now) || t.now < 0)
    return fail(SP_ERR_FORMAT, "not a valid saved network: now = %g: must be finite and >= 0",
                t.now);
  // t0 only moves forward, to at most the time of an event (up to the rounding
  // of the re-basing step).
  if (!std::isfinite(t.t0) || t.t0 < 0 || t.t0 - t.now > 1e-12 * (t.now + tau))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: t0 = %.17g: must be finite, >= 0 "
                "and not after "
                "now = %.17g",
                t.t0, t.now);
  if (frame != SP_FRAME_PHASE && frame != SP_FRAME_TIME)
    return fail(SP_ERR_FORMAT, "not a valid saved network: running frame = %u: must be %d or %d",
                frame, SP_FRAME_PHASE, SP_FRAME_TIME);
  sp_status st = O::check_loaded_span(net, frame, t.now, t.t0, tau);
  if (st != SP_OK) return st;
  if (!std::isfinite(t.cur_key) ||
      (frame == SP_FRAME_PHASE && !O::loaded_phase_due_key_ok(t.cur_key)))
    return fail(SP_ERR_FORMAT, "not a valid saved network: due key = %g: must be finite%s",
                t.cur_key, frame == SP_FRAME_PHASE ? O::kLoadedPhaseDueKeyRule : "");
  if (!std::isfinite(t.cur_key_time) || t.cur_key_time > t.now)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: due key time = %.17g: must be "
                "finite and not after "
                "now = %.17g",
                t.cur_key_time, t.now);
  if (!std::isnan(t.clock_time)) {
    if (!std::isfinite(t.clock_time) || t.clock_time > t.now)
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: clock time = %.17g: must be NaN "
                  "or finite and "
                  "not after now = %.17g",
                  t.clock_time, t.now);
    if (!std::isfinite(t.clock_value) || !O::loaded_clock_ok(t.clock_value))
      return fail(SP_ERR_FORMAT, "not a valid saved network: clock value = %g: must be finite%s",
                  t.clock_value, O::kLoadedClockRule);
  }
  return SP_OK;
}

// Reading the tables (version 4; the section is described above write_tables).

// The section's header as read ahead: the drives and block sizes.
struct TableSection {
  uint32_t count = 0;
  double drive[Ops<Tabulated>::kMaxTables];
  size_t bytes[Ops<Tabulated>::kMaxTables];
  uint64_t total = 0;  // bytes of the whole section
};

// Reads the section's header at `at` (ahead of the cursor) and checks that it and its blocks
// fill exactly the `room` bytes left at its place.
sp_status peek_table_section(Reader &r, uint64_t at, uint64_t room, TableSection *t) {
  unsigned char head[kTableSectionHeaderBytes];
  if (room < sizeof head || !r.peek(at, head, sizeof head))
    return format_error("truncated or inconsistent sections (tables)");
  Reader h(head, sizeof head, 0, sizeof head);
  t->count = h.u32();
  uint32_t reserved = h.u32();
  if (t->count == 0 || t->count > Ops<Tabulated>::kMaxTables || reserved != 0)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: tables: count %u, reserved %u: must be 1 to %u, "
                "and 0",
                t->count, reserved, Ops<Tabulated>::kMaxTables);
  const uint64_t entry_bytes = kTableEntryBytes * t->count;
  if (room - sizeof head < entry_bytes)
    return format_error("truncated or inconsistent sections (tables)");
  uint64_t left = room - sizeof head - entry_bytes;
  for (uint32_t k = 0; k < t->count; ++k) {
    // (One entry at a time: a buffer for all of them would be 1 KiB more of a load's stack.)
    unsigned char entry[kTableEntryBytes];
    if (!r.peek(at + sizeof head + kTableEntryBytes * k, entry, sizeof entry))
      return format_error("truncated or inconsistent sections (tables)");
    Reader e(entry, sizeof entry, 0, sizeof entry);
    t->drive[k] = e.f64();
    uint64_t bytes = e.u64();
    if (!std::isfinite(t->drive[k]) || (k > 0 && !(t->drive[k] > t->drive[k - 1])))
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: table drive[%u] = %.17g: must be finite and "
                  "above the previous one",
                  k, t->drive[k]);
    if (bytes < sizeof(Table) || (bytes - sizeof(Table)) % 8 != 0 || bytes > left)
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: table %u: %llu bytes: must be a table header "
                  "and f64 coefficients within the payload",
                  k, static_cast<unsigned long long>(bytes));
    t->bytes[k] = static_cast<size_t>(bytes);
    left -= bytes;
  }
  if (left != 0) return format_error("truncated or inconsistent sections (tables)");
  t->total = room;
  return SP_OK;
}

// Reads one block into `into` (bytes long, 8-byte aligned). compare: instead of writing, the
// block's values must equal those already there, bit for bit (the second, in-order read).
bool read_table(Reader &r, Table *into, size_t bytes, bool compare) {
  Table h;
  h.magic = r.u64();
  uint32_t *ints[6] = {&h.kind, &h.order, &h.n_fwd, &h.n_inv, &h.n_tail, &h.reserved};
  for (uint32_t *v : ints) *v = r.u32();
  double *f = table_scalars(h);
  for (size_t i = 0; i < kTableHeaderFields; ++i) f[i] = r.f64();
  if (!r.ok()) return false;
  if (compare && std::memcmp(&h, into, sizeof h) != 0) return false;
  if (!compare) std::memcpy(static_cast<void *>(into), &h, sizeof h);
  double *a = reinterpret_cast<double *>(into + 1);
  const size_t count = (bytes - sizeof(Table)) / 8;
  for (size_t i = 0; i < count; ++i) {
    double v = r.f64();
    if (compare ? !same_bits(v, a[i]) : (a[i] = v, false)) return false;
  }
  return r.ok();
}

// Fills and checks the network's tables from the section read ahead (during creation).
sp_status fill_tables(Reader &ahead, const TableSection &t, Network *net) {
  for (uint32_t k = 0; k < t.count; ++k) {
    Table *into = const_cast<Table *>(net->tables[k]);
    if (!read_table(ahead, into, t.bytes[k], false)) return format_error("truncated tables");
    // (The kind first: a block of the other kind would be refused for what that kind needs.)
    const uint32_t kind = static_cast<uint32_t>(net->model == SP_MODEL_EIF ? TableKind::kEif
                                                                           : TableKind::kCustom);
    if (into->kind != kind || !same_bits(into->drive, t.drive[k]))
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: table %u: kind %u, drive %.17g: the model %u "
                  "needs kind %u, and the drive must be the section's %.17g",
                  k, into->kind, into->drive, net->model, kind, t.drive[k]);
    TableError err{};
    const Table *tab = table_check(into, t.bytes[k], &err);
    if (!tab)
      return fail(SP_ERR_FORMAT, "not a valid saved network: table %u (drive %.17g): %s", k,
                  t.drive[k], err.message);
    if (!(tab->period >= kMinPeriodOverTau))
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: table %u: period %g tau: must be at least 2^-30 "
                  "tau",
                  k, tab->period);
    // One model for every drive: the tables' model parameters are table 0's.
    const Table &first = *net->tables[0];
    const struct {
      const char *name;
      double value, first;
    } model[] = {{"v_reset", tab->v_reset, first.v_reset},
                 {"v_spike", tab->v_spike, first.v_spike},
                 {"delta_t", tab->delta_t, first.delta_t},
                 {"v_t", tab->v_t, first.v_t}};
    for (const auto &m : model)
      if (!same_bits(m.value, m.first))
        return fail(SP_ERR_FORMAT,
                    "not a valid saved network: table %u: %s = %.17g: must be table 0's %.17g "
                    "(one model for every drive)",
                    k, m.name, m.value, m.first);
  }
  // Every neuron's drive has its table (sp_set_drive keeps to the tabulated drives).
  for (uint32_t i = 0; i < net->n; ++i)
    if (!Ops<Tabulated>::has_table(*net, net->drive[i]))
      return fail(SP_ERR_FORMAT, "not a valid saved network: drives[%u] = %.17g has no table", i,
                  net->drive[i]);
  return SP_OK;
}

// The section once more, in order (the checksum covers it): the same bytes as read ahead.
bool reread_tables(Reader &r, const TableSection &t, const Network &net) {
  if (r.u32() != t.count || r.u32() != 0) return false;
  for (uint32_t k = 0; k < t.count; ++k)
    if (!same_bits(r.f64(), t.drive[k]) || r.u64() != t.bytes[k]) return false;
  for (uint32_t k = 0; k < t.count; ++k)
    if (!read_table(r, const_cast<Table *>(net.tables[k]), t.bytes[k], true)) return false;
  return r.ok();
}

// What the arrays of a new network are filled from: the explicit synapses and
// the drives, straight from the saved bytes (network_create_filled).
struct Fill {
  Reader *r;
  uint32_t n, n_inputs;
  SynapseBlock rec, in;
  // Tabulated models: the tables' section (its header read ahead) and a reader at its blocks.
  const TableSection *tables = nullptr;
  Reader *tables_reader = nullptr;
  unsigned char in_header[kSynapseHeaderBytes];  // as peeked to shape the network
};

sp_status fill_synapses(Reader &r, const SynapseBlock &b, Synapses &dst, uint32_t n_sources,
                        const char *row_ptr_error) {
  if (b.kind != kExplicit) return SP_OK;
  for (uint64_t j = 0; j <= n_sources; ++j) dst.row_ptr[j] = r.u64();
  // (The arrays were sized by nnz: the rows must end there before a target is
  // read.)
  if (r.ok() && dst.row_ptr[n_sources] != b.nnz) return format_error(row_ptr_error);
  for (uint64_t e = 0; e < b.nnz; ++e) dst.targets[e] = r.u32();
  if (b.has_weights)
    for (uint64_t e = 0; e < b.nnz; ++e) dst.weights[e] = r.f64();
  return r.ok() ? SP_OK : format_error("truncated synapses");
}

sp_status fill_arrays(void *ctx, Network *net) {
  Fill &f = *static_cast<Fill *>(ctx);
  Reader &r = *f.r;
  sp_status s = fill_synapses(r, f.rec, net->recurrent, f.n,
                              "recurrent row_ptr does not end at nnz");
  if (s != SP_OK) return s;
  unsigned char in_header[kSynapseHeaderBytes];
  if (!r.bytes(in_header, sizeof in_header)) return format_error("truncated input synapses");
  // (Only a file changed while it is read can differ from what was peeked.)
  if (std::memcmp(in_header, f.in_header, sizeof in_header) != 0)
    return format_error("the input synapses changed while loading");
  s = fill_synapses(r, f.in, net->inputs, f.n_inputs, "input row_ptr does not end at nnz");
  if (s != SP_OK) return s;
  if (net->compact) {
    // (The loader has read ahead that every drive is the first.)
    net->drive[0] = r.f64();
    for (uint32_t i = 1; i < f.n; ++i)
      if (!same_bits(r.f64(), net->drive[0]) && r.ok())
        return format_error("the drives changed while loading");
    return r.ok() ? SP_OK : format_error("truncated drives");
  }
  for (uint32_t i = 0; i < f.n; ++i) net->drive[i] = r.f64();
  if (!r.ok()) return format_error("truncated drives");
  return f.tables ? fill_tables(*f.tables_reader, *f.tables, net) : SP_OK;
}

// Builds the network of model Ops<M> = O from the payload at r's cursor,
// checking every value; the saved bytes' header (and, in memory, the checksum)
// are checked already.
template <class O>
sp_status load_payload_as(Reader &r, uint32_t version, unsigned char *ahead_buf, size_t ahead_cap,
                          const sp_allocator *alloc, Network **out) {
  if (alloc && (!alloc->alloc || !alloc->free))
    return fail(SP_ERR_ARGUMENT, "allocator->%s is NULL: alloc and free must both be set",
                alloc->alloc ? "free" : "alloc");
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
  // (A description's tau of 0 asks for the default; a running network's is positive.)
  if (!(d.tau > 0.0))
    return fail(SP_ERR_FORMAT, "not a valid saved network: tau = %g: must be > 0", d.tau);
  if (d.input_capacity > kMaxInputCapacity)
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: input_capacity = %u: more than the "
                "%u a saved "
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

  // Every section's size, from the synapse blocks' headers and the queued count
  // (read ahead of the cursor), must add up to the payload exactly: nothing is
  // allocated for bytes that are not there.
  Fill f;
  f.r = &r;
  f.n = d.n;
  f.n_inputs = d.n_inputs;
  sp_status block = read_synapse_header(r, d.n, r.remaining(), f.rec, "recurrent");
  if (block != SP_OK) return block;
  uint64_t at = r.position() + f.rec.array_bytes;
  if (!r.peek(at, f.in_header, sizeof f.in_header))
    return format_error("truncated or inconsistent sections");
  at += kSynapseHeaderBytes;
  Reader in_header(f.in_header, sizeof f.in_header, 0, sizeof f.in_header);
  block = read_synapse_header(in_header, d.n_inputs, r.remaining() - (at - r.position()), f.in,
                              "input");
  if (block != SP_OK) return block;
  if (d.n_inputs == 0 && f.in.kind != kNone)
    return format_error("input synapses without input channels");
  at += f.in.array_bytes;
  uint64_t neuron_bytes = 5 * 8 * uint64_t(d.n) + kTimesBytes;
  unsigned char queue_header[4];
  if (r.remaining() - (at - r.position()) < neuron_bytes + kQueueHeaderBytes ||
      !r.peek(at + neuron_bytes, queue_header, 4))
    return format_error("truncated or inconsistent sections");
  uint32_t queued = Reader(queue_header, 4, 0, 4).u32();
  uint64_t flag_bytes = version >= 2 ? d.n : 0;  // the same-instant flags
  // Version 3: current-based synapses (tau_syn, then B and the lazy-key flag of
  // every neuron), last.
  uint64_t syn_bytes = version == 3 ? 8 + kSynNeuronBytes * d.n : 0;
  // Version 4: the tables of a tabulated model (EIF, custom), last; their header, read ahead,
  // sizes them (they shape the network).
  if ((version >= 4) != O::kTables)
    return fail(SP_ERR_FORMAT, "not a valid saved network: model %u in a version %u file: %s",
                d.model, version,
                O::kTables ? "EIF and custom networks are saved with their tables (version 4)"
                           : "only EIF and custom networks have tables (version 4)");
  TableSection tables;
  uint64_t rest = r.remaining() - (at - r.position()) - neuron_bytes - kQueueHeaderBytes;
  if (O::kTables) {
    uint64_t before = uint64_t(queued) * kQueueEntryBytes + flag_bytes;
    if (rest < before) return format_error("truncated or inconsistent sections");
    sp_status ts = peek_table_section(r, r.position() + r.remaining() - (rest - before),
                                      rest - before, &tables);
    if (ts != SP_OK) return ts;
  }
  if (rest != uint64_t(queued) * kQueueEntryBytes + flag_bytes + syn_bytes + tables.total)
    return format_error("truncated or inconsistent sections");
  // The flags are needed with the keys, before the queue, and the synaptic
  // section with the states: second readers run ahead to them (both are then
  // read again in order, for the checksum, and must be the same bytes).
  uint64_t tables_at = r.position() + r.remaining() - tables.total;
  uint64_t syn_at = tables_at - syn_bytes;
  uint64_t flags_at = syn_at - flag_bytes;
  Reader flags_reader = r.ahead(flags_at, flags_at + flag_bytes, ahead_buf, ahead_cap);
  uint64_t flags_seen = kFnvBasis;
  if (version == 3) {
    // tau_syn shapes the network (B and the flags are stored beside the states).
    unsigned char tau_syn[8];
    if (!r.peek(syn_at, tau_syn, 8)) return format_error("truncated or inconsistent sections");
    d.tau_syn = Reader(tau_syn, 8, 0, 8).f64();
    if (!(d.tau_syn > 0.0))
      return fail(SP_ERR_FORMAT,
                  "not a valid saved network: tau_syn = %g in a version 3 file: must be > 0",
                  d.tau_syn);
  }
  if (queued > d.input_capacity) return format_error("more queued inputs than the capacity");
  // The procedural out-degrees size the network's scratch (validated in full by
  // creation).
  if ((f.rec.kind == kProcedural && f.rec.k > d.n) || (f.in.kind == kProcedural && f.in.k > d.n))
    return fail(SP_ERR_FORMAT, "not a valid saved network: k = %u: more than n = %u",
                f.rec.kind == kProcedural && f.rec.k > d.n ? f.rec.k : f.in.k, d.n);

  d.recurrent.k = f.rec.kind == kProcedural ? f.rec.k : 0;
  d.recurrent.seed = f.rec.seed;
  d.recurrent.weight = f.rec.weight;
  d.inputs.k = f.in.kind == kProcedural ? f.in.k : 0;
  d.inputs.seed = f.in.seed;
  d.inputs.weight = f.in.weight;
  d.allocator = alloc;
  // The initial voltages and the frame request are set after creation: a
  // network may hold seeded voltages create would refuse as explicit ones (at
  // threshold by rounding), and a phase-frame request whose drives have since
  // been made to differ (it then runs in the time frame until they agree
  // again).
  d.v0 = nullptr;
  d.frame = frame_request == SP_FRAME_PHASE ? uint32_t(SP_FRAME_AUTO) : frame_request;
  ArrayFill fill;
  fill.rec_explicit = f.rec.kind == kExplicit;
  fill.in_explicit = f.in.kind == kExplicit;
  fill.rec_weights = f.rec.has_weights != 0;
  fill.in_weights = f.in.has_weights != 0;
  fill.rec_nnz = f.rec.nnz;
  fill.in_nnz = f.in.nnz;
  fill.fill = fill_arrays;
  fill.ctx = &f;
  // (The blocks are read during creation, before the flags' reader, which shares the buffer,
  // starts.)
  Reader tables_reader = r.ahead(tables_at + kTableSectionHeaderBytes +
                                     kTableEntryBytes * tables.count,
                                 tables_at + tables.total, ahead_buf, ahead_cap);
  if (tables.count) {
    f.tables = &tables;
    f.tables_reader = &tables_reader;
    fill.n_tables = tables.count;
    fill.table_drive = tables.drive;
    fill.table_bytes = tables.bytes;
  }
  // The compact layout (network_compact_refusal) needs one drive and the seeded v0: read ahead
  // (both sections are read again in order below, for the checksum, and must be the same).
  // Tabulated models are never compact, and the tables' reader shares the read-ahead buffer.
  // It runs in the phase frame only: a file saved running in the time frame (its drives were
  // made to differ and equal again, or a crafted one) loads in the full layout, which has the
  // time-frame keys.
  // A file the compact layout can hold has its seeded v0 (within kSeededV0Ulps) replaced by this
  // machine's in either layout (seeded_v0), so that both layouts save the same bytes and
  // sp_rewind starts both from the same voltages; on the machine that wrote it they are the
  // same bits.
  bool seeded_v0 = false;
  if (!tables.count && frame == SP_FRAME_PHASE) {
    Reader ahead = r.ahead(at, at + 16 * uint64_t(d.n), ahead_buf, ahead_cap);
    const double drive = ahead.f64();
    bool equal = ahead.ok();
    for (uint32_t i = 1; equal && i < d.n; ++i) equal = same_bits(ahead.f64(), drive) && ahead.ok();
    if (d.n >= network_compact_min_n()) d.drive = drive;
    sp_network_desc one = d;  // (the description as a compact network's: one drive, no v0)
    one.drive = drive;
    if (equal && !network_compact_refusal(one, true, true)) {
      seeded_v0 = true;
      for (uint32_t i = 0; seeded_v0 && i < d.n; ++i)
        seeded_v0 = within_ulps(ahead.f64(),
                                network_seeded_v0(d.model, d.tau, drive, d.init_seed, i),
                                kSeededV0Ulps) &&
                    ahead.ok();
      fill.may_compact = seeded_v0 && d.n >= network_compact_min_n();
    }
  }

  Network *net = nullptr;
  sp_status s = network_create_filled(&d, fill, &net);
  if (s == SP_ERR_ARGUMENT || s == SP_ERR_UNSUPPORTED || s == SP_ERR_NUMERIC)
    return fail_prefixed(SP_ERR_FORMAT, "not a valid saved network: ");
  if (s != SP_OK) return s;
  // From here on every refusal destroys the network.
  auto refuse = [&](sp_status status) {
    network_destroy(net);
    return status;
  };
  // A phase request on drives that do not allow the phase frame is released, as the drive
  // change that made them so releases it (the engine saves such a network's request as AUTO;
  // a crafted file gets the same network).
  net->frame_request = frame_request == SP_FRAME_PHASE && !network_phase_eligible(net)
                           ? uint32_t(SP_FRAME_AUTO)
                           : frame_request;
  for (uint32_t i = 0; i < d.n; ++i) {
    double v0 = r.f64();
    if (!std::isfinite(v0))
      return refuse(
          fail(SP_ERR_FORMAT, "not a valid saved network: v0[%u] = %g: must be finite", i, v0));
    // (A compact network is always seeded_v0, and keeps no v0: network_v0 is the seeded one.)
    if (seeded_v0) {
      const double seeded = network_seeded_v0(d.model, d.tau, net->drive[0], d.init_seed, i);
      if (!within_ulps(v0, seeded, kSeededV0Ulps))
        return refuse(format_error("the initial voltages changed while loading"));
      if (net->compact) continue;
      v0 = seeded;
    }
    sp_status v0_status = O::check_loaded_v0(v0, net->v0[i], i);
    if (v0_status != SP_OK) return refuse(v0_status);
    // (A custom model's finite threshold, as creation and sp_set_params check it.)
    const double v_spike = net->n_tables ? net->tables[0]->v_spike : INFINITY;
    if (!(v0 < v_spike) && !same_bits(v0, net->v0[i]))
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: v0[%u] = %.17g: must be below v_spike = "
                         "%.17g",
                         i, v0, v_spike));
    net->v0[i] = v0;
  }
  LoadedTimes times;
  times.now = r.f64();
  times.t0 = r.f64();
  times.cur_key = r.f64();
  times.cur_key_time = r.f64();
  times.clock_time = r.f64();
  times.clock_value = r.f64();
  if (!r.ok()) return refuse(format_error("truncated times"));
  // Times of -0.0 load as +0.0 (here, and the refractory ends and queued inputs below): 0.2.0
  // took an input at -0.0 when now() was 0 and wrote such files, whose two layouts then kept
  // a spiker's refractory end with different signs (FORMAT.md, section 4).
  times.now += 0.0;
  times.t0 += 0.0;
  times.cur_key_time += 0.0;
  times.clock_time += 0.0;
  // The frame first (a current-based network marked as running in the phase frame was
  // refused for its due key, which only the phase frame reads), then the dynamic state, which
  // must be sane before the network is built around it.
  if (frame == SP_FRAME_PHASE && (frame_request == SP_FRAME_TIME || !network_phase_eligible(net)))
    return refuse(format_error("running frame = phase for a network it cannot run"));
  s = check_times<O>(*net, times, frame, net->tau);
  if (s != SP_OK) return refuse(s);
  if (frame == SP_FRAME_PHASE) {
    // The phase frame's due key is the threshold key at its instant, up to
    // rounding: it may be a spiker's own key, whose time was rounded (by up to
    // some ulps of the times, which is a large error in the clock when the
    // times are large against tau).
    double s_err = 8 * DBL_EPSILON * (std::fabs(times.cur_key_time) + times.t0) / net->tau;
    double tol;
    double expect = O::loaded_due_key(*net, times.cur_key_time, times.t0, net->tau, s_err, &tol);
    if (!(std::fabs(times.cur_key - expect) <= tol))
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: due key = %.17g: the "
                         "threshold key at its "
                         "time %.17g is %.17g",
                         times.cur_key, times.cur_key_time, expect));
  }
  net->now = times.now;
  net->t0 = times.t0;
  net->cur_key = times.cur_key;
  net->cur_key_time = times.cur_key_time;
  // How far QIF phases may have been rounded since their keys and clocks were computed.
  const double rounding = O::loaded_phase_rounding(*net, times.now);
  double clock_excess = 0.0;  // (a time-frame clock at now(): how far beyond the time's rounding)
  bool zero = false;          // (LIF's time-frame 0: loaded as no cached clock)
  if (!std::isnan(times.clock_time)) {
    // The cached clock is the clock at its time, or a spiker's own clock (from its key or
    // state), which differs from that by the rounding of the time (ds, in units of tau; LIF's
    // clock is exp(s): a relative error ds), or LIF's 0 in the time frame, which loads as no
    // cached clock (kLoadedZeroClockIsNone). A clock far from its time's would give resets from
    // another instant.
    double e = O::clock(*net, times.clock_time);
    double ds = 8 * DBL_EPSILON * (std::fabs(times.clock_time) + times.t0) / net->tau + 1e-6;
    // (The phase frame's own clock is the due key's, which is positive: a zero clock there is
    // refused, as it would reset its spikers to a state of 0.)
    zero = times.clock_value == 0 && O::kLoadedZeroClockIsNone && frame == SP_FRAME_TIME;
    // Beyond that, an own clock's rounding (loaded_clock_slack) for the smallest drive: the
    // phase frame's one drive; in the time frame a bound checked again below, with the flags.
    const double excess = std::fabs(times.clock_value - e) - ds * (1 + std::fabs(e));
    if (!zero && !(excess <= 0)) {
      double min_drive = INFINITY;
      for (uint32_t i = 0; i < net->n; ++i) min_drive = std::fmin(min_drive, drive_of(*net, i));
      if (!(excess <= O::loaded_clock_slack(rounding, min_drive)))
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: clock value = %.17g at %.17g: the clock "
                           "then is %.17g",
                           times.clock_value, times.clock_time, e));
      // A time-frame clock at now() is read again by the events at now(): beyond the time's
      // rounding it must be the own clock of a neuron that spiked at now(), so that rounding
      // is that of the smallest drive among them. (With it taken from every neuron, a crafted
      // clock 5 tau off loaded with one drive of 5e-309 beside drives of 0.5, and every neuron
      // reset from it was keyed before now: a fuzz_load finding.) A clock before now() is
      // never read again.
      if (frame == SP_FRAME_TIME && times.clock_time == times.now) clock_excess = excess;
    }
  }
  net->clock_time = zero ? NAN : times.clock_time;
  net->clock_value = times.clock_value;
  // (The compact layout's refractory ends are kSlotRecent flags of this instant: refr_end_of.)
  net->instant_time = net->compact ? times.now : NAN;
  net->instant_stamp = 0;
  net->frame = frame;
  const bool is_syn = net->tau_syn > 0.0;
  // (The flags' reader shares the buffer: it starts reading only after this
  // one is done.)
  Reader syn_reader = r.ahead(is_syn ? syn_at + 8 : syn_at, syn_at + syn_bytes, ahead_buf,
                              ahead_cap);
  uint64_t syn_seen = kFnvBasis;
  for (uint32_t i = 0; is_syn && i < d.n; ++i) {
    double b = syn_reader.f64();
    uint32_t stale = syn_reader.u32();
    if (!syn_reader.ok()) return refuse(format_error("truncated synaptic section"));
    syn_seen = checksum_of(syn_seen, b, stale);
    if (!(std::fabs(b) <= kMaxSynCoordinate) || stale > 1)
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: synaptic coordinate[%u] = %g, flag %u: must "
                         "be at most %g in magnitude, and 0 or 1",
                         i, b, stale, kMaxSynCoordinate));
    net->syn_aux[i].b = b;
    net->syn_aux[i].stale = stale;
  }
  for (uint32_t i = 0; i < d.n; ++i) {
    double x = r.f64();
    if (!std::isfinite(x))
      return refuse(
          fail(SP_ERR_FORMAT, "not a valid saved network: state[%u] = %g: must be finite", i, x));
    set_state(*net, i, x);
  }
  for (uint32_t i = 0; i < d.n; ++i) {
    double re = r.f64() + 0.0;  // (-0.0 as +0.0, as the times above)
    // -inf before the first spike, else the last spike (at or before now) plus
    // t_ref.
    if (std::isnan(re) || re == INFINITY || (re > -INFINITY && !(re <= times.now + net->t_ref)))
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: refractory end[%u] = "
                         "%.17g: must be -inf or "
                         "at most now + t_ref = %.17g",
                         i, re, times.now + net->t_ref));
    if (net->compact) {
      // t_ref = 0: a refractory end before now() no longer matters.
      net->side[i] = re >= times.now ? kSideRecent : 0;
      continue;
    }
    net->refr_end[i] = re;
    net->neuron[i].flags = re > -INFINITY ? kSlotRecent | kStampUnknown << kStampShift : 0;
  }
  // The phase frame's threshold key at now: a neuron keyed on its own state (not flagged due)
  // reaches threshold at its key's instant, which is not before now (up to the rounding the
  // due-key check allows). After a run past the last event, a key below it would spike at now
  // and become the due key of now, which that check refuses in the saved copy; at the due key's
  // instant, it would spike at now from its own clock, the clock of an earlier time, and reset
  // from that.
  double now_key = -INFINITY, now_tol = 0;
  if (frame == SP_FRAME_PHASE) {
    double s_err = 8 * DBL_EPSILON * (std::fabs(times.now) + times.t0) / net->tau;
    now_key = O::loaded_due_key(*net, times.now, times.t0, net->tau, s_err, &now_tol);
  }
  // Sets flags (kSlotDue) of neuron i, in the slot or the compact layout's side byte, where it
  // keeps the network's due count as it goes (flagged_due reads a side byte only while some
  // neuron is due, and the loop below asks it).
  auto add_flags = [&](uint32_t i, uint32_t f) {
    if (net->compact) {
      if ((f & kSideDue) && !(net->side[i] & kSideDue)) ++net->due_count;
      net->side[i] = static_cast<uint8_t>(net->side[i] | f);
    } else {
      net->neuron[i].flags |= f;
    }
  };
  double spiked_min_drive = INFINITY;  // the smallest drive of a neuron that spiked at now()
  for (uint32_t i = 0; i < d.n; ++i) {
    double key = r.f64();
    if (std::isnan(key))
      return refuse(fail(SP_ERR_FORMAT, "not a valid saved network: queue key[%u] is NaN", i));
    unsigned same_instant = 0;  // version 2's flags of neuron i
    if (version >= 2) {
      same_instant = flags_reader.u8();
      if (!flags_reader.ok()) return refuse(format_error("truncated same-instant flags"));
      unsigned char byte = static_cast<unsigned char>(same_instant);
      flags_seen = checksum(flags_seen, &byte, 1);
      if (same_instant & ~unsigned(kSavedBits))
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: same-instant flags[%u] = %u: only bits 0 "
                           "(due), 1 (spiked at now), 2 and 3 (the cause of its spike) may be set",
                           i, same_instant));
      if ((same_instant & kSavedSpikedNow) && !(refr_end_of(*net, i) >= times.now))
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: same-instant flags[%u] "
                           "say it spiked at "
                           "now = %.17g, but its refractory end is %.17g",
                           i, times.now, refr_end_of(*net, i)));
    }
    // Due to spike at now: the time frame's key is at or before now, the phase
    // frame's is the due key (flagged, when it is not also the state's own
    // key).
    bool due = frame == SP_FRAME_TIME ? key <= times.now : key <= times.cur_key;
    // A due neuron spikes at the due key's instant before time moves on: that
    // instant is now. (Else its reset would take the clock of that earlier
    // instant, or a due key scaled to 0 by a re-base long after it.)
    if (frame == SP_FRAME_PHASE && due && times.cur_key_time != times.now)
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: queue key[%u] = %.17g is due at the due "
                         "key's instant %.17g, before now = %.17g",
                         i, key, times.cur_key_time, times.now));
    // (With current-based synapses the state is A, of either sign: only its size is checked.)
    sp_status state_status = is_syn ? check_syn_membrane(*net, i)
                                    : O::check_loaded_state(*net, i, due, times.now);
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
      // A QIF phase's re-bases may move it further (Ops<Qif>::loaded_phase_rounding).
      // (Compared with the spike time itself: the engine keys one before now at now, but a
      // key just after now is not that of a state whose spike time is long past, which would
      // spike then from its own, earlier clock: a fuzz_load finding.)
      if (!is_syn) expect = O::neuron_spike_time(*net, i);
      double tol = (is_syn ? 1e-6 : 1e-9) * (std::fabs(expect) + times.t0 + d.tau) +
                   O::loaded_key_drift(*net, i, rounding);
      bool near = key == expect || (std::isfinite(expect) && std::fabs(key - expect) <= tol);
      if (is_syn && net->syn_aux[i].stale) near = key >= times.now && key <= expect + tol;
      // (Or, with current-based synapses at a drive at threshold by rounding, a key the state
      // can no longer reproduce: see lif_syn_key_beyond_state.)
      if (is_syn && !near) near = lif_syn_key_beyond_state(net, i, key);
      if (!due && !near)
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: queue key[%u] = %.17g: neither at or "
                           "before now = %.17g nor the next spike time %.17g of its state",
                           i, key, times.now, expect));
      net->time_key[i] = key;
      if (version >= 2) {
        // (The flag does not set a time-frame key, the saved key does: a file from an
        // engine that kept the flag after an input moved the key off now() loads as saved.)
        if (same_instant & kSavedDue) net->neuron[i].flags |= kSlotDue;  // (never compact)
      } else if (due && refr_end_of(*net, i) == times.now) {
        // Version 1 guesses: a neuron due at now() is flagged due, as the event
        // loop flags it: its refractory end is now(), like a neuron that spiked
        // at now() with t_ref = 0 and whose next spike time rounds to now()
        // (which must not spike again then). Due: its key is the due key, not
        // its state's spike time (after sp_set_drive its state is a reset), or
        // an input took it to threshold (the state is at threshold; a reset
        // state is not).
        bool at_threshold = false;
        if constexpr (O::kInputsCanFire) {
          double e = times.clock_time == times.now ? times.clock_value : O::clock(*net, times.now);
          at_threshold = O::at_threshold(*net, state_of(*net, i), drive_of(*net, i), e);
        }
        if (at_threshold || !(expect <= times.now)) net->neuron[i].flags |= kSlotDue;  // (same)
      }
    } else if (version >= 2) {
      // The phase frame's key is the state's, or the due key exactly for a
      // flagged neuron.
      bool flagged = (same_instant & kSavedDue) != 0;
      if (key != (flagged ? times.cur_key : expect))
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: queue key[%u] = %.17g: a neuron %s due "
                           "has the key %.17g",
                           i, key, flagged ? "flagged" : "not flagged",
                           flagged ? times.cur_key : expect));
      if (flagged) add_flags(i, kSlotDue);
    } else if (key != expect) {
      // The phase frame's key is the state, except for a neuron due at now().
      if (key != times.cur_key)
        return refuse(fail(SP_ERR_FORMAT,
                           "not a valid saved network: queue key[%u] = %.17g matches neither "
                           "its state's key %.17g nor the due key %.17g",
                           i, key, expect, times.cur_key));
      add_flags(i, kSlotDue);
    }
    if (!flagged_due(*net, i) && key < now_key - now_tol)
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: queue key[%u] = %.17g: not flagged due, and "
                         "its instant is before now = %.17g (the threshold key then is %.17g)",
                         i, key, times.now, now_key));
    // now() is the instant of the last event (or later, when no neuron
    // matches): a neuron that spiked at it (refractory end now() + t_ref) gets
    // its stamp, so that the same-instant rule holds as in the saved network
    // (it cannot spike again at now(): SP_ERR_NUMERIC, not one more spike), and
    // so does a neuron flagged due with that refractory end (taken to threshold
    // at now(): the event loop stamps it so, and the compact layout, whose
    // refractory ends are these stamps, has it so). A phase-frame neuron at or
    // below the due key may be due without a flag (its state's key is the due
    // key): it keeps the unknown stamp, as do all others (which reads their
    // refractory end). Version 2 says which neurons spiked at now(); version 1
    // guesses it from the refractory end.
    uint32_t flags = net->compact ? net->side[i] : net->neuron[i].flags;
    const uint32_t cause = (same_instant >> kSavedCauseShift) & kMarkCause;
    if (version >= 2 && !net->compact) net->marks[i] = static_cast<uint8_t>(cause);
    const bool spiked_now = version >= 2
                                ? (same_instant & kSavedSpikedNow) != 0
                                : (flags & kSlotRecent) &&
                                      refr_end_of(*net, i) == times.now + net->t_ref &&
                                      ((flags & kSlotDue) || !(frame == SP_FRAME_PHASE && due));
    // A neuron that spiked at now() cannot spike again then (event rule 3; one flagged due, taken
    // to threshold at now(), spikes once). Its next spike comes t_ref plus its free period after
    // the reset, and the engine keys it at now() only where that is below the resolution of the
    // time: it then refuses the step (SP_ERR_NUMERIC, naming the period), as the loaded copy
    // does. A key that spikes it at now() although that next spike is resolved after now() (by
    // 16 ulps of now(), twice the engine's error on a spike time) is no state a running network
    // has: loaded, every step was refused, blaming a period that is resolved. (Not checked with
    // current-based synapses: a drive change at the instant of such a spike keeps its key at
    // now() even where the new drive never brings it to threshold, and the engine saves that.)
    if (spiked_now) {
      spiked_min_drive = std::fmin(spiked_min_drive, drive_of(*net, i));
      if (!is_syn) {
        const double drive = drive_of(*net, i);
        const bool at_now = !(flags & kSlotDue) &&
                            (frame == SP_FRAME_TIME
                                 ? key <= times.now
                                 : due || O::phase_key_time(*net, key) <= times.now);
        const double after = net->t_ref +
                             (O::oscillatory(drive) ? O::period(*net, drive) : INFINITY);
        if (at_now && times.now + after / 32 > times.now)
          return refuse(fail(SP_ERR_FORMAT,
                             "not a valid saved network: queue key[%u] = %.17g spikes it at now "
                             "= %.17g, where it spiked (%s) and cannot spike again: its next "
                             "spike comes %g s later (t_ref and its period), which the time "
                             "resolves",
                             i, key, times.now,
                             version >= 2 ? "same-instant flags, bit 1"
                                          : "version 1: its refractory end is now + t_ref",
                             after));
      }
      flags = kSlotRecent | (flags & kSlotDue);  // stamp 0, the instant's
    } else if (drops_past_refr_ends(*net) && !(flags & kSlotDue) &&
               refr_end_of(*net, i) >= times.now) {
      // t_ref = 0, a refractory end at now(), and neither this instant's spike (its flags say
      // so; version 1: the guess) nor taken to threshold at it (not due): only a crafted file
      // or version 1's guess has it. The end no longer matters, as one before now(), which
      // these networks save as -inf: both layouts read it so (the compact one knows only the
      // instant's flags, where it would read "spiked at now"), and the neuron takes the
      // instant's inputs and may spike at it.
      flags = 0;
      if (!net->compact) net->refr_end[i] = -INFINITY;
    }
    if (version >= 2 && net->compact) flags |= cause << kCompactCauseShift;
    if (net->compact)
      net->side[i] = static_cast<uint8_t>(flags);
    else
      net->neuron[i].flags = flags;
  }
  // (And at most t0/tau: a time-frame own clock is (key - t0')/tau for the t0' its key was
  // computed at, between 0 and t0, less the re-bases' rounding of its phase since, which each
  // lose at most their own shift: a crafted clock of 0 at t0 = 0 with a drive of 1e-312 that
  // spiked at now loaded, a fuzz_load finding.)
  if (clock_excess > 0 &&
      !(clock_excess <=
        std::fmin(O::loaded_clock_slack(rounding, spiked_min_drive), times.t0 / net->tau)))
    return refuse(fail(SP_ERR_FORMAT,
                       "not a valid saved network: clock value = %.17g at now = %.17g: the "
                       "clock then is %.17g, and it is not the own clock of a neuron that "
                       "spiked then (the smallest drive among them: %g)",
                       times.clock_value, times.now, O::clock(*net, times.now), spiked_min_drive));
  if (net->compact) {
    // The list of the instant's flagged neurons. (The due count is add_flags's: nothing since
    // clears a due flag.)
    net->recent_count = 0;
    for (uint32_t i = 0; i < d.n; ++i) {
      if (!(net->side[i] & kSideRecent)) continue;
      net->side[i] &= ~kSideRecent;
      network_mark_recent(net, i);
    }
  }
  net->instant_time = times.now;
  net->instant_stamp = 0;
  network_rebuild_queue(net);
  // The queued count and the next sequence number; the count was read ahead to
  // size the sections.
  uint32_t queued_again = r.u32();
  uint64_t issued = r.u64();
  if (!r.ok() || queued_again != queued) return refuse(format_error("truncated input queue"));
  for (uint32_t q = 0; q < queued; ++q) {
    double t = r.f64() + 0.0;  // (-0.0 as +0.0, as the times above)
    uint64_t seq = r.u64();
    uint32_t c = r.u32();
    if (!std::isfinite(t) || t < times.now || c >= d.n_inputs || seq >= issued)
      return refuse(fail(SP_ERR_FORMAT,
                         "not a valid saved network: queued input %u (t = %.17g, channel %u, "
                         "sequence %llu): needs now <= t < inf, channel < n_inputs = %u and "
                         "sequence < %llu",
                         q, t, c, static_cast<unsigned long long>(seq), d.n_inputs,
                         static_cast<unsigned long long>(issued)));
    net->queue_time[q] = t;
    net->queue_seq[q] = seq;
    net->queue_channel[q] = c;
  }
  if (version >= 2) {
    // The flags once more, in order (the checksum covers them): the bytes used
    // above.
    uint64_t flags_read = kFnvBasis;
    for (uint32_t i = 0; i < d.n; ++i) {
      unsigned char byte = r.u8();
      flags_read = checksum(flags_read, &byte, 1);
    }
    if (r.ok() && flags_read != flags_seen)
      return refuse(format_error("the same-instant flags changed while loading"));
  }
  if (is_syn) {
    // The synaptic section once more, in order (the checksum covers it): the
    // values used above.
    double tau_syn = r.f64();
    uint64_t syn_read = kFnvBasis;
    for (uint32_t i = 0; i < d.n; ++i) {
      double b = r.f64();
      uint32_t stale = r.u32();
      syn_read = checksum_of(syn_read, b, stale);
    }
    if (r.ok() && (!same_bits(tau_syn, d.tau_syn) || syn_read != syn_seen))
      return refuse(format_error("the synaptic section changed while loading"));
  }
  if (tables.count && r.ok() && !reread_tables(r, tables, *net))
    return refuse(format_error("the tables changed while loading"));
  if (!r.ok() || r.remaining() != 0) return refuse(format_error("truncated input queue"));
  net->queue.restore(queued, issued);
  if (!net->queue.valid()) return refuse(format_error("queued inputs out of heap order"));
  *out = net;
  return SP_OK;
}

// The payload starts with the model number: the checks of the state depend on
// the model.
sp_status load_payload(Reader &r, uint32_t version, unsigned char *ahead_buf, size_t ahead_cap,
                       const sp_allocator *alloc, Network **out) {
  unsigned char field[4];
  if (!r.peek(r.position(), field, 4)) return format_error("truncated header fields");
  uint32_t model = Reader(field, 4, 0, 4).u32();
  if (!model_runs(model))
    return fail(SP_ERR_FORMAT,
                "not a valid saved network: model = %u: not a model this version runs", model);
  return with_model(model, [&](auto m) {
    return load_payload_as<Ops<decltype(m)>>(r, version, ahead_buf, ahead_cap, alloc, out);
  });
}

// What a saved network may not have, refused before anything is written: every saved file
// must load.
sp_status check_savable(const Network &net) {
  if (net.queue.capacity() > kMaxInputCapacity)
    return fail(SP_ERR_UNSUPPORTED,
                "input_capacity = %u: a saved network may queue at most %u inputs (sp_load "
                "would refuse the file)",
                net.queue.capacity(), kMaxInputCapacity);
  return SP_OK;
}

}  // namespace

sp_status save_network(const Network *net, void *buf, size_t cap, size_t *len) {
  sp_status savable = check_savable(*net);
  if (savable != SP_OK) return savable;
  uint64_t need = kHeaderBytes + payload_bytes(*net) + kChecksumBytes;
  if (need > SIZE_MAX)
    return fail(SP_ERR_NOMEM, "the saved network needs more bytes than can be addressed");
  if (!buf) {
    *len = static_cast<size_t>(need);
    return SP_OK;
  }
  if (cap < need)
    return fail(SP_ERR_CAPACITY, "cap = %zu: the saved network needs %llu bytes", cap,
                static_cast<unsigned long long>(need));
  Writer w(static_cast<unsigned char *>(buf), static_cast<size_t>(need), nullptr);
  write_network(w, *net);
  *len = static_cast<size_t>(need);
  return SP_OK;
}

sp_status save_network_file(const Network *net, const char *path, size_t chunk_bytes) {
  sp_status savable = check_savable(*net);
  if (savable != SP_OK) return savable;
  unsigned char *buf = static_cast<unsigned char *>(arena_alloc(net->alloc, chunk_bytes));
  if (!buf)
    return fail(SP_ERR_NOMEM, "allocating a %zu-byte buffer to save the network failed",
                chunk_bytes);
  sp_status s = SP_OK;
  errno = 0;
  std::FILE *f = std::fopen(path, "wb");
  if (!f) {
    s = fail(SP_ERR_IO, "cannot open for writing (%s): '%s'", os_reason(errno).text, path);
  } else {
    // Unbuffered: the writer hands over whole chunks, so stdio's own buffer would only copy.
    std::setvbuf(f, nullptr, _IONBF, 0);
    Writer w(buf, chunk_bytes, f);
    write_network(w, *net);
    bool ok = w.ok();
    int err = w.write_errno();
    errno = 0;
    if (std::fclose(f) != 0) {
      if (ok) err = errno;
      ok = false;
    }
    if (!ok)
      s = fail(SP_ERR_IO, "writing %llu bytes failed (%s): '%s'",
               static_cast<unsigned long long>(w.size()), os_reason(err).text, path);
  }
  arena_free(net->alloc, buf, chunk_bytes);
  return s;
}

sp_status load_network(const void *buf, size_t len, const sp_allocator *alloc, Network **out) {
  if (!buf) return fail(SP_ERR_ARGUMENT, "buf is NULL");
  const unsigned char *p = static_cast<const unsigned char *>(buf);
  uint64_t payload = 0;
  uint32_t version = 0;
  sp_status s = check_header(p, len, &payload, &version);
  if (s != SP_OK) return s;
  Reader r(p, len, 0, len - kChecksumBytes);
  if (checksum(kFnvBasis, p, len - kChecksumBytes) != r.stored_checksum())
    return format_error("checksum mismatch (the bytes are corrupted)");
  Reader body(p, len, kHeaderBytes, len - kChecksumBytes);
  return load_payload(body, version, nullptr, 0, alloc, out);
}

namespace {

// Opens a regular file for reading. Anything else is refused before a byte is read: a FIFO
// (opened without waiting for a writer, which would block for ever), a device such as
// /dev/null or /dev/zero, a directory.
std::FILE *open_regular_file(const char *path, sp_status *s) {
#ifdef SP_POSIX_FILES
  int fd = ::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *s = fail(SP_ERR_IO, "cannot open for reading (%s): '%s'", os_reason(errno).text, path);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    *s = fail(SP_ERR_IO, "not a regular file: '%s'", path);
    return nullptr;
  }
  int flags = ::fcntl(fd, F_GETFL);
  std::FILE *f = flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ? nullptr
                                                                             : ::fdopen(fd, "rb");
  if (!f) {
    const int err = errno;
    ::close(fd);
    *s = fail(SP_ERR_IO, "cannot open for reading (%s): '%s'", os_reason(err).text, path);
  }
  return f;
#else
  errno = 0;
  std::FILE *f = std::fopen(path, "rb");
  if (!f) *s = fail(SP_ERR_IO, "cannot open for reading (%s): '%s'", os_reason(errno).text, path);
  return f;
#endif
}

}  // namespace

sp_status load_network_file(const char *path, Network **out, size_t chunk_bytes) {
  sp_status opened = SP_OK;
  std::FILE *f = open_regular_file(path, &opened);
  if (!f) return opened;
  // (Without the POSIX check above) a directory may open and report any size,
  // but reading it fails: read one byte before trusting the size.
  int first = std::fgetc(f);
  if (first == EOF && std::ferror(f)) {
    std::fclose(f);
    return fail(SP_ERR_IO, "cannot read (a directory or an unreadable file): '%s'", path);
  }
  long size = -1;
  if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
  if (size < 0 || std::fseek(f, 0, SEEK_SET) != 0) {
    std::fclose(f);
    return fail(SP_ERR_IO, "cannot determine the size (not a regular file?): '%s'", path);
  }
  uint64_t len = static_cast<uint64_t>(size);
  unsigned char header[kHeaderBytes] = {};
  size_t got = std::fread(header, 1, len < kHeaderBytes ? static_cast<size_t>(len) : kHeaderBytes,
                          f);
  if (got != (len < kHeaderBytes ? len : kHeaderBytes)) {
    std::fclose(f);
    return fail(SP_ERR_IO, "reading failed: '%s'", path);
  }
  uint64_t payload = 0;
  uint32_t version = 0;
  sp_status s = check_header(header, len, &payload, &version);
  if (s != SP_OK) {
    std::fclose(f);
    return s;
  }
  // The reader's chunk, and one an eighth of it for the same-instant flags read
  // ahead beside the queue keys (a byte per neuron against eight).
  sp_allocator a = default_allocator();
  size_t ahead_bytes = chunk_bytes / 8 ? chunk_bytes / 8 : 1, bytes = chunk_bytes + ahead_bytes;
  unsigned char *buf = static_cast<unsigned char *>(a.alloc(a.ctx, bytes, 64));
  if (!buf) {
    std::fclose(f);
    return fail(SP_ERR_NOMEM, "allocating a %zu-byte buffer to read the file failed: '%s'", bytes,
                path);
  }
  Reader r(f, len, kHeaderBytes, len - kChecksumBytes, buf, chunk_bytes,
           checksum(kFnvBasis, header, kHeaderBytes));
  Network *net = nullptr;
  s = load_payload(r, version, buf + chunk_bytes, ahead_bytes, nullptr, &net);
  // The checksum covers every byte, so it is checked before any other verdict
  // is given (a refusal reads on to the end for it): a corrupted file is
  // reported as corrupted.
  uint64_t stored = r.stored_checksum();
  if (r.io_failed()) {
    s = fail(SP_ERR_IO, "reading failed (the file changed or could not be read): '%s'", path);
  } else if (!r.ok() || stored != r.computed_checksum()) {
    s = format_error("checksum mismatch (the bytes are corrupted)");
  }
  if (s != SP_OK && net) {
    network_destroy(net);
    net = nullptr;
  }
  a.free(a.ctx, buf, bytes);
  std::fclose(f);
  if (s == SP_OK) *out = net;
  return s;
}

}  // namespace sp
