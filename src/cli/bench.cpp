// `sparseprop bench`: times the engine on the benchmark network (src/ARCHITECTURE.md,
// Benchmarks) for a range of N, each N in a forked child process (so its peak memory is its
// own), beside a conventional O(N)-per-spike event loop that is first checked against the
// engine spike by spike, and a floor probe replaying the engine's spikes (floor.hpp); then the
// backward pass at N = 10^4. Prints aligned tables and optionally CSV.
#include "bench.hpp"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "args.hpp"
#include "baseline.hpp"
#include "bench_options.hpp"
#include "cli.hpp"
#include "floor.hpp"
#include "platform.hpp"
#include "progress.hpp"
#include "writers.hpp"

namespace spcli {
namespace {

constexpr size_t kBatch = 4096;      // spikes per sp_run call
constexpr double kMaxSilence = 1e9;  // simulated seconds without a spike: give up
// Spike times, engine vs baseline: |dt| <= kCheckRelTol t + kCheckAbsTol tau. The absolute
// floor is a few ulps of the O(1) states: the first spikes of a large network come at t of
// order tau / N, where the spike time's own rounding (tau ulp(1)) exceeds 1e-9 t.
constexpr double kCheckRelTol = 1e-9, kCheckAbsTol = 1e-15;
constexpr uint64_t kCsrMaxSynapses = uint64_t(1) << 24;  // baseline keeps CSR up to 64 MB

using NetworkPtr = std::unique_ptr<sp_network, void (*)(sp_network *)>;

// ------------------------------------------------------------------------------------------
// The network and running it

double bench_drive(uint32_t model) {
  double i_ext = kBenchTau * std::sqrt((double)kBenchK) * kBenchJ0 * kBenchNu;
  return model == SP_MODEL_QIF ? i_ext : 1.0 + i_ext;  // (EIF: V_T = 1 as LIF's threshold)
}

double bench_weight() { return -kBenchJ0 / std::sqrt((double)kBenchK); }

// The synaptic time constant of the rows being run: with --tau-syn, delta-synapse LIF rows
// (0) alternate with current-synapse rows (labelled LIF-s); forked children inherit it.
double g_tau_syn = 0.0;

const char *model_name(uint32_t model) {
  if (model == SP_MODEL_LIF) return g_tau_syn > 0 ? "LIF-s" : "LIF";
  return model == SP_MODEL_QIF ? "QIF" : "EIF";
}

std::string gib(double bytes) { return format("%.2f GiB", bytes / 1073741824.0); }

sp_network_desc describe(uint32_t model, uint32_t n, const sp_allocator *allocator = nullptr) {
  sp_network_desc d;
  sp_network_desc_init(&d, sizeof d);
  d.model = model;
  d.n = n;
  d.tau = kBenchTau;
  d.tau_syn = model == SP_MODEL_LIF ? g_tau_syn : 0.0;
  d.drive = bench_drive(model);
  d.recurrent.k = kBenchK;  // procedural: row_ptr stays NULL
  d.recurrent.seed = kBenchSeed;
  d.recurrent.weight = bench_weight();
  d.v0 = nullptr;  // random phases over the free period, from init_seed
  d.init_seed = kBenchInitSeed;
  d.allocator = allocator;
  return d;
}

BaselineSpec baseline_spec(uint32_t model, uint32_t n) {
  BaselineSpec s;
  s.qif = model == SP_MODEL_QIF;
  s.n = n;
  s.k = kBenchK;
  s.tau = kBenchTau;
  s.drive = bench_drive(model);
  s.weight = bench_weight();
  s.seed = kBenchSeed;
  s.init_seed = kBenchInitSeed;
  return s;
}

struct Span {
  uint64_t spikes = 0;
  double wall = 0, cpu = 0;       // inside sp_run only
  double t_begin = 0, t_end = 0;  // simulated; t_end is the last spike's time
};

// Runs exactly `target` more spikes, handing each batch to sink(const sp_spike *, size_t).
template <class Sink>
Span advance(sp_network *net, uint64_t target, std::vector<sp_spike> &buf, Progress &progress,
             Sink &&sink) {
  Span span;
  span.t_begin = sp_now(net);
  // sp_run needs an end time: look ahead `horizon` seconds, widened whenever it ends before
  // the buffer fills; the capacity is cut to what remains, so the run stops on the target.
  double horizon = 1.0;
  while (span.spikes < target) {
    size_t cap = (size_t)std::min<uint64_t>(buf.size(), target - span.spikes), got = 0;
    double w0 = monotonic_seconds(), c0 = process_cpu_seconds();
    check(sp_run(net, sp_now(net) + horizon, buf.data(), cap, &got), "sp_run");
    span.wall += monotonic_seconds() - w0;
    span.cpu += process_cpu_seconds() - c0;
    span.spikes += got;
    sink(buf.data(), got);
    progress.update(span.spikes, sp_now(net));
    if (got < cap) {
      if (got == 0 && horizon >= kMaxSilence)
        throw RuntimeError("the network fell silent: no spike in " + format("%g", kMaxSilence) +
                           " simulated seconds");
      horizon = std::min(2 * horizon, kMaxSilence);
    }
  }
  span.t_end = sp_now(net);
  return span;
}

// ------------------------------------------------------------------------------------------
// Child processes

// What a child reports back through a pipe: plain data only.
struct ForwardResult {
  int ok = 0;
  char error[400] = {0};
  uint32_t frame = 0;
  uint64_t burn_spikes = 0;
  double burn_wall = 0;
  uint64_t spikes = 0;
  double wall = 0, cpu = 0, sim_seconds = 0;
  uint64_t net_bytes = 0, peak_bytes = 0, start_rss = 0;
  double create_wall = 0;  // sp_network_create
  // The baseline: the check from t = 0, then the timed run.
  int baseline_ran = 0, csr = 0;
  uint32_t check_spikes = 0, check_matched = 0;
  double check_max_rel = 0, check_max_abs = 0;
  char check_detail[300] = {0};  // the first difference, if any
  uint64_t base_spikes = 0;
  double base_wall = 0, base_cpu = 0;
  // The floor: the engine on a further run of spikes, then the probe replaying its sources.
  int floor_ran = 0;
  uint64_t floor_spikes = 0;
  double floor_engine_wall = 0, floor_engine_cpu = 0;
  double floor_wall = 0, floor_cpu = 0;
  double floor_checksum = 0;
  double gen_wall = 0, gen_cpu = 0;  // the probe's generator alone, on the same spikers
  uint64_t gen_checksum = 0;
  // The slot floor: the same replay on a 16-byte record per neuron, the full layout's slot
  // (run only for a network with the full layout, when it fits).
  int slot_ran = 0;
  double slot_cpu = 0, slot_checksum = 0;
  char floor_skipped[200] = {0};  // why the floor did not run, if it did not
  int floor_alone = 0;            // the probe ran after the network was destroyed
};

struct BackwardResult {
  int ok = 0;
  char error[400] = {0};
  uint64_t spikes = 0;
  double fwd_wall = 0, fwd_cpu = 0;  // the same spikes, not recorded
  double rec_wall = 0, rec_cpu = 0;  // recorded
  double bwd_wall = 0, bwd_cpu = 0;
  uint64_t tape_bytes = 0;
};

void copy_text(char *dst, size_t cap, const std::string &s) {
  std::snprintf(dst, cap, "%s", s.c_str());
}

// Runs work(result) in a forked child and copies its result back. On a crash (e.g. killed
// by the kernel for memory) result->ok is 0 and error says how it ended.
template <class Result, class Work>
void run_in_child(Result *result, Work &&work) {
  static_assert(std::is_trivially_copyable<Result>::value, "sent through a pipe");
  *result = Result();
  int fd[2];
  if (pipe(fd) != 0) throw RuntimeError(std::string("pipe: ") + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fd[0]);
    close(fd[1]);
    throw RuntimeError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    close(fd[0]);
    // A fresh peak: the peak resident size so far is reset to the current one (Linux >= 4.0;
    // a forked child starts low anyway).
    if (FILE *f = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", f);
      std::fclose(f);
    }
    Result r;
    try {
      work(r);
      r.ok = 1;
    } catch (const std::bad_alloc &) {
      copy_text(r.error, sizeof r.error, "out of memory");
    } catch (const std::exception &e) {
      copy_text(r.error, sizeof r.error, e.what());
    }
    const char *p = reinterpret_cast<const char *>(&r);
    size_t left = sizeof r;
    while (left > 0) {
      ssize_t w = write(fd[1], p, left);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) _exit(3);
      p += w;
      left -= (size_t)w;
    }
    std::fflush(stderr);
    _exit(0);
  }
  close(fd[1]);
  Result got;
  char *p = reinterpret_cast<char *>(&got);
  size_t have = 0;
  while (have < sizeof got) {
    ssize_t r = read(fd[0], p + have, sizeof got - have);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    have += (size_t)r;
  }
  close(fd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (have == sizeof got) {
    *result = got;
  } else if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    copy_text(result->error, sizeof result->error,
              format("the child process was killed by signal %d (%s)%s", sig, strsignal(sig),
                     sig == SIGKILL ? ", probably out of memory" : ""));
  } else {
    copy_text(result->error, sizeof result->error,
              format("the child process exited with status %d and no result",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  }
}

// The forward benchmark of one (model, N), run inside the child.
void forward_work(const BenchOptions &o, uint32_t model, uint32_t n, ForwardResult &r) {
  r.start_rss = proc_kib("/proc/self/status", "VmRSS:") * 1024;
  sp_network_desc desc = describe(model, n);
  size_t net_bytes = 0;
  check(sp_network_memory(&desc, &net_bytes), "sp_network_memory");
  r.net_bytes = net_bytes;
  // The layout, from the public API: a forced time frame always gets the full layout, so the
  // description has it when the two take the same memory (header, sp_network_memory).
  sp_network_desc full_desc = desc;
  full_desc.frame = SP_FRAME_TIME;
  size_t full_bytes = 0;
  const bool full_layout = sp_network_memory(&full_desc, &full_bytes) == SP_OK &&
                           full_bytes == net_bytes;
  sp_network *raw = nullptr;
  double create_start = monotonic_seconds();
  check(sp_network_create(&desc, &raw), "sp_network_create");
  r.create_wall = monotonic_seconds() - create_start;
  NetworkPtr net(raw, sp_network_destroy);
  r.frame = sp_network_frame(net.get());
  std::vector<sp_spike> buf(kBatch);
  Progress progress(!o.quiet && stderr_is_terminal(), n);
  auto ignore = [](const sp_spike *, size_t) {};

  std::string label = format("%s N=%" PRIu32 " burn-in", model_name(model), n);
  progress.begin(label.c_str(), false, (double)o.burn_in_spikes(n), sp_now(net.get()));
  Span burn = advance(net.get(), o.burn_in_spikes(n), buf, progress, ignore);
  r.burn_spikes = burn.spikes;
  r.burn_wall = burn.wall;

  std::string label2 = format("%s N=%" PRIu32 " timed", model_name(model), n);
  progress.begin(label2.c_str(), false, (double)o.timed_spikes(n), sp_now(net.get()));
  Span timed = advance(net.get(), o.timed_spikes(n), buf, progress, ignore);
  progress.clear();
  r.spikes = timed.spikes;
  r.wall = timed.wall;
  r.cpu = timed.cpu;
  r.sim_seconds = timed.t_end - timed.t_begin;
  r.peak_bytes = peak_resident_bytes();  // before the baseline allocates anything

  const uint64_t floor_spikes = o.floor_spikes(n);
  const double floor_need = 8.0 * n + 4.0 * (double)floor_spikes;
  const double slot_need = floor_need + 8.0 * n;
  const double avail = 1024.0 * (double)proc_kib("/proc/meminfo", "MemAvailable:");
  // (The O(N) loop has LIF and QIF only; its check needs the network after the floor.)
  const bool baseline_runs = o.baseline && n <= o.baseline_max_n && model != SP_MODEL_EIF;
  // A probe whose states do not fit beside the network (N = 10^9 here) runs alone, once the
  // spikers are recorded and the network destroyed.
  const bool beside = !o.floor_alone && !(avail > 0 && floor_need > 0.9 * avail);
  const bool alone = !baseline_runs && !(avail > 0 && floor_need > 0.9 * (avail + net_bytes));
  if (o.floor && !beside && !alone) {
    copy_text(r.floor_skipped, sizeof r.floor_skipped,
              "skipped: the floor needs " + gib(floor_need) + ", " + gib(avail) + " available");
  } else if (o.floor) {
    // The engine runs on for as many spikes again, the spikers' indices recorded (only now,
    // so that the record is not in the peak memory above); the probe then replays them, so
    // that it touches the neurons' states in the engine's order.
    std::vector<uint32_t> sources;
    sources.reserve((size_t)floor_spikes);
    std::string label3 = format("%s N=%" PRIu32 " floor", model_name(model), n);
    progress.begin(label3.c_str(), false, (double)floor_spikes, sp_now(net.get()));
    Span seg = advance(net.get(), floor_spikes, buf, progress, [&](const sp_spike *s, size_t k) {
      for (size_t i = 0; i < k; ++i) sources.push_back(s[i].neuron);
    });
    progress.clear();
    if (!beside) net.reset();
    FastTargets gen(n, kBenchK, kBenchSeed);
    // One timed replay on `stride` doubles per neuron (on 2 MiB pages, as the network's
    // arrays, freed on return); false when they cannot be allocated.
    struct Replay {
      double wall = 0, cpu = 0, checksum = 0;
    };
    auto replay = [&](uint32_t stride, Replay *out) {
      const size_t count = (size_t)stride * n;
      HugeBlock block(sizeof(double) * count);
      double *const u = static_cast<double *>(block.data());
      if (!u) return false;
      for (size_t i = 0; i < count; ++i) u[i] = (double)i / n;  // resident before the clock
      const double w0 = monotonic_seconds(), c0 = process_cpu_seconds();
      floor_replay(gen, u, n, stride, sources.data(), sources.size(), bench_weight());
      out->wall = monotonic_seconds() - w0;
      out->cpu = process_cpu_seconds() - c0;
      out->checksum = floor_sum(u, count);
      return true;
    };
    Replay doubles;
    if (!replay(1, &doubles)) {
      copy_text(r.floor_skipped, sizeof r.floor_skipped,
                "skipped: no memory for the floor's " + gib(8.0 * n) + " of states");
    } else {
      r.floor_wall = doubles.wall;
      r.floor_cpu = doubles.cpu;
      r.floor_checksum = doubles.checksum;
      const double w0 = monotonic_seconds(), c0 = process_cpu_seconds();
      r.gen_checksum = floor_generate(gen, sources.data(), sources.size());
      r.gen_wall = monotonic_seconds() - w0;
      r.gen_cpu = process_cpu_seconds() - c0;
      r.floor_engine_wall = seg.wall;
      r.floor_engine_cpu = seg.cpu;
      r.floor_spikes = seg.spikes;
      r.floor_ran = 1;
      r.floor_alone = !beside;
      // The slot floor, for the full layout, where the records fit as the doubles did.
      const double room = 0.9 * (beside ? avail : avail + (double)net_bytes);
      Replay records;
      if (full_layout && !(avail > 0 && slot_need > room) && replay(2, &records)) {
        r.slot_cpu = records.cpu;
        r.slot_checksum = records.checksum;
        r.slot_ran = 1;
      }
    }
  }

  if (!baseline_runs) return;
  r.baseline_ran = 1;

  // The check: the engine's first spikes from t = 0 against the baseline's.
  check(sp_rewind(net.get()), "sp_rewind");
  std::vector<sp_spike> engine;
  engine.reserve(o.check_spikes);
  Progress quiet(false, n);
  advance(net.get(), o.check_spikes, buf, quiet,
          [&](const sp_spike *s, size_t k) { engine.insert(engine.end(), s, s + k); });
  net.reset();  // the baseline runs alone

  bool csr = (uint64_t)n * kBenchK <= kCsrMaxSynapses;
  r.csr = csr;
  Baseline base(baseline_spec(model, n), csr);
  r.check_spikes = o.check_spikes;
  bool same = true;
  for (uint32_t s = 0; s < o.check_spikes; ++s) {
    uint32_t j = base.step();
    double t = base.now(), te = engine[s].t;
    double diff = std::fabs(t - te), rel = diff / std::max(std::fabs(te), 1e-300);
    if (same) {
      double tol = kCheckRelTol * std::fabs(te) + kCheckAbsTol * kBenchTau;
      if (j == engine[s].neuron && diff <= tol) {
        r.check_matched = s + 1;
        r.check_max_rel = std::max(r.check_max_rel, rel);
        r.check_max_abs = std::max(r.check_max_abs, diff);
      } else {
        same = false;
        copy_text(r.check_detail, sizeof r.check_detail,
                  format("spike %" PRIu32 ": engine neuron %" PRIu32 " at t = %.17g, "
                         "baseline neuron %" PRIu32 " at t = %.17g",
                         s, engine[s].neuron, te, j, t));
      }
    }
  }

  // The timed baseline: until the engine's spike count or the wall-time budget, whichever
  // comes first; the clock is read every `chunk` spikes (about 10^6 neurons' work).
  uint64_t limit = timed.spikes;
  uint64_t chunk = std::max<uint64_t>(1, 1048576 / n);
  double w0 = monotonic_seconds(), c0 = process_cpu_seconds();
  uint64_t done = 0;
  while (done < limit) {
    uint64_t stop = std::min(limit, done + chunk);
    for (; done < stop; ++done) base.step();
    if (monotonic_seconds() - w0 >= o.baseline_seconds) break;
  }
  r.base_wall = monotonic_seconds() - w0;
  r.base_cpu = process_cpu_seconds() - c0;
  r.base_spikes = done;
}

// The backward pass on the N = 10^4 network, run inside the child.
size_t g_allocated = 0;  // the child's counting allocator

void *count_alloc(void *, size_t size, size_t align) {
  void *p = nullptr;
  if (posix_memalign(&p, std::max(align, sizeof(void *)), size ? size : 1) != 0) return nullptr;
  g_allocated += size;
  return p;
}

void count_free(void *, void *p, size_t) { std::free(p); }

void backward_work(const BenchOptions &o, uint32_t model, BackwardResult &r) {
  const uint32_t n = o.backward_n;
  const uint64_t spikes = o.backward_spikes();
  sp_allocator counting = {count_alloc, count_free, nullptr};
  sp_network_desc desc = describe(model, n, &counting);
  sp_network *raw = nullptr;
  check(sp_network_create(&desc, &raw), "sp_network_create");
  NetworkPtr net(raw, sp_network_destroy);
  std::vector<sp_spike> buf(kBatch);
  Progress quiet(false, n);
  auto ignore = [](const sp_spike *, size_t) {};
  advance(net.get(), o.burn_in_spikes(n), buf, quiet, ignore);

  // Save, so that the recorded run replays exactly the spikes timed without recording.
  size_t len = 0;
  check(sp_save(net.get(), nullptr, 0, &len), "sp_save");
  std::vector<unsigned char> saved(len);
  check(sp_save(net.get(), saved.data(), len, &len), "sp_save");
  Span fwd = advance(net.get(), spikes, buf, quiet, ignore);
  r.fwd_wall = fwd.wall;
  r.fwd_cpu = fwd.cpu;
  net.reset();

  check(sp_load(saved.data(), len, &counting, &raw), "sp_load");
  net.reset(raw);
  size_t before = g_allocated;
  check(sp_record(net.get(), (size_t)spikes), "sp_record");
  r.tape_bytes = g_allocated - before;
  std::vector<sp_spike> rec((size_t)spikes);
  size_t count = 0;
  double w0 = monotonic_seconds(), c0 = process_cpu_seconds();
  check(sp_run(net.get(), sp_now(net.get()) + kMaxSilence, rec.data(), rec.size(), &count),
        "sp_run (recorded)");
  r.rec_wall = monotonic_seconds() - w0;
  r.rec_cpu = process_cpu_seconds() - c0;
  r.spikes = count;

  std::vector<double> dl_dt(count, 1.0);  // L = sum of the recorded spike times
  w0 = monotonic_seconds();
  c0 = process_cpu_seconds();
  check(sp_backward(net.get(), dl_dt.data(), count, nullptr), "sp_backward");
  r.bwd_wall = monotonic_seconds() - w0;
  r.bwd_cpu = process_cpu_seconds() - c0;
}

// ------------------------------------------------------------------------------------------
// Output

// Machine facts for the notes.
std::string read_first_line(const char *path) {
  FILE *f = std::fopen(path, "r");
  if (!f) return "";
  char line[512] = {0};
  if (!std::fgets(line, sizeof line, f)) line[0] = 0;
  std::fclose(f);
  std::string s = line;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string cpu_model() {
  FILE *f = std::fopen("/proc/cpuinfo", "r");
  if (!f) return "unknown CPU";
  char line[512];
  std::string out = "unknown CPU";
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "model name", 10) == 0) {
      const char *c = std::strchr(line, ':');
      if (c) {
        out = c + 1;
        while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.erase(0, 1);
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
      }
      break;
    }
  std::fclose(f);
  return out;
}

std::string load_average() {
  std::string s = read_first_line("/proc/loadavg");
  // "0.95 2.44 3.35 1/123 4567": keep the three averages.
  size_t cut = 0;
  for (int k = 0; k < 3 && cut != std::string::npos; ++k) cut = s.find(' ', cut + (k > 0));
  return cut == std::string::npos ? s : s.substr(0, cut);
}

std::string num(double v, const char *fmt = "%.4g") {
  return std::isfinite(v) ? format(fmt, v) : "-";
}

struct Column {
  const char *title;
  int width;
  bool left;
};

const Column kForwardColumns[] = {
    {"model", 5, true},     {"N", 10, false},          {"spikes", 9, false},
    {"us/spike", 9, false}, {"cpu us/sp", 9, false},   {"ns/event", 8, false},
    {"rate Hz", 7, false},  {"peak B/n", 9, false},    {"net B/n", 7, false},
    {"create s", 8, false}, {"base us/sp", 10, false}, {"base spk", 8, false},
    {"ratio", 7, false},    {"check", 11, false},
};

const Column kFloorColumns[] = {
    {"model", 5, true},          {"N", 10, false},          {"spikes", 9, false},
    {"eng us/sp", 9, false},     {"eng cpu us", 10, false}, {"floor us/sp", 11, false},
    {"floor cpu us", 12, false}, {"eng/floor", 9, false},   {"wall ratio", 10, false},
    {"gen cpu us", 10, false},   {"rest ratio", 10, false}, {"slot cpu us", 11, false},
    {"eng/slot", 8, false},
};

const Column kBackwardColumns[] = {
    {"model", 5, true},        {"N", 10, false},        {"spikes", 9, false},
    {"fwd us/sp", 9, false},   {"rec us/sp", 9, false}, {"bwd us/sp", 9, false},
    {"bwd cpu us", 10, false}, {"bwd/fwd", 7, false},   {"tape B/event", 12, false},
};

template <size_t C>
void print_row(const Column (&cols)[C], const std::vector<std::string> &cells) {
  std::string line;
  for (size_t i = 0; i < C && i < cells.size(); ++i) {
    if (i) line += "  ";
    const std::string &s = cells[i];
    int pad = cols[i].width - (int)s.size();
    if (i + 1 == cells.size() && cols[i].left) pad = 0;
    if (!cols[i].left) line.append(pad > 0 ? pad : 0, ' ');
    line += s;
    if (cols[i].left && i + 1 < cells.size()) line.append(pad > 0 ? pad : 0, ' ');
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

template <size_t C>
void print_header(const Column (&cols)[C]) {
  std::vector<std::string> cells;
  for (const Column &c : cols) cells.push_back(c.title);
  print_row(cols, cells);
}

const char *kCsvHeader =
    "measure,model,n,k,spikes,burn_in_spikes,wall_s,cpu_s,us_per_spike,cpu_us_per_spike,"
    "ns_per_event,rate_hz,simulated_s,peak_rss_bytes,peak_bytes_per_neuron,"
    "start_rss_bytes,network_bytes,network_bytes_per_neuron,baseline_spikes,baseline_wall_s,"
    "baseline_cpu_s,baseline_us_per_spike,baseline_cpu_us_per_spike,ratio_cpu,ratio_wall,"
    "check_spikes,check_matched,check_max_rel_diff,check_max_abs_diff_s,recorded_us_per_spike,"
    "backward_us_per_spike,backward_cpu_us_per_spike,tape_bytes,tape_bytes_per_event,"
    "floor_spikes,floor_engine_wall_s,floor_engine_cpu_s,floor_engine_us_per_spike,"
    "floor_engine_cpu_us_per_spike,floor_wall_s,floor_cpu_s,floor_us_per_spike,"
    "floor_cpu_us_per_spike,floor_ratio_cpu,floor_ratio_wall,floor_generator_cpu_s,"
    "floor_generator_cpu_us_per_spike,floor_rest_ratio_cpu,floor_slot_cpu_s,"
    "floor_slot_cpu_us_per_spike,floor_slot_ratio_cpu,create_s,error\n";

std::string csv_num(double v) { return std::isfinite(v) ? format("%.6g", v) : ""; }

std::string csv_text(const char *s) {
  std::string out = "\"";
  for (const char *p = s; *p; ++p) {
    if (*p == '"') out += '"';
    out += *p;
  }
  return out + "\"";
}

// The floor's figures of one forward result: per spike, engine and floor, wall and CPU.
struct FloorFigures {
  bool ok = false;
  double eng_us = 0, eng_cpu_us = 0, floor_us = 0, floor_cpu_us = 0;
  double gen_cpu_us = 0;
  // What is left beyond generating the targets, engine against floor (CPU time): NaN when the
  // floor's rest is not above zero (noise at tiny N).
  double rest_ratio = 0;
  double slot_cpu_us = NAN;  // the slot floor, NaN when it did not run
};

FloorFigures floor_figures(const ForwardResult &r) {
  FloorFigures f;
  f.ok = r.ok && r.floor_ran && r.floor_spikes > 0;
  if (!f.ok) return f;
  const double sp = (double)r.floor_spikes;
  f.eng_us = 1e6 * r.floor_engine_wall / sp;
  f.eng_cpu_us = 1e6 * r.floor_engine_cpu / sp;
  f.floor_us = 1e6 * r.floor_wall / sp;
  f.floor_cpu_us = 1e6 * r.floor_cpu / sp;
  f.gen_cpu_us = 1e6 * r.gen_cpu / sp;
  const double floor_rest = f.floor_cpu_us - f.gen_cpu_us;
  f.rest_ratio = floor_rest > 0 ? (f.eng_cpu_us - f.gen_cpu_us) / floor_rest : NAN;
  if (r.slot_ran) f.slot_cpu_us = 1e6 * r.slot_cpu / sp;
  return f;
}

// The 17 floor_* columns of the CSV, empty (a row without a floor: backward, or not measured).
const char *const kFloorCsvEmpty = ",,,,,,,,,,,,,,,,,";

std::string floor_csv(const ForwardResult &r) {
  FloorFigures f = floor_figures(r);
  if (!f.ok) return kFloorCsvEmpty;
  return format("%" PRIu64 ",", r.floor_spikes) + csv_num(r.floor_engine_wall) + "," +
         csv_num(r.floor_engine_cpu) + "," + csv_num(f.eng_us) + "," + csv_num(f.eng_cpu_us) + "," +
         csv_num(r.floor_wall) + "," + csv_num(r.floor_cpu) + "," + csv_num(f.floor_us) + "," +
         csv_num(f.floor_cpu_us) + "," + csv_num(f.eng_cpu_us / f.floor_cpu_us) + "," +
         csv_num(f.eng_us / f.floor_us) + "," + csv_num(r.gen_cpu) + "," + csv_num(f.gen_cpu_us) +
         "," + csv_num(f.rest_ratio) + "," + csv_num(r.slot_ran ? r.slot_cpu : NAN) + "," +
         csv_num(f.slot_cpu_us) + "," + csv_num(f.eng_cpu_us / f.slot_cpu_us) + ",";
}

void report_floor(uint32_t model, uint32_t n, const ForwardResult &r) {
  FloorFigures f = floor_figures(r);
  if (r.ok && r.floor_skipped[0]) {
    std::printf("%-5s  %10" PRIu32 "  %s\n", model_name(model), n, r.floor_skipped);
    std::fflush(stdout);
  }
  if (!f.ok) return;  // the forward table already says why a child failed
  print_row(kFloorColumns,
            {model_name(model), format("%" PRIu32, n), format("%" PRIu64, r.floor_spikes),
             num(f.eng_us), num(f.eng_cpu_us), num(f.floor_us), num(f.floor_cpu_us),
             num(f.eng_cpu_us / f.floor_cpu_us, "%.2f"), num(f.eng_us / f.floor_us, "%.2f"),
             num(f.gen_cpu_us), num(f.rest_ratio, "%.2f"), num(f.slot_cpu_us),
             num(f.eng_cpu_us / f.slot_cpu_us, "%.2f")});
  if (r.floor_alone) std::printf("       (the probe ran alone, after the network was destroyed)\n");
}

struct Outcome {
  bool failed = false;           // a child failed or a check disagreed: exit status 1
  std::vector<std::string> why;  // each failure in a line, for standard error at the end
};

void report_forward(uint32_t model, uint32_t n, const ForwardResult &r, FILE *csv,
                    std::vector<std::string> &checks, Outcome &out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double spikes = (double)r.spikes, N = (double)n;
  double us = r.ok && r.spikes ? 1e6 * r.wall / spikes : nan;
  double cpu_us = r.ok && r.spikes ? 1e6 * r.cpu / spikes : nan;
  double ns_ev = r.ok && r.spikes ? 1e9 * r.wall / (spikes * kBenchK) : nan;
  double rate = r.ok && r.sim_seconds > 0 ? spikes / (N * r.sim_seconds) : nan;
  double peak_n = r.ok && r.peak_bytes ? (double)r.peak_bytes / N : nan;
  double net_n = r.ok ? (double)r.net_bytes / N : nan;
  bool base = r.ok && r.baseline_ran && r.base_spikes > 0;
  double b_us = base ? 1e6 * r.base_wall / (double)r.base_spikes : nan;
  double b_cpu_us = base ? 1e6 * r.base_cpu / (double)r.base_spikes : nan;
  double ratio_cpu = base ? b_cpu_us / cpu_us : nan;
  double ratio_wall = base ? b_us / us : nan;
  bool check_ok = r.ok && r.baseline_ran && r.check_matched == r.check_spikes;
  if (!r.ok || (r.baseline_ran && !check_ok)) out.failed = true;
  if (!r.ok)
    out.why.push_back(format("%s N=%" PRIu32 " failed: %s", model_name(model), n, r.error));
  else if (r.baseline_ran && !check_ok)
    out.why.push_back(format("%s N=%" PRIu32 ": the engine's spikes differ from the baseline's "
                             "after %" PRIu32 " identical ones",
                             model_name(model), n, r.check_matched));

  if (!r.ok) {
    std::printf("%-5s  %10" PRIu32 "  failed: %s\n", model_name(model), n, r.error);
    std::fflush(stdout);
  } else {
    std::string check = !r.baseline_ran ? "-"
                                        : format("%" PRIu32 "/%" PRIu32 " %s", r.check_matched,
                                                 r.check_spikes, check_ok ? "ok" : "FAIL");
    print_row(kForwardColumns,
              {model_name(model), format("%" PRIu32, n), format("%" PRIu64, r.spikes), num(us),
               num(cpu_us), num(ns_ev), num(rate, "%.3f"), num(peak_n, "%.1f"), num(net_n, "%.1f"),
               num(r.create_wall, "%.3g"), num(b_us),
               base ? format("%" PRIu64, r.base_spikes) : "-",
               num(ratio_cpu, ratio_cpu < 1 ? "%.2g" : "%.1f"), check});
    if (r.baseline_ran) {
      std::string line = format("%s N=%" PRIu32 " (baseline targets %s): first %" PRIu32
                                " spikes from t = 0: ",
                                model_name(model), n, r.csr ? "from CSR" : "regenerated",
                                r.check_spikes);
      if (check_ok)
        line += format("neuron indices identical; times: max |t_base - t_engine| = %.2g s, "
                       "max relative %.2g - OK",
                       r.check_max_abs, r.check_max_rel);
      else
        line += format("%" PRIu32 " identical, then %s - MISMATCH", r.check_matched,
                       r.check_detail);
      checks.push_back(line);
    }
  }
  if (!csv) return;
  std::string row = "forward,";
  row += model_name(model);
  row += format(",%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",", n, kBenchK, r.spikes,
                r.burn_spikes);
  row += csv_num(r.ok ? r.wall : nan) + "," + csv_num(r.ok ? r.cpu : nan) + "," + csv_num(us) +
         "," + csv_num(cpu_us) + "," + csv_num(ns_ev) + "," + csv_num(rate) + "," +
         csv_num(r.ok ? r.sim_seconds : nan) + ",";
  row += r.ok ? format("%" PRIu64 ",", r.peak_bytes) : ",";
  row += csv_num(peak_n) + ",";
  row += r.ok ? format("%" PRIu64 ",%" PRIu64 ",", r.start_rss, r.net_bytes) : ",,";
  row += csv_num(net_n) + ",";
  if (base)
    row += format("%" PRIu64 ",", r.base_spikes) + csv_num(r.base_wall) + "," +
           csv_num(r.base_cpu) + "," + csv_num(b_us) + "," + csv_num(b_cpu_us) + "," +
           csv_num(ratio_cpu) + "," + csv_num(ratio_wall) + ",";
  else
    row += ",,,,,,,";
  if (r.ok && r.baseline_ran)
    row += format("%" PRIu32 ",%" PRIu32 ",", r.check_spikes, r.check_matched) +
           csv_num(r.check_max_rel) + "," + csv_num(r.check_max_abs) + ",";
  else
    row += ",,,,";
  row += ",,,,,";
  row += floor_csv(r);
  row += csv_num(r.ok ? r.create_wall : nan) + ",";
  row += csv_text(r.ok ? r.check_detail : r.error) + "\n";
  std::fputs(row.c_str(), csv);
}

void report_backward(const BenchOptions &o, uint32_t model, const BackwardResult &r, FILE *csv,
                     Outcome &out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const uint32_t n = o.backward_n;
  double sp = (double)r.spikes;
  bool ok = r.ok && r.spikes > 0;
  if (!r.ok) {
    out.failed = true;
    out.why.push_back(
        format("%s N=%" PRIu32 " backward failed: %s", model_name(model), n, r.error));
  }
  double fwd = ok ? 1e6 * r.fwd_wall / sp : nan, rec = ok ? 1e6 * r.rec_wall / sp : nan;
  double bwd = ok ? 1e6 * r.bwd_wall / sp : nan, bwd_cpu = ok ? 1e6 * r.bwd_cpu / sp : nan;
  double tape = ok ? (double)r.tape_bytes / (sp * kBenchK) : nan;
  if (!r.ok) {
    std::printf("%-5s  %10" PRIu32 "  failed: %s\n", model_name(model), n, r.error);
    std::fflush(stdout);
  } else {
    print_row(kBackwardColumns,
              {model_name(model), format("%" PRIu32, n), format("%" PRIu64, r.spikes), num(fwd),
               num(rec), num(bwd), num(bwd_cpu), num(bwd / fwd, "%.2f"), num(tape, "%.2f")});
  }
  if (!csv) return;
  std::string row = "backward,";
  row += model_name(model);
  row += format(",%" PRIu32 ",%" PRIu32 ",%" PRIu64 ",%" PRIu64 ",", n, kBenchK, r.spikes,
                o.burn_in_spikes(n));
  row += csv_num(ok ? r.fwd_wall : nan) + "," + csv_num(ok ? r.fwd_cpu : nan) + "," + csv_num(fwd) +
         "," + csv_num(ok ? 1e6 * r.fwd_cpu / sp : nan) + "," +
         csv_num(ok ? 1e9 * r.fwd_wall / (sp * kBenchK) : nan) + ",";
  row += ",,,,,,,";  // rate .. network_bytes_per_neuron
  row += ",,,,,,,";  // baseline_* and ratios
  row += ",,,,";     // check_*
  row += csv_num(rec) + "," + csv_num(bwd) + "," + csv_num(bwd_cpu) + ",";
  row += ok ? format("%" PRIu64 ",", r.tape_bytes) : ",";
  row += csv_num(tape) + ",";
  row += kFloorCsvEmpty;
  row += ",";  // create_s
  row += csv_text(r.ok ? "" : r.error) + "\n";
  std::fputs(row.c_str(), csv);
}

std::string command_line(int argc, char **argv) {
  std::string s = "sparseprop";
  for (int i = 1; i < argc; ++i) {
    s += ' ';
    s += argv[i];
  }
  return s;
}

}  // namespace

int bench_main(int argc, char **argv, int first) {
  BenchOptions o;
  int status = parse_or_usage("bench", argc, argv, first, parse_bench_options, bench_usage, &o);
  if (status >= 0) return status;

  std::unique_ptr<OutputFile> csv_file;
  if (!o.csv_path.empty()) csv_file.reset(new OutputFile(o.csv_path));
  FILE *csv = csv_file ? csv_file->get() : nullptr;
  if (csv) std::fputs(kCsvHeader, csv);

  // (model, tau_syn) per kind of row: with --tau-syn, LIF with delta synapses, then with
  // current-based ones, so that both are measured by the same program in the same session.
  struct Kind {
    uint32_t model;
    double tau_syn;
  };
  std::vector<Kind> models;
  if (o.lif) models.push_back({SP_MODEL_LIF, 0.0});
  if (o.lif && o.tau_syn > 0) models.push_back({SP_MODEL_LIF, o.tau_syn});
  if (o.qif) models.push_back({SP_MODEL_QIF, 0.0});
  if (o.eif) models.push_back({SP_MODEL_EIF, 0.0});

  std::string load_start = load_average();
  double wall_start = monotonic_seconds();
  if (!o.quiet) {
    std::printf("sparseprop bench (libsparseprop %s): %s\n", sp_version_string(),
                command_line(argc, argv).c_str());
    std::printf("balanced network, procedural connectivity: K = %" PRIu32 ", J0 = %g, "
                "nu = %g Hz, tau = %g s, w = %.6g, drive LIF/EIF %.6g / QIF %.6g, seed %" PRIu64
                ", init-seed %" PRIu64 "\n",
                kBenchK, kBenchJ0, kBenchNu, kBenchTau, bench_weight(), bench_drive(SP_MODEL_LIF),
                bench_drive(SP_MODEL_QIF), kBenchSeed, kBenchInitSeed);
    if (o.eif)
      std::printf("EIF: the library's defaults (reset 0, V_T = 1, D_T = 0.1, spike at +inf), "
                  "phase tables; no O(N) loop\n");
    if (o.tau_syn > 0)
      std::printf("LIF-s: current-based synapses, tau_syn = %g s (the same drive and weights)\n",
                  o.tau_syn);
    std::printf("machine: %s, %ld CPUs online, %s memory; load average %s at the start\n\n",
                cpu_model().c_str(), sysconf(_SC_NPROCESSORS_ONLN),
                gib(1024.0 * (double)proc_kib("/proc/meminfo", "MemTotal:")).c_str(),
                load_start.c_str());
  }

  Outcome outcome;
  std::vector<std::string> checks;
  struct Done {
    uint32_t model, n;
    double tau_syn;
    ForwardResult r;
  };
  std::vector<Done> done;  // for the floor table
  double start_rss_mb = 0;
  print_header(kForwardColumns);
  for (const Kind &kind : models) {
    const uint32_t model = kind.model;
    g_tau_syn = kind.tau_syn;
    for (uint32_t n : o.sizes) {
      // Skip what cannot fit: the engine's arrays (or the baseline's, whichever is larger).
      sp_network_desc desc = describe(model, n);
      size_t need = 0;
      check(sp_network_memory(&desc, &need), "sp_network_memory");
      double need_all = (double)need;
      if (o.baseline && n <= o.baseline_max_n && model != SP_MODEL_EIF) {
        double base = 8.0 * n + ((uint64_t)n * kBenchK <= kCsrMaxSynapses ? 4.0 * n * kBenchK : 0);
        need_all = std::max(need_all, base);
      }
      double avail = 1024.0 * (double)proc_kib("/proc/meminfo", "MemAvailable:");
      if (avail > 0 && need_all > 0.9 * avail) {
        std::printf("%-5s  %10" PRIu32 "  skipped: needs %s, %s available\n", model_name(model), n,
                    gib(need_all).c_str(), gib(avail).c_str());
        std::fflush(stdout);
        continue;
      }
      ForwardResult r;
      run_in_child(&r, [&](ForwardResult &res) { forward_work(o, model, n, res); });
      report_forward(model, n, r, csv, checks, outcome);
      done.push_back({model, n, kind.tau_syn, r});
      if (r.ok && r.start_rss) start_rss_mb = (double)r.start_rss / 1e6;
    }
  }

  if (o.floor) {
    std::printf("\nfloor (the engine on a further run of spikes vs a probe replaying the same "
                "spikers:\ntargets generated, one read-modify-write per target, no queue):\n");
    print_header(kFloorColumns);
    for (const Done &d : done) {
      g_tau_syn = d.tau_syn;
      report_floor(d.model, d.n, d.r);
    }
  }

  if (o.backward) {
    std::printf("\nbackward pass (L = sum of spike times; the recorded run replays the timed "
                "spikes from a saved state):\n");
    print_header(kBackwardColumns);
    for (const Kind &kind : models) {
      const uint32_t model = kind.model;
      g_tau_syn = kind.tau_syn;
      BackwardResult r;
      run_in_child(&r, [&](BackwardResult &res) { backward_work(o, model, res); });
      report_backward(o, model, r, csv, outcome);
    }
  }

  if (!o.quiet) {
    if (!checks.empty()) {
      std::printf("\nbaseline check: engine vs the O(N) loop from the same initial state, "
                  "spike by\nspike; a spike agrees if the neuron is the same and "
                  "|t_base - t_engine| <=\n"
                  "%.0e t + %.0e tau (the floor: the rounding of the earliest spike times)\n",
                  kCheckRelTol, kCheckAbsTol);
      for (const std::string &c : checks) std::printf("  %s\n", c.c_str());
    }
    std::printf(
        "\nnotes:\n"
        "  us/spike: wall time inside sp_run / timed spikes (after N spikes of burn-in, or\n"
        "    --burn-in); cpu us/sp: the same with the process's CPU time (well below the wall\n"
        "    time means the machine was busy); ns/event: wall time / (spikes x K); rate:\n"
        "    timed spikes / (N x simulated seconds).\n"
        "  peak B/n: peak resident memory (VmHWM) of the child process forked for this N,\n"
        "    read after the timed run and before the baseline allocates, / N; it includes the\n"
        "    program itself (about %.1f MB resident when the child starts). net B/n:\n"
        "    sp_network_memory / N. create s: wall time of sp_network_create (allocating and\n"
        "    initialising the arrays, the initial phases and the queue).\n"
        "  base: the conventional loop (scan all N for the next spiker, advance all N, apply\n"
        "    the K jumps; advance and scan fused in one %s pass), from t = 0, for up to\n"
        "    %.3g s of wall time after the check; its targets come from an explicit CSR built\n"
        "    once with the documented generator when N x K <= 2^24, else regenerated per\n"
        "    spike like the engine's. ratio: baseline CPU time per spike / engine CPU time\n"
        "    per spike.\n"
        "  floor: after the timed run the engine runs as many spikes again, at most 10^7 (eng:\n"
        "    wall and CPU time inside sp_run / spikes), recording which neuron spikes; the\n"
        "    probe then replays those spikers: the documented generator (reimplemented in\n"
        "    the program, batched draws, a bit filter for repeats) and u[i] -= w c on a\n"
        "    double per neuron for each target (on 2 MiB pages, as the network's arrays),\n"
        "    prefetched as the engine does (as each target is drawn when the states take\n"
        "    4 MiB or more, and 16 targets ahead); no queue, no threshold, no model maths.\n"
        "    When the doubles do not fit beside the network, the probe runs after the\n"
        "    network is destroyed.\n"
        "    eng/floor: CPU time ratio; wall ratio: the same with wall time. gen cpu us: the\n"
        "    probe's generator alone on the same spikers, CPU time per spike; rest ratio:\n"
        "    (eng cpu - gen) / (floor cpu - gen), the engine's work beyond generating the\n"
        "    targets against the floor's one read-modify-write per target. slot cpu us: the\n"
        "    same replay on a 16-byte record per neuron, the size of the full layout's slot\n"
        "    that the engine's deliveries touch, CPU time per spike; eng/slot: the engine\n"
        "    against it (\"-\" for a network with the compact layout, or when the records\n"
        "    do not fit).\n"
        "  backward: N = %" PRIu32 ", fwd = the same spikes unrecorded, rec = recorded, bwd =\n"
        "    sp_backward; tape B/event: bytes sp_record allocated / (spikes x K).\n",
        start_rss_mb, Baseline::kernel_name(), o.baseline_seconds, o.backward_n);
    std::printf("load average %s at the start, %s at the end; %.0f s in all\n", load_start.c_str(),
                load_average().c_str(), monotonic_seconds() - wall_start);
  }
  if (csv_file) csv_file->close();
  // (Exit status 1 says something failed; standard error says what, even under --quiet.)
  for (const std::string &line : outcome.why)
    std::fprintf(stderr, "sparseprop bench: %s\n", line.c_str());
  return outcome.failed ? kExitFailure : kExitOk;
}

}  // namespace spcli
