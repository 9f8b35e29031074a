// Tabulated one-variable neuron models (EIF and user-defined F): the free trajectory from reset
// as phase tables, built once per drive into caller-provided memory (src/ARCHITECTURE.md, Models).
//
// The model is tau dV/dt = F(V) + I with a constant drive I, reset V_r, and a spike at a finite
// V_spike or at V = +inf (finite-time blow-up). Write G(V) = F(V) + I. The phase is the time
// since reset in units of tau along the free trajectory,
//     phi(V) = integral_{V_r}^{V} dv / G(v),
// so phi(V_r) = 0, phi grows by (t - t0)/tau between events, and the neuron spikes when phi
// reaches the period T_I = phi(V_spike). A jump of the voltage by w is phi' = phi(V(phi) + w);
// the neuron fires at that instant when phi' >= T_I (phase() returns exactly T_I at or past a
// finite threshold, and past the voltage where the rest of a blow-up is below rounding). The
// backward pass needs
//     d phi/dI at fixed V = -integral_{V_r}^{V} dv / G(v)^2        (tabulated with phi)
// and G itself (d phi'/d phi = G(V)/G(V + w), d phi'/d w = 1/G(V + w)); at fixed phase,
// dV/dI = -G(V) d phi/dI.
//
// Method. [V_lo, V_hi] is cut adaptively into segments on each of which 1/G and 1/G^2 are
// interpolated at kOrder Chebyshev points (first kind: the end points are never evaluated) to
// the rounding level of their values (the last three coefficients below 2^-50 of the largest
// value); phi and d phi/dI are the exact integrals of those series, so their only errors are the
// interpolation's and the accumulated rounding (measured in tests/models/test_table.cpp: about
// 1e-15 relative to phi). The inverse V(phi) is interpolated the same way on the image of each
// segment, its nodes found by Newton's method on that segment's phi series, so
// phi(V(phi)) = phi to rounding. Queries find the segment by binary search and evaluate one
// series (Clenshaw); nothing calls F after the build.
//
// Outside [V_lo, V_hi]:
//  - EIF (G = -V + I + D_T exp((V - V_T)/D_T)): below V_lo = V_T - 40 D_T the exponential is
//    below 4.3e-18 D_T and G = I - V (the LIF closed form, any depth of inhibition). Above
//    V_hi (blow-up), u = exp(-(V - V_T)/D_T) is small and the remaining phase is the series
//    T_I - phi = sum_k (-1)^k integral_0^u (s L(s))^k ds, L = (I - V_T)/D_T + ln s, summed to
//    k = 4; V_hi is placed where u max(1, |L|) <= 1e-5, so the first omitted term is below 1e-25.
//    A finite V_spike above that V_hi takes the same series less its value at V_spike (tabulated
//    up to such a V_spike, the phase of the steep end moves by less than its rounding from one
//    segment to the next, and the table fails its own check); tail_lo is then L's constant.
//  - Custom: below V_lo (param v_min) the voltage is clamped to V_lo: phi(V) = phi(V_lo) for
//    V < V_lo. Above V_hi (blow-up) the remaining phase is tabulated in y = 1/V on (0, 1/V_hi]:
//    T_I - phi = integral_0^y dz / (z^2 G(1/z)), which is smooth when G grows like V^2 or faster
//    (QIF-like); slower growth is refused.
//
// Excitable neurons (G <= 0 somewhere in [V_r, V_spike)) have no period and are refused with
// TableStatus::kExcitable; so is G <= 0 below reset within the tabulated range (inhibition
// could trap the neuron at a fixed point).
//
// The table is one block of plain data (no pointers): it may be copied, saved and loaded
// byte for byte on a machine with the same double format; table_check validates a loaded block.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sp {

enum class TableKind : uint32_t { kEif = 1, kCustom = 2 };

struct TableParams {
  TableKind kind;
  double drive;    // I
  double v_reset;  // V_r
  double v_spike;  // finite threshold (> v_reset), or +INFINITY for the blow-up
  // EIF only.
  double delta_t;  // D_T > 0
  double v_t;      // V_T
  // Custom only: G = f(v, ctx) + I; df is optional (not needed by the tables).
  double (*f)(double v, void *ctx);
  double (*df)(double v, void *ctx);
  void *ctx;
  // Custom only: the lowest tabulated voltage (inputs below it are clamped to it); NaN for the
  // default V_r - 16 (V_spike - V_r), or V_r - 16 max(1, |V_r|) for a blow-up model.
  double v_min;
};

