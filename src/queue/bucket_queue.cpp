// The cold paths of the spike queue: opening buckets, the overflow list, rebuilding.
#include "queue/bucket_queue.hpp"

#include <algorithm>
#include <cmath>

namespace sp {

template <uint32_t R, bool F>
uint32_t BucketQueueT<R, F>::window_for(uint32_t n) {
  // A bucket is about 1/512 of the neurons near the front of the queue (choose_scale); the
  // window should reach past the bulk of the keys, as the overflow list beyond it is
  // rescanned whole. Each list costs up to one partial 128-byte chunk: n/256 of them is at most
  // half a byte per neuron.
  uint32_t w = 64;
  while (w < 4096 && w < n / 256) w <<= 1;
  return w;
}

template <uint32_t R, bool F>
uint64_t BucketQueueT<R, F>::chunk_count(uint32_t n) {
  // Every list has at most one chunk that is not full; a quarter of the entries' room again is
  // left for stale entries, and a reserve lets a bucket's chunk be relocated before a rebuild.
  uint64_t entries = uint64_t(n) + n / 4;
  return (entries + kChunkIds - 1) / kChunkIds + window_for(n) + 2 + kReserve;
}

template <uint32_t R, bool F>
uint64_t BucketQueueT<R, F>::shared_words(uint32_t n) {
  // Chunks for every neuron's entry and each list's partial chunk (the heap's words, a neuron
  // each, are fewer than its entries' would be), the reserve, the roundings of split_shared, and
  // spare room: a 32nd of the entries, at least 64 chunks.
  uint64_t spare = n / (kChunkIds * 32) > 64 ? n / (kChunkIds * 32) : 64;
  uint64_t chunks = (uint64_t(n) + kChunkIds - 1) / kChunkIds + window_for(n) + 2 + kReserve + 3 +
                    spare;
  return chunks * (sizeof(BucketChunk) / sizeof(uint32_t));
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::split_shared(uint64_t near) {
  constexpr uint64_t kWords = sizeof(BucketChunk) / sizeof(uint32_t);
  const uint64_t total = shared_words(n_) / kWords;
  const uint64_t far_chunks = (n_ - near + kChunkIds - 1) / kChunkIds + window_ + 2 + kReserve;
  const uint64_t near_chunks = (near + kWords - 1) / kWords;
  const uint64_t spare = total - far_chunks - near_chunks;  // (shared_words: never negative)
  // Keys for the near neurons (two words each, and one to align them) when they take at most
  // half the spare room; the heap's part then holds indices and keys for as many neurons.
  const uint64_t key_chunks = (2 * near + 1 + kWords - 1) / kWords;
  keyed_ = 2 * key_chunks <= spare;
  const uint64_t own = keyed_ ? near_chunks + key_chunks : near_chunks;
  const uint64_t heap_chunks = own + (spare - (own - near_chunks)) / 2;
  const uint64_t words = heap_chunks * kWords;
  heap_ = shared_;
  heap_cap_ = static_cast<uint32_t>(words < n_ ? words : n_);
  uint64_t keys = keyed_ ? (words - 1) / 3 : 0;  // an index and a key each, and the alignment
  key_cap_ = static_cast<uint32_t>(keys < n_ ? keys : n_);
  // (The keys start after key_cap_ indices: a keyed heap's indices never reach them.)
  uintptr_t at = reinterpret_cast<uintptr_t>(shared_ + key_cap_);
  hkey_ = reinterpret_cast<double *>((at + 7) & ~uintptr_t(7));
  pool_ = reinterpret_cast<BucketChunk *>(shared_ + words);
  pool_chunks_ = total - heap_chunks;
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::update_slow(uint32_t i, double k, uint32_t t) {
  if (t & kNear) {
    uint32_t p = t & ~kNear;
    if (k != k) {
      // A NaN key compares neither less nor greater, which would break the heap's order:
      // take the neuron out of the heap, into the never list (as a +inf key).
      uint32_t last = heap_[--near_size_];
      double last_key = node_key(near_size_);
      if (last != i && !sift_up(p, last, last_key)) sift_down(p, last, last_key);
      enter_far(i, kNever);
      return;
    }
    // The heap orders by key(i), which the caller's k may not be: a neuron flagged due keeps
    // the due key when an input changes its state (see Event semantics in ARCHITECTURE.md).
    const double now_key = key(i);
    if (!sift_up(p, i, now_key)) sift_down(p, i, now_key);
    return;
  }
  int64_t b = bucket(k);
  if (b <= bcur_) {
    leave_far(t);
    push_near(i, key(i));
    return;
  }
  // Lazy: an entry in an earlier bucket than the key's stays valid (it is a lower bound), and
  // so does one in the overflow list for a key still beyond the window.
  uint32_t dest = destination(b, k);
  if (dest >= t) return;
  leave_far(t);
  enter_far(i, dest);
}

template <uint32_t R, bool F>
int64_t BucketQueueT<R, F>::next_occupied() const {
  const uint32_t mask = window_ - 1;
  for (uint32_t d = 1; d < window_;) {
    uint32_t s = static_cast<uint32_t>(bcur_ + d) & mask;
    uint64_t word = occupied_[s >> 6] >> (s & 63);
    if (word) {
      uint32_t step = static_cast<uint32_t>(__builtin_ctzll(word));
      if (d + step < window_) return bcur_ + d + step;
      return kNoBucket;
    }
    d += 64 - (s & 63);
  }
  return kNoBucket;
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::open_next() {
  int64_t next = next_occupied();
  if (overflow_head_ != kNil && next >= overflow_floor_) {
    if (next == kNoBucket && far_count_ != 0) {
      // Only the overflow list is left (after a long silence, say): start again from the
      // smallest key instead of walking the empty buckets up to it.
      rebuild();
      return;
    }
    // Bring the overflow entries that are now within the window into their buckets before
    // any bucket they may belong to is opened.
    if (overflow_floor_ - 1 > bcur_) bcur_ = overflow_floor_ - 1;
    rescan_overflow();
    return;
  }
  if (next == kNoBucket) {
    rebuild();  // far neurons but no list to find them in: cannot happen; recover anyway
    return;
  }
  open_bucket(next);
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::open_bucket(int64_t b) {
  if (b >= kMaxBucket - int64_t(window_)) {
    rebuild();  // bucket numbers would leave the tag range: restart them from the smallest key
    return;
  }
  maybe_rekey();
  bcur_ = b;
  const uint32_t s = static_cast<uint32_t>(b) & (window_ - 1);
  uint32_t c = head_[s];
  head_[s] = kNil;
  occupied_[s >> 6] &= ~(uint64_t(1) << (s & 63));
  redistribute(c, static_cast<uint32_t>(b));
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::rescan_overflow() {
  uint32_t c = overflow_head_;
  overflow_head_ = kNil;
  overflow_floor_ = INT64_MAX;
  redistribute(c, kOverflow);
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::redistribute(uint32_t c, uint32_t list_tag) {
  // The key source and the scale are fixed between rebuilds (and a rebuild ends this call):
  // one loop for each, without their tests per entry.
  if (stored_) {
    if (scale_ == Scale::Log)
      redistribute_t<true, true>(c, list_tag);
    else
      redistribute_t<true, false>(c, list_tag);
  } else {
    if (scale_ == Scale::Log)
      redistribute_t<false, true>(c, list_tag);
    else
      redistribute_t<false, false>(c, list_tag);
  }
}

template <uint32_t R, bool F>
template <bool kStored>
bool BucketQueueT<R, F>::begin_chunk(const BucketChunk &ch) {
  // Relocating one chunk's entries takes at most kChunkIds new chunks.
  if (free_count_ < kReserve) {
    rebuild();
    return false;
  }
  if (ch.next != kNil) {  // (the list's next chunk: a chain of dependent misses otherwise)
    __builtin_prefetch(&pool_[ch.next]);
    __builtin_prefetch(reinterpret_cast<const char *>(&pool_[ch.next]) + 64);
  }
  for (uint32_t q = 0; q < ch.count; ++q) prefetch<kStored>(ch.ids[q]);
  return true;
}

template <uint32_t R, bool F>
template <bool kStored, bool kLog>
__attribute__((always_inline)) inline uint32_t BucketQueueT<R, F>::examine(uint32_t id,
                                                                           uint32_t list_tag) {
  if (tag(id) != list_tag) return kNear;  // stale: the neuron has moved since
  const double k = kStored ? fresh_stored_key(id) : implied_key(id);
  const int64_t nb = bucket_t<kLog>(k);
  if (nb <= bcur_) {
    --far_count_;
    return push_near(id, k) ? kNear : kNil;
  }
  return destination(nb, k);
}

template <uint32_t R, bool F>
template <bool kStored, bool kLog>
void BucketQueueT<R, F>::redistribute_t(uint32_t c, uint32_t list_tag) {
  if (list_tag == kOverflow) {
    redistribute_overflow<kStored, kLog>(c);
    return;
  }
  // A window bucket's list (list_tag = bcur): each valid entry goes near or to a later bucket
  // (or overflow, never), whose tag can never be list_tag again in this call, so a second entry
  // of the same neuron in the list is recognised as stale. The entries' records are loaded a
  // chunk at a time (prefetched together); the destination lists' last chunks are hot (a bucket
  // ahead of the front gets appends every few spikes).
  const uint32_t slot_mask = window_ - 1;
  while (c != kNil) {
    BucketChunk &ch = pool_[c];
    if (!begin_chunk<kStored>(ch)) return;  // (rebuilt)
    const uint32_t count = ch.count;  // (a local: the appends could alias it, for the compiler)
    for (uint32_t q = 0; q < count; ++q) {
      const uint32_t id = ch.ids[q];
      const uint32_t d = examine<kStored, kLog>(id, list_tag);
      if (__builtin_expect(d >= kOverflow, 0)) {
        if (d == kNil) return;     // (rebuilt)
        if (d == kNear) continue;  // (stale, or near now)
        --far_count_;              // (enter_far counts it again unless it is never)
        enter_far(id, d);
        continue;
      }
      // (Still far and counted: only the list changes.)
      tag(id) = d;
      uint32_t &h = head_[d & slot_mask];
      if (__builtin_expect(h == kNil || pool_[h].count == kChunkIds, 0)) {
        append(d, id);  // (a new chunk from the free list, which the reserve guarantees)
        continue;
      }
      BucketChunk &to = pool_[h];
      to.ids[to.count++] = id;
    }
    const uint32_t next = ch.next;
    free_chunk(c);
    c = next;
  }
}

template <uint32_t R, bool F>
template <bool kStored, bool kLog>
void BucketQueueT<R, F>::redistribute_overflow(uint32_t c) {
  // Two passes per chunk, so that the cache misses overlap: the first reads the entries' keys
  // (prefetched together) and places the near ones, and starts loading the chunks the far ones
  // go to; the second appends those. The lists get the same entries in the same order as with
  // one pass (the appends keep their order), and the heap the same pushes.
  uint32_t moving[kChunkIds], dest[kChunkIds];
  const uint32_t slot_mask = window_ - 1;
  while (c != kNil) {
    BucketChunk &ch = pool_[c];
    if (!begin_chunk<kStored>(ch)) return;  // (rebuilt)
    uint32_t m = 0;
    const uint32_t count = ch.count;
    for (uint32_t q = 0; q < count; ++q) {
      const uint32_t id = ch.ids[q];
      const uint32_t d = examine<kStored, kLog>(id, kOverflow);
      if (d == kNil) return;     // (rebuilt)
      if (d == kNear) continue;  // (stale, or near now)
      // (A second entry of this neuron in the chunk is stale: the tag no longer names the list.)
      tag(id) = kMoving;
      moving[m] = id;
      dest[m++] = d;
      if (d < kOverflow) {
        const uint32_t h = head_[d & slot_mask];
        if (h != kNil) {
          __builtin_prefetch(&pool_[h]);
          __builtin_prefetch(reinterpret_cast<const char *>(&pool_[h]) + 64);
        }
      }
    }
    // A window bucket's entry is only appended: the neuron stays in the far count (it was not
    // taken out above). The overflow and never lists go through enter_far's bookkeeping.
    for (uint32_t q = 0; q < m; ++q) {
      const uint32_t id = moving[q], d = dest[q];
      tag(id) = d;
      if (d >= kOverflow) {
        --far_count_;
        enter_far(id, d);
        continue;
      }
      append(d, id);
    }
    const uint32_t next = ch.next;
    free_chunk(c);
    c = next;
  }
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::choose_scale() {
  // The origin is the smallest key. The width is 1/kSplit of the distance from it to the first
  // octile of a sample of the keys, so that a bucket holds about 1/(8 kSplit) of the neurons
  // near the front of the queue, where the spikes come from (narrow buckets keep the near heap
  // small; wide ones mean fewer buckets to open), but at least what lets half the window reach
  // the seventh octile, so that few neurons wait in the overflow list, which is rescanned whole.
  double lo = __builtin_inf();
  for (uint32_t i = 0; i < n_; ++i)
    if (key(i) < lo) lo = key(i);
  constexpr uint32_t kSample = 256, kSplit = 64;
  double sample[kSample];
  uint32_t m = 0;
  uint32_t stride = n_ > kSample ? n_ / kSample : 1;
  for (uint32_t i = 0; i < n_ && m < kSample; i += stride)
    if (std::isfinite(key(i))) sample[m++] = key(i);
  if (!std::isfinite(lo) || m == 0) {
    origin_ = 0;
    origin_bits_ = ordered_bits(0.0);
    inv_width_ = 1;
    shift_ = 0;
    return;
  }
  std::nth_element(sample, sample + m / 8, sample + m);
  double q1 = sample[m / 8];
  std::nth_element(sample, sample + 7 * m / 8, sample + m);
  double q7 = sample[7 * m / 8];
  const uint32_t reach = window_ / 2;
  if (scale_ == Scale::Log && !(lo > 0)) scale_ = Scale::Linear;  // Log needs positive keys
  if (scale_ == Scale::Log) {
    origin_bits_ = ordered_bits(lo);
    uint64_t front = (ordered_bits(q1) - origin_bits_) / kSplit;  // q1, q7 >= lo
    uint64_t bulk = (ordered_bits(q7) - origin_bits_) / reach;
    uint64_t width = front > bulk ? front : bulk;
    shift_ = width ? 63 - __builtin_clzll(width) : 0;
    return;
  }
  origin_ = lo;
  double front = (q1 - lo) / kSplit, bulk = (q7 - lo) / reach;
  double width = front > bulk ? front : bulk;
  inv_width_ = (width > 0 && std::isfinite(1 / width)) ? 1 / width : 1.0;
}

template <uint32_t R, bool F>
void BucketQueueT<R, F>::rebuild() {
  ++rebuilds_;
  // (Stale keys are lower bounds, which would place their neurons too early: the true keys.)
  if (stored_)
    for (uint32_t i = 0; i < n_; ++i) fresh_stored_key(i);
  choose_scale();
  keyed_ = key_cap_ != 0;
  if (shared_) {
    uint64_t near = 0;
    for (uint32_t i = 0; i < n_; ++i) near += bucket(key(i)) <= 0;
    split_shared(near);
  }
  for (uint64_t c = 0; c < pool_chunks_; ++c)
    pool_[c].next = c + 1 < pool_chunks_ ? static_cast<uint32_t>(c + 1) : kNil;
  free_head_ = pool_chunks_ ? 0 : kNil;
  free_count_ = pool_chunks_;
  for (uint32_t s = 0; s < window_; ++s) head_[s] = kNil;
  for (uint32_t w = 0; w < window_ / 64; ++w) occupied_[w] = 0;
  overflow_head_ = never_head_ = kNil;
  overflow_floor_ = INT64_MAX;
  near_size_ = 0;
  far_count_ = 0;
  bcur_ = 0;
  for (uint32_t i = 0; i < n_; ++i) {
    double k = key(i);
    int64_t b = bucket(k);
    if (b <= 0)
      push_near(i, k);
    else
      enter_far(i, destination(b, k));
  }
}

template <uint32_t R, bool F>
bool BucketQueueT<R, F>::valid() const {
  if (near_size_ > (keyed_ ? key_cap_ : heap_cap_)) return false;
  for (uint32_t p = 0; p < near_size_; ++p) {
    if (tag(heap_[p]) != (kNear | p)) return false;
    if (p > 0 && less(heap_[p], heap_[(p - 1) / 4])) return false;
    if (keyed_ && !(hkey_[p] == key(heap_[p]))) return false;  // (never NaN in the heap)
  }
  uint64_t far = 0;
  for (uint32_t i = 0; i < n_; ++i) {
    uint32_t t = tag(i);
    if (t & kNear) {
      if ((t & ~kNear) >= near_size_ || heap_[t & ~kNear] != i) return false;
      continue;
    }
    int64_t b = bucket(key(i));
    if (b <= bcur_) return false;  // every neuron in a bucket <= bcur must be near
    if (t == kNever) {
      if (key(i) < __builtin_inf()) return false;  // +inf or NaN
      continue;
    }
    ++far;
    if (t == kOverflow) {
      if (b < overflow_floor_) return false;
    } else if (!(int64_t(t) > bcur_ && int64_t(t) - bcur_ < int64_t(window_) && b >= int64_t(t))) {
      return false;
    }
  }
  return far == far_count_;
}

template class BucketQueueT<16, false>;
template class BucketQueueT<12, true>;

}  // namespace sp
