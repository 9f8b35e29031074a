// The options of `sparseprop run`: parsing, checking and the help text.
#include "run_options.hpp"

#include <cmath>
#include <cstdint>

#include "args.hpp"

namespace spcli {

double RunOptions::drive() const {
  double i_ext = tau * std::sqrt((double)k) * j0 * nu;
  return model == SP_MODEL_LIF ? 1.0 + i_ext : i_ext;
}

double RunOptions::weight() const { return -j0 / std::sqrt((double)k); }

const char *RunOptions::model_name() const { return model == SP_MODEL_LIF ? "LIF" : "QIF"; }

RunOptions parse_run_options(int argc, char **argv, int first) {
  RunOptions o;
  bool spikes_set = false, time_set = false;
  ArgReader args(argc, argv, first);
  std::string name;
  while (args.next(name)) {
    if (name == "help") {
      args.flag();
      o.help = true;
    } else if (name == "quiet") {
      args.flag();
      o.quiet = true;
    } else if (name == "model") {
      o.model = parse_models(name, args.value(), false).lif ? SP_MODEL_LIF : SP_MODEL_QIF;
    } else if (name == "n") {
      o.n = (uint32_t)parse_count(name, args.value(), 2, UINT32_MAX);
    } else if (name == "k") {
      o.k = (uint32_t)parse_count(name, args.value(), 1, UINT32_MAX);
    } else if (name == "j0") {
      o.j0 = parse_positive(name, args.value());
    } else if (name == "nu") {
      o.nu = parse_positive(name, args.value());
    } else if (name == "tau") {
      o.tau = parse_positive(name, args.value());
    } else if (name == "spikes-count") {
      o.spikes = parse_count(name, args.value(), 1, UINT64_MAX);
      spikes_set = true;
    } else if (name == "time") {
      o.time = parse_positive(name, args.value());
      time_set = true;
    } else if (name == "burn-in") {
      o.burn_in = parse_count(name, args.value(), 0, UINT64_MAX);
      o.burn_in_set = true;
    } else if (name == "seed") {
      o.seed = parse_seed(name, args.value());
    } else if (name == "init-seed") {
      o.init_seed = parse_seed(name, args.value());
    } else if (name == "spikes") {
      o.spikes_path = args.value();
      if (o.spikes_path.empty()) throw UsageError("--spikes needs a file name");
    } else if (name == "raster") {
      o.raster_path = args.value();
      if (o.raster_path.empty()) throw UsageError("--raster needs a file name");
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  if (o.help) return o;
  if (spikes_set && time_set) throw UsageError("--spikes-count and --time exclude each other");
  // Procedural connectivity draws K distinct targets other than the source itself.
  if (o.k >= o.n)
    throw UsageError("--k must be less than --n (K = " + std::to_string(o.k) +
                     ", N = " + std::to_string(o.n) + ")");
  return o;
}

void run_usage(FILE *f) {
  std::fputs(
      "usage: sparseprop run [options]\n"
      "\n"
      "Simulates the balanced network of Engelken (NeurIPS 2023) exactly: N neurons, each\n"
      "projecting to K distinct random targets (procedural connectivity) with weight\n"
      "-J0/sqrt(K), driven by I = 1 + tau sqrt(K) J0 nu (LIF) or I = tau sqrt(K) J0 nu (QIF),\n"
      "from random initial phases. After a burn-in (not timed) it times the run and prints a\n"
      "summary: rate, wall time, microseconds per spike, peak memory.\n"
      "\n"
      "network:\n"
      "  --model lif|qif        neuron model (default lif)\n"
      "  --n N                  neurons (default 100000; 1e6 style accepted)\n"
      "  --k K                  synapses per neuron, K < N (default 100)\n"
      "  --j0 J0                coupling strength (default 1)\n"
      "  --nu HZ                rate in the balance equation (default 1)\n"
      "  --tau SECONDS          membrane time constant (default 0.01)\n"
      "  --seed S               connectivity seed (default 1)\n"
      "  --init-seed S          initial-phase seed (default 2)\n"
      "run:\n"
      "  --burn-in SPIKES       untimed spikes first (default N)\n"
      "  --spikes-count COUNT   timed spikes (default 1000000)\n"
      "  --time SECONDS         time this much simulated time instead of a spike count\n"
      "output:\n"
      "  --spikes FILE          write the timed spikes as CSV (time,neuron)\n"
      "  --raster FILE.svg      raster plot of neurons 0-199 over the last second\n"
      "  --quiet                print nothing but errors (no summary, no progress)\n"
      "  --help                 this text\n"
      "\n"
      "Options take their value as --opt VALUE or --opt=VALUE. Wall time counts the\n"
      "library calls only, not writing the output. Exit status: 0 success, 1 library or\n"
      "I/O error, 2 bad command line.\n",
      f);
}

}  // namespace spcli
