// The conventional O(N)-per-spike event loop that `sparseprop bench` compares the engine with,
// and a reimplementation of the documented procedural-connectivity generator it needs.
// Nothing here calls into src/: the baseline shares no code with the engine it checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace spcli {

// SplitMix64's output function (README.md, "Connectivity", Procedural).
inline uint64_t mix64(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ull;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z;
}

// The recurrent targets of procedural connectivity, from the generator spec in README.md:
// the same (seed, n, k, source) gives the engine's targets in the engine's order.
class ProceduralTargets {
 public:
  ProceduralTargets(uint32_t n, uint32_t k, uint64_t seed);
  // Writes source j's k targets to out[0..k).
  void targets(uint32_t j, uint32_t *out);
  uint32_t k() const { return k_; }

 private:
  bool insert(uint32_t v);  // false if v was already chosen for this source
  uint32_t n_, k_;
  uint64_t seed_mix_;
  // An open-addressing set of the values chosen so far, cleared by bumping the stamp.
  std::vector<uint32_t> slot_value_, slot_stamp_;
  uint32_t stamp_ = 0;
  uint32_t mask_;
  std::vector<uint32_t> excluded_;
};

// The benchmark network: n neurons of one model, common drive, K procedural targets each with
// weight w < 0 (inhibitory, so an input never triggers a spike), random initial phases drawn
// exactly as the engine draws them for desc.v0 == NULL (README.md, "Initial state").
struct BaselineSpec {
  bool qif = false;
  uint32_t n = 0;
  uint32_t k = 100;
  double tau = 0.01;
  double drive = 0;
  double weight = 0;
  uint64_t seed = 1;
  uint64_t init_seed = 2;
};

// A plain event-driven simulation in voltage (LIF) or phase (QIF) coordinates. Every spike
// (a) scans all N neurons for the next spiker, (b) advances all N to its time, (c) applies
// the K jumps and the reset. Written to be fast: (b) of one spike and (a) of the next are one
// vectorised pass (the jumps are applied in the pre-advance frame), the scan keeps one
// running maximum per block of 256 neurons and looks for the index only in the winning
// block, and an AVX2 version of the pass is picked at run time where the CPU has it.
class Baseline {
 public:
  // use_csr: build the targets once into a flat array (n * k entries) instead of
  // regenerating them at every spike.
  Baseline(const BaselineSpec &spec, bool use_csr);
  // Processes the next spike and returns its neuron; its time is now().
  uint32_t step();
  double now() const { return t_; }
  bool uses_csr() const { return !csr_.empty(); }
  // The name of the pass in use: "avx2" or "sse2" (or "scalar").
  static const char *kernel_name();

 private:
  BaselineSpec s_;
  size_t padded_;  // n rounded up to a whole number of blocks
  double *x_;      // voltages (LIF) or phases (QIF), 64-byte aligned, padding at -inf
  std::unique_ptr<double, void (*)(void *)> x_owner_;
  // The pending advance x -> x * mul_ + add_, applied by the next pass.
  double mul_ = 1.0, add_ = 0.0;
  double t_ = 0.0;
  // Model constants.
  double omega_ = 0;  // QIF: 2 sqrt(I), phase per tau
  double c_ = 0;      // QIF: w / sqrt(I)
  ProceduralTargets gen_;
  std::vector<uint32_t> csr_;  // n * k targets, or empty
  std::vector<uint32_t> tbuf_;
};

}  // namespace spcli
