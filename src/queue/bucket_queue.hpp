// The network's spike queue: the neuron with the smallest (key, index) next, in amortised O(1)
// per key change for the keys a spiking network produces.
//
// A heap over all N neurons pays a chain of dependent cache misses for almost every
// synaptic event (target -> heap position -> node -> children), yet only the few neurons near
// threshold can spike soon. So the queue is two-level:
//  - near: an exact 4-ary heap (of neuron indices, with their keys beside them while there is
//    room, below; else read from the neurons' records) holding
//    every neuron whose key falls in a bucket <= the current bucket `bcur`;
//  - far: every other neuron sits in a bucket list, keyed by a monotone function of its key
//    (equal-width buckets on the key, or on the bits of a positive key for LIF's exponential
//    coordinates). The lists are lazy: a key that grows leaves its entry where it is (the
//    bucket is then a lower bound), and the entry is moved to the right bucket only when its
//    bucket is opened. A key that shrinks into an earlier bucket gets a new entry; the old one
//    is recognised as stale (the neuron's tag no longer names that bucket) and dropped.
// When the near heap's top lies beyond bcur, the next bucket is opened: its neurons join the
// heap or move on. A synaptic event to a far neuron thus costs one write to its record and
// usually nothing else.
//
// Order is exact: the bucket function is monotone in the key, so the smallest (key, index) of
// all neurons is always the near heap's top once that top lies in a bucket <= bcur. No
// assumption is made about how keys move: any key may be set at any time.
//
// Keys are not copied into the queue: it reads them where the network keeps them, either a
// key array (stored keys, e.g. next spike times) or implied by the neurons' states (the phase
// frame's key is the co-moving state itself, or the due key for a neuron flagged due).
//
// Bucket entries live in 128-byte chunks from a fixed pool carved at creation; when the pool
// runs low (stale entries pile up), the whole queue is rebuilt from the keys in O(N), which
// also re-tunes the bucket width to the current spread of keys. Nothing is allocated here.
//
// The near heap has room for all N neurons (4 bytes each), or, in the shared mode (the
// network's compact layout), it lives in the same block of words as the chunks: a neuron is
// near or has one valid bucket entry, so N words plus the lists' partial chunks always hold
// both. Each rebuild splits the block: the near neurons it finds plus half the spare room for
// the heap, the rest for chunks; when either part runs out, the queue is rebuilt (and split
// again), which is amortised over the spare room's size (N/32 words).
//
// The heap's nodes carry their keys (a double beside each index, `hkey_`), so that sifting
// compares keys in one array instead of reading four neurons' records per level (the spiker's
// reset sifts through the whole depth). The key room is bounded: N/32 + 64 keys beside the
// full heap, or in the shared mode the keys of the near neurons a rebuild finds plus half the
// spare room, taken only when they fit in half of it. A heap that outgrows its key room drops
// the keys and reads the records, as without them (same comparisons, same order), and takes
// them back when it has shrunk to half the room again. (The LIF balanced network's near heap
// holds about N/170 neurons, at most N/100; QIF's N/2000.)
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sp {

// A run of bucket entries (neuron indices).
struct BucketChunk {
  uint32_t next;  // next chunk of the same list, or kNil
  uint32_t count;
  uint32_t ids[30];
};
static_assert(sizeof(BucketChunk) == 128, "two cache lines per chunk");

// How bucket indices follow keys: Linear for keys that grow linearly with time (spike times,
// QIF phases), Log for positive keys that grow exponentially (LIF's u), where equal buckets
// on the key's bits are equal steps in time.
enum class QueueScale : uint32_t { Linear, Log };

// kRecBytes: the size of the network's per-neuron records, which hold the state (a double at
// offset 0) and the queue's tag (a uint32 at offset 8). kSideFlags: where the due flag is: in
// the record (a uint32 of flags at offset 12, kDueFlag), or in a byte per neuron beside the
// records (kSideDueFlag), read only while a neuron is due at all (the network's due count).
template <uint32_t kRecBytes, bool kSideFlags>
class BucketQueueT {
 public:
  using Scale = QueueScale;
  static constexpr size_t kRecordBytes = kRecBytes;

  // Storage the network carves for `n` neurons.
  static uint32_t window_for(uint32_t n);
  static uint64_t chunk_count(uint32_t n);
  // The near heap's words: n indices, then (8-byte aligned) the keys of up to key_slots(n).
  static uint64_t heap_slots(uint32_t n) { return uint64_t(n) + 1 + 2 * key_slots(n); }
  static uint64_t key_slots(uint32_t n) { return n / 32 + 64; }
  // The shared mode's block, in 32-bit words (a multiple of a chunk's).
  static uint64_t shared_words(uint32_t n);

  static_assert(kRecordBytes % sizeof(uint32_t) == 0 && kRecordBytes >= 12, "record layout");
  static_assert(kSideFlags || kRecordBytes >= 16, "the flags need their word");
  static constexpr size_t kWordStride = kRecordBytes / sizeof(uint32_t);
  // The flag bit that marks a neuron due (implied keys): its key is the due key.
  static constexpr uint32_t kDueFlag = 2;
  // The flag bit that marks a stored key stale (records with flags only): a lower bound of the
  // neuron's key, whose true value the refresh function given to use_stored_keys computes (and
  // stores, clearing the flag) when the queue needs it: when the neuron's bucket is opened or
  // the queue rebuilt. The caller sets it for a far neuron whose key grew (see update_later)
  // instead of computing the new key; update() and update_top() store fresh keys and clear it.
  static constexpr uint32_t kStaleFlag = 4;
  using Refresh = double (*)(void *context, uint32_t i);
  static constexpr uint8_t kSideDueFlag = 2;
  // The tag bit that marks a neuron near (in the heap; a far neuron's tag never has it).
  static constexpr uint32_t kNearTag = 0x80000000u;

  void bind(double *state_base, uint32_t *tag_base, uint32_t *flag_base, uint32_t n, uint32_t *heap,
            BucketChunk *pool, uint64_t pool_chunks, uint32_t *heads, uint64_t *occupied) {
    state_ = state_base;
    tag_ = tag_base;
    flags_ = flag_base;
    n_ = n;
    heap_ = heap;
    pool_ = pool;
    pool_chunks_ = pool_chunks;
    head_ = heads;
    occupied_ = occupied;
    window_ = window_for(n);
    heap_cap_ = n;
    shared_ = nullptr;
    // (heap_slots(n) words: the keys after the indices, on an 8-byte boundary.)
    uintptr_t keys = reinterpret_cast<uintptr_t>(heap + n);
    hkey_ = reinterpret_cast<double *>((keys + 7) & ~uintptr_t(7));
    key_cap_ = static_cast<uint32_t>(key_slots(n) < n ? key_slots(n) : n);
    keyed_ = true;
  }
  // The shared mode: heap and chunks in one block of shared_words(n) words; the due flags in
  // side_flags (one byte per neuron), read while *due_count != 0.
  void bind_shared(double *state_base, uint32_t *tag_base, const uint8_t *side_flags,
                   const uint32_t *due_count, uint32_t n, uint32_t *words, uint32_t *heads,
                   uint64_t *occupied) {
    bind(state_base, tag_base, nullptr, n, words, nullptr, 0, heads, occupied);
    side_ = side_flags;
    due_count_ = due_count;
    shared_ = words;
    heap_cap_ = 0;
    key_cap_ = 0;  // (rebuild() splits the block)
    keyed_ = false;
  }

  // Where the keys come from; call rebuild() after choosing (or after changing many keys).
  // Stored: key(i) = keys[i]; update() writes it. refresh(context, i): neuron i's true key when
  // it is flagged stale (kStaleFlag), stored by the function, which clears the flag; it reads
  // refresh_reads[i] (or nothing else per neuron, if null), which the queue prefetches with
  // the keys when it opens a bucket.
  void use_stored_keys(double *keys, Scale scale, Refresh refresh = nullptr,
                       void *context = nullptr, const double *refresh_reads = nullptr) {
    stored_ = keys;
    scale_ = scale;
    refresh_ = refresh;
    refresh_context_ = context;
    refresh_reads_ = refresh_reads;
  }
  // Implied: key(i) = *due_key if neuron i is flagged due, else sign * state(i); update() is
  // told the new key after the caller has changed the state or flag. (Scale::Log needs keys
  // > 0; rebuild() falls back to Linear when it finds others.)
  void use_implied_keys(double sign, const double *due_key, Scale scale) {
    stored_ = nullptr;
    sign_ = sign;
    due_ = due_key;
    scale_ = scale;
  }
  // Builds the queue from the current keys, in O(n).
  void rebuild();

  uint32_t size() const { return n_; }
  double key_of(uint32_t i) const { return key(i); }

  // The neuron with the smallest (key, index) and its key (+inf when every key is +inf).
  uint32_t top() {
    settle();
    return near_size_ ? heap_[0] : first_never();
  }
  double top_key() {
    settle();
    return near_size_ ? node_key(0) : __builtin_inf();
  }

  // The near heap's top without settling (UINT32_MAX if the heap is empty): the next top()
  // unless keys change or buckets must be opened first. For prefetching.
  uint32_t front() const { return near_size_ ? heap_[0] : UINT32_MAX; }

  // Neuron i's key is now k. The common case, a far neuron whose key grows, is inline: one
  // bucket computation and no list work.
  // (Always inline: it is the delivery loop's hot path, and GCC's heuristics stopped inlining
  // it when the class grew; a call per delivery cost about 3% of the instructions.)
  __attribute__((always_inline)) void update(uint32_t i, double k) {
    if (stored_) store(i, k);
    uint32_t t = tag(i);
    // A far tag is a bucket, kOverflow or kNever, all below kNear; a key in the tagged bucket
    // or later keeps its entry (overflow and never entries only for +inf keys here).
    if (!(t & kNear) && bucket(k) >= int64_t(t)) return;
    update_slow(i, k, t);
  }
  // Neuron i's implied key (use_implied_keys) is now k, which the caller knows is not below its
  // previous key: a far entry then stays a valid lower bound (the test update() makes would
  // pass), so only a near neuron needs work.
  __attribute__((always_inline)) void update_later(uint32_t i, double k) {
    uint32_t t = tag(i);
    if (t & kNear) update_slow(i, k, t);
  }
  // The key of top() (which must have been called since the last change) is now k.
  void update_top(double k) {
    uint32_t j = heap_[0];
    if (stored_) store(j, k);
    int64_t b = bucket(k);
    if (b <= bcur_) {
      sift_down(0, j, key(j));  // (k, unless a caller's k disagrees with the record: see update)
      return;
    }
    --near_size_;
    if (near_size_) sift_down(0, heap_[near_size_], node_key(near_size_));
    enter_far(j, destination(b, k));
  }

  // Checks every invariant; for tests.
  bool valid() const;
  // How many times the queue was rebuilt (build, rekey, pool exhaustion, ...); for tests.
  uint64_t rebuilds() const { return rebuilds_; }
  // Whether the heap's nodes carry their keys now, and how many neurons are near; for tests.
  bool keyed() const { return keyed_; }
  uint32_t near_count() const { return near_size_; }

 private:
  static constexpr uint32_t kNil = 0xffffffffu;
  static constexpr uint32_t kChunkIds = sizeof(BucketChunk::ids) / sizeof(uint32_t);
  static constexpr uint32_t kReserve = kChunkIds + 2;
  static constexpr uint32_t kNear = kNearTag;              // tag: near, low bits = heap position
  static constexpr uint32_t kOverflow = 0x7ffffffeu;       // tag: beyond the window
  static constexpr uint32_t kNever = 0x7fffffffu;          // tag: key +inf
  static constexpr uint32_t kMoving = 0x7ffffffdu;         // tag: being moved by redistribute
  static constexpr int64_t kMaxBucket = int64_t(1) << 30;  // rebuild before bcur gets here
  static constexpr int64_t kNoBucket = INT64_MAX;          // next_occupied(): none

  double key(uint32_t i) const {
    if (stored_) return stored_[i];
    return implied_key(i);
  }
  // A fresh stored key for neuron i.
  void store(uint32_t i, double k) {
    stored_[i] = k;
    if constexpr (!kSideFlags) flags_[size_t(i) * kWordStride] &= ~kStaleFlag;
  }
  // Neuron i's stored key, refreshed first if it is stale.
  double fresh_stored_key(uint32_t i) {
    if constexpr (!kSideFlags)
      if (__builtin_expect(flags_[size_t(i) * kWordStride] & kStaleFlag, 0))
        return refresh_(refresh_context_, i);
    return stored_[i];
  }
  // key(i) with implied keys (use_implied_keys).
  double implied_key(uint32_t i) const {
    if constexpr (kSideFlags) {
      if (*due_count_ && (side_[i] & kSideDueFlag)) return *due_;
    } else if (flags_[size_t(i) * kWordStride] & kDueFlag) {
      return *due_;
    }
    return sign_ * state(i);
  }
  double state(uint32_t i) const {
    if constexpr (kRecordBytes % sizeof(double) == 0) {
      return state_[size_t(i) * (kRecordBytes / sizeof(double))];
    } else {
      double x;  // (at a multiple of 4 bytes only)
      std::memcpy(&x, reinterpret_cast<const char *>(state_) + size_t(i) * kRecordBytes, sizeof x);
      return x;
    }
  }
  uint32_t &tag(uint32_t i) const { return tag_[size_t(i) * kWordStride]; }
  // Starts loading what key(i) and tag(i) read.
  template <bool kStored>
  void prefetch(uint32_t i) const {
    __builtin_prefetch(&tag_[size_t(i) * kWordStride]);
    if (kStored) __builtin_prefetch(&stored_[i]);
    if (kStored && refresh_reads_) __builtin_prefetch(&refresh_reads_[i]);
  }

  // The bits of x as an integer in the order of x (branch-free).
  static uint64_t ordered_bits(double x) {
    uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    uint64_t mask = static_cast<uint64_t>(static_cast<int64_t>(b) >> 63) | (uint64_t(1) << 63);
    return b ^ mask;
  }

  // The bucket of a key, monotone non-decreasing in the key. Keys below the origin give
  // negative buckets (always near); +inf, NaN and huge keys give buckets >= kMaxBucket.
  __attribute__((always_inline)) int64_t bucket(double k) const {
    return scale_ == Scale::Log ? bucket_t<true>(k) : bucket_t<false>(k);
  }
  // bucket(k) on the scale kLog (Scale::Log) or Linear, which must be the queue's.
  template <bool kLog>
  __attribute__((always_inline)) int64_t bucket_t(double k) const {
    if (kLog) {
      // A NaN's bits order it beyond +inf, or below -inf when its sign bit is set (x86's
      // default NaN): make it +inf, "never", as the linear scale does.
      if (k != k) return kMaxBucket;
      // Positive keys only (rebuild() checks), so the difference fits in 63 bits; the
      // arithmetic shift keeps the order of negative differences. Capped at kMaxBucket as the
      // linear scale is: an uncapped bucket could reach the never tag, and update() would then
      // leave a neuron whose key went from +inf to finite in the never list (after a rebuild
      // with every key +inf, the origin is 0 and any finite key's bucket is about 2^62).
      int64_t b = static_cast<int64_t>(ordered_bits(k) - origin_bits_) >> shift_;
      return b < kMaxBucket ? b : kMaxBucket;
    }
    double x = (k - origin_) * inv_width_;
    if (x < double(kMaxBucket) && x > -double(kMaxBucket)) return static_cast<int64_t>(x);
    return x < 0 ? -kMaxBucket : kMaxBucket;
  }

  // The list for a far neuron (bucket b > bcur, key k): b itself, overflow or never. A NaN key
  // is never: in the overflow list it would make settle() rebuild forever.
  uint32_t destination(int64_t b, double k) const {
    if (b - bcur_ < int64_t(window_) && b < kMaxBucket) return static_cast<uint32_t>(b);
    return k < __builtin_inf() ? kOverflow : kNever;
  }

  bool less(uint32_t a, uint32_t b) const {
    double ka = key(a), kb = key(b);
    return ka < kb || (ka == kb && a < b);
  }
  // The heap's order: (key, index).
  static bool before(double ka, uint32_t a, double kb, uint32_t b) {
    return ka < kb || (ka == kb && a < b);
  }
  // before() without a branch.
  static bool before_flat(double ka, uint32_t a, double kb, uint32_t b) {
    return (ka < kb) | ((ka == kb) & (a < b));
  }
  // The key of heap node p: carried, or read from the neuron's record.
  template <bool kKeyed>
  double node_key_t(uint32_t p) const {
    return kKeyed ? hkey_[p] : key(heap_[p]);
  }
  double node_key(uint32_t p) const { return keyed_ ? hkey_[p] : key(heap_[p]); }
  template <bool kKeyed>
  void place(uint32_t p, uint32_t id, double k) {
    heap_[p] = id;
    if (kKeyed) hkey_[p] = k;
    tag(id) = kNear | p;
  }
  // Moves `id` (key k, at node p) up to its place; returns whether it moved.
  template <bool kKeyed>
  bool sift_up_t(uint32_t p, uint32_t id, double k) {
    const uint32_t start = p;
    while (p > 0) {
      uint32_t parent = (p - 1) / 4;
      double pk = node_key_t<kKeyed>(parent);
      if (!before(k, id, pk, heap_[parent])) break;
      place<kKeyed>(p, heap_[parent], pk);
      p = parent;
    }
    place<kKeyed>(p, id, k);
    return p != start;
  }
  template <bool kKeyed>
  void sift_down_t(uint32_t p, uint32_t id, double k) {
    for (;;) {
      uint32_t first = 4 * p + 1;
      if (first >= near_size_) break;
      prefetch_grandchildren<kKeyed>(first);
      uint32_t best, best_id;
      double best_key;
      if (first + 4 <= near_size_) {
        // Four children: a tournament without branches (which child wins is a coin toss, and
        // a mispredicted branch per level cost more than the selects).
        const uint32_t i0 = heap_[first], i1 = heap_[first + 1];
        const uint32_t i2 = heap_[first + 2], i3 = heap_[first + 3];
        const double k0 = node_key_t<kKeyed>(first), k1 = node_key_t<kKeyed>(first + 1);
        const double k2 = node_key_t<kKeyed>(first + 2), k3 = node_key_t<kKeyed>(first + 3);
        const bool b10 = before_flat(k1, i1, k0, i0), b32 = before_flat(k3, i3, k2, i2);
        const uint32_t ca = first + b10, cb = first + 2 + b32;
        const uint32_t ia = b10 ? i1 : i0, ib = b32 ? i3 : i2;
        const double ka = b10 ? k1 : k0, kb = b32 ? k3 : k2;
        const bool bba = before_flat(kb, ib, ka, ia);
        best = bba ? cb : ca;
        best_id = bba ? ib : ia;
        best_key = bba ? kb : ka;
      } else {
        best = first, best_id = heap_[first], best_key = node_key_t<kKeyed>(first);
        for (uint32_t c = first + 1; c < near_size_; ++c) {
          double ck = node_key_t<kKeyed>(c);
          if (before(ck, heap_[c], best_key, best_id)) best = c, best_id = heap_[c], best_key = ck;
        }
      }
      if (!before(best_key, best_id, k, id)) break;
      place<kKeyed>(p, best_id, best_key);
      p = best;
    }
    place<kKeyed>(p, id, k);
  }
  // Starts loading the 16 nodes below the children first .. first + 3 while those are
  // compared, so that a sift-down's next level arrives with this one: the spiker's reset sifts
  // through the whole depth, and at N = 10^9 (a heap of about 6 million nodes) the lower levels
  // miss every cache (2% of the time per spike there, measured in one process; nothing at
  // N <= 10^6, where the heap stays in cache).
  template <bool kKeyed>
  void prefetch_grandchildren(uint32_t first) const {
    const uint64_t g = 4 * uint64_t(first) + 1;
    if (g >= near_size_) return;
    const char *ids = reinterpret_cast<const char *>(heap_ + g);  // 64 bytes
    __builtin_prefetch(ids);
    __builtin_prefetch(ids + 63);
    if (kKeyed) {
      const char *keys = reinterpret_cast<const char *>(hkey_ + g);  // 128 bytes
      __builtin_prefetch(keys);
      __builtin_prefetch(keys + 64);
      __builtin_prefetch(keys + 127);
    }
  }
  bool sift_up(uint32_t p, uint32_t id, double k) {
    return keyed_ ? sift_up_t<true>(p, id, k) : sift_up_t<false>(p, id, k);
  }
  void sift_down(uint32_t p, uint32_t id, double k) {
    if (keyed_)
      sift_down_t<true>(p, id, k);
    else
      sift_down_t<false>(p, id, k);
  }
  // Adds a neuron (key k) to the heap; false when the heap is full (shared mode): the queue has
  // then been rebuilt from the keys instead (every neuron placed), and the caller stops. A heap
  // that outgrows its key room drops the keys.
  bool push_near(uint32_t id, double k) {
    if (near_size_ == (keyed_ ? key_cap_ : heap_cap_)) {
      if (keyed_ && near_size_ < heap_cap_) {
        keyed_ = false;
      } else {
        rebuild();
        return false;
      }
    }
    sift_up(near_size_++, id, k);
    return true;
  }
  // Takes the keys back once the heap fits in half the key room (the hysteresis keeps a heap
  // near the limit from switching at every bucket).
  void maybe_rekey() {
    if (keyed_ || key_cap_ == 0 || near_size_ > key_cap_ / 2) return;
    for (uint32_t p = 0; p < near_size_; ++p) hkey_[p] = key(heap_[p]);
    keyed_ = true;
  }

  // Bookkeeping of neurons in far lists (stale entries are not counted).
  void leave_far(uint32_t t) {
    if (t == kNever) return;
    --far_count_;
  }
  void enter_far(uint32_t i, uint32_t dest) {
    tag(i) = dest;
    if (dest != kNever) ++far_count_;
    if (dest == kOverflow && bcur_ + int64_t(window_) < overflow_floor_)
      overflow_floor_ = bcur_ + int64_t(window_);
    append(dest, i);
  }

  uint32_t &list_head(uint32_t dest) {
    if (dest == kOverflow) return overflow_head_;
    if (dest == kNever) return never_head_;
    return head_[dest & (window_ - 1)];
  }
  void append(uint32_t dest, uint32_t id) {
    uint32_t &h = list_head(dest);
    if (h == kNil || pool_[h].count == kChunkIds) {
      if (free_head_ == kNil) {
        // Out of chunks: stale entries have piled up. Rebuild from the keys (the neuron's
        // tag and key are already set, so it is placed like every other neuron).
        rebuild();
        return;
      }
      uint32_t c = free_head_;
      free_head_ = pool_[c].next;
      --free_count_;
      pool_[c].next = h;
      pool_[c].count = 0;
      h = c;
      if (dest < kOverflow) {
        uint32_t s = dest & (window_ - 1);
        occupied_[s >> 6] |= uint64_t(1) << (s & 63);
      }
    }
    pool_[h].ids[pool_[h].count++] = id;
  }
  void free_chunk(uint32_t c) {
    pool_[c].next = free_head_;
    free_head_ = c;
    ++free_count_;
  }

  // Opens buckets until the near heap's top is certainly the smallest key.
  void settle() {
    while (!(near_size_ && bucket(node_key(0)) <= bcur_) && far_count_ != 0) open_next();
  }

  void update_slow(uint32_t i, double k, uint32_t t);
  // With no near neuron and nobody in a far list, every key is +inf: the first neuron.
  static uint32_t first_never() { return 0; }
  int64_t next_occupied() const;
  void open_next();
  void open_bucket(int64_t b);
  void rescan_overflow();
  // Places the valid entries (tag == list_tag) of a detached list of chunks and frees them.
  void redistribute(uint32_t first_chunk, uint32_t list_tag);
  template <bool kStored, bool kLog>
  void redistribute_t(uint32_t first_chunk, uint32_t list_tag);
  // The overflow list's entries may stay in the overflow list: a neuron's second entry in a
  // chunk is told stale by a moving tag until the chunk is done.
  template <bool kStored, bool kLog>
  void redistribute_overflow(uint32_t first_chunk);
  // Before a chunk's entries are placed: false when the pool runs low (the queue has then been
  // rebuilt, and the caller stops); else starts loading the list's next chunk and the
  // entries' records.
  template <bool kStored>
  bool begin_chunk(const BucketChunk &ch);
  // One entry of the list list_tag: the far list it belongs to now (a bucket, kOverflow or
  // kNever; the caller moves it there), kNear when nothing is to be moved (a stale entry, or
  // one taken into the near heap), or kNil when the heap was full and the queue has been
  // rebuilt (the caller stops).
  template <bool kStored, bool kLog>
  uint32_t examine(uint32_t id, uint32_t list_tag);
  void choose_scale();
  // Shared mode: divides the block between the heap (for `near` neurons and half the spare
  // room) and the chunks.
  void split_shared(uint64_t near);

  double *state_ = nullptr;
  uint32_t *tag_ = nullptr;
  uint32_t *flags_ = nullptr;
  const uint8_t *side_ = nullptr;        // kSideFlags: a byte of flags per neuron
  const uint32_t *due_count_ = nullptr;  // kSideFlags: how many neurons are due
  double *stored_ = nullptr;
  Refresh refresh_ = nullptr;  // stored keys: computes a stale key (kStaleFlag)
  void *refresh_context_ = nullptr;
  const double *refresh_reads_ = nullptr;  // what refresh_ reads per neuron (prefetched)
  double sign_ = 1;
  const double *due_ = nullptr;
  uint32_t n_ = 0;
  uint32_t *heap_ = nullptr;
  double *hkey_ = nullptr;  // while keyed_: hkey_[p] = key(heap_[p])
  uint32_t near_size_ = 0;
  uint32_t heap_cap_ = 0;
  uint32_t key_cap_ = 0;  // room in hkey_ (0: none)
  bool keyed_ = false;
  uint32_t *shared_ = nullptr;  // shared mode: the block of heap and chunks
  BucketChunk *pool_ = nullptr;
  uint64_t pool_chunks_ = 0;
  uint32_t free_head_ = kNil;
  uint64_t free_count_ = 0;
  uint32_t *head_ = nullptr;      // window_ list heads, slot b & (window_ - 1)
  uint64_t *occupied_ = nullptr;  // one bit per slot: the list may be non-empty
  uint32_t window_ = 0;           // a power of two
  uint32_t overflow_head_ = kNil, never_head_ = kNil;
  uint64_t far_count_ = 0;              // neurons in window or overflow lists
  int64_t overflow_floor_ = INT64_MAX;  // no overflow entry has a smaller bucket
  int64_t bcur_ = 0;
  Scale scale_ = Scale::Linear;
  double origin_ = 0, inv_width_ = 1;
  uint64_t origin_bits_ = 0;
  int shift_ = 0;
  uint64_t rebuilds_ = 0;
};

// The full layout's queue (16-byte slots with their flags) and the compact layout's (12-byte
// records, flags beside them).
using BucketQueue = BucketQueueT<16, false>;
using CompactQueue = BucketQueueT<12, true>;
extern template class BucketQueueT<16, false>;
extern template class BucketQueueT<12, true>;

}  // namespace sp
