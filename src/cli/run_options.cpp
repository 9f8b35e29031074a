// The options of `sparseprop run`: parsing, checking and the help text.
#include "run_options.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "args.hpp"

namespace spcli {

double RunOptions::drive() const {
  double i_ext = tau * std::sqrt((double)k) * j0 * nu;
  return model == SP_MODEL_QIF ? i_ext : 1.0 + i_ext;
}

double RunOptions::weight() const { return -j0 / std::sqrt((double)k); }

const char *RunOptions::model_name() const {
  return model == SP_MODEL_LIF ? "LIF" : (model == SP_MODEL_QIF ? "QIF" : "EIF");
}

namespace {

// "FIRST-LAST", inclusive, FIRST <= LAST.
void parse_neuron_range(const std::string &opt, const std::string &text, uint32_t *first,
                        uint32_t *last) {
  size_t dash = text.find('-');
  if (dash == std::string::npos || dash == 0)
    throw UsageError("invalid value '" + text + "' for --" + opt +
                     " (expected FIRST-LAST, e.g. 0-199)");
  *first = (uint32_t)parse_count(opt, text.substr(0, dash), 0, kMaxNeurons - 1);
  *last = (uint32_t)parse_count(opt, text.substr(dash + 1), 0, kMaxNeurons - 1);
  if (*first > *last) throw UsageError("--" + opt + " " + text + ": FIRST must not exceed LAST");
}

bool ends_with_svg(const std::string &path) {
  if (path.size() < 4) return false;
  std::string ext = path.substr(path.size() - 4);
  for (char &c : ext) c = (char)std::tolower((unsigned char)c);
  return ext == ".svg";
}

}  // namespace

sp_network_desc describe_run(const RunOptions &o) {
  sp_network_desc d;
  sp_network_desc_init(&d, sizeof d);
  d.model = o.model;
  d.n = o.n;
  d.tau = o.tau;
  d.tau_syn = o.tau_syn;
  d.drive = o.drive();
  d.recurrent.k = o.k;  // procedural: row_ptr stays NULL
  d.recurrent.seed = o.seed;
  d.recurrent.weight = o.weight();
  d.v0 = nullptr;  // random phases over the free period, from init_seed
  d.init_seed = o.init_seed;
  if (o.model == SP_MODEL_EIF) {
    // (Read by the library during the call the description is passed to; one program, one
    // network description at a time.)
    static sp_model_params eif;
    eif = sp_model_params();
    eif.struct_size = sizeof eif;
    eif.v_reset = o.v_reset;
    eif.v_spike = INFINITY;
    eif.delta_t = o.delta_t;
    eif.v_t = o.v_t;
    d.model_params = &eif;
  }
  return d;
}

RunOptions parse_run_options(int argc, char **argv, int first) {
  RunOptions o;
  bool spikes_set = false, time_set = false, raster_opts_set = false;
  ArgReader args(argc, argv, first);
  std::string name;
  while (args.next(name)) {
    if (name == "help") {
      args.flag();
      o.help = true;
    } else if (name == "quiet") {
      args.flag();
      o.quiet = true;
    } else if (name == "progress") {
      args.flag();
      o.progress = true;
    } else if (name == "model") {
      ModelChoice m = parse_models(name, args.value(), false);
      o.model = m.lif ? SP_MODEL_LIF : (m.qif ? SP_MODEL_QIF : SP_MODEL_EIF);
    } else if (name == "delta-t") {
      o.delta_t = parse_positive(name, args.value());
      o.eif_params_set = true;
    } else if (name == "v-t" || name == "v-reset") {
      std::string v = args.value();
      char *end = nullptr;
      double x = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(x))
        throw UsageError("invalid value '" + v + "' for --" + name + " (expected a number)");
      (name == "v-t" ? o.v_t : o.v_reset) = x;
      o.eif_params_set = true;
    } else if (name == "n") {
      o.n = (uint32_t)parse_count(name, args.value(), 2, kMaxNeurons);
    } else if (name == "k") {
      o.k = (uint32_t)parse_count(name, args.value(), 1, kMaxNeurons - 1);
    } else if (name == "j0") {
      o.j0 = parse_positive(name, args.value());
    } else if (name == "nu") {
      o.nu = parse_positive(name, args.value());
    } else if (name == "tau") {
      o.tau = parse_positive(name, args.value());
    } else if (name == "tau-syn") {
      o.tau_syn = parse_non_negative(name, args.value());
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
    } else if (name == "spikes-csv") {
      o.spikes_csv_path = args.value();
      if (o.spikes_csv_path.empty()) throw UsageError("--spikes-csv needs a file name");
    } else if (name == "spikes") {
      // It once named the CSV file here and a count in `bench`: one name, one meaning now.
      throw UsageError("--spikes is gone: use --spikes-csv FILE for the CSV, --spikes-count "
                       "COUNT for the number of timed spikes");
    } else if (name == "raster") {
      o.raster_path = args.value();
      if (o.raster_path.empty()) throw UsageError("--raster needs a file name");
      if (!ends_with_svg(o.raster_path))
        throw UsageError("--raster " + o.raster_path +
                         ": the raster plot is written as SVG only; name the file *.svg");
    } else if (name == "raster-window") {
      o.raster_window = parse_positive(name, args.value());
      raster_opts_set = true;
    } else if (name == "raster-neurons") {
      parse_neuron_range(name, args.value(), &o.raster_first, &o.raster_last);
      o.raster_neurons_set = true;
      raster_opts_set = true;
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  if (o.help) return o;
  if (o.eif_params_set && o.model != SP_MODEL_EIF)
    throw UsageError("--delta-t, --v-t and --v-reset are EIF parameters: add --model eif");
  if (spikes_set && time_set) throw UsageError("--spikes-count and --time exclude each other");
  if (raster_opts_set && o.raster_path.empty())
    throw UsageError("--raster-window and --raster-neurons need --raster FILE.svg");
  // Procedural connectivity draws K distinct targets other than the source itself.
  if (o.k >= o.n)
    throw UsageError("--k must be less than --n (K = " + std::to_string(o.k) +
                     ", N = " + std::to_string(o.n) + ")");
  if (o.raster_neurons_set && o.raster_last >= o.n)
    throw UsageError("--raster-neurons " + std::to_string(o.raster_first) + "-" +
                     std::to_string(o.raster_last) +
                     ": neurons are numbered 0 to N - 1 = " + std::to_string(o.n - 1));
  if (!o.raster_neurons_set) o.raster_last = std::min<uint32_t>(o.raster_last, o.n - 1);
  // The drive tau sqrt(K) J0 nu can overflow to inf (or underflow to 0 for QIF) although each
  // factor is fine; the library is the judge of what it accepts.
  sp_network_desc d = describe_run(o);
  size_t bytes = 0;
  sp_status s = sp_network_memory(&d, &bytes);
  if (s == SP_ERR_ARGUMENT || s == SP_ERR_UNSUPPORTED || s == SP_ERR_NUMERIC) {
    const std::string why = sp_last_error();
    // (Where the options behind the refused field are not plain to see, say which; only then.)
    std::string hint;
    if (why.find("drive") != std::string::npos)
      hint += "; the drive is tau sqrt(K) J0 nu (+ 1 for LIF and EIF), from --tau, --k, --j0, --nu";
    if (o.model == SP_MODEL_EIF && why.find("phase table") != std::string::npos)
      hint += "; EIF's phase table also depends on --v-t, --delta-t and --v-reset";
    if (o.tau_syn != 0.0 && o.model != SP_MODEL_LIF) hint += "; --tau-syn is for LIF only";
    throw UsageError(std::string("the library refuses this network (") + sp_status_name(s) +
                     "): " + why + hint);
  }
  return o;
}

void run_usage(FILE *f) {
  std::fputs(
      "usage: sparseprop run [options]\n"
      "\n"
      "Simulates the balanced network of Engelken (NeurIPS 2023) exactly: N neurons, each\n"
      "projecting to K distinct random targets (procedural connectivity) with weight\n"
      "-J0/sqrt(K), driven by I = 1 + tau sqrt(K) J0 nu (LIF, EIF) or I = tau sqrt(K) J0 nu\n"
      "(QIF), from random initial phases. After a burn-in (not timed) it times the run and\n"
      "prints a summary: rate, wall time, microseconds per spike, peak memory.\n"
      "\n"
      "network:\n"
      "  --model lif|qif|eif    neuron model (default lif); EIF: tau dV/dt = -V + I +\n"
      "                         D_T exp((V - V_T)/D_T), spike at +inf, reset V_r (tabulated)\n"
      "  --delta-t D_T          EIF slope factor (default 0.1)\n"
      "  --v-t V_T              EIF soft threshold (default 1, LIF's threshold)\n"
      "  --v-reset V_R          EIF reset (default 0)\n"
      "  --n N                  neurons, 2 to 2^31 (default 100000; 1e6 style accepted)\n"
      "  --k K                  synapses per neuron, K < N (default 100)\n"
      "  --j0 J0                coupling strength (default 1)\n"
      "  --nu HZ                rate in the balance equation (default 1)\n"
      "  --tau SECONDS          membrane time constant (default 0.01)\n"
      "  --tau-syn SECONDS      LIF: current-based synapses with this synaptic time constant\n"
      "                         (default 0: delta synapses), with the same drive and weights\n"
      "  --seed S               connectivity seed, decimal (default 1)\n"
      "  --init-seed S          initial-phase seed, decimal (default 2)\n"
      "run:\n"
      "  --burn-in COUNT        untimed spikes first (default N)\n"
      "  --spikes-count COUNT   timed spikes (default 1000000)\n"
      "  --time SECONDS         time this much simulated time instead of a spike count\n"
      "output:\n"
      "  --spikes-csv FILE      write the timed spikes as CSV: t_s,neuron (seconds, index)\n"
      "  --raster FILE.svg      raster plot of the end of the timed run, with the population\n"
      "                         rate (all N neurons) underneath; SVG only\n"
      "  --raster-window SECONDS\n"
      "                         how much simulated time the raster shows (default 1; at\n"
      "                         most 50000 dots: a window holding more shows its last\n"
      "                         50000, with a note on stderr)\n"
      "  --raster-neurons FIRST-LAST\n"
      "                         which neurons it shows, inclusive (default 0-199)\n"
      "  --progress             progress lines with an ETA on stderr even when it is not a\n"
      "                         terminal (on a terminal they are shown after 2 s anyway)\n"
      "  --quiet                print nothing but errors (no summary, no progress)\n"
      "  --help                 this text\n"
      "\n"
      "Options take their value as --opt VALUE or --opt=VALUE; counts may be written 1e6.\n"
      "Wall time counts the library calls only, not writing the output. Exit status:\n"
      "0 success, 1 library or I/O error, 2 bad command line (including a network the\n"
      "library refuses, e.g. a drive that overflows).\n",
      f);
}

}  // namespace spcli
