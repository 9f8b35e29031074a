// The queue of external input events (sp_input), in flat arrays of fixed capacity.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

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
