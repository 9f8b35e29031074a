// White-box test of the engine's spike queue (src/queue/bucket_queue.hpp) against a brute-force
// minimum: after every operation of long random workloads, top() and top_key() must name the
// neuron with the smallest (key, index), and every internal invariant must hold. The workloads
// push the queue through all its paths: lazy entries, keys that shrink into earlier buckets
// (stale entries, pool exhaustion and rebuilds), keys far beyond the bucket window (the
// overflow list), +inf keys, ties, both bucket scales, and both key sources (a key array, or
// keys implied by the records' states and due flags), and stored keys left stale (kStaleFlag:
// a far neuron's key grows without the queue being told, and its refresh function gives the
// true key when the queue asks).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
extern "C" {  // this CMocka's header has no C++ guard
#include <cmocka.h>
}

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "queue/bucket_queue.hpp"

namespace {

using sp::BucketChunk;
using sp::BucketQueue;
using sp::CompactQueue;

// The network's 16-byte per-neuron record, as far as the queue is concerned.
struct Record {
  double state;
  uint32_t tag;
  uint32_t flags;
};
static_assert(sizeof(Record) == BucketQueue::kRecordBytes, "record layout");

// A small deterministic generator (xorshift64*), independent of the engine's.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  uint32_t below(uint32_t m) { return static_cast<uint32_t>(next() % m); }
};

// kShared: the compact layout's queue (12-byte records, due flags in a byte beside them, the
// near heap and the chunks sharing one block); else the full layout's.
template <bool kShared>
struct FixtureT {
  using Q = std::conditional_t<kShared, CompactQueue, BucketQueue>;
  uint32_t n;
  std::vector<Record> rec;           // !kShared
  std::vector<unsigned char> bytes;  // kShared: 12-byte records (state, tag)
  std::vector<uint8_t> side;         // kShared: the due flags
  uint32_t due_count = 0;            // kShared: how many are flagged due
  std::vector<double> stored;
  std::vector<uint32_t> heap;  // !kShared: the near heap; kShared: the shared block
  std::vector<BucketChunk> pool;
  std::vector<uint32_t> heads;
  std::vector<uint64_t> occupied;
  std::vector<double> model;  // the keys as the test knows them
  bool implied = false;
  double sign = 1;
  double due = 0;     // implied keys: the key of a neuron flagged due
  bool lazy = false;  // stored keys: far neurons' growing keys left stale
  long stale_kicks = 0;
  Q q;

  explicit FixtureT(uint32_t n_)
      : n(n_),
        rec(kShared ? 0 : n_),
        bytes(kShared ? 12 * size_t(n_) : 0),
        side(kShared ? n_ : 0),
        stored(n_),
        heap(kShared ? Q::shared_words(n_) : Q::heap_slots(n_)),
        pool(kShared ? 0 : Q::chunk_count(n_)),
        heads(Q::window_for(n_)),
        occupied(Q::window_for(n_) / 64),
        model(n_) {
    if constexpr (kShared) {
      void *base = bytes.data();
      q.bind_shared(static_cast<double *>(base), reinterpret_cast<uint32_t *>(bytes.data() + 8),
                    side.data(), &due_count, n, heap.data(), heads.data(), occupied.data());
    } else {
      q.bind(&rec[0].state, &rec[0].tag, &rec[0].flags, n, heap.data(), pool.data(), pool.size(),
             heads.data(), occupied.data());
    }
  }

  // A neuron's record: its state, and whether it is flagged due.
  void record(uint32_t i, double state, bool is_due) {
    if constexpr (kShared) {
      std::memcpy(bytes.data() + 12 * size_t(i), &state, sizeof state);
      bool was = side[i] & CompactQueue::kSideDueFlag;
      due_count += is_due - was;
      side[i] = is_due ? CompactQueue::kSideDueFlag : 0;
    } else {
      rec[i].state = state;
      rec[i].flags = is_due ? BucketQueue::kDueFlag : 0;
    }
  }

