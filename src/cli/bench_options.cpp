// The options of `sparseprop bench`: parsing, checking and the help text.
#include "bench_options.hpp"

#include <algorithm>

#include "args.hpp"
#include "bench.hpp"
#include "writers.hpp"  // format

namespace spcli {

namespace {

// "1000,1e5,2000000": each N > K, at most the library's 2^31.
std::vector<uint32_t> parse_sizes(const std::string &opt, const std::string &text) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  for (;;) {
    size_t comma = text.find(',', pos);
    size_t len = comma == std::string::npos ? std::string::npos : comma - pos;
    std::string item = text.substr(pos, len);
    out.push_back((uint32_t)parse_count(opt, item, kBenchK + 1, kMaxNeurons));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

}  // namespace

BenchOptions parse_bench_options(int argc, char **argv, int first) {
  BenchOptions o;
  uint64_t n_max = 1000000;
  bool n_max_set = false, n_list_set = false, check_set = false, no_floor = false;
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
      ModelChoice m = parse_models(name, args.value(), true);
      o.lif = m.lif;
      o.qif = m.qif;
      o.eif = m.eif;
    } else if (name == "n-max") {
      n_max = parse_count(name, args.value(), 1000, kMaxNeurons);
      n_max_set = true;
    } else if (name == "n-list") {
      o.sizes = parse_sizes(name, args.value());
      n_list_set = true;
    } else if (name == "spikes-count") {
      o.spikes = parse_count(name, args.value(), 1, UINT64_MAX);
    } else if (name == "spikes") {
      // It once meant a count here and a CSV file in `run`: one name, one meaning now.
      throw UsageError("--spikes is gone: use --spikes-count COUNT");
    } else if (name == "burn-in") {
      o.burn_in = parse_count(name, args.value(), 0, UINT64_MAX);
      o.burn_in_set = true;
    } else if (name == "baseline-max-n") {
      o.baseline_max_n = parse_count(name, args.value(), 0, kMaxNeurons);
    } else if (name == "baseline-seconds") {
      o.baseline_seconds = parse_positive(name, args.value());
    } else if (name == "no-baseline") {
      args.flag();
      o.baseline = false;
    } else if (name == "check-spikes") {
      o.check_spikes = (uint32_t)parse_count(name, args.value(), 1, 1000000);
      check_set = true;
    } else if (name == "no-floor") {
      args.flag();
      o.floor = false;
      no_floor = true;
    } else if (name == "floor-alone") {
      args.flag();
      o.floor_alone = true;
      o.baseline = false;
    } else if (name == "no-backward") {
      args.flag();
      o.backward = false;
    } else if (name == "tau-syn") {
      o.tau_syn = parse_non_negative(name, args.value());
    } else if (name == "csv") {
      o.csv_path = args.value();
      if (o.csv_path.empty()) throw UsageError("--csv needs a file name");
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  if (o.help) return o;
  if (n_max_set && n_list_set) throw UsageError("--n-max and --n-list exclude each other");
  // Options that would be ignored without a word are refused.
  if (no_floor && o.floor_alone)
    throw UsageError("--floor-alone and --no-floor exclude each other");
  if (check_set && !o.baseline)
    throw UsageError(std::string("--check-spikes compares the engine with the baseline, which ") +
                     (o.floor_alone ? "--floor-alone" : "--no-baseline") + " leaves out");
  if (check_set && o.tau_syn > 0)
    throw UsageError("--check-spikes compares the engine with the baseline, which --tau-syn "
                     "leaves out");
  if (o.tau_syn > 0) {
    // The O(N) loop and the floor probe model delta synapses: only the engine runs.
    if ((o.qif || o.eif) && !o.lif)
      throw UsageError("--tau-syn: current-based synapses are LIF only");
    // The library judges tau_syn (its ratio to tau) before anything runs, not at the LIF-s rows.
    sp_network_desc d;
    sp_network_desc_init(&d, sizeof d);
    d.n = kBenchK + 1;
    d.tau = kBenchTau;
    d.tau_syn = o.tau_syn;
    d.drive = 1.5;
    d.recurrent.k = kBenchK;
    size_t bytes = 0;
    if (sp_status s = sp_network_memory(&d, &bytes); s != SP_OK)
      throw UsageError(std::string("--tau-syn ") + format("%g", o.tau_syn) +
                       ": the library refuses it with tau = " + format("%g", kBenchTau) + " (" +
                       sp_status_name(s) + "): " + sp_last_error());
    o.qif = false;
    o.eif = false;
    o.baseline = false;
    o.floor = false;
  }
  if (!n_list_set)
    for (uint64_t n = 1000; n <= n_max; n *= 10) o.sizes.push_back((uint32_t)n);
  return o;
}

void bench_usage(FILE *f) {
  std::fputs(
      "usage: sparseprop bench [options]\n"
      "\n"
      "Times the project's benchmark (src/ARCHITECTURE.md, Benchmarks; the figures of this\n"
      "project's machine are in tests/bench/RESULTS.md): the balanced network of Engelken\n"
      "(NeurIPS 2023) with procedural connectivity, K = 100, w = -J0/sqrt(K), drive\n"
      "I = 1 + tau sqrt(K) J0 nu (LIF) or tau sqrt(K) J0 nu (QIF), J0 = 1, nu = 1 Hz,\n"
      "tau = 10 ms, random initial phases, for N = 10^3, 10^4, ... For every N, in a child\n"
      "process of its own (so its peak memory is its own): N spikes of burn-in, then\n"
      "max(10^6, N) timed spikes. Then, in the same child, a conventional O(N)-per-spike\n"
      "event loop on the same network (scan all N for the next spiker, advance all N,\n"
      "apply the K jumps; vectorised), checked against the engine spike by spike from t = 0,\n"
      "and timed for a few seconds. Also in the same child, the floor: the engine runs on\n"
      "for as many spikes again (at most 1e7), recording which neurons spike, and a probe\n"
      "replays those sources doing only what every spike of the engine must do (generate\n"
      "the K targets, one read-modify-write of each target's state; no queue): engine /\n"
      "floor per N, and the probe's generator alone, which splits the floor in two.\n"
      "Finally the backward pass at N = 10^4.\n"
      "\n"
      "sizes and models:\n"
      "  --model lif|qif|eif|both|all\n"
      "                         neuron model(s) (default both: lif and qif; all adds EIF, the\n"
      "                         library's default EIF with I as LIF's, timed without the\n"
      "                         O(N) loop)\n"
      "  --n-max N              N = 10^3, 10^4, ... up to N, at most 2^31 (default 1e6).\n"
      "                         Each N runs N + max(1e6, N) spikes, and as many again up to\n"
      "                         1e7 for the floor: 1e7 takes minutes, 1e8 and 1e9 hours\n"
      "                         (shorten with --burn-in and --spikes-count); a\n"
      "                         size whose network does not fit in memory is skipped\n"
      "  --n-list N1,N2,...     these N instead (each > 100, at most 2^31)\n"
      "  --tau-syn SECONDS      also LIF with current-based synapses of this time constant,\n"
      "                         the same drive and weights (rows labelled LIF-s, after the\n"
      "                         delta-synapse LIF rows of the same run; default 0: delta\n"
      "                         only). The whole run is then LIF only (no QIF or EIF rows)\n"
      "                         and has no baseline and no floor, which model delta synapses\n"
      "work per N:\n"
      "  --spikes-count COUNT   timed spikes (default max(1e6, N)); also caps the backward\n"
      "                         run (default 1e5 spikes)\n"
      "  --burn-in COUNT        untimed spikes first (default N)\n"
      "baseline:\n"
      "  --baseline-max-n N     run the O(N) loop for N up to this (default 1e6)\n"
      "  --baseline-seconds S   wall-time budget of each timed baseline run (default 2)\n"
      "  --check-spikes COUNT   spikes compared with the engine (default 500; chaos parts\n"
      "                         the two runs, sooner the smaller N: see the manual)\n"
      "  --no-baseline          skip the O(N) loop and the check\n"
      "  --no-backward          skip the backward-pass measurement\n"
      "floor:\n"
      "  --no-floor             skip the floor probe (its 8 bytes per neuron and 4 per spike,\n"
      "                         on 2 MiB pages as the network's: when they do not fit beside\n"
      "                         the network and the O(N) loop does not run, the probe runs\n"
      "                         after the network is destroyed; skipped, with a message, when\n"
      "                         they do not fit at all)\n"
      "  --floor-alone          run the probe after destroying the network even when it fits\n"
      "                         beside it (implies --no-baseline)\n"
      "output:\n"
      "  --csv FILE             also write every figure as CSV\n"
      "  --quiet                print the tables only (no progress, no notes)\n"
      "  --help                 this text\n"
      "\n"
      "Options take their value as --opt VALUE or --opt=VALUE. Exit status: 0 success,\n"
      "1 library or I/O error, a crashed child or a baseline that disagrees with the engine,\n"
      "2 bad command line.\n",
      f);
}

}  // namespace spcli