enum class TableStatus : uint32_t {
  kOk = 0,
  kArgument,    // a parameter out of range (message names it)
  kExcitable,   // G <= 0 at a voltage the neuron can reach
  kUnresolved,  // F could not be tabulated to precision (a singularity, too slow a blow-up)
  kTooLarge,    // more segments than kMaxSegments
  kPeriod,      // the free period is not finite or below the engine's time resolution
};

// A refusal: its status and message. The table's functions set the message's format and
// arguments where they refuse, and format it only as they return (table.cpp, set_error).
struct TableError {
  TableStatus status;
  char message[320];
  bool deferred;  // message holds the format and arguments, not yet the text
};

constexpr uint32_t kOrder = 20;           // Chebyshev points per segment
constexpr uint32_t kMaxSegments = 20000;  // per kind of segment

// The block starts with this header; the arrays follow it (see table.cpp, layout()).
struct Table {
  uint64_t magic;   // kTableMagic
  uint32_t kind;    // TableKind
  uint32_t order;   // kOrder when built
  uint32_t n_fwd;   // segments of phi(V) on [v_lo, v_hi]
  uint32_t n_inv;   // segments of V(phi) on [phi_lo, phi_hi]
  uint32_t n_tail;  // custom blow-up: segments of the remaining phase in y = 1/V
  uint32_t reserved;
  double drive, v_reset, v_spike, delta_t, v_t;
  double v_lo, v_hi;      // the tabulated voltages
  double phi_lo, phi_hi;  // phi(v_lo), phi(v_hi)
  double dphi_lo;         // d phi/dI at v_lo
  double period;          // T_I = phi(v_spike)
  double dperiod;         // d T_I/dI
  // EIF: L's constant (I - V_T)/D_T where the series is used (v_hi < v_spike), else 0. Custom
  // blow-up: kappa = lim d ln G/dV as V -> +inf,
  // sampled from F at the build (0 for F growing like a power of V, 1/D for D exp(V/D), -1 for
  // faster than any exponential); 0 with a finite v_spike, and in files written before it was
  // sampled (src/io/FORMAT.md).
  double tail_lo;

  // Phase of voltage v (T_I at or past the spike; custom: phi_lo below v_lo).
  double phase(double v) const;
  // Whether phase(v) is clamped at v: a custom model's voltage below v_lo, where inhibition
  // stops (phi_lo whatever v, so its derivatives in v are 0).
  bool clamped(double v) const {
    return kind == static_cast<uint32_t>(TableKind::kCustom) && v < v_lo;
  }
  // Voltage at phase phi (v_spike, +inf for the blow-up, at phi >= T_I).
  double voltage(double phi) const;
  // A blow-up model's lim G(V)/G(V + w) as V -> +inf: the factor by which an input of weight w
  // just before the blow-up scales the time left (the gradient of an input at a neuron's own
  // spike instant, tab_deriv.hpp). exp(-w/D_T) for EIF, exp(-kappa w) for a custom F (1 for a
  // power of V; 0 or +inf for F faster than any exponential, as w is positive or negative).
  double blowup_ratio(double w) const;
  // d phi/dI at fixed voltage v.
  double dphase_ddrive(double v) const;
  // G(v) = F(v) + I: EIF from its formula, custom from the tabulated 1/G (relative error about
  // 1e-15 up to where the remaining phase is below rounding; beyond, a steep F's tail knows 1/G
  // only to its absolute floor); rate_from_f calls F itself.
  double rate(double v) const;
};

constexpr uint64_t kTableMagic = 0x3162615450535053ULL;  // "SPSPTab1"

// Bytes of the block table_build writes for p (it runs the adaptive fit to count segments),
// or 0 with *err set when p cannot be tabulated.
size_t table_bytes(const TableParams &p, TableError *err);
// Builds the table into mem (8-byte aligned, `bytes` = table_bytes(p)). Returns the table, or
// nullptr with *err set.
const Table *table_build(const TableParams &p, void *mem, size_t bytes, TableError *err);
// Whether mem[0..bytes) is a well-formed table (for blocks read from a file): sizes, finite
// values, increasing break points, and on every segment increasing phase and voltage series
// with a positive rate at its ends. Returns the table or nullptr with *err set.
const Table *table_check(const void *mem, size_t bytes, TableError *err);
// Bytes of a built or checked table's block (header and arrays).
size_t table_block_bytes(const Table &t);
// G(v) from the model's definition (custom: calls p.f).
double rate_from_f(const TableParams &p, double v);

}  // namespace sp