  // Stored keys, or (implied) keys sign * state with states set from the model.
  void build(BucketQueue::Scale scale, bool implied_keys = false, double key_sign = 1) {
    implied = implied_keys;
    sign = key_sign;
    if (implied) {
      for (uint32_t i = 0; i < n; ++i) record(i, sign * model[i], false);
      q.use_implied_keys(sign, &due, scale);
    } else {
      stored = model;
      q.use_stored_keys(stored.data(), scale, refresh, this);
    }
    q.rebuild();
  }
  // What the network does before telling the queue about a new key.
  void write(uint32_t i, double k) {
    model[i] = k;
    if (implied) record(i, sign * k, false);
  }
  void set(uint32_t i, double k) {
    write(i, k);
    q.update(i, k);
  }
  // The queue's refresh function: the true key of a neuron flagged stale, stored.
  static double refresh(void *context, uint32_t i) {
    FixtureT &f = *static_cast<FixtureT *>(context);
    if constexpr (!kShared) {
      if (!(f.rec[i].flags & BucketQueue::kStaleFlag)) fail_msg("refresh of a fresh key %u", i);
      f.rec[i].flags &= ~BucketQueue::kStaleFlag;
    }
    f.stored[i] = f.model[i];
    return f.model[i];
  }
  // Neuron i's key grows to k: with lazy stored keys a far neuron's is left stale (as the LIF
  // time frame's inhibitory inputs do), otherwise the queue is told.
  void raise(uint32_t i, double k) {
    if constexpr (!kShared) {
      if (lazy && !implied && !(rec[i].tag & BucketQueue::kNearTag)) {
        model[i] = k;
        rec[i].flags |= BucketQueue::kStaleFlag;
        ++stale_kicks;
        return;
      }
    }
    set(i, k);
  }
  void set_top(double k) {
    write(q.top(), k);
    q.update_top(k);
  }
  // Implied keys: neuron i is due (key `due`); its state stays where it is.
  void make_due(uint32_t i) {
    model[i] = due;
    if constexpr (kShared) {
      double state;
      std::memcpy(&state, bytes.data() + 12 * size_t(i), sizeof state);
      record(i, state, true);
    } else {
      rec[i].flags = BucketQueue::kDueFlag;
    }
    q.update(i, due);
  }

  // The brute-force answer.
  uint32_t min_index() const {
    uint32_t best = 0;
    for (uint32_t i = 1; i < n; ++i)
      if (model[i] < model[best]) best = i;
    return best;
  }

  void check(const char *what, long step) {
    uint32_t want = min_index();
    uint32_t got = q.top();
    double key = q.top_key();
    if (!q.valid()) fail_msg("%s, step %ld: invariants broken", what, step);
    if (model[want] == INFINITY) {
      if (key != INFINITY) fail_msg("%s, step %ld: top key %g, want +inf", what, step, key);
      return;
    }
    if (got != want || key != model[want])
      fail_msg("%s, step %ld: top %u (key %.17g), want %u (key %.17g)", what, step, got, key, want,
               model[want]);
    for (uint32_t i = 0; i < n; ++i) {
      // (A stale key is a lower bound of the true one.)
      bool stale = false;
      if constexpr (!kShared) stale = rec[i].flags & BucketQueue::kStaleFlag;
      if (stale ? !(q.key_of(i) <= model[i]) : q.key_of(i) != model[i])
        fail_msg("%s, step %ld: key_of(%u) differs", what, step, i);
    }
    (q.keyed() ? keyed_checks : plain_checks)++;
  }
  // How many checks found the near heap's nodes carrying their keys, and how many not.
  long keyed_checks = 0, plain_checks = 0;
};
using Fixture = FixtureT<false>;

// A simulation-like workload: the top "spikes" (its key jumps ahead by about a period), and a
// few random neurons get kicks of either sign; occasionally a key jumps far ahead, to +inf, or
// back to the front (an excitatory kick that makes it due now).
template <bool kShared = false>
void run_workload(BucketQueue::Scale scale, uint32_t n, long steps, uint64_t seed,
                  double excitatory, double far_jump, bool implied = false, double sign = 1,
                  bool lazy = false) {
  FixtureT<kShared> f(n);
  f.lazy = lazy;
  Rng r{seed};
  for (uint32_t i = 0; i < n; ++i) f.model[i] = 1.0 + r.uniform();
  f.build(scale, implied, sign);
  f.check("build", 0);
  double now = 1.0;
  for (long s = 1; s <= steps; ++s) {
    double k = f.q.top_key();
    if (k == INFINITY) break;
    if (k > now) now = k;
    f.due = now;
    double next = scale == BucketQueue::Scale::Log ? now * (1.5 + r.uniform())
                                                   : now + 1 + r.uniform();
    f.set_top(next);
    for (int e = 0; e < 8; ++e) {
      uint32_t i = r.below(n);
      double u = r.uniform();
      double key = f.model[i];
      if (key == INFINITY) {
        if (u < 0.5) f.set(i, now + r.uniform());
        continue;
      }
      double kick = 0.05 * (key - now + 0.01) * r.uniform();
      if (u < far_jump) {
        f.set(i, u < far_jump / 4 ? INFINITY : key + (key - now + 1) * 1000 * r.uniform());
      } else if (u < excitatory) {
        if (key - kick > now)
          f.set(i, key - kick);
        else if (implied)
          f.make_due(i);
        else
          f.set(i, now);
      } else {
        f.raise(i, key + kick);
      }
    }
    f.check("workload", s);
  }
  printf("# %s%s keys, %s scale, n=%u: %ld steps, %llu rebuilds, %ld/%ld checks with keyed nodes, "
         "%ld keys left stale\n",
         kShared ? "shared block, " : "", implied ? "implied" : "stored",
         scale == BucketQueue::Scale::Log ? "log" : "linear", n, steps,
         static_cast<unsigned long long>(f.q.rebuilds()), f.keyed_checks,
         f.keyed_checks + f.plain_checks, f.stale_kicks);
}

