// Building and querying the phase tables of tabulated one-variable models (table.hpp has the
// mathematics and the method).
#include "models/tabulated/table.hpp"

#include <cfloat>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "common/rounding.hpp"

namespace sp {
namespace {

constexpr uint32_t K = kOrder;
constexpr uint32_t KI = kOrder + 1;  // coefficients of an integrated series
constexpr double kPi = 3.14159265358979323846;
// A series has converged when its last three coefficients are below this fraction of the
// largest value it interpolates: the rounding level of the values (their DCT spreads a
// relative error of about 1e-16 over every coefficient), so nothing resolvable is left out.
constexpr double kTol = 0x1p-50;
constexpr int kMaxDepth = 52;

// A span [a, b] of a bisection, split `depth` times.
struct Span {
  double a, b;
  int depth;
};

// The pending spans of a depth-first bisection run from an anchor outward (the table's
// sweeps): a split pushes the far half, then the near one. Each pending span then starts where
// the one above it ends, so only its far end and depth are kept; its near end is the far end
// of the span finished last. A third of a Span stack's bytes: the builder nests two of these,
// and every call must fit a small thread stack (the header's Memory paragraph).
class Bisection {
 public:
  explicit Bisection(bool ascending) : ascending_(ascending) {}
  bool empty() const { return top_ == 0; }
  // A new range to bisect, the stack being empty.
  void start(double a, double b) {
    near_ = ascending_ ? a : b;
    push(ascending_ ? b : a, 0);
  }
  // Takes the top span.
  Span pop() {
    --top_;
    far_now_ = far_[top_];
    return ascending_ ? Span{near_, far_now_, depth_[top_]} : Span{far_now_, near_, depth_[top_]};
  }
  // The span taken last is tabulated: the next one starts at its far end.
  void finish() { near_ = far_now_; }
  // Or it is split at m: its two halves, the near one on top.
  void split(double m, int depth) {
    push(far_now_, depth + 1);
    push(m, depth + 1);
  }

