// A 4-ary indexed min-heap over neurons in flat arrays: keys and ids live in the heap nodes (one
// cache line holds a sibling group's keys), pos[] maps a neuron to its node. Ties are broken by
// the lower neuron index, which is the event order DESIGN.md section 4 asks for.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

// One heap node: the key lives next to its neuron id, and a node is 16 bytes, so the four
// children of a node share one 64-byte cache line.
struct HeapNode {
  double key;
  uint32_t id;
  uint32_t unused;
};

class IndexedHeap {
 public:
  // Nodes needed for `size` neurons: three extra leading slots put every sibling group
  // (children 4p+1 .. 4p+4) on one cache line when the array starts on a 64-byte boundary.
  static uint64_t node_slots(uint32_t size) { return uint64_t(size) + 3; }

  // Positions live inside the network's 32-byte per-neuron records: neuron i's position is
  // pos[i * kPosStride]. A compile-time stride keeps the address arithmetic to a shift.
  static constexpr size_t kPosStride = 32 / sizeof(uint32_t);

  // Storage is owned by the network's arena: node_slots(size) nodes, and `size` positions
  // kPosStride words apart starting at pos.
  void bind(HeapNode *slots, uint32_t *pos, uint32_t size) {
    node_ = slots + 3;
    pos_ = pos;
    size_ = size;
  }

  uint32_t size() const { return size_; }
  uint32_t top() const { return node_[0].id; }
  double top_key() const { return node_[0].key; }
  double key_of(uint32_t neuron) const { return node_[pos(neuron)].key; }
  // Starts loading what an update of `neuron` will touch (its position should be cached).
  void prefetch_node(uint32_t neuron) const {
    uint32_t p = pos(neuron);
    __builtin_prefetch(&node_[p]);
    if (p * kArity + 1 < size_) __builtin_prefetch(&node_[p * kArity + 1]);
  }

  // Fills the heap with neurons 0..size-1 using key_of(i) for neuron i, in O(size).
  template <class KeyOf>
  void build(KeyOf key_of) {
    for (uint32_t i = 0; i < size_; ++i) {
      node_[i].key = key_of(i);
      node_[i].id = i;
      node_[i].unused = 0;
      pos(i) = i;
    }
    heapify();
  }

  // Replaces every key by f(neuron, old key), then restores the heap order in O(size).
  template <class F>
  void rekey(F f) {
    for (uint32_t p = 0; p < size_; ++p) node_[p].key = f(node_[p].id, node_[p].key);
    heapify();
  }

  // Changes the key of `neuron` and restores the heap order.
  void update(uint32_t neuron, double key) {
    uint32_t p = pos(neuron);
    double old = node_[p].key;
    if (key < old) {
      sift_up(p, key, neuron);
    } else {
      sift_down(p, key, neuron);
    }
  }

  void update_top(double key) { sift_down(0, key, node_[0].id); }

  // Checks the heap invariant; for tests and debug assertions.
  bool valid() const {
    for (uint32_t c = 1; c < size_; ++c)
      if (before(node_[c], node_[(c - 1) / kArity])) return false;
    for (uint32_t i = 0; i < size_; ++i)
      if (node_[pos(i)].id != i) return false;
    return true;
  }

 private:
  static constexpr uint32_t kArity = 4;

  static bool less(double ka, uint32_t ia, double kb, uint32_t ib) {
    return ka < kb || (ka == kb && ia < ib);
  }
  static bool before(const HeapNode &a, const HeapNode &b) { return less(a.key, a.id, b.key, b.id); }

  uint32_t &pos(uint32_t neuron) const { return pos_[size_t(neuron) * kPosStride]; }

  void place(uint32_t p, double k, uint32_t id) {
    node_[p].key = k;
    node_[p].id = id;
    pos(id) = p;
  }

  void heapify() {
    if (size_ < 2) return;
    for (uint32_t p = (size_ - 2) / kArity + 1; p-- > 0;) sift_down(p, node_[p].key, node_[p].id);
  }

  // Both sifts move `id` (already at node p) to its place for key k; a node that stays put
  // (the common case for a synaptic event) only has its key written.
  void sift_up(uint32_t p, double k, uint32_t id) {
    const uint32_t start = p;
    while (p > 0) {
      uint32_t parent = (p - 1) / kArity;
      if (!less(k, id, node_[parent].key, node_[parent].id)) break;
      place(p, node_[parent].key, node_[parent].id);
      p = parent;
    }
    if (p == start) {
      node_[p].key = k;
      return;
    }
    place(p, k, id);
  }

  void sift_down(uint32_t p, double k, uint32_t id) {
    const uint32_t start = p;
    for (;;) {
      uint32_t first = p * kArity + 1;
      if (first >= size_) break;
      const HeapNode *c = &node_[first];
      uint32_t best = 0;
      if (first + kArity <= size_) {
        // A full sibling group (the common case): the smallest key, branch-free. Equal keys
        // are rare (neurons due at one instant) and take the exact (key, id) order.
        double k0 = c[0].key, k1 = c[1].key, k2 = c[2].key, k3 = c[3].key;
        uint32_t b01 = k1 < k0 ? 1 : 0, b23 = k3 < k2 ? 3 : 2;
        double m01 = k1 < k0 ? k1 : k0, m23 = k3 < k2 ? k3 : k2;
        best = m23 < m01 ? b23 : b01;
        double m = m23 < m01 ? m23 : m01;
        if (k < m) break;  // usually the key stays above its children
        if ((k0 == m) + (k1 == m) + (k2 == m) + (k3 == m) > 1) {
          best = 0;
          for (uint32_t j = 1; j < kArity; ++j)
            if (before(c[j], c[best])) best = j;
        }
      } else {
        for (uint32_t j = 1; first + j < size_; ++j)
          if (before(c[j], c[best])) best = j;
      }
      if (!less(c[best].key, c[best].id, k, id)) break;
      place(p, c[best].key, c[best].id);
      p = first + best;
    }
    if (p == start) {
      node_[p].key = k;
      return;
    }
    place(p, k, id);
  }

  HeapNode *node_ = nullptr;
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