void test_inhibitory_linear(void **) {
  run_workload(BucketQueue::Scale::Linear, 300, 20000, 1, 0.0, 0.0);
}
void test_inhibitory_log(void **) {
  run_workload(BucketQueue::Scale::Log, 300, 20000, 2, 0.0, 0.0);
}
void test_mixed_linear(void **) {
  run_workload(BucketQueue::Scale::Linear, 500, 20000, 3, 0.4, 0.02);
}
void test_mixed_log(void **) { run_workload(BucketQueue::Scale::Log, 500, 20000, 4, 0.4, 0.02); }
// More than 4096 neurons: the wider bucket window.
void test_large(void **) { run_workload(BucketQueue::Scale::Linear, 5000, 3000, 5, 0.3, 0.01); }
// Stored keys that far neurons' growing keys leave stale (the LIF time frame's inhibitory
// inputs), refreshed when their buckets open or the queue is rebuilt.
void test_stale_linear(void **) {
  run_workload(BucketQueue::Scale::Linear, 500, 20000, 13, 0.4, 0.02, false, 1, true);
}
void test_stale_inhibitory_large(void **) {
  run_workload(BucketQueue::Scale::Linear, 5000, 3000, 14, 0.0, 0.01, false, 1, true);
}
// Keys implied by the states (as LIF's u, and as QIF's -x) with neurons flagged due.
void test_implied_log(void **) {
  run_workload(BucketQueue::Scale::Log, 500, 20000, 8, 0.4, 0.02, true, 1.0);
}
void test_implied_negated(void **) {
  run_workload(BucketQueue::Scale::Linear, 500, 20000, 9, 0.4, 0.02, true, -1.0);
}

// The compact layout's queue: the near heap and the chunks share one block, split again at
// every rebuild.
void test_shared_implied_log(void **) {
  run_workload<true>(BucketQueue::Scale::Log, 500, 20000, 10, 0.4, 0.02, true, 1.0);
}
void test_shared_implied_negated(void **) {
  run_workload<true>(BucketQueue::Scale::Linear, 500, 20000, 11, 0.4, 0.02, true, -1.0);
}
void test_shared_large(void **) {
  run_workload<true>(BucketQueue::Scale::Log, 5000, 3000, 12, 0.3, 0.01, true, 1.0);
}

