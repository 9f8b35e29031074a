// The floor of `sparseprop bench`: the work per spike the engine cannot avoid on a procedural
// network, i.e. generating the spiker's targets and one read-modify-write of each target's state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace spcli {

// The recurrent targets of procedural connectivity, from the generator's definition in
// README.md ("Connectivity", Procedural), written for speed (the ProceduralTargets of
// baseline.hpp is the plain transcription): draws are computed in independent batches (the
// stream is counter-based) and repeats are found with a sparse bit filter, so that the floor
// is not slower than the engine's own generator. Same (seed, n, k, source) -> the engine's
// targets in the engine's order. Requires n >= 2 and 1 <= k <= n - 1.
class FastTargets {
 public:
  FastTargets(uint32_t n, uint32_t k, uint64_t seed);
  // The k targets of source j (< n), valid until the next call. With `prefetch`, each target i
  // of a sparse row starts a load of prefetch[stride i] as it is drawn, as the engine's
  // generator does.
  const uint32_t *targets(uint32_t j, const double *prefetch = nullptr, uint32_t stride = 1);
  uint32_t k() const { return k_; }

 private:
  uint32_t k_, m_;   // m: candidates, n - 1
  uint32_t reject_;  // a draw whose low product word is below this is rejected
  uint64_t seed_mix_;
  bool sparse_;                   // 2k <= m: draw the targets; else draw the excluded candidates
  uint32_t shift_ = 0;            // sparse: filter slot = (v * golden32) >> shift_
  std::vector<uint64_t> filter_;  // sparse: >= 64k bits; dense: an exact bitset over m
  std::vector<uint32_t> out_;
};

// Replays `count` spikes of the sources src[0..count): for each, its targets, then
// u[stride i] -= w * clock for every target i (clock: a per-spike factor, as the LIF co-moving
// coordinate's e^{t/tau}), the states prefetched as the engine does: as each target is drawn
// (when u, n x stride doubles, takes 4 MiB or more) and 16 targets ahead. No queue, no
// threshold. Stride 1: a double per neuron, the floor; stride 2: a 16-byte record per neuron,
// the size of the engine's full-layout slot (state, queue tag, flags), the slot floor.
void floor_replay(FastTargets &gen, double *u, uint32_t n, uint32_t stride, const uint32_t *src,
                  size_t count, double w);

// The sum of u[0..count): a checksum of the replay's states (outside its timing: at N = 10^9
// the pass over the states would add a sizeable part of the replay's time).
double floor_sum(const double *u, size_t count);

// The generator alone on the same spikes: the targets of src[0..count), nothing else, for the
// floor's split into generating the targets and touching them. Returns a checksum of the
// targets (which keeps the work observable).
uint64_t floor_generate(FastTargets &gen, const uint32_t *src, size_t count);

}  // namespace spcli
