// A 4-ary indexed min-heap over neurons in flat arrays: keys and ids live in the heap nodes (one
// cache line holds a sibling group's keys), pos[] maps a neuron to its node. Ties are broken by
// the lower neuron index, which is the event order DESIGN.md section 4 asks for.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

class IndexedHeap {
 public:
  // Storage is owned by the network's arena; all arrays hold `size` entries.
  void bind(double *key, uint32_t *id, uint32_t *pos, uint32_t size) {
    key_ = key;
    id_ = id;
    pos_ = pos;
    size_ = size;
  }

  uint32_t size() const { return size_; }
  uint32_t top() const { return id_[0]; }
  double top_key() const { return key_[0]; }
  double key_of(uint32_t neuron) const { return key_[pos_[neuron]]; }

  // Fills the heap with neurons 0..size-1 using keys[i] for neuron i, in O(size).
  template <class KeyOf>
  void build(KeyOf key_of) {
    for (uint32_t i = 0; i < size_; ++i) {
      key_[i] = key_of(i);
      id_[i] = i;
      pos_[i] = i;
    }
    if (size_ < 2) return;
    for (uint32_t p = (size_ - 2) / kArity + 1; p-- > 0;) sift_down(p);
  }

  // Replaces every key by f(neuron, old key), then restores the heap order in O(size).
  template <class F>
  void rekey(F f) {
    for (uint32_t p = 0; p < size_; ++p) key_[p] = f(id_[p], key_[p]);
    if (size_ < 2) return;
    for (uint32_t p = (size_ - 2) / kArity + 1; p-- > 0;) sift_down(p);
  }

  // Changes the key of `neuron` and restores the heap order.
  void update(uint32_t neuron, double key) {
    uint32_t p = pos_[neuron];
    double old = key_[p];
    key_[p] = key;
    if (key < old) {
      sift_up(p);
    } else {
      sift_down(p);
    }
  }

  void update_top(double key) {
    key_[0] = key;
    sift_down(0);
  }

  // Checks the heap invariant; for tests and debug assertions.
  bool valid() const {
    for (uint32_t c = 1; c < size_; ++c) {
      uint32_t p = (c - 1) / kArity;
      if (before(c, p)) return false;
    }
    for (uint32_t i = 0; i < size_; ++i)
      if (id_[pos_[i]] != i) return false;
    return true;
  }

 private:
  static constexpr uint32_t kArity = 4;

  bool before(uint32_t a, uint32_t b) const {
    return key_[a] < key_[b] || (key_[a] == key_[b] && id_[a] < id_[b]);
  }
  bool less(double ka, uint32_t ia, double kb, uint32_t ib) const {
    return ka < kb || (ka == kb && ia < ib);
  }

  void place(uint32_t p, double k, uint32_t id) {
    key_[p] = k;
    id_[p] = id;
    pos_[id] = p;
  }

  void sift_up(uint32_t p) {
    double k = key_[p];
    uint32_t id = id_[p];
    while (p > 0) {
      uint32_t parent = (p - 1) / kArity;
      if (!less(k, id, key_[parent], id_[parent])) break;
      place(p, key_[parent], id_[parent]);
      p = parent;
    }
    place(p, k, id);
  }

  void sift_down(uint32_t p) {
    double k = key_[p];
    uint32_t id = id_[p];
    for (;;) {
      uint32_t first = p * kArity + 1;
      if (first >= size_) break;
      uint32_t last = first + kArity < size_ ? first + kArity : size_;
      uint32_t best = first;
      for (uint32_t c = first + 1; c < last; ++c)
        if (less(key_[c], id_[c], key_[best], id_[best])) best = c;
      if (!less(key_[best], id_[best], k, id)) break;
      place(p, key_[best], id_[best]);
      p = best;
    }
    place(p, k, id);
  }

  double *key_ = nullptr;
  uint32_t *id_ = nullptr;
  uint32_t *pos_ = nullptr;
  uint32_t size_ = 0;
};

// The queue of external input events: a binary min-heap on (time, arrival order), so inputs at
// equal times are processed in the order they were queued.
class InputQueue {
 public:
  void bind(double *time, uint64_t *seq, uint32_t *channel, uint32_t capacity) {
    time_ = time;
    seq_ = seq;
    channel_ = channel;
    capacity_ = capacity;
  }
  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == capacity_; }
  double next_time() const { return size_ ? time_[0] : INFINITY_; }
  uint32_t next_channel() const { return channel_[0]; }
  uint64_t next_seq() const { return seq_[0]; }
  uint64_t issued() const { return next_seq_; }
  void clear() {
    size_ = 0;
    next_seq_ = 0;
  }
  // Raw access for save/load: entries in heap order.
  double time_at(uint32_t i) const { return time_[i]; }
  uint64_t seq_at(uint32_t i) const { return seq_[i]; }
  uint32_t channel_at(uint32_t i) const { return channel_[i]; }
  void restore(uint32_t size, uint64_t next_seq) {
    size_ = size;
    next_seq_ = next_seq;
  }
  // Whether the entries are in heap order (checked after loading saved bytes).
  bool valid() const {
    for (uint32_t c = 1; c < size_; ++c) {
      uint32_t p = (c - 1) / 2;
      if (less(time_[c], seq_[c], time_[p], seq_[p])) return false;
    }
    return true;
  }

  // Caller checks !full().
  void push(double t, uint32_t channel) {
    uint32_t p = size_++;
    uint64_t s = next_seq_++;
    while (p > 0) {
      uint32_t parent = (p - 1) / 2;
      if (!less(t, s, time_[parent], seq_[parent])) break;
      set(p, time_[parent], seq_[parent], channel_[parent]);
      p = parent;
    }
    set(p, t, s, channel);
  }

  void pop() {
    uint32_t n = --size_;
    if (n == 0) return;
    double t = time_[n];
    uint64_t s = seq_[n];
    uint32_t c = channel_[n];
    uint32_t p = 0;
    for (;;) {
      uint32_t a = 2 * p + 1;
      if (a >= n) break;
      uint32_t b = a + 1;
      uint32_t m = (b < n && less(time_[b], seq_[b], time_[a], seq_[a])) ? b : a;
      if (!less(time_[m], seq_[m], t, s)) break;
      set(p, time_[m], seq_[m], channel_[m]);
      p = m;
    }
    set(p, t, s, c);
  }

 private:
  static constexpr double INFINITY_ = __builtin_inf();
  static bool less(double ta, uint64_t sa, double tb, uint64_t sb) {
    return ta < tb || (ta == tb && sa < sb);
  }
  void set(uint32_t p, double t, uint64_t s, uint32_t c) {
    time_[p] = t;
    seq_[p] = s;
    channel_[p] = c;
  }
  double *time_ = nullptr;
  uint64_t *seq_ = nullptr;
  uint32_t *channel_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t size_ = 0;
  uint64_t next_seq_ = 0;
};

}  // namespace sp