// The near heap's nodes carry their keys while they fit in the key room; a heap that outgrows
// it (here: half the neurons jump to the front) reads the records instead, or (shared block,
// out of room) is rebuilt, in the same order; once it has shrunk again it takes its keys back
// (full layout: when a bucket is opened; shared block: at a rebuild).
template <bool kShared>
void heap_outgrows_its_keys(BucketQueue::Scale scale, bool implied) {
  const uint32_t n = 3000;
  FixtureT<kShared> f(n);
  Rng r{13};
  for (uint32_t i = 0; i < n; ++i) f.model[i] = 2.0 + r.uniform();
  f.build(scale, implied);
  f.check("spread", 0);
  if (!f.q.keyed()) fail_msg("a spread of keys: the near heap should carry its keys");
  f.due = 1.0;
  for (uint32_t i = 0; i < n; i += 2) {
    f.set(i, 1.0 + 1e-9 * (i % 7));  // (ties among them)
    if (i % 64 == 0) f.check("to the front", i);
  }
  f.check("to the front", n);
  if (f.q.keyed() || f.q.near_count() < n / 2)
    fail_msg("%u near neurons: the heap should have dropped its keys", f.q.near_count());
  const uint64_t rebuilt = f.q.rebuilds();
  for (uint32_t pops = 0; pops < n; ++pops) {
    f.set_top(f.q.top_key() + 1.0 + r.uniform());  // (within the bucket window)
    if (pops % 16 == 0) f.check("spiking away", pops);
  }
  // (Full layout: without a rebuild, which would take the keys back too.)
  if (!kShared && f.q.rebuilds() != rebuilt) fail_msg("rebuilt: the re-keying is not tested");
  if (kShared) f.q.rebuild();
  f.check("spiking away", n);
  if (!f.q.keyed())
    fail_msg("%u near neurons: the heap should carry its keys again", f.q.near_count());
  printf("# %s, %s keys: %ld/%ld checks with keyed nodes, %llu rebuilds\n",
         kShared ? "shared block" : "full layout", implied ? "implied" : "stored", f.keyed_checks,
         f.keyed_checks + f.plain_checks, static_cast<unsigned long long>(f.q.rebuilds()));
}
void test_heap_outgrows_its_keys(void **) {
  heap_outgrows_its_keys<false>(BucketQueue::Scale::Linear, false);
  heap_outgrows_its_keys<false>(BucketQueue::Scale::Log, true);
  heap_outgrows_its_keys<true>(BucketQueue::Scale::Linear, false);
  heap_outgrows_its_keys<true>(BucketQueue::Scale::Log, true);
}

// Keys that keep shrinking into earlier buckets leave a stale entry each time; the pool must run
// out and the queue rebuild itself, without losing order.
void test_stale_entries_force_rebuilds(void **) {
  const uint32_t n = 400;
  Fixture f(n);
  Rng r{6};
  // Neuron 0 at the front; the others spread over [1, 2], which the bucket window covers in
  // buckets of at most 1/32 (half the window reaches the seventh octile).
  for (uint32_t i = 0; i < n; ++i) f.model[i] = i == 0 ? 1.0 : 1.0 + r.uniform();
  f.build(BucketQueue::Scale::Linear);
  uint64_t before = f.q.rebuilds();
  for (long s = 0; s < 20000; ++s) {
    uint32_t i = 1 + r.below(n - 1);
    double k = f.model[i] - 0.05;   // into an earlier bucket: a new entry, the old one stale
    f.set(i, k < 1.05 ? 1.95 : k);  // (growing back needs no new entry)
    if (s % 97 == 0) f.check("shrinking", s);
  }
  f.check("shrinking", 20000);
  printf("# shrinking keys: %llu rebuilds\n",
         static_cast<unsigned long long>(f.q.rebuilds() - before));
  if (f.q.rebuilds() == before) fail_msg("no rebuild: the stale-entry path was not exercised");
}

// Equal keys come out in index order, also after updates that make them equal.
void test_ties_in_index_order(void **) {
  const uint32_t n = 200;
  Fixture f(n);
  Rng r{7};
  for (uint32_t i = 0; i < n; ++i) f.model[i] = 5.0 + r.below(4);
  f.build(BucketQueue::Scale::Linear);
  for (uint32_t i = 0; i < n; i += 3) f.set(i, 2.0);
  for (int pops = 0; pops < 400; ++pops) {
    f.check("ties", pops);
    f.set_top(f.q.top_key() + 3.0);
  }
}

// Keys far beyond the window wait in the overflow list and come back in order; a queue where
// every key is +inf reports +inf.
void test_overflow_and_infinity(void **) {
  const uint32_t n = 100;
  Fixture f(n);
  for (uint32_t i = 0; i < n; ++i) f.model[i] = i < 10 ? 1.0 + 0.01 * i : 1e6 * (1 + i);
  f.build(BucketQueue::Scale::Linear);
  for (int pops = 0; pops < 300; ++pops) {
    f.check("overflow", pops);
    f.set_top(pops % 7 == 0 ? INFINITY : f.q.top_key() * 1.001 + 1);
  }
  for (uint32_t i = 0; i < n; ++i) f.set(i, INFINITY);
  f.check("all infinite", 0);
  f.set(42, 3.0);
  f.check("one finite", 0);
  if (f.q.top() != 42) fail_msg("top %u, want 42", f.q.top());
}

// A NaN key (e.g. a spike time computed from a corrupted state) is "never", as +inf: it must
// not hang settle() (it used to, rebuilding forever with the NaN in the overflow list) nor
// disturb the order of the other keys. alarm() turns a hang into a failure.
void on_alarm(int) {
  std::fputs("NaN key: the queue did not settle within 20 s\n", stderr);
  std::_Exit(1);
}

