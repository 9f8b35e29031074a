// `sparseprop run`: build the balanced network, burn in, time the run, report.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <memory>
#include <vector>

#include "args.hpp"
#include "platform.hpp"
#include "progress.hpp"
#include "run_options.hpp"
#include "writers.hpp"

namespace spcli {
namespace {

constexpr size_t kBatch = 4096;           // spikes per sp_run call
constexpr size_t kRasterMaxDots = 50000;  // keeps the SVG small if rates are high
constexpr double kMaxSilence = 1e9;       // simulated seconds without a spike: give up

using NetworkPtr = std::unique_ptr<sp_network, void (*)(sp_network *)>;

// What one phase of the run did.
struct Span {
  uint64_t spikes = 0;
  double wall = 0;     // seconds inside sp_run
  double cpu = 0;      // process CPU seconds inside sp_run
  double t_begin = 0;  // simulated time at the start
  double t_end = 0;    // ... at the end: the last spike's time when counting spikes
};

// Runs `target` more spikes, or (by_time) every event before t_stop, handing each batch of
// spikes to sink(const sp_spike *, size_t). Only the library calls are timed.
template <class Sink>
Span advance(sp_network *net, bool by_time, uint64_t target, double t_stop,
             std::vector<sp_spike> &buf, Progress &progress, Sink &&sink) {
  Span span;
  span.t_begin = sp_now(net);
  // When counting spikes, sp_run needs an end time: look ahead `horizon` seconds, widened
  // whenever it ends before the buffer fills. The run stops on the target spike (the buffer's
  // capacity is cut to what remains), so now() ends at the last spike's time.
  double horizon = 1.0;
  for (;;) {
    size_t cap = kBatch;
    double t_end = t_stop;
    if (!by_time) {
      if (span.spikes == target) break;
      cap = (size_t)std::min<uint64_t>(kBatch, target - span.spikes);
      t_end = sp_now(net) + horizon;
    }
    size_t got = 0;
    double w0 = monotonic_seconds(), c0 = process_cpu_seconds();
    check(sp_run(net, t_end, buf.data(), cap, &got), "sp_run");
    span.wall += monotonic_seconds() - w0;
    span.cpu += process_cpu_seconds() - c0;
    span.spikes += got;
    sink(buf.data(), got);
    progress.update(span.spikes, sp_now(net));
    if (got < cap) {
      if (by_time) break;
      if (got == 0 && horizon >= kMaxSilence)
        throw RuntimeError("the network fell silent: no spike in " + format("%g", kMaxSilence) +
                           " simulated seconds");
      horizon = std::min(2 * horizon, kMaxSilence);
    }
  }
  span.t_end = sp_now(net);
  return span;
}

Summary make_summary(const RunOptions &o, const sp_network *net, const Span &burn,
                     const Span &timed, size_t net_bytes) {
  double sim = timed.t_end - timed.t_begin;
  double n = (double)o.n, spikes = (double)timed.spikes;
  uint64_t peak = peak_resident_bytes();
  const char *frame = sp_network_frame(net) == SP_FRAME_PHASE ? "phase" : "time";
  Summary s;
  s.push_back({"model", o.model_name()});
  if (o.tau_syn > 0) s.push_back({"tau_syn (s)", format("%.6g", o.tau_syn)});
  s.push_back({"N", format("%" PRIu32, o.n)});
  s.push_back({"K", format("%" PRIu32, o.k)});
  s.push_back({"drive I", format("%.6g", o.drive())});
  s.push_back({"weight", format("%.6g", o.weight())});
  s.push_back({"frame", frame});
  s.push_back({"burn-in spikes", format("%" PRIu64, burn.spikes)});
  s.push_back({"burn-in wall time (s)", format("%.3f", burn.wall)});
  s.push_back({"spikes", format("%" PRIu64, timed.spikes)});
  s.push_back({"simulated seconds", format("%.6g", sim)});
  s.push_back({"mean rate (Hz)", sim > 0 ? format("%.4f", spikes / (n * sim)) : "n/a"});
  s.push_back({"wall time (s)", format("%.3f", timed.wall)});
  s.push_back({"cpu time (s)", format("%.3f", timed.cpu)});
  if (timed.spikes > 0 && timed.wall > 0) {
    double events = spikes * o.k;
    s.push_back({"microseconds per spike", format("%.4g", 1e6 * timed.wall / spikes)});
    s.push_back({"synaptic events per second", format("%.4g", events / timed.wall)});
    s.push_back({"nanoseconds per synaptic event", format("%.4g", 1e9 * timed.wall / events)});
  }
  s.push_back({"network memory (bytes)", format("%zu", net_bytes)});
  s.push_back({"network bytes per neuron", format("%.1f", (double)net_bytes / n)});
  if (peak > 0) {
    s.push_back({"peak resident memory (bytes)", format("%" PRIu64, peak)});
    s.push_back({"peak resident bytes per neuron", format("%.1f", (double)peak / n)});
  } else {
    s.push_back({"peak resident memory (bytes)", "n/a"});
  }
  return s;
}

}  // namespace

int run_main(int argc, char **argv, int first) {
  RunOptions o;
  int status = parse_or_usage("run", argc, argv, first, parse_run_options, run_usage, &o);
  if (status >= 0) return status;

  sp_network_desc desc = describe_run(o);
  size_t net_bytes = 0;
  check(sp_network_memory(&desc, &net_bytes), "sp_network_memory");
  sp_network *raw = nullptr;
  check(sp_network_create(&desc, &raw), "sp_network_create");
  NetworkPtr net(raw, sp_network_destroy);

  // Open the outputs before the run, so that it cannot end in an unwritable path; after the
  // network exists and every output has opened, so that a refusal empties no existing file.
  std::unique_ptr<OutputFile> csv_file, svg_file;
  if (!o.spikes_csv_path.empty()) csv_file.reset(new OutputFile(o.spikes_csv_path, true));
  if (!o.raster_path.empty()) svg_file.reset(new OutputFile(o.raster_path, true));
  if (csv_file && svg_file && csv_file->same_file(*svg_file))
    throw UsageError("--spikes-csv '" + o.spikes_csv_path + "' and --raster '" + o.raster_path +
                     "' are the same file");
  if (csv_file) csv_file->begin();
  if (svg_file) svg_file->begin();
  std::vector<sp_spike> buf(kBatch);
  bool terminal = stderr_is_terminal();
  Progress progress(!o.quiet && (o.progress || terminal), o.n, terminal);

  // Burn-in: settle into the stationary state; not timed, not recorded.
  uint64_t burn_target = o.burn_in_spikes();
  progress.begin("burn-in", false, (double)burn_target, sp_now(net.get()));
  Span burn = advance(net.get(), false, burn_target, 0.0, buf, progress,
                      [](const sp_spike *, size_t) {});

  // The timed part.
  bool by_time = o.time > 0;
  const double t_start = sp_now(net.get());
  double t_stop = t_start + o.time;
  // A span that now() + span rounds away would time a run of 0 s.
  if (by_time && !(t_stop > t_start))
    throw RuntimeError(format("--time %.17g is too short to move the clock after the burn-in "
                              "(now() = %.17g s, where the next double is %.17g s later)",
                              o.time, t_start, std::nextafter(t_start, HUGE_VAL) - t_start));
  Raster raster(o.raster_first, o.raster_last, o.n, o.raster_window, kRasterMaxDots);
  if (csv_file) write_csv_header(csv_file->get());
  progress.begin("run", by_time, by_time ? o.time : (double)o.spikes, t_start);
  Span timed = advance(net.get(), by_time, o.spikes, t_stop, buf, progress,
                       [&](const sp_spike *s, size_t n) {
                         if (csv_file) write_csv_spikes(csv_file->get(), s, n);
                         if (svg_file) raster.add(s, n);
                       });
  if (by_time) timed.t_end = t_stop;  // exact, whatever rounding now() carries
  progress.clear();

  if (csv_file) csv_file->close();
  if (svg_file) {
    std::string title = format("%s network, N = %" PRIu32 ", K = %" PRIu32 ": neurons %" PRIu32
                               "-%" PRIu32,
                               o.model_name(), o.n, o.k, o.raster_first, o.raster_last);
    if (!raster.resolves(timed.t_end))
      throw RuntimeError(format("--raster-window %g s is too short to plot at t = %.9g s: its "
                                "rate bins, a hundredth of it, are below the simulated clock's "
                                "step there (%g s); widen the window",
                                o.raster_window, timed.t_end,
                                std::nextafter(timed.t_end, HUGE_VAL) - timed.t_end));
    raster.write_svg(svg_file->get(), title, timed.t_begin, timed.t_end);
    svg_file->close();
    if (raster.capped() && !o.quiet)
      std::fprintf(stderr,
                   "sparseprop run: note: the raster holds at most %zu spikes: it shows %.6g s "
                   "(from t = %.9g s), less than --raster-window %g; show fewer neurons or a "
                   "shorter window for the whole window\n",
                   kRasterMaxDots, timed.t_end - raster.shown_from(), raster.shown_from(),
                   o.raster_window);
  }
  if (!o.quiet) print_summary(stdout, make_summary(o, net.get(), burn, timed, net_bytes));
  return kExitOk;
}

}  // namespace spcli
