// The options of `sparseprop run`: the paper's balanced network and what to measure.
#pragma once

#include <cstdint>
#include <string>

#include "cli.hpp"

namespace spcli {

struct RunOptions {
  uint32_t model = SP_MODEL_LIF;
  uint32_t n = 100000;
  uint32_t k = 100;
  double j0 = 1.0;
  double nu = 1.0;       // target rate in the balance equation, Hz
  double tau = 0.01;     // seconds
  double tau_syn = 0.0;  // synaptic time constant, seconds (0: delta synapses)
  // EIF (the library's dimensionless convention; defaults the library's own).
  double delta_t = 0.1, v_t = 1.0, v_reset = 0.0;
  bool eif_params_set = false;
  uint64_t spikes = 1000000;  // timed spikes (unless time > 0)
  double time = 0.0;          // timed simulated seconds; 0: count spikes instead
  uint64_t burn_in = 0;
  bool burn_in_set = false;  // default burn-in: n spikes
  uint64_t seed = 1;         // connectivity
  uint64_t init_seed = 2;    // initial phases
  std::string spikes_csv_path;
  std::string raster_path;
  double raster_window = 1.0;  // simulated seconds at the end of the timed run
  uint32_t raster_first = 0;   // neurons shown: [raster_first, raster_last]
  uint32_t raster_last = 199;  // clipped to N - 1 unless set
  bool raster_neurons_set = false;
  bool quiet = false;
  bool progress = false;  // progress lines even when stderr is not a terminal
  bool help = false;

  uint64_t burn_in_spikes() const { return burn_in_set ? burn_in : n; }
  // The balance equation's external drive tau sqrt(K) J0 nu, plus 1 (threshold) for LIF and
  // EIF (whose soft threshold V_T is 1 in the library's convention).
  double drive() const;
  double weight() const;  // -J0 / sqrt(K)
  const char *model_name() const;
};

// Throws UsageError on any bad option or value, and on a network description the library
// would refuse (checked with sp_network_memory, so the limits are the library's own).
RunOptions parse_run_options(int argc, char **argv, int first);
// The network `run` simulates.
sp_network_desc describe_run(const RunOptions &o);

}  // namespace spcli