void check_nan_as_never(Fixture &f, const char *what, long step) {
  uint32_t want = 0;
  double want_key = INFINITY;
  for (uint32_t i = 0; i < f.n; ++i)
    if (f.model[i] < want_key) want_key = f.model[i], want = i;  // NaN is never < anything
  double key = f.q.top_key();
  uint32_t got = f.q.top();
  if (!f.q.valid()) fail_msg("%s, step %ld: invariants broken", what, step);
  if (want_key == INFINITY) {
    if (!(key == INFINITY || std::isnan(key)))
      fail_msg("%s, step %ld: top key %g, want +inf (or NaN)", what, step, key);
    return;
  }
  if (got != want || key != want_key)
    fail_msg("%s, step %ld: top %u (key %.17g), want %u (key %.17g)", what, step, got, key, want,
             want_key);
}

void nan_keys(BucketQueue::Scale scale, bool implied, double nan) {
  const uint32_t n = 300;
  Fixture f(n);
  Rng r{77};
  for (uint32_t i = 0; i < n; ++i) f.model[i] = 1.0 + (i < 100 ? r.uniform() : 1e6 * r.uniform());
  f.build(scale, implied);
  long step = 0;
  f.set(3, nan);  // a far or near neuron's key becomes NaN
  check_nan_as_never(f, "set", ++step);
  f.set(f.q.top(), nan);  // the top, through update()
  check_nan_as_never(f, "set top", ++step);
  f.set_top(nan);  // the top, through update_top()
  check_nan_as_never(f, "update_top", ++step);
  f.set(250, nan);  // a neuron in the overflow list
  check_nan_as_never(f, "overflow", ++step);
  for (uint32_t i = 0; i < n; ++i)  // everyone else spikes away to +inf: only NaN keys left
    if (!std::isnan(f.model[i])) f.set(i, INFINITY);
  check_nan_as_never(f, "only NaN and +inf", ++step);
  f.q.rebuild();
  check_nan_as_never(f, "rebuilt", ++step);
  f.set(7, 2.0);
  check_nan_as_never(f, "one finite", ++step);
  f.set(3, 1.5);  // a NaN key becomes finite again
  check_nan_as_never(f, "NaN to finite", ++step);
}

void test_nan_key_is_never(void **) {
  std::signal(SIGALRM, on_alarm);
  alarm(20);
  const double nans[] = {std::nan(""), -std::nan(""), std::log(-1.0)};
  for (double nan : nans) {
    nan_keys(BucketQueue::Scale::Linear, false, nan);
    nan_keys(BucketQueue::Scale::Linear, true, nan);
    nan_keys(BucketQueue::Scale::Log, true, nan);
    nan_keys(BucketQueue::Scale::Log, false, nan);
  }
  alarm(0);
}

// Log scale: after a rebuild with every key +inf (origin 0), a key that becomes finite has a
// bucket of about 2^62; uncapped, it passed the never tag and the neuron stayed in the never
// list, so the queue never returned it.
void test_log_infinite_then_finite(void **) {
  for (int implied = 0; implied < 2; ++implied) {
    Fixture f(100);
    for (uint32_t i = 0; i < f.n; ++i) f.model[i] = INFINITY;
    f.build(BucketQueue::Scale::Log, implied != 0);
    f.check("all infinite", implied);
    f.set(42, 3.0);
    f.check("one finite", implied);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_inhibitory_linear),
      cmocka_unit_test(test_inhibitory_log),
      cmocka_unit_test(test_mixed_linear),
      cmocka_unit_test(test_mixed_log),
      cmocka_unit_test(test_large),
      cmocka_unit_test(test_stale_linear),
      cmocka_unit_test(test_stale_inhibitory_large),
      cmocka_unit_test(test_implied_log),
      cmocka_unit_test(test_implied_negated),
      cmocka_unit_test(test_shared_implied_log),
      cmocka_unit_test(test_shared_implied_negated),
      cmocka_unit_test(test_shared_large),
      cmocka_unit_test(test_heap_outgrows_its_keys),
      cmocka_unit_test(test_stale_entries_force_rebuilds),
      cmocka_unit_test(test_ties_in_index_order),
      cmocka_unit_test(test_overflow_and_infinity),
      cmocka_unit_test(test_nan_key_is_never),
      cmocka_unit_test(test_log_infinite_then_finite),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
