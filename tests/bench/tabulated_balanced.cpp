// The paper's balanced networks simulated exactly on the phase tables of src/models/tabulated
// (white-box; the engine's own rooms are `sparseprop run --model ...`). Two uses:
//
//   tabulated_balanced eif [N] [burn-in s] [time s] [seed]
//     The balanced EIF network in the paper's units: tau dV/dt = -V + D_T exp((V - V_T)/D_T) + I,
//     V_r = -1, V_T = 0, D_T = 0.1, spike at +inf, I = tau sqrt(K) J0 nu = 0.1 (the balance
//     equation, J0 = 1, nu = 1 Hz, tau = 10 ms, K = 100). Prints its rate (tests/bench/
//     brian2_eif.py sets Brian2's beside it).
//   tabulated_balanced lif-check [N] [spikes] [seed]
//     The paper's acceptance check: the balanced LIF network (I = 1.1) with a custom model
//     F = -V (threshold 1, reset 0) on the tables against the same network with the closed-form
//     LIF phase transition curve: identical spike indices, and the largest relative spike-time
//     error printed as a bench line. Exits 1 if an index differs or an error exceeds 1e-12.
//
// Every synapse has w = -J0/sqrt(K) (inhibitory), exactly K distinct random targets per
// neuron, never itself. All neurons share the drive, so each keeps a co-moving phase
// x = phi - t/tau (phi = time since reset in units of tau); the next spiker has the largest x
// (an indexed max-heap) and an input of weight w is x' = PTC(x + t/tau, w) - t/tau.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "models/tabulated/table.hpp"