 private:
  void push(double far, int depth) {
    far_[top_] = far;
    depth_[top_++] = static_cast<unsigned char>(depth);
  }
  double far_[kMaxDepth + 2];
  unsigned char depth_[kMaxDepth + 2];
  int top_ = 0;
  double near_ = 0, far_now_ = 0;
  const bool ascending_;
};
// EIF: below V_T - kLinearBelow D_T the exponential term is under exp(-40) = 4.2e-18 of D_T.
constexpr double kLinearBelow = 40.0;
// EIF tail: the series is used where u max(1, |L|) <= kTailSmall (first omitted term
// u (u L)^5 <= 1e-25 u).
constexpr double kTailSmall = 1e-5;
// Custom blow-up models: the forward table ends where F + I is at most this times its size at
// reset (or 1), and the tail (in y = 1/V) takes over (Builder::run).
constexpr double kTailStartRate = 0x1p14;
// Whether F + I at v (a custom blow-up's tail start) is above that bound.
bool steep_tail_start(const TableParams &p, double v) {
  return rate_from_f(p, v) > kTailStartRate * std::fmax(1.0, rate_from_f(p, p.v_reset));
}
// A custom blow-up's growth at infinity, kappa = lim d ln G/dV as V -> +inf, for the gradient of
// an input at a neuron's own spike instant (Table::blowup_ratio; table.hpp). F is sampled from
// the tail start hi up to V2, where F + I stops being finite (or 1e300), and at V1 < V2 where
// ln G is half of ln G(V2): the local log-slopes sigma = d ln G/dV there (central differences,
// relative step 1e-4) and e = ln(V2 sigma2 / (V1 sigma1)) / ln(V2/V1) tell the growth apart:
// e is 0 for a power of V (sigma = p/V), 1 for an exponential (sigma -> kappa), 2 and more
// beyond (exp(V^2)). A power gives kappa = 0; an exponential the extrapolation of
// sigma = kappa + c/V through the two points (exact for V^p exp(kappa V)); faster growth -1
// (the ratio is then 0 or +inf: see blowup_ratio).
double log_slope(const TableParams &p, double v) {
  constexpr double kStep = 1e-4;
  const double a = rate_from_f(p, v * (1 - kStep)), b = rate_from_f(p, v * (1 + kStep));
  if (!(a > 0 && b > 0 && a < INFINITY && b < INFINITY)) return NAN;
  return (std::log(b) - std::log(a)) / (2 * kStep * v);
}
double custom_tail_growth(const TableParams &p, double hi) {
  constexpr double kTop = 1e300;
  double top = hi;
  if (std::isnan(log_slope(p, top))) return -1;  // F + I overflows at the tail start itself
  // Doubling, then (after the first V past it) halving the step, to the last V where the
  // slope is still defined.
  bool doubling = true;
  for (double step = top; step >= 1e-6 * top && top < kTop;) {
    const double next = top + step;
    if (next <= kTop && !std::isnan(log_slope(p, next))) {
      top = next;
      if (doubling) step = top;
    } else {
      doubling = false;
      step *= 0.5;
    }
  }
  // V1 where ln G is half its value at V2 = top (bisection; G rises there): deep in the
  // asymptotic regime of an exponential (G = e^354 at an overflow of e^709) and of a power
  // (V1 = sqrt(V2)), whatever the scale of F.
  const double v2 = top, half = 0.5 * std::log(rate_from_f(p, top));
  double a = hi, b = top;
  if (std::log(rate_from_f(p, a)) < half) {
    for (int i = 0; i < 200 && b > a; ++i) {
      const double m = a + 0.5 * (b - a);
      if (!(m > a && m < b)) break;
      (std::log(rate_from_f(p, m)) < half ? a : b) = m;
    }
  }
  const double v1 = a;
  if (!(v2 >= 1.001 * v1)) return -1;  // F + I overflows within 0.1% above V1
  const double s1 = log_slope(p, v1), s2 = log_slope(p, v2);
  if (!(s1 > 0 && s2 > 0)) return 0;  // not rising there: no exponential growth seen
  const double e = std::log(v2 * s2 / (v1 * s1)) / std::log(v2 / v1);
  if (e < 0.5) return 0;
  if (e > 1.5) return -1;
  return std::fmax(0.0, (v2 * s2 - v1 * s1) / (v2 - v1));
}
constexpr int kTailTerms = 5;
// A custom model's tabulated ranges (reset to threshold or tail start, the clamp region below
// reset, the tail in 1/V) start as this many equal pieces: 20 nodes each, spaced about
// width/(13 pieces) in their middles. The halvings then follow what the nodes see, so a feature
// of F well narrower than that spacing (a bump of F narrower than about 1/1000 of the range
// from reset to threshold) can fall between them unseen; README.md says so.
constexpr int kCustomPieces = 32;

// The arrays after the header, as offsets in doubles from the end of the header.
struct Layout {
  size_t fwd_breaks, fwd_rate, fwd_phi, fwd_dphi;
  size_t inv_breaks, inv_v;
  size_t tail_breaks, tail_cum, tail_g, tail_s, tail_sd;
  size_t total;  // doubles
};

Layout layout(uint32_t n_fwd, uint32_t n_inv, uint32_t n_tail) {
  Layout l;
  size_t o = 0;
  l.fwd_breaks = o, o += n_fwd + 1;
  l.fwd_rate = o, o += size_t{n_fwd} * K;
  l.fwd_phi = o, o += size_t{n_fwd} * KI;
  l.fwd_dphi = o, o += size_t{n_fwd} * KI;
  l.inv_breaks = o, o += n_inv + 1;
  l.inv_v = o, o += size_t{n_inv} * K;
  const size_t tb = n_tail ? n_tail + 1 : 0;
  l.tail_breaks = o, o += tb;
  l.tail_cum = o, o += tb;
  l.tail_g = o, o += size_t{n_tail} * K;
  l.tail_s = o, o += size_t{n_tail} * KI;
  l.tail_sd = o, o += size_t{n_tail} * KI;
  l.total = o;
  return l;
}

const double *arrays(const Table *t) { return reinterpret_cast<const double *>(t + 1); }

// sum_j c[j] T_j(t) (Clenshaw), c[0] with weight 1.
double cheb(const double *c, uint32_t n, double t) {
  double b1 = 0, b2 = 0;
  const double t2 = 2 * t;
  for (uint32_t j = n - 1; j >= 1; --j) {
    const double b0 = c[j] + t2 * b1 - b2;
    b2 = b1;
    b1 = b0;
  }
  return c[0] + t * b1 - b2;
}

// The segment i of breaks[0..n] holding x (breaks[0] <= x <= breaks[n] assumed), and x's
// position t in [-1, 1] on it.
uint32_t locate(const double *breaks, uint32_t n, double x, double *t) {
  uint32_t lo = 0, hi = n;  // breaks[lo] <= x < breaks[hi], or x == breaks[n]
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (breaks[mid] <= x)
      lo = mid;
    else
      hi = mid;
  }
  const double a = breaks[lo], b = breaks[lo + 1];
  double u = (2 * x - a - b) / (b - a);
  *t = u < -1 ? -1 : (u > 1 ? 1 : u);
  return lo;
}

// The t in [-1, 1] with cheb(p, KI, t) = target, for p increasing with derivative h q(t):
// Newton's method kept inside a shrinking bracket (bisection when a step leaves it).
double solve_increasing(const double *p, const double *q, double h, double target) {
  double lo = -1, hi = 1;
  const double p_lo = cheb(p, KI, -1), p_hi = cheb(p, KI, 1);
  if (!(target > p_lo)) return -1;
  if (!(target < p_hi)) return 1;
  double t = -1 + 2 * (target - p_lo) / (p_hi - p_lo);
  if (!(t > -1 && t < 1)) t = 0;
  for (int it = 0; it < 100; ++it) {
    const double f = cheb(p, KI, t) - target;
    if (f == 0) return t;
    if (f < 0)
      lo = t;
    else
      hi = t;
    const double d = h * cheb(q, K, t);
    double next = t - f / d;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const double step = std::fabs(next - t);
    t = next;
    if (step <= 0x1p-54 || hi - lo <= 0x1p-54) break;
  }
  return t;
}

// EIF tail: integral_0^u s^m L(s)^k ds with L(s) = c + ln s, L = L(u):
// u^(m+1)/(m+1) sum_j (-1)^j k!/(k-j)! L^(k-j) / (m+1)^j.
double eif_moment(double u, int m, int k, double L) {
  const double m1 = m + 1;
  double sum = 0, coef = 1;  // coef = (-1)^j k!/(k-j)!/(m1)^j
  for (int j = 0; j <= k; ++j) {
    sum += coef * std::pow(L, k - j);
    coef *= -(k - j) / m1;
  }
  return std::pow(u, m1) / m1 * sum;
}

// The remaining phase integral_0^u ds/(1 + s L(s)) and its drive part
// integral_0^u (s/D) ds/(1 + s L(s))^2 (= integral_V^inf dv/G^2).
double eif_remain(double u, double c) {
  if (!(u > 0)) return 0;
  const double L = c + std::log(u);
  double r = 0;
  for (int k = kTailTerms - 1; k >= 0; --k) r += ((k & 1) ? -1 : 1) * eif_moment(u, k, k, L);
  return r;
}
double eif_remain_d(double u, double c, double delta_t) {
  if (!(u > 0)) return 0;
  const double L = c + std::log(u);
  double r = 0;
  for (int k = kTailTerms - 1; k >= 0; --k)
    r += ((k & 1) ? -1 : 1) * (k + 1) * eif_moment(u, k + 1, k, L);
  return r / delta_t;
}
// The EIF phase from the end of the series, v_hi, to a finite v_spike beyond it (the closed
// series above; 0 to a blow-up's v_spike = inf adds the whole remainder), and its drive part.
// The builder adds them to the series' ends for period and dperiod; table_check, to compare.
struct EifBeyond {
  double phase, dphase;
};
EifBeyond eif_beyond(double v_hi, double v_spike, double v_t, double delta_t, double c) {
  const double u_hi = std::exp(-(v_hi - v_t) / delta_t);
  const double u_sp = std::exp(-(v_spike - v_t) / delta_t);
  return {eif_remain(u_hi, c) - eif_remain(u_sp, c),
          eif_remain_d(u_hi, c, delta_t) - eif_remain_d(u_sp, c, delta_t)};
}
// The u with eif_remain(u) = s (s small and positive).
double eif_remain_inverse(double s, double c) {
  if (!(s > 0)) return 0;
  double u = s;
  for (int it = 0; it < 8; ++it) {
    const double f = eif_remain(u, c) - s;
    const double next = u - f * (1 + u * (c + std::log(u)));
    const bool done = std::fabs(next - u) <= 0x1p-54 * u;
    u = next > 0 ? next : 0.5 * u;
    if (done) break;
  }
  return u;
}

double eif_rate(double v, double drive, double delta_t, double v_t) {
  return (drive - v) + delta_t * std::exp((v - v_t) / delta_t);
}

// Refusals are raised deep in the builder (fit, in the sweep, in run: about 2.5 KiB of frames
// below table_bytes), and vsnprintf takes 2-3 KiB of stack of its own (glibc's work buffer and
// its conversion of doubles). Formatted there, an excitable custom F overflowed a 16 KiB thread
// stack below 1.6 KiB of the caller's frames, short of the header's promise of 2 KiB (an
// outside check). So set_error keeps the format and its arguments in the message's bytes, and
// the table's entry points format them as they return (Finish), once the builder's frames are
// gone. The formats use %s, %d, %u, %x (z for size_t) and floating conversions only.
struct Deferred {
  static constexpr int kArgs = 6;
  const char *fmt;
  int count;
  struct Arg {
    double num;
    uint64_t whole;
  } args[kArgs];
  char text[180];  // the %s arguments, one after another (copied: one is a local buffer)
};
static_assert(sizeof(Deferred) <= sizeof(TableError::message), "a refusal must fit the message");

// The conversion at fmt[i] == '%': sets *end past its letter and returns that letter ('%' for
// "%%"), *size_t_arg for a z length modifier.
char conversion(const char *fmt, size_t i, size_t *end, bool *size_t_arg) {
  size_t j = i + 1;
  while (fmt[j] && std::strchr("-+ #0123456789.", fmt[j])) ++j;
  *size_t_arg = fmt[j] == 'z';
  while (fmt[j] == 'z' || fmt[j] == 'l' || fmt[j] == 'h') ++j;
  *end = fmt[j] ? j + 1 : j;
  return fmt[j];
}

void set_error(TableError *err, TableStatus s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void set_error(TableError *err, TableStatus s, const char *fmt, ...) {
  if (!err) return;
  err->status = s;
  Deferred d{};
  d.fmt = fmt;
  size_t used = 0;
  va_list ap;
  va_start(ap, fmt);
  for (size_t i = 0; fmt[i];) {
    if (fmt[i] != '%') {
      ++i;
      continue;
    }
    bool size_t_arg;
    const char c = conversion(fmt, i, &i, &size_t_arg);
    if (c == '%' || c == 0) continue;
    if (d.count == Deferred::kArgs) break;  // (not in the formats here)
    Deferred::Arg &a = d.args[d.count++];
    if (c == 's') {
      // (Cut short where the room ends; the last byte stays 0.)
      const char *text = va_arg(ap, const char *);
      a.whole = used < sizeof d.text ? used : sizeof d.text - 1;
      while (*text && used + 1 < sizeof d.text) d.text[used++] = *text++;
      if (used < sizeof d.text) d.text[used++] = 0;
    } else if (c == 'd' || c == 'i') {
      a.whole = static_cast<uint64_t>(static_cast<int64_t>(va_arg(ap, int)));
    } else if (c == 'u' || c == 'x') {
      a.whole = size_t_arg ? va_arg(ap, size_t) : va_arg(ap, unsigned);
    } else {
      a.num = va_arg(ap, double);
    }
  }
  va_end(ap);
  std::memcpy(err->message, &d, sizeof d);
  err->deferred = true;
}

// Formats a deferred refusal into the message (on the caller's stack: the entry points only).
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void format_deferred(TableError *err) {
  Deferred d;
  std::memcpy(&d, err->message, sizeof d);
  char *out = err->message;
  size_t room = sizeof err->message, at = 0;
  int arg = 0;
  for (size_t i = 0; d.fmt[i] && at + 1 < room;) {
    if (d.fmt[i] != '%') {
      out[at++] = d.fmt[i++];
      continue;
    }
    size_t end;
    bool size_t_arg;
    const char c = conversion(d.fmt, i, &end, &size_t_arg);
    char spec[24];
    const size_t len = end - i < sizeof spec ? end - i : sizeof spec - 1;
    std::memcpy(spec, d.fmt + i, len);
    spec[len] = 0;
    i = end;
    int n = 0;
    if (c == '%') {
      out[at++] = '%';
      continue;
    }
    if (c == 0 || arg == d.count) break;
    const Deferred::Arg &a = d.args[arg++];
    if (c == 's')
      n = std::snprintf(out + at, room - at, spec, d.text + a.whole);
    else if (c == 'd' || c == 'i')
      n = std::snprintf(out + at, room - at, spec, static_cast<int>(static_cast<int64_t>(a.whole)));
    else if (c == 'u' || c == 'x')
      n = size_t_arg ? std::snprintf(out + at, room - at, spec, static_cast<size_t>(a.whole))
                     : std::snprintf(out + at, room - at, spec, static_cast<unsigned>(a.whole));
    else
      n = std::snprintf(out + at, room - at, spec, a.num);
    if (n < 0) break;
    at += static_cast<size_t>(n) < room - at ? static_cast<size_t>(n) : room - 1 - at;
  }
  out[at < room ? at : room - 1] = 0;
  err->deferred = false;
}

// Formats a deferred refusal when an entry point returns (see Deferred).
struct Finish {
  TableError *err;
  ~Finish() {
    if (err && err->deferred) format_deferred(err);
  }
};

// EIF just above its bifurcation (I - V_T + D_T small, the spike beyond V_T): F + I has its
// minimum I - V_T + D_T at V_T, a small difference of terms of size M = |I| + |V_T| + D_T.
// Their rounding, about 1e-16 M, moves that minimum and so the period, by about 1e-16 M over
// the gap relative to it (README, Models). Below kEifMinGap M the tables also stop resolving
// the bottleneck reliably: measured against 50-digit integrations (tests/bench/RESULTS.md,
// EIF near its bifurcation), accepted drives were off by up to 22 % of the period, and
// drives up to 5.5e-13 M above the bifurcation were refused in scattered places, so the
// refused drives were not one interval. Refusing every gap below kEifMinGap M keeps the bound
// (at most 1e-4 of the period) for every drive accepted, and makes the refusal one rule the
// header states. Checked by the builder and by table_check (a saved table must not hold such
// a drive either).
constexpr double kEifMinGap = 1e-12;

// Whether an EIF table's drive is refused by that rule (err set, with `status`).
bool eif_too_close(double drive, double v_t, double delta_t, double v_spike, TableStatus status,
                   TableError *err) {
  if (!(v_spike > v_t)) return false;  // (the spike comes before the bottleneck)
  const double gap = (drive - v_t) + delta_t, m = std::fabs(drive) + std::fabs(v_t) + delta_t;
  if (gap >= kEifMinGap * m) return false;
  set_error(err, status,
            "EIF with drive %.17g: I - (V_T - D_T) = %.9g, less than 1e-12 (|I| + |V_T| + D_T) "
            "= %.9g: too close above the bifurcation for the period to be tabulated within 1e-4 "
            "of it",
            drive, gap, kEifMinGap * m);
  return true;
}

// The refusal of a built table that fails table_check. sp_network_memory does not run that
// check, and the header names this refusal by its opening words ("fails its own check"): the
// one SP_ERR_UNSUPPORTED that creation may give for a description sp_network_memory accepted.
// So every such message starts with them, whatever detail follows.
void refuse_own_check(TableError *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void refuse_own_check(TableError *err, const char *fmt, ...) {
  if (!err) return;
  err->status = TableStatus::kUnresolved;
  err->deferred = false;  // (formatted here: called from table_build itself)
  static const char kOpening[] = "the table fails its own check ";
  std::memcpy(err->message, kOpening, sizeof kOpening);
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(err->message + sizeof kOpening - 1, sizeof err->message - sizeof kOpening + 1, fmt,
                 ap);
  va_end(ap);
}

// After a build its own check refused: the voltage where F + I is the most suspect, sampled at
// 16 points per segment of the range tabulated in V (v_lo to v_hi) and of a blow-up's tail
// (in y = 1/V, where F may overflow to +inf legitimately): not finite (in the tail: NaN) or not
// positive, the worst, else the smallest when it is below 1e-9 of its value at reset. False
// when no sample is suspect. (A double zero of F + I between the build's nodes leaves F + I
// positive at every node the build sampled, so only the finished table shows it; a pole of F is
// named only when a sample falls on it, and is often tabulated: 1/(F + I) is smooth there.)
bool rate_extreme(const TableParams &p, const Table *t, double *v_out, double *g_out) {
  const Layout l = layout(t->n_fwd, t->n_inv, t->n_tail);
  const double scale = std::fabs(rate_from_f(p, p.v_reset));
  double worst_v = 0, worst_g = INFINITY;
  constexpr int kSamples = 16;
  // Samples one range's segments (break points b[0..n]); true when a sample is not allowed.
  auto scan = [&](const double *b, uint32_t n, bool in_y) {
    for (uint32_t i = 0; i < n; ++i)
      for (int s = 0; s <= kSamples; ++s) {
        const double x = b[i] + (b[i + 1] - b[i]) * s / kSamples;
        if (in_y && !(x > 0)) continue;  // (y = 0: V = +inf)
        const double v = in_y ? 1 / x : x, g = rate_from_f(p, v);
        if (!(g > 0) || (!in_y && !(g < INFINITY))) {
          worst_v = v, worst_g = g;
          return true;
        }
        if (g < worst_g) worst_v = v, worst_g = g;
      }
    return false;
  };
  const bool bad = scan(arrays(t) + l.fwd_breaks, t->n_fwd, false) ||
                   scan(arrays(t) + l.tail_breaks, t->n_tail, true);
  if (!bad && !(worst_g < 1e-9 * scale)) return false;
  *v_out = worst_v;
  *g_out = worst_g;
  return true;
}

// The refusal of an F whose values changed between the table's passes over the same voltages.
void refuse_nondeterministic(const TableParams &p, TableError *err) {
  set_error(err, TableStatus::kUnresolved,
            "F gave other values on the table's second pass over the same voltages (drive "
            "%.17g): it must be deterministic",
            p.drive);
}

// One pass of the adaptive construction: counts segments (out == nullptr) or also writes
// them. Both passes do the same arithmetic, so they make the same decisions.
class Builder {
 public:
  Builder(const TableParams &p, double *out, const uint32_t *lower_counts, TableError *err)
      : p_(p), out_(out), err_(err) {
    for (uint32_t k = 0; k < K; ++k) node_[k] = std::cos(kPi * (k + 0.5) / K);
    // cos(pi j (k + 1/2)/K) with the angle reduced exactly (in integers, modulo 2 pi) first:
    // the rounding of a large angle would put errors of j k 1e-16 into every coefficient. The
    // transform's entry (j, k) is cosines_[(j (2k + 1)) mod 4K], angle pi m / (2K): 4K values
    // instead of a K x K matrix (the builder lives on the stack: the header's Memory).
    for (uint32_t m = 0; m < 4 * K; ++m) cosines_[m] = std::cos(kPi * m / (2 * K)) * 2.0 / K;
    if (lower_counts) {
      fwd_lower_ = lower_counts[0];
      inv_lower_ = lower_counts[1];
    }
  }

  // The voltages and phases: fills the header fields and runs the sweeps.
  bool run(Table *h);

  uint32_t fwd_up = 0, fwd_down = 0, inv_up = 0, inv_down = 0, tail_n = 0;
  Layout lay{};
  // The writing pass: the counting pass's segment counts, which the layout was carved for (the
  // same order as the counters above). A segment beyond them would be written out of the
  // block: a callback F that does not return the same values in both passes is refused.
  const uint32_t *planned = nullptr;
  enum Counter { kFwdUp, kFwdDown, kInvUp, kInvDown, kTail };
  bool as_planned(uint32_t count, Counter which) {
    if (!planned || count < planned[which]) return true;
    refuse_nondeterministic(p_, err_);
    return false;
  }

 private:
  double rate(double v) const {
    return p_.kind == TableKind::kEif ? eif_rate(v, p_.drive, p_.delta_t, p_.v_t)
                                      : p_.f(v, p_.ctx) + p_.drive;
  }
  void coefficients(const double *values, double *c) const {
    for (uint32_t j = 0; j < K; ++j) {
      double s = 0;
      for (uint32_t k = 0; k < K; ++k) s += cosines_[(j * (2 * k + 1)) % (4 * K)] * values[k];
      c[j] = s;
    }
    c[0] *= 0.5;
  }
  static bool converged(const double *c, double scale) {
    double tail = std::fabs(c[K - 1]);
    if (std::fabs(c[K - 2]) > tail) tail = std::fabs(c[K - 2]);
    if (std::fabs(c[K - 3]) > tail) tail = std::fabs(c[K - 3]);
    return tail <= kTol * scale;
  }
  // The integral (from t = -1) of the series c (K terms) scaled by h, into ci (K + 1 terms).
  // Returns the integral over the whole segment.
  static double integrate(const double *c, double h, double *ci) {
    ci[1] = h * (c[0] - (K > 2 ? 0.5 * c[2] : 0));
    for (uint32_t j = 2; j <= K; ++j) {
      const double lower = c[j - 1], upper = j + 1 < K ? c[j + 1] : 0;
      ci[j] = h * (lower - upper) / (2.0 * j);
    }
    double at_minus = 0, odd = 0;
    for (uint32_t j = 1; j <= K; ++j) {
      at_minus += (j & 1) ? -ci[j] : ci[j];
      if (j & 1) odd += ci[j];
    }
    ci[0] = -at_minus;
    return 2 * odd;
  }

  enum class Fit { kOk, kSplit, kFailed };
  Fit fit(double a, double b, bool tail, double *rate_c, double *phi_c, double *dphi_c);
  bool ends_agree(double a, double b, bool tail, const double *c, double scale) const;
  bool sweep(double a, double b, bool ascending, bool tail, double phi0, double dphi0,
             double *phi_end, double *dphi_end);
  bool invert(const double *phi_c, const double *rate_c, double a, double b, double pa, double pb,
              bool ascending);
  bool emit_fwd(bool ascending, bool tail, double a, double b, const double *rate_c,
                const double *phi_c, const double *dphi_c, double cum_a);

  const TableParams &p_;
  double *out_;
  TableError *err_;
  // The custom tail's absolute floors for its two integrands (run()): a coefficient below
  // kTol times these moves the remaining phase (or its drive part) by less than kTol 2^-10 of
  // the phase (or its drive part) from reset to the tail's start, below the rounding of any
  // phase the engine can hold, however small the integrand is against its own size there. (An F
  // growing like exp(V) makes the integrand fall over hundreds of decades towards the spike,
  // and then to 0 where F overflows: fitted to its own size there, it never converged.)
  double tail_floor1_ = 0, tail_floor2_ = 0;
  uint32_t fwd_lower_ = 0, inv_lower_ = 0;
  bool tail_zero_ = false;  // the last tail segment emitted is all zero (emit_fwd)
  double node_[K];
  double cosines_[4 * K];
};

Builder::Fit Builder::fit(double a, double b, bool tail, double *rate_c, double *phi_c,
                          double *dphi_c) {
  const double mid = 0.5 * (a + b), h = 0.5 * (b - a);
  double f1[K], f2[K], s1 = 0, s2 = 0, n1 = 0, n2 = 0;
  for (uint32_t k = 0; k < K; ++k) {
    const double x = mid + h * node_[k];
    const double v = tail ? 1 / x : x;
    const double g = rate(v);
    const bool ok = tail ? (g > 0) : (g > 0 && g < INFINITY);
    if (!ok) {
      if (g == INFINITY)
        // (Only the forward range refuses +inf: the tail accepts an overflow far up.)
        set_error(err_, TableStatus::kUnresolved,
                  "F(V) + I overflows to +inf at V = %.17g (drive %.17g), inside the range "
                  "tabulated in V (%s): F rises too steeply there",
                  v, p_.drive,
                  p_.v_spike < INFINITY
                      ? "below v_spike"
                      : "below the tail in 1/V, which starts at max(v_reset, 0) or above: shift "
                        "V up, or give a finite v_spike");
      else if (g != g)
        set_error(err_, TableStatus::kUnresolved,
                  "F(V) + I = nan at V = %.17g (drive %.17g): F must return finite values", v,
                  p_.drive);
      else if (v >= p_.v_reset || tail)
        set_error(err_, TableStatus::kExcitable,
                  "F(V) + I = %.17g at V = %.17g (drive %.17g): not positive, so the neuron "
                  "is excitable (it does not fire on its own)",
                  g, v, p_.drive);
      else
        set_error(err_, TableStatus::kExcitable,
                  "F(V) + I = %.17g at V = %.17g below reset: not positive, so inhibition "
                  "could hold the neuron there (it must be positive down to the clamp below "
                  "reset: see sp_model in the header)",
                  g, v);
      return Fit::kFailed;
    }
    // Forward: 1/G and -1/G^2 in V. Tail (y = 1/V): 1/(y^2 G) and y^2 (1/(y^2 G))^2, the
    // integrands of the remaining phase and of integral_V^inf dv/G^2.
    f1[k] = tail ? 1 / (x * x * g) : 1 / g;
    f2[k] = tail ? x * x * f1[k] * f1[k] : -f1[k] * f1[k];
    // G's own rounding: a sum of terms of size mag, nearly cancelling where G is small (near a
    // saddle-node, G_min << |F| + |I|), is good to 2^-53 mag only; so are 1/G and 1/G^2 to that
    // relative to G.
    const double mag = (p_.kind == TableKind::kEif
                            ? std::fabs(v) + p_.delta_t * std::exp((v - p_.v_t) / p_.delta_t)
                            : std::fabs(g - p_.drive)) +
                       std::fabs(p_.drive);
    const double rel = mag < INFINITY ? 0x1p-53 * mag / g : 0;
    if (std::fabs(f1[k]) * rel > n1) n1 = std::fabs(f1[k]) * rel;
    if (std::fabs(f2[k]) * 2 * rel > n2) n2 = std::fabs(f2[k]) * 2 * rel;
    if (std::fabs(f1[k]) > s1) s1 = std::fabs(f1[k]);
    if (std::fabs(f2[k]) > s2) s2 = std::fabs(f2[k]);
  }
  // The values are only as good as their abscissae: rounding x by 2^-53 |x| moves f by f' times
  // that (large where G is small: 1/G with G = I - V near I), so the noise the coefficients
  // cannot go below is about 2^-53 |x| max |f'| (f' from neighbouring nodes).
  const double x_ulp = 0x1p-53 * (std::fabs(a) > std::fabs(b) ? std::fabs(a) : std::fabs(b));
  double d1 = 0, d2 = 0;
  for (uint32_t k = 0; k + 1 < K; ++k) {
    const double dx = h * (node_[k] - node_[k + 1]);
    const double g1 = std::fabs(f1[k] - f1[k + 1]) / dx, g2 = std::fabs(f2[k] - f2[k + 1]) / dx;
    if (g1 > d1) d1 = g1;
    if (g2 > d2) d2 = g2;
  }
  double c2[K];
  coefficients(f1, rate_c);
  coefficients(f2, c2);
  const double floor1 = tail ? tail_floor1_ : 0, floor2 = tail ? tail_floor2_ : 0;
  const double scale1 = s1 + floor1 + 16 * (x_ulp * d1 + n1) / kTol;
  if (!converged(rate_c, scale1) || !converged(c2, s2 + floor2 + 16 * (x_ulp * d2 + n2) / kTol))
    return Fit::kSplit;
  if (!ends_agree(a, b, tail, rate_c, scale1)) return Fit::kSplit;
  integrate(rate_c, h, phi_c);
  integrate(c2, h, dphi_c);
  return Fit::kOk;
}

// Whether the fitted series c of the first integrand (1/G, or the tail's 1/(y^2 G)) takes the
// integrand's values at the segment's ends, where the nodes (first kind) never look. A feature
// narrower than the nodes' spacing next to an end, e.g. EIF's exponential rise over a few D_T
// when D_T is far below the segment's width, leaves the interior smooth, and the series then
// converges to the wrong function; its value at the end shows it (the segment is split until
// the nodes see the rise). Ends where G is not positive and finite (the tail's y = 0, i.e.
// V = +inf) are not evaluated.
bool Builder::ends_agree(double a, double b, bool tail, const double *c, double scale) const {
  const double tol = 0x1p10 * kTol * scale;
  for (int side = 0; side < 2; ++side) {
    const double x = side ? b : a;
    if (tail && !(x > 0)) continue;
    const double v = tail ? 1 / x : x;
    const double g = rate(v);
    if (!(g > 0 && (tail || g < INFINITY))) continue;
    const double f = tail ? 1 / (x * x * g) : 1 / g;
    double series = 0;
    for (uint32_t j = 0; j < K; ++j) series += (side || !(j & 1)) ? c[j] : -c[j];
    if (!(std::fabs(series - f) <= tol)) return false;
  }
  return true;
}

// Tabulates [a, b] (ascending: phi(a) = phi0; descending: phi(b) = phi0), writing segments in
// order of increasing distance from the anchor. *phi_end is phi at the far end.
bool Builder::sweep(double a, double b, bool ascending, bool tail, double phi0, double dphi0,
                    double *phi_end, double *dphi_end) {
  Bisection spans(ascending);
  // A custom F is a black box: the fit sees it only at its nodes, so a custom range starts as
  // kCustomPieces equal pieces (halved further where needed), which bounds the nodes' spacing
  // from the start (see kCustomPieces). The piece at the anchor comes first, each tabulated
  // whole (depth first) before the next.
  int pieces = p_.kind == TableKind::kCustom ? kCustomPieces : 1;
  double w = (b - a) / pieces;
  for (int j = 1; j < pieces; ++j)  // (a range of a few ulps stays whole)
    if (!(a + w * (j - 1) < a + w * j)) pieces = 1, w = b - a;
  int next_piece = 0;
  double cum = phi0, dcum = dphi0;
  while (!spans.empty() || next_piece < pieces) {
    if (spans.empty()) {
      const int j = ascending ? next_piece : pieces - 1 - next_piece;
      ++next_piece;
      spans.start(j == 0 ? a : a + w * j, j == pieces - 1 ? b : a + w * (j + 1));
    }
    const Span s = spans.pop();
    double rate_c[K], phi_c[KI], dphi_c[KI];
    const Fit f = fit(s.a, s.b, tail, rate_c, phi_c, dphi_c);
    if (f == Fit::kFailed) return false;
    if (f == Fit::kSplit) {
      const double m = s.a + 0.5 * (s.b - s.a);
      const double scale = std::fabs(s.a) > std::fabs(s.b) ? std::fabs(s.a) : std::fabs(s.b);
      if (s.depth >= kMaxDepth || !(m > s.a && m < s.b) || s.b - s.a <= 0x1p-46 * scale) {
        const double v = tail ? 1 / m : m;
        if (tail)
          set_error(err_, TableStatus::kUnresolved,
                    "the remaining phase near V = %.17g (drive %.17g) could not be tabulated to "
                    "rounding: for a spike at +inf, F must grow at least like V^2, smoothly "
                    "in 1/V (not like |V|^p with p not an integer)",
                    v, p_.drive);
        else if (p_.v_spike < INFINITY)
          set_error(err_, TableStatus::kUnresolved,
                    "1/(F(V) + I) could not be tabulated to rounding near V = %.17g (drive "
                    "%.17g): F + I is nearly zero there, F is not smooth or noisy, or "
                    "v_spike = %.17g is too far up (the phase moves by less than its "
                    "rounding): lower v_spike, or let F blow up",
                    v, p_.drive, p_.v_spike);
        else
          set_error(err_, TableStatus::kUnresolved,
                    "1/(F(V) + I) could not be tabulated to rounding near V = %.17g (drive "
                    "%.17g): F + I is nearly zero there, F is not smooth, or F is noisy",
                    v, p_.drive);
        return false;
      }
      spans.split(m, s.depth);  // (the half nearer the anchor is processed first)
      continue;
    }
    spans.finish();
    // Shift the series so they take the accumulated values at the anchor-side end.
    double odd = 0, all = 0, dodd = 0, dall = 0;
    for (uint32_t j = 1; j <= K; ++j) {
      if (j & 1) odd += phi_c[j], dodd += dphi_c[j];
      all += phi_c[j], dall += dphi_c[j];
    }
    const double integral = 2 * odd, dintegral = 2 * dodd;
    double cum_a, dcum_a, cum_b, dcum_b;
    if (ascending) {
      cum_a = cum, dcum_a = dcum;
      cum_b = cum + integral, dcum_b = dcum + dintegral;
      phi_c[0] += cum_a;  // phi_c(-1) was 0
      dphi_c[0] += dcum_a;
    } else {
      cum_b = cum, dcum_b = dcum;
      cum_a = cum - integral, dcum_a = dcum - dintegral;
      phi_c[0] = cum_b - all;  // phi_c(+1) = cum_b
      dphi_c[0] = dcum_b - dall;
    }
    if (!emit_fwd(ascending, tail, s.a, s.b, rate_c, phi_c, dphi_c, cum_a)) return false;
    if (!tail && !invert(phi_c, rate_c, s.a, s.b, cum_a, cum_b, ascending)) return false;
    cum = ascending ? cum_b : cum_a;
    dcum = ascending ? dcum_b : dcum_a;
  }
  *phi_end = cum;
  *dphi_end = dcum;
  return true;
}

bool Builder::emit_fwd(bool ascending, bool tail, double a, double b, const double *rate_c,
                       const double *phi_c, const double *dphi_c, double cum_a) {
  uint32_t &count = tail ? tail_n : (ascending ? fwd_up : fwd_down);
  if (tail) {
    // Where F + I overflows (an exponential far up the blow-up) the integrand is 0 and so is
    // the remaining phase: such segments next to y = 0 are one segment, of phase 0 (its cum
    // flat; the loader's check allows that for the first segment only).
    bool zero = cum_a == 0;
    for (uint32_t j = 0; j < K && zero; ++j) zero = rate_c[j] == 0;
    if (zero && count > 0 && tail_zero_) {
      if (out_) out_[lay.tail_breaks + count] = b;
      return true;
    }
    tail_zero_ = zero;
  }
  if (!as_planned(count, tail ? kTail : (ascending ? kFwdUp : kFwdDown))) return false;
  if (count >= kMaxSegments) {
    set_error(err_, TableStatus::kTooLarge,
              "the table needs more than %u segments (drive %.17g): F + I is nearly zero "
              "somewhere or the voltage range is very wide",
              kMaxSegments, p_.drive);
    return false;
  }
  uint32_t idx = tail ? count : (ascending ? fwd_lower_ + count : fwd_lower_ - 1 - count);
  ++count;
  if (!out_) return true;
  double *breaks = out_ + (tail ? lay.tail_breaks : lay.fwd_breaks);
  double *rc = out_ + (tail ? lay.tail_g : lay.fwd_rate) + size_t{idx} * K;
  double *pc = out_ + (tail ? lay.tail_s : lay.fwd_phi) + size_t{idx} * KI;
  double *dc = out_ + (tail ? lay.tail_sd : lay.fwd_dphi) + size_t{idx} * KI;
  breaks[idx] = a;
  breaks[idx + 1] = b;
  std::memcpy(rc, rate_c, K * sizeof(double));
  std::memcpy(pc, phi_c, KI * sizeof(double));
  std::memcpy(dc, dphi_c, KI * sizeof(double));
  if (tail) {
    double *cum = out_ + lay.tail_cum;
    cum[idx] = cum_a;
    cum[idx + 1] = cum_a + 2 * [&] {
      double odd = 0;
      for (uint32_t j = 1; j <= K; j += 2) odd += phi_c[j];
      return odd;
    }();
  }
  return true;
}

// V(phi) on [pa, pb], the image of the forward segment [a, b] with series phi_c (rate_c its
// derivative in V).
bool Builder::invert(const double *phi_c, const double *rate_c, double a, double b, double pa,
                     double pb, bool ascending) {
  Bisection spans(ascending);
  spans.start(pa, pb);
  const double vmid = 0.5 * (a + b), vh = 0.5 * (b - a);
  while (!spans.empty()) {
    const Span s = spans.pop();
    const double mid = 0.5 * (s.a + s.b), h = 0.5 * (s.b - s.a);
    // The values' own rounding sets the scale: |V|, and G |phi| (a phase rounded by one unit
    // moves V by G units of the phase).
    const double phase_scale = std::fabs(s.a) > std::fabs(s.b) ? std::fabs(s.a) : std::fabs(s.b);
    // The series is of V - vmid (added back into c[0]): the coefficients' rounding is then
    // relative to the segment's width, not to |V| (it matters where G is small, as a rounding
    // of V moves the phase by it over G).
    double dv[K], c[K], scale = std::fabs(vmid), vmin = INFINITY, vmax = -INFINITY;
    for (uint32_t k = 0; k < K; ++k) {
      const double t = solve_increasing(phi_c, rate_c, vh, mid + h * node_[k]);
      dv[k] = vh * t;
      const double g_phase = phase_scale / cheb(rate_c, K, t);
      if (g_phase > scale) scale = g_phase;
      if (dv[k] < vmin) vmin = dv[k];
      if (dv[k] > vmax) vmax = dv[k];
    }
    if (vmax - vmin > scale) scale = vmax - vmin;
    coefficients(dv, c);
    c[0] += vmid;
    if (!converged(c, scale)) {
      const double m = s.a + 0.5 * (s.b - s.a);
      if (s.depth >= kMaxDepth || !(m > s.a && m < s.b)) {
        // (Most often a drive within rounding of the bifurcation: F + I all but touches 0, the
        // period is huge, and V hardly moves over most of it. Say so, with EIF's boundary.)
        const double g = rate(vmid);
        char boundary[48] = " (where F + I touches 0)";
        if (p_.kind == TableKind::kEif)
          // (The gap, not V_T - D_T: that difference rounded to 17 digits, 0.90000000000000002
          // with the defaults, read as equal to a drive just above it.)
          std::snprintf(boundary, sizeof boundary, " (I - (V_T - D_T) = %.3g)",
                        (p_.drive - p_.v_t) + p_.delta_t);
        if (g < 1e-6 * std::fmax(std::fmax(1.0, std::fabs(p_.drive)), std::fabs(vmid)))
          set_error(err_, TableStatus::kUnresolved,
                    "V(phi) not tabulated to rounding near V = %.6g: F + I = %.3g there, the "
                    "drive %.17g too close above the bifurcation%s",
                    vmid, g, p_.drive, boundary);
        else
          set_error(err_, TableStatus::kUnresolved,
                    "V(phi) could not be tabulated to rounding near V = %.17g (drive %.17g)", vmid,
                    p_.drive);
        return false;
      }
      spans.split(m, s.depth);
      continue;
    }
    spans.finish();
    uint32_t &count = ascending ? inv_up : inv_down;
    if (!as_planned(count, ascending ? kInvUp : kInvDown)) return false;
    if (count >= kMaxSegments) {
      set_error(err_, TableStatus::kTooLarge,
                "the inverse table needs more than %u segments (drive %.17g)", kMaxSegments,
                p_.drive);
      return false;
    }
    const uint32_t idx = ascending ? inv_lower_ + count : inv_lower_ - 1 - count;
    ++count;
    if (out_) {
      double *breaks = out_ + lay.inv_breaks;
      breaks[idx] = s.a;
      breaks[idx + 1] = s.b;
      std::memcpy(out_ + lay.inv_v + size_t{idx} * K, c, K * sizeof(double));
    }
  }
  return true;
}

bool check_params(const TableParams &p, TableError *err) {
  auto bad = [&](const char *field, double value, const char *rule) {
    set_error(err, TableStatus::kArgument, "%s = %.17g: %s", field, value, rule);
    return false;
  };
  const double kBig = 1e100;
  if (!(std::fabs(p.drive) <= kBig)) return bad("drive", p.drive, "must be finite, |I| <= 1e100");
  if (!(std::fabs(p.v_reset) <= kBig))
    return bad("v_reset", p.v_reset, "must be finite, |V_r| <= 1e100");
  if (!(p.v_spike > p.v_reset) || (p.v_spike < INFINITY && !(p.v_spike <= kBig)))
    return bad("v_spike", p.v_spike, "must be above v_reset: at most 1e100, or +INFINITY");
  if (p.kind == TableKind::kEif) {
    if (!(p.delta_t > 1e-100 && p.delta_t <= kBig))
      return bad("delta_t", p.delta_t, "must be finite and > 0 (1e-100 to 1e100)");
    if (!(std::fabs(p.v_t) <= kBig)) return bad("v_t", p.v_t, "must be finite, |V_T| <= 1e100");
  } else if (p.kind == TableKind::kCustom) {
    if (!p.f) {
      set_error(err, TableStatus::kArgument, "f = NULL: a custom model needs F");
      return false;
    }
    if (!std::isnan(p.v_min) && !(p.v_min < p.v_reset && p.v_min >= -kBig))
      return bad("v_min", p.v_min, "must be below v_reset (at least -1e100), or NaN");
  } else {
    set_error(err, TableStatus::kArgument, "kind = %u: not a tabulated model",
              static_cast<unsigned>(p.kind));
    return false;
  }
  return true;
}

bool Builder::run(Table *hd) {
  const TableParams &p = p_;
  const bool blowup = !(p.v_spike < INFINITY);
  double lo, hi, tail_c = 0;
  if (p.kind == TableKind::kEif) {
    const double D = p.delta_t;
    // G is convex with its minimum at V_T: positive everywhere below the spike or refused.
    const double vmin_g = blowup || p.v_t < p.v_spike ? p.v_t : p.v_spike;
    const double gmin = eif_rate(vmin_g, p.drive, D, p.v_t);
    if (!(gmin > 0)) {
      const double g_reset = eif_rate(p.v_reset, p.drive, D, p.v_t);
      if (!(g_reset > 0) || vmin_g >= p.v_reset)
        set_error(err_, TableStatus::kExcitable,
                  "EIF with drive %.17g: -V + I + D_T exp((V - V_T)/D_T) has its minimum "
                  "%.17g <= 0 at V = %.17g, so the neuron is excitable (needs I > V_T - D_T = "
                  "%.17g)",
                  p.drive, gmin, vmin_g, p.v_t - D);
      else
        set_error(err_, TableStatus::kExcitable,
                  "EIF with drive %.17g: F + I has a zero below reset (minimum %.17g at V = "
                  "%.17g), where inhibition could hold the neuron (needs I > V_T - D_T = %.17g)",
                  p.drive, gmin, vmin_g, p.v_t - D);
      return false;
    }
    if (eif_too_close(p.drive, p.v_t, D, p.v_spike, TableStatus::kUnresolved, err_)) return false;
    // A reset already in the series' range: the whole period is the series from the reset
    // (less its part beyond a finite v_spike), and one below the engine's resolution is
    // refused as such, before the fits. (With D_T = 0.1 a reset above about 38 was otherwise
    // refused by the fit, as SP_ERR_UNSUPPORTED "F + I nearly zero", and above about 75 as too
    // far above v_t: an outside tester's finding. The period there is e^-(v_reset - V_T)/D_T.)
    const double c = (p.drive - p.v_t) / D;
    // Where the series converges fast enough to stand for the rest: u max(1, |L|) small.
    auto in_tail = [](double u, double L) {
      return u * (std::fabs(L) > 1 ? std::fabs(L) : 1) <= kTailSmall;
    };
    {
      const double log_u = -(p.v_reset - p.v_t) / D, u = std::exp(log_u);
      if (in_tail(u, c + log_u)) {
        const double us = std::exp(-(p.v_spike - p.v_t) / D);
        const double rest = eif_remain(u, c) - eif_remain(us, c);
        if (!(rest >= 0x1p-30)) {
          set_error(err_, TableStatus::kPeriod,
                    "the free period (%.17g tau, from v_reset = %.17g) is below the time "
                    "resolution 2^-30 tau",
                    rest, p.v_reset);
          return false;
        }
      }
    }
    lo = p.v_t - kLinearBelow * D;
    if (p.v_reset < lo) lo = p.v_reset;
    // The start of the series tail: the largest u = exp(-(V - V_T)/D_T) (halving from
    // kTailSmall) with u max(1, |L|) <= kTailSmall, above reset.
    double tail_hi = NAN;
    for (double u = kTailSmall; u > 1e-300; u *= 0.5) {
      const double v = p.v_t - D * std::log(u);
      if (in_tail(u, c + std::log(u)) && v > p.v_reset) {
        tail_hi = v;
        break;
      }
    }
    if (blowup && std::isnan(tail_hi)) {
      set_error(err_, TableStatus::kArgument,
                "v_reset = %.17g: too far above v_t = %.17g for delta_t = %.17g", p.v_reset, p.v_t,
                D);
      return false;
    }
    // A finite v_spike beyond the tail's start is reached by the same series, less the part
    // beyond v_spike (Table::phase): tabulated up to v_spike, the phase of the steep end would
    // move by less than its rounding from one segment to the next (with D_T = 0.1, v_spike
    // above about 4.7 was refused).
    if (blowup || p.v_spike > tail_hi) {
      hi = tail_hi;
      tail_c = c;
    } else {
      hi = p.v_spike;
    }
  } else {
    const double width = blowup ? (std::fabs(p.v_reset) > 1 ? std::fabs(p.v_reset) : 1.0)
                                : p.v_spike - p.v_reset;
    // The fits' nodes never fall on a segment's end (ends_agree compares the ends but skips
    // those where G is not positive and finite): the reset and a finite threshold are checked
    // here (G(V_spike) = 0 is the excitable boundary, where the period is infinite).
    const double ends[2] = {p.v_reset, p.v_spike};
    for (int i = 0; i < (blowup ? 1 : 2); ++i) {
      const double g = rate(ends[i]);
      if (g == INFINITY) {
        set_error(err_, TableStatus::kUnresolved,
                  "F(V) + I overflows to +inf at V = %.17g (drive %.17g, the %s): F rises too "
                  "steeply there",
                  ends[i], p.drive, i ? "threshold" : "reset");
        return false;
      }
      if (g != g) {
        set_error(err_, TableStatus::kUnresolved,
                  "F(V) + I = nan at V = %.17g (drive %.17g, the %s): F must return finite "
                  "values",
                  ends[i], p.drive, i ? "threshold" : "reset");
        return false;
      }
      if (!(g > 0)) {
        set_error(err_, TableStatus::kExcitable,
                  "F(V) + I = %.17g at V = %.17g (drive %.17g, the %s): not positive, so the "
                  "neuron is excitable (it does not fire on its own)",
                  g, ends[i], p.drive, i ? "threshold" : "reset");
        return false;
      }
    }
    lo = std::isnan(p.v_min) ? p.v_reset - 16 * width : p.v_min;
    hi = blowup ? (p.v_reset > 0 ? p.v_reset : 0.0) + width : p.v_spike;
    if (blowup) {
      // An F far steeper than V^2 (an exponential) makes the phase saturate below that hi: the
      // inverse's segments would span less than their own rounding. hi moves down, halving its
      // distance from max(v_reset, 0) (the tail's y = 1/V needs it above) at most 20 times,
      // until F + I there is at most kTailStartRate times its size at reset (EIF's own tail
      // starts near 1e4 D_T); the tail takes the rest. (F = V^2 keeps its hi for any reset.)
      const double base = p.v_reset > 0 ? p.v_reset : 0.0;
      for (int i = 0; i < 20 && steep_tail_start(p, hi); ++i) {
        const double next = base + 0.5 * (hi - base);
        if (!(next > base && next > p.v_reset)) break;
        hi = next;
      }
    }
    if (!(lo > -INFINITY && hi < INFINITY)) {
      set_error(err_, TableStatus::kArgument,
                "v_reset = %.17g, v_spike = %.17g: the tabulated range does not fit in doubles",
                p.v_reset, p.v_spike);
      return false;
    }
  }

  double phi_hi, dphi_hi, phi_lo = 0, dphi_lo = 0;
  if (!sweep(p.v_reset, hi, true, false, 0, 0, &phi_hi, &dphi_hi)) return false;
  if (lo < p.v_reset && !sweep(lo, p.v_reset, false, false, 0, 0, &phi_lo, &dphi_lo)) return false;
  double period = phi_hi, dperiod = dphi_hi;
  if (p.kind == TableKind::kEif && hi < p.v_spike) {
    // The series from hi on, less its part beyond a finite v_spike (0 for the blow-up).
    const EifBeyond b = eif_beyond(hi, p.v_spike, p.v_t, p.delta_t, tail_c);
    period = phi_hi + b.phase;
    dperiod = dphi_hi - b.dphase;
  } else if (blowup) {
    double s_end, sd_end;
    // (The tail spans y in [0, 1/hi]: an integrand of size floor * hi there adds up to floor.)
    tail_floor1_ = 0x1p-10 * std::fabs(phi_hi) * hi;
    tail_floor2_ = 0x1p-10 * std::fabs(dphi_hi) * hi;
    if (!sweep(0, 1 / hi, true, true, 0, 0, &s_end, &sd_end)) return false;
    period = phi_hi + s_end;
    dperiod = dphi_hi - sd_end;
  }
  if (!(period < INFINITY && dperiod > -INFINITY)) {
    set_error(err_, TableStatus::kPeriod, "the free period did not come out finite");
    return false;
  }
  // The engine's time resolution (kMinPeriodOverTau in core/network.hpp): refused here, in the
  // counting pass too, so that sp_network_memory refuses what creation refuses.
  if (!(period >= 0x1p-30)) {
    set_error(err_, TableStatus::kPeriod,
              "the free period (%.17g tau) is below the time resolution 2^-30 tau", period);
    return false;
  }
  if (hd) {
    hd->magic = kTableMagic;
    hd->kind = static_cast<uint32_t>(p.kind);
    hd->order = K;
    hd->n_fwd = fwd_up + fwd_down;
    hd->n_inv = inv_up + inv_down;
    hd->n_tail = tail_n;
    hd->reserved = 0;
    hd->drive = p.drive;
    hd->v_reset = p.v_reset;
    hd->v_spike = p.v_spike;
    hd->delta_t = p.kind == TableKind::kEif ? p.delta_t : 0;
    hd->v_t = p.kind == TableKind::kEif ? p.v_t : 0;
    hd->v_lo = lo;
    hd->v_hi = hi;
    hd->phi_lo = phi_lo;
    hd->phi_hi = phi_hi;
    hd->dphi_lo = dphi_lo;
    hd->period = period;
    hd->dperiod = dperiod;
    hd->tail_lo = p.kind == TableKind::kEif ? tail_c : blowup ? custom_tail_growth(p, hi) : 0.0;
  }
  return true;
}

}  // namespace

size_t table_bytes(const TableParams &p, TableError *err) {
  if (err) err->status = TableStatus::kOk, err->message[0] = 0, err->deferred = false;
  Finish finish{err};
  if (!check_params(p, err)) return 0;
  Builder count(p, nullptr, nullptr, err);
  if (!count.run(nullptr)) return 0;
  const Layout l = layout(count.fwd_up + count.fwd_down, count.inv_up + count.inv_down,
                          count.tail_n);
  return sizeof(Table) + l.total * sizeof(double);
}

const Table *table_build(const TableParams &p, void *mem, size_t bytes, TableError *err) {
  if (err) err->status = TableStatus::kOk, err->message[0] = 0, err->deferred = false;
  Finish finish{err};
  if (!check_params(p, err)) return nullptr;
  // The counting pass tells where the sweep below reset starts writing. (Its builder is gone
  // before the writing one is made: the two never share the stack.)
  uint32_t planned[5];
  {
    Builder count(p, nullptr, nullptr, err);
    if (!count.run(nullptr)) return nullptr;
    const uint32_t counted[5] = {count.fwd_up, count.fwd_down, count.inv_up, count.inv_down,
                                 count.tail_n};
    std::memcpy(planned, counted, sizeof planned);
  }
  const uint32_t n_fwd = planned[0] + planned[1], n_inv = planned[2] + planned[3];
  const Layout l = layout(n_fwd, n_inv, planned[4]);
  if (!mem || bytes != sizeof(Table) + l.total * sizeof(double) ||
      reinterpret_cast<uintptr_t>(mem) % alignof(double) != 0) {
    set_error(err, TableStatus::kArgument,
              "table memory: %zu bytes, %zu needed (measured with other values of F? F must be "
              "deterministic)",
              bytes, sizeof(Table) + l.total * sizeof(double));
    return nullptr;
  }
  Table *t = static_cast<Table *>(mem);
  const uint32_t lower[2] = {planned[1], planned[3]};
  Builder build(p, reinterpret_cast<double *>(t + 1), lower, err);
  build.lay = l;
  build.planned = planned;
  if (!build.run(t)) return nullptr;
  const uint32_t made[5] = {build.fwd_up, build.fwd_down, build.inv_up, build.inv_down,
                            build.tail_n};
  if (std::memcmp(made, planned, sizeof made) != 0) {  // (fewer: parts of the block unwritten)
    refuse_nondeterministic(p, err);
    return nullptr;
  }
  // A built table must pass the loader's check, or a saved network would not load: with
  // extreme parameters (e.g. D_T = 1e13, F nearly linear) rounding can leave a segment that
  // the check refuses, and creation refuses it here instead.
  TableError check{};
  if (!table_check(t, bytes, &check)) {
    if (p.kind == TableKind::kCustom && !(p.v_spike < INFINITY) && steep_tail_start(p, t->v_hi))
      // (A custom blow-up whose F + I is still steep where the tail must start, just above
      // max(v_reset, 0): say so, as that is what the user can change.)
      refuse_own_check(err,
                       "at V = %.3g, the start of the tail to +inf, where F + I = %.3g: F rises "
                       "too steeply this close to 0; shift V up or give a finite v_spike (%s)",
                       t->v_hi, rate_from_f(p, t->v_hi), check.message);
    else if (p.kind == TableKind::kCustom && p.v_spike < INFINITY && steep_tail_start(p, p.v_spike))
      // (A finite threshold far up a steep F: the phase's last segments move by less than its
      // rounding.)
      refuse_own_check(err,
                       "near v_spike = %.6g: F + I = %.3g there (%.3g at reset), so the phase "
                       "moves by less than its rounding; lower v_spike, or make it +INFINITY if "
                       "F blows up (%s)",
                       p.v_spike, rate_from_f(p, p.v_spike), rate_from_f(p, p.v_reset),
                       check.message);
    else if (double v, g; rate_extreme(p, t, &v, &g))
      // (F + I infinite, not positive or nearly zero somewhere between the samples the build
      // takes: say where, which is what the user can look at.)
      refuse_own_check(err,
                       "near V = %.6g, where F + I = %.3g (%.3g at reset): F + I must be positive, "
                       "not nearly zero, and finite below a blow-up's tail (%s)",
                       v, g, rate_from_f(p, p.v_reset), check.message);
    else
      refuse_own_check(err, "(%s)", check.message);
    return nullptr;
  }
  return t;
}

const Table *table_check(const void *mem, size_t bytes, TableError *err) {
  if (err) err->status = TableStatus::kOk, err->message[0] = 0, err->deferred = false;
  Finish finish{err};
  auto bad = [&](const char *what) {
    set_error(err, TableStatus::kArgument, "table: %s", what);
    return nullptr;
  };
  if (!mem || bytes < sizeof(Table) || reinterpret_cast<uintptr_t>(mem) % alignof(double) != 0)
    return bad("too short or misaligned");
  const Table *t = static_cast<const Table *>(mem);
  if (t->magic != kTableMagic) return bad("wrong magic number");
  if (t->kind != static_cast<uint32_t>(TableKind::kEif) &&
      t->kind != static_cast<uint32_t>(TableKind::kCustom))
    return bad("kind: not 1 (EIF) or 2 (custom)");
  if (t->order != K) return bad("order: built with another order");
  if (t->reserved != 0) return bad("reserved: not 0");
  if (t->n_fwd == 0 || t->n_inv == 0 || t->n_fwd > 2 * kMaxSegments ||
      t->n_inv > 2 * kMaxSegments || t->n_tail > kMaxSegments)
    return bad("segment counts (n_fwd, n_inv, n_tail) out of range");
  const Layout l = layout(t->n_fwd, t->n_inv, t->n_tail);
  if (bytes != sizeof(Table) + l.total * sizeof(double)) return bad("size does not match counts");
  const bool blowup = !(t->v_spike < INFINITY);
  if (t->kind == static_cast<uint32_t>(TableKind::kEif) && !(t->delta_t > 0))
    return bad("delta_t: not positive");
  if (blowup && t->kind == static_cast<uint32_t>(TableKind::kCustom) && t->n_tail == 0)
    return bad("n_tail = 0: a custom model that blows up (v_spike +inf) needs its tail");
  const double scalars[] = {t->drive,  t->v_reset, t->delta_t, t->v_t,    t->v_lo,    t->v_hi,
                            t->phi_lo, t->phi_hi,  t->dphi_lo, t->period, t->dperiod, t->tail_lo};
  for (double x : scalars)
    if (!std::isfinite(x)) return bad("a non-finite parameter");
  if (t->kind == static_cast<uint32_t>(TableKind::kEif) &&
      eif_too_close(t->drive, t->v_t, t->delta_t, t->v_spike, TableStatus::kArgument, err))
    return nullptr;
  if (t->kind == static_cast<uint32_t>(TableKind::kCustom) &&
      !(blowup ? t->tail_lo >= 0 || t->tail_lo == -1 : t->tail_lo == 0))
    return bad("tail_lo: a custom model's growth at infinity is -1 or >= 0 (0 without blow-up)");
  if (!(t->v_lo <= t->v_reset && t->v_reset < t->v_hi && t->phi_lo <= 0 && t->phi_hi > 0 &&
        t->period >= t->phi_hi &&
        (blowup || t->v_hi == t->v_spike ||
         (t->kind == static_cast<uint32_t>(TableKind::kEif) && t->v_hi < t->v_spike))))
    return bad("inconsistent ranges");
  // EIF's series constant is L's, (I - V_T)/D_T, wherever the series is used (above v_hi), and
  // 0 when v_hi is a finite v_spike.
  if (t->kind == static_cast<uint32_t>(TableKind::kEif) &&
      t->tail_lo != (t->v_hi < t->v_spike ? (t->drive - t->v_t) / t->delta_t : 0.0))
    return bad("tail_lo: not EIF's series constant (drive - v_t)/delta_t");
  const double *a = arrays(t);
  for (size_t i = 0; i < l.total; ++i)
    if (!std::isfinite(a[i])) return bad("a non-finite coefficient");
  auto increasing = [](const double *b, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
      if (!(b[i] < b[i + 1])) return false;
    return true;
  };
  if (!increasing(a + l.fwd_breaks, t->n_fwd) || a[l.fwd_breaks] != t->v_lo ||
      a[l.fwd_breaks + t->n_fwd] != t->v_hi)
    return bad("voltage break points not increasing from v_lo to v_hi");
  if (!increasing(a + l.inv_breaks, t->n_inv) || a[l.inv_breaks] != t->phi_lo ||
      a[l.inv_breaks + t->n_inv] != t->phi_hi)
    return bad("phase break points not increasing from phi_lo to phi_hi");
  // (The first tail segment's remaining phase may be 0 throughout: F + I overflowed there.)
  const double *tail_cum = a + l.tail_cum;
  if (t->n_tail &&
      (!increasing(a + l.tail_breaks, t->n_tail) || a[l.tail_breaks] != 0 || tail_cum[0] != 0 ||
       !(tail_cum[1] >= 0) || !increasing(tail_cum + 1, t->n_tail - 1)))
    return bad("tail break points not increasing");
  // The values (a crafted block passes the checks above with any coefficients): on every
  // segment phi(V) and V(phi) increase from end to end and follow on from the previous
  // segment's end, and 1/G is positive at both ends, so that look-ups are monotone where the
  // break points are and a kick can never move a phase backwards by more than rounding.
  // Inside a segment the ends say nothing, but |p(t)| <= sum_j |c_j| on [-1, 1]; a monotone
  // function's Chebyshev coefficients are bounded by its variation (|c_j| <= (2/pi) V_f / j,
  // sum_j |c_j| below max(|p(-1)|, |p(1)|) + 3 V_f for 20 terms), so a sum above that with a
  // margin marks a series that is not the fit of a monotone function: its values inside would
  // be unbounded (one flipped exponent bit made a phase -8e302, and the network then saved a
  // state no load accepts, an outside client's finding).
  auto abs_sum = [](const double *c, uint32_t n) {
    double sum = 0;
    for (uint32_t j = 0; j < n; ++j) sum += std::fabs(c[j]);
    return sum;
  };
  // (Plus 64 ulps of the larger end: a segment whose own variation is below the rounding of
  // the value it starts from, e.g. d phi/dI of 2.5e12 after an EIF bottleneck changing by 1e-4
  // over a segment, has coefficients of about that rounding beside ends that agree to the last
  // bit; without the allowance it was refused at drives 7e-11 (|I| + |V_T| + D_T) above the
  // bifurcation, between drives either side that were accepted.)
  auto bounded = [&](const double *c, uint32_t n, double lo, double hi, double floor = 0) {
    const double end = std::fmax(std::fabs(lo), std::fabs(hi));
    return abs_sum(c, n) <= end * (1 + 64 * DBL_EPSILON) + 4 * std::fabs(hi - lo) + floor;
  };
  // How far a segment may start below the previous one's end: 1e-9 relative, or the rounding
  // of the two series' sums at the join (64 ulps of their coefficients' size). A join at 0
  // between segments worth 1e7 (a constant F with v_spike = 1e7 and its clamp region below the
  // reset) has ends of 1.9e-9 and 4.5e-11 where both are 0: refused as not increasing, for
  // v_spike from 1e7 on, until the slack scaled with the series (the model-family audit).
  auto join_slack = [](double last, double mag_last, double mag) {
    return std::fmax(1e-9 * (1 + std::fabs(last)), 64 * DBL_EPSILON * std::fmax(mag_last, mag));
  };
  double last = -INFINITY, last_mag = 0;
  for (uint32_t i = 0; i < t->n_fwd; ++i) {
    const double *p = a + l.fwd_phi + size_t{i} * KI, *g = a + l.fwd_rate + size_t{i} * K;
    const double *dp = a + l.fwd_dphi + size_t{i} * KI;
    const double lo = cheb(p, KI, -1), hi = cheb(p, KI, 1), mag = abs_sum(p, KI);
    if (!(lo < hi) || !(lo >= last - join_slack(last, last_mag, mag)) || !bounded(p, KI, lo, hi))
      return bad("phase not increasing with the voltage");
    if (!bounded(dp, KI, cheb(dp, KI, -1), cheb(dp, KI, 1)))
      return bad("d phi/dI series not bounded by its ends");
    if (!(cheb(g, K, -1) > 0 && cheb(g, K, 1) > 0)) return bad("a rate F + I that is not positive");
    last = hi;
    last_mag = mag;
  }
  last = -INFINITY;
  last_mag = 0;
  for (uint32_t i = 0; i < t->n_inv; ++i) {
    const double *v = a + l.inv_v + size_t{i} * K;
    const double lo = cheb(v, K, -1), hi = cheb(v, K, 1), mag = abs_sum(v, K);
    // (A segment may start below the previous one's end by what a few units of the phase at
    // the join are worth in V: near a saddle-node the phases reach thousands, and where V
    // then climbs steeply, one unit of phase moves V by far more than 1e-9.)
    const double join = a[l.inv_breaks + i], width = a[l.inv_breaks + i + 1] - join;
    const double unit = ulp_of(join);
    const double slack = std::fmax(join_slack(last, last_mag, mag), 8 * unit * (hi - lo) / width);
    if (!(lo < hi) || !(lo >= last - slack) || !bounded(v, K, lo, hi))
      return bad("voltage not increasing with the phase");
    last = hi;
    last_mag = mag;
  }
  // The custom tail: the remaining phase on each segment runs from the cumulative value at its
  // start to the next, within the rounding of those sums (the fit is to an absolute floor, a
  // fraction of the phase: the same allowance bounds its coefficients). (Its 1/G and drive
  // parts only enter gradients, where a non-finite result is refused by sp_backward.)
  const double tail_tol = 1e-9 * (1 + std::fabs(t->period));
  for (uint32_t i = 0; i < t->n_tail; ++i) {
    const double *s = a + l.tail_s + size_t{i} * KI;
    const double lo = cheb(s, KI, -1), hi = cheb(s, KI, 1);
    if (!(std::fabs(lo - tail_cum[i]) <= tail_tol && std::fabs(hi - tail_cum[i + 1]) <= tail_tol &&
          bounded(s, KI, lo, hi, tail_tol)))
      return bad("tail series not between its break points' remaining phases");
  }
  // The header's summaries against the series they summarise (table_build derives them so):
  // the reset at phase 0 with d phi/dI 0 (the series are integrals from it), phi_lo and dphi_lo
  // the forward series' start, phi_hi its end, and period and dperiod that end plus the part
  // beyond v_hi (EIF's closed series, a custom blow-up's tail, which ends at y = 1/v_hi, or
  // nothing where v_hi is a finite v_spike, which has no tail). Without this a crafted period
  // of 1e308 loaded and made the loader's key tolerance, which grows with the period, accept
  // any key, and a crafted dperiod gave drive gradients of 1e306 (an outside reader of the
  // format). Each comparison allows 1e-9 of its scale plus 64 ulps of the coefficients it
  // sums (a phi_lo of -8.5e6 beside a period of 1 differs from its series by an ulp or two,
  // which 1e-9 of the period alone refused: an outside review).
  const bool custom_blowup = t->kind == static_cast<uint32_t>(TableKind::kCustom) && blowup;
  if (t->n_tail && !custom_blowup)
    return bad("n_tail: only a custom model that blows up (v_spike +inf) has a tail");
  if (t->n_tail && a[l.tail_breaks + t->n_tail] != 1 / t->v_hi)
    return bad("tail break points: the last is not 1/v_hi");
  {
    const uint32_t last_fwd = t->n_fwd - 1;
    double tt;
    const uint32_t r = locate(a + l.fwd_breaks, t->n_fwd, t->v_reset, &tt);
    const double *reset_phi = a + l.fwd_phi + size_t{r} * KI;
    const double *reset_dphi = a + l.fwd_dphi + size_t{r} * KI;
    const double *first_phi = a + l.fwd_phi, *first_dphi = a + l.fwd_dphi;
    const double *last_phi = a + l.fwd_phi + size_t{last_fwd} * KI;
    const double *last_dphi = a + l.fwd_dphi + size_t{last_fwd} * KI;
    const double phi_reset = cheb(reset_phi, KI, tt), dphi_reset = cheb(reset_dphi, KI, tt);
    const double phi_end = cheb(last_phi, KI, 1), dphi_end = cheb(last_dphi, KI, 1);
    double beyond = 0, dbeyond = 0;          // the phase from v_hi to the spike, and its drive part
    double beyond_mag = 0, dbeyond_mag = 0;  // the coefficients they sum
    if (t->v_hi < t->v_spike && t->kind == static_cast<uint32_t>(TableKind::kEif)) {
      const EifBeyond b = eif_beyond(t->v_hi, t->v_spike, t->v_t, t->delta_t, t->tail_lo);
      beyond = b.phase, dbeyond = b.dphase;
    } else if (t->n_tail) {
      const double *s = a + l.tail_s + size_t{t->n_tail - 1} * KI;
      const double *sd = a + l.tail_sd + size_t{t->n_tail - 1} * KI;
      beyond = cheb(s, KI, 1), dbeyond = cheb(sd, KI, 1);
      beyond_mag = abs_sum(s, KI), dbeyond_mag = abs_sum(sd, KI);
    }
    // (Each scale is the size of what is compared, never a sum with unrelated terms: a
    // tolerance of 1e-9 (1 + |period|) let a period of 1e-7 move by 1%, and one that counted
    // |dphi_lo| in dperiod's let dperiod move by 3e4 where dphi_lo was 3.5e13: the second
    // review. The 64 ulps of the summed coefficients, at least 64 ulps of either end, cover
    // the ulp or two by which a large phi_lo differs from its series.)
    const double period = std::fabs(t->period), dperiod = std::fabs(t->dperiod);
    auto agree = [&](double x, double y, double scale, double mag) {
      return std::fabs(x - y) <= 1e-9 * scale + 64 * DBL_EPSILON * mag;
    };
    if (!(agree(phi_reset, 0, period, abs_sum(reset_phi, KI)) &&
          agree(dphi_reset, 0, dperiod, abs_sum(reset_dphi, KI)))) {
      set_error(err, TableStatus::kArgument,
                "table: v_reset = %.17g: the series give phase %.17g and d phi/dI %.17g there, "
                "not 0 (the reset is where they start)",
                t->v_reset, phi_reset, dphi_reset);
      return nullptr;
    }
    const char *what = nullptr;
    double value = 0, series = 0;
    const double phi_start = cheb(first_phi, KI, -1), dphi_start = cheb(first_dphi, KI, -1);
    const double dperiod_series = dphi_end - dbeyond;
    if (!agree(phi_start, t->phi_lo, period, abs_sum(first_phi, KI)))
      what = "phi_lo", value = t->phi_lo, series = phi_start;
    else if (!agree(dphi_start, t->dphi_lo, std::fmax(std::fabs(t->dphi_lo), std::fabs(dphi_start)),
                    abs_sum(first_dphi, KI)))
      what = "dphi_lo", value = t->dphi_lo, series = dphi_start;
    else if (!agree(phi_end, t->phi_hi, period, abs_sum(last_phi, KI)))
      what = "phi_hi", value = t->phi_hi, series = phi_end;
    else if (!agree(phi_end + beyond, t->period, period, abs_sum(last_phi, KI) + beyond_mag))
      what = "period", value = t->period, series = phi_end + beyond;
    else if (!agree(dperiod_series, t->dperiod, std::fmax(dperiod, std::fabs(dperiod_series)),
                    abs_sum(last_dphi, KI) + dbeyond_mag))
      what = "dperiod", value = t->dperiod, series = dperiod_series;
    if (what) {
      set_error(err, TableStatus::kArgument,
                "table: %s = %.17g: the series give %.17g (a header that does not summarise "
                "its series)",
                what, value, series);
      return nullptr;
    }
  }
  return t;
}

size_t table_block_bytes(const Table &t) {
  return sizeof(Table) + layout(t.n_fwd, t.n_inv, t.n_tail).total * sizeof(double);
}

double rate_from_f(const TableParams &p, double v) {
  return p.kind == TableKind::kEif ? eif_rate(v, p.drive, p.delta_t, p.v_t)
                                   : p.f(v, p.ctx) + p.drive;
}

// ---------------------------------------------------------------------------------------
// Queries

namespace {
struct View {
  const Table *t;
  Layout l;
  const double *a;
  explicit View(const Table *table)
      : t(table), l(layout(table->n_fwd, table->n_inv, table->n_tail)), a(arrays(table)) {}
  bool eif() const { return t->kind == static_cast<uint32_t>(TableKind::kEif); }
  // EIF: the series' part beyond a finite v_spike, and its drive part (0 for the blow-up).
  double eif_end() const { return eif_remain(spike_u(), t->tail_lo); }
  double eif_end_d() const { return eif_remain_d(spike_u(), t->tail_lo, t->delta_t); }
  double spike_u() const { return std::exp(-(t->v_spike - t->v_t) / t->delta_t); }
  // The remaining phase and its drive part at y = 1/V in the custom tail.
  double tail_value(double y, size_t which) const {
    if (!(y > 0)) return 0;
    double tt;
    const uint32_t i = locate(a + l.tail_breaks, t->n_tail, y, &tt);
    return cheb(a + which + size_t{i} * KI, KI, tt);
  }
  double tail_inverse(double s) const {
    if (!(s > 0)) return 0;
    double unused;
    const double *cum = a + l.tail_cum;
    const uint32_t n = t->n_tail;
    if (s >= cum[n]) return a[l.tail_breaks + n];
    const uint32_t i = locate(cum, n, s, &unused);
    const double *br = a + l.tail_breaks;
    const double h = 0.5 * (br[i + 1] - br[i]);
    const double tt = solve_increasing(a + l.tail_s + size_t{i} * KI, a + l.tail_g + size_t{i} * K,
                                       h, s);
    return 0.5 * (br[i] + br[i + 1]) + h * tt;
  }
};
}  // namespace

double Table::phase(double v) const {
  const View w(this);
  if (v != v) return v;
  if (v < v_lo) {
    // (EIF below v_lo is LIF's closed form. Its voltage saturates at -DBL_MAX (voltage(), below)
    // and its phase at phi_lo - log1p(DBL_MAX): a phase or a V + w beyond them, which only a
    // crafted saved state reaches, would otherwise make the state -inf.)
    if (w.eif()) {
      const double r = (v_lo - (v > -DBL_MAX ? v : -DBL_MAX)) / (drive - v_lo);
      return phi_lo - std::log1p(r < DBL_MAX ? r : DBL_MAX);
    }
    return phi_lo;
  }
  if (v <= v_hi) {
    double t;
    const uint32_t i = locate(w.a + w.l.fwd_breaks, n_fwd, v, &t);
    return cheb(w.a + w.l.fwd_phi + size_t{i} * KI, KI, t);
  }
  if (!(v < v_spike && v_hi < v_spike)) return period;
  if (w.eif()) return period - (eif_remain(std::exp(-(v - v_t) / delta_t), tail_lo) - w.eif_end());
  return period - w.tail_value(1 / v, w.l.tail_s);
}

double Table::voltage(double phi) const {
  const View w(this);
  if (phi != phi) return phi;
  if (phi < phi_lo) {
    if (w.eif()) {
      const double v = v_lo - (drive - v_lo) * std::expm1(phi_lo - phi);
      return v > -DBL_MAX ? v : -DBL_MAX;  // (see phase())
    }
    return v_lo;
  }
  if (phi >= period) return v_spike;
  if (phi <= phi_hi) {
    double t;
    const uint32_t i = locate(w.a + w.l.inv_breaks, n_inv, phi, &t);
    return cheb(w.a + w.l.inv_v + size_t{i} * K, K, t);
  }
  if (!(v_hi < v_spike)) return v_spike;
  const double s = period - phi;
  if (w.eif()) {
    const double u = eif_remain_inverse(s + w.eif_end(), tail_lo);
    const double v = v_t - delta_t * std::log(u);
    return v > v_hi ? (v < v_spike ? v : v_spike) : v_hi;
  }
  const double y = w.tail_inverse(s);
  return y > 0 ? (1 / y > v_hi ? 1 / y : v_hi) : INFINITY;
}

double Table::dphase_ddrive(double v) const {
  const View w(this);
  if (v != v) return v;
  if (v < v_lo) {
    if (w.eif()) return dphi_lo - (v - v_lo) / ((drive - v) * (drive - v_lo));
    return dphi_lo;
  }
  if (v <= v_hi) {
    double t;
    const uint32_t i = locate(w.a + w.l.fwd_breaks, n_fwd, v, &t);
    return cheb(w.a + w.l.fwd_dphi + size_t{i} * KI, KI, t);
  }
  if (!(v < v_spike && v_hi < v_spike)) return dperiod;
  if (w.eif())
    return dperiod +
           (eif_remain_d(std::exp(-(v - v_t) / delta_t), tail_lo, delta_t) - w.eif_end_d());
  return dperiod + w.tail_value(1 / v, w.l.tail_sd);
}

double Table::blowup_ratio(double w) const {
  if (kind == static_cast<uint32_t>(TableKind::kEif)) return std::exp(-w / delta_t);
  if (w == 0 || tail_lo == 0) return 1.0;
  if (tail_lo < 0) return w > 0 ? 0.0 : INFINITY;
  return std::exp(-tail_lo * w);
}

double Table::rate(double v) const {
  const View w(this);
  if (w.eif()) return eif_rate(v, drive, delta_t, v_t);
  if (v != v) return v;
  if (v < v_lo) v = v_lo;
  if (v <= v_hi || v_spike < INFINITY) {
    if (v > v_hi) v = v_hi;
    double t;
    const uint32_t i = locate(w.a + w.l.fwd_breaks, n_fwd, v, &t);
    return 1 / cheb(w.a + w.l.fwd_rate + size_t{i} * K, K, t);
  }
  const double y = 1 / v;
  if (!(y > 0)) return INFINITY;
  double t;
  const uint32_t i = locate(w.a + w.l.tail_breaks, n_tail, y, &t);
  return 1 / (y * y * cheb(w.a + w.l.tail_g + size_t{i} * K, K, t));
}

}  // namespace sp
