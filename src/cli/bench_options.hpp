// The options of `sparseprop bench`: which networks to time and how long.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "cli.hpp"

namespace spcli {

struct BenchOptions {
  bool lif = true, qif = true, eif = false;  // --model lif|qif|eif|both|all
  std::vector<uint32_t> sizes;               // the N to run, increasing
  uint64_t spikes = 0;                       // timed spikes per N; 0: max(10^6, N)
  bool burn_in_set = false;
  uint64_t burn_in = 0;  // burn-in spikes per N when set; default N
  uint64_t baseline_max_n = 1000000;
  bool baseline = true;
  double baseline_seconds = 2.0;  // wall-time budget of each timed baseline run
  uint32_t check_spikes = 500;    // spikes compared between the engine and the baseline
  bool floor = true;              // the floor probe on the engine's spike sequence
  bool floor_alone = false;       // the probe after destroying the network (implies no baseline)
  bool backward = true;           // backward pass and tape at N = 10^4
  uint32_t backward_n = 10000;
  double tau_syn = 0.0;  // LIF with current-based synapses (no baseline, no floor); 0: delta
  std::string csv_path;
  bool quiet = false;
  bool help = false;

  uint64_t timed_spikes(uint32_t n) const {
    return spikes ? spikes : std::max<uint64_t>(1000000, n);
  }
  // The engine's spikes the floor probe replays: the timed count, at most 10^7 (4 bytes each).
  uint64_t floor_spikes(uint32_t n) const { return std::min<uint64_t>(timed_spikes(n), 10000000); }
  uint64_t burn_in_spikes(uint32_t n) const { return burn_in_set ? burn_in : n; }
  // 10^5 recorded spikes, or fewer with --spikes-count.
  uint64_t backward_spikes() const { return spikes ? std::min<uint64_t>(spikes, 100000) : 100000; }
};

// The benchmark workload (src/ARCHITECTURE.md, Benchmarks): the paper's balanced network, fixed
// so runs compare.
constexpr uint32_t kBenchK = 100;
constexpr double kBenchJ0 = 1.0, kBenchNu = 1.0, kBenchTau = 0.01;
constexpr uint64_t kBenchSeed = 1, kBenchInitSeed = 2;  // the `run` command's defaults

// Throws UsageError on any bad option or value.
BenchOptions parse_bench_options(int argc, char **argv, int first);

}  // namespace spcli