namespace {

uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Max-heap of neurons keyed by x, with each neuron's position for updates.
struct Heap {
  std::vector<uint32_t> at, pos;
  const std::vector<double> *x;
  bool above(uint32_t a, uint32_t b) const { return (*x)[a] > (*x)[b]; }
  void swap_at(size_t i, size_t j) {
    std::swap(at[i], at[j]);
    pos[at[i]] = static_cast<uint32_t>(i);
    pos[at[j]] = static_cast<uint32_t>(j);
  }
  void up(size_t i) {
    while (i > 0 && above(at[i], at[(i - 1) / 2])) swap_at(i, (i - 1) / 2), i = (i - 1) / 2;
  }
  void down(size_t i) {
    for (;;) {
      size_t l = 2 * i + 1, r = l + 1, m = i;
      if (l < at.size() && above(at[l], at[m])) m = l;
      if (r < at.size() && above(at[r], at[m])) m = r;
      if (m == i) return;
      swap_at(i, m);
      i = m;
    }
  }
  void update(uint32_t n) {
    up(pos[n]);
    down(pos[n]);
  }
};

constexpr uint32_t kK = 100;
constexpr double kJ0 = 1.0, kNu = 1.0, kTau = 0.01;

// The balanced network with phase transition curve ptc(phi, w) and period T (units of tau).
// Calls record(neuron, t/tau) for every spike until t/tau reaches s_end or max_spikes spikes.
template <class Ptc, class Record>
uint64_t simulate(uint32_t n, double T, uint64_t seed, double s_end, uint64_t max_spikes,
                  const Ptc &ptc, const Record &record) {
  const double w = -kJ0 / std::sqrt(double(kK));
  std::vector<double> x(n);
  uint64_t r = mix64(seed);
  for (uint32_t i = 0; i < n; ++i) {
    r = mix64(r);
    x[i] = T * static_cast<double>(r >> 11) * 0x1.0p-53;  // uniform phases, t = 0
  }
  Heap h;
  h.x = &x;
  h.at.resize(n);
  h.pos.resize(n);
  for (uint32_t i = 0; i < n; ++i) h.at[i] = h.pos[i] = i;
  for (size_t i = n / 2; i-- > 0;) h.down(i);
  std::vector<uint32_t> targets(kK);
  uint64_t total = 0;
  while (total < max_spikes) {
    const uint32_t j = h.at[0];
    const double s = T - x[j];
    if (s >= s_end) break;
    ++total;
    record(j, s);
    // K distinct targets other than j, from (seed, j, spike count).
    uint64_t g = mix64(seed ^ mix64(j + 0x51ed27ULL * total));
    for (uint32_t c = 0; c < kK;) {
      g = mix64(g);
      uint32_t v = static_cast<uint32_t>((g >> 32) * (n - 1) >> 32);
      if (v >= j) ++v;
      bool seen = false;
      for (uint32_t q = 0; q < c; ++q) seen |= targets[q] == v;
      if (!seen) targets[c++] = v;
    }
    x[j] = -s;  // reset: phi = 0 now
    h.update(j);
    for (uint32_t q = 0; q < kK; ++q) {
      const uint32_t i = targets[q];
      x[i] = ptc(x[i] + s, w) - s;
      h.update(i);
    }
  }
  return total;
}

const sp::Table *make_table(const sp::TableParams &p, std::vector<double> *mem, double *ms) {
  sp::TableError err;
  auto c0 = std::chrono::steady_clock::now();
  const size_t bytes = sp::table_bytes(p, &err);
  const sp::Table *t = nullptr;
  if (bytes) {
    mem->assign(bytes / sizeof(double), 0.0);
    t = sp::table_build(p, mem->data(), bytes, &err);
  }
  *ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();
  if (!t) std::fprintf(stderr, "table: %s\n", err.message);
  return t;
}

double f_lif(double v, void *) { return -v; }

int run_eif(int argc, char **argv) {
  const uint32_t n = argc > 2 ? static_cast<uint32_t>(std::atof(argv[2])) : 10000;
  const double burn = argc > 3 ? std::atof(argv[3]) : 1.0;
  const double span = argc > 4 ? std::atof(argv[4]) : 5.0;
  const uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
  const double drive = kTau * std::sqrt(double(kK)) * kJ0 * kNu;
  sp::TableParams p{};
  p.kind = sp::TableKind::kEif;
  p.drive = drive;
  p.v_reset = -1;
  p.v_spike = INFINITY;
  p.delta_t = 0.1;
  p.v_t = 0;
  p.v_min = NAN;
  std::vector<double> mem;
  double build_ms;
  const sp::Table *t = make_table(p, &mem, &build_ms);
  if (!t) return 1;
  const double s_burn = burn / kTau;
  uint64_t counted = 0;
  auto w0 = std::chrono::steady_clock::now();
  const uint64_t total = simulate(
      n, t->period, seed, (burn + span) / kTau, UINT64_MAX,
      [t](double phi, double w) { return t->phase(t->voltage(phi) + w); },
      [&](uint32_t, double s) { counted += s >= s_burn; });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  std::printf("model: EIF (V_r = -1, V_T = 0, D_T = 0.1, I = %.3g, w = %.3g, K = %u)\n", drive,
              -kJ0 / std::sqrt(double(kK)), kK);
  std::printf("neurons: %u\n", n);
  std::printf("free period (s): %.12g\n", t->period * kTau);
  std::printf("table: %zu bytes, %u + %u segments, built in %.2f ms (sizing pass included)\n",
              mem.size() * sizeof(double), t->n_fwd, t->n_inv, build_ms);
  std::printf("spikes: %llu\n", static_cast<unsigned long long>(counted));
  std::printf("mean rate (Hz): %.4f\n", counted / (n * span));
  std::printf("wall time (s): %.3f (%.2f us per spike, burn-in included)\n", wall,
              1e6 * wall / static_cast<double>(total));
  return 0;
}

int run_lif_check(int argc, char **argv) {
  const uint32_t n = argc > 2 ? static_cast<uint32_t>(std::atof(argv[2])) : 10000;
  const uint64_t spikes = argc > 3 ? static_cast<uint64_t>(std::atof(argv[3])) : 100000;
  const uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
  const double drive = 1.0 + kTau * std::sqrt(double(kK)) * kJ0 * kNu;
  sp::TableParams p{};
  p.kind = sp::TableKind::kCustom;
  p.drive = drive;
  p.v_reset = 0;
  p.v_spike = 1;
  p.f = f_lif;
  p.v_min = NAN;
  std::vector<double> mem;
  double build_ms;
  const sp::Table *t = make_table(p, &mem, &build_ms);
  if (!t) return 1;
  // The closed form: phi(V) = ln(I/(I - V)), so phi' = -ln(exp(-phi) - w/I).
  const double T = std::log(drive / (drive - 1.0));
  std::vector<uint32_t> idx;
  std::vector<double> when;
  idx.reserve(spikes);
  when.reserve(spikes);
  simulate(
      n, T, seed, INFINITY, spikes,
      [drive](double phi, double w) { return -std::log(std::exp(-phi) - w / drive); },
      [&](uint32_t j, double s) { idx.push_back(j), when.push_back(s); });
  uint64_t k = 0, first_diff = UINT64_MAX;
  double worst = 0;
  simulate(
      n, t->period, seed, INFINITY, spikes,
      [t](double phi, double w) { return t->phase(t->voltage(phi) + w); },
      [&](uint32_t j, double s) {
        if (k < idx.size()) {
          if (j != idx[k] && first_diff == UINT64_MAX) first_diff = k;
          const double e = std::fabs(s - when[k]) / when[k];
          if (e > worst) worst = e;
        }
        ++k;
      });
  std::printf("bench: custom F = -V (tables) vs closed-form LIF, balanced network N = %u, "
              "K = %u: %llu spikes, %s, max relative spike-time error %.2e (periods %.17g, "
              "%.17g)\n",
              n, kK, static_cast<unsigned long long>(k),
              first_diff == UINT64_MAX ? "identical indices" : "INDICES DIFFER", worst, t->period,
              T);
  if (first_diff != UINT64_MAX)
    std::printf("first differing spike: %llu\n", static_cast<unsigned long long>(first_diff));
  return first_diff == UINT64_MAX && k == idx.size() && worst <= 1e-12 ? 0 : 1;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "eif") == 0) return run_eif(argc, argv);
  if (argc > 1 && std::strcmp(argv[1], "lif-check") == 0) return run_lif_check(argc, argv);
  std::fprintf(stderr, "usage: tabulated_balanced eif [N] [burn-in s] [time s] [seed]\n"
                       "       tabulated_balanced lif-check [N] [spikes] [seed]\n");
  return 2;
}
