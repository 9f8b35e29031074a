// A progress report on standard error about once a second, with an ETA.
#include "progress.hpp"

#include <cstdio>

#include "platform.hpp"

namespace spcli {

Progress::Progress(bool enabled, uint32_t n_neurons, bool terminal, double delay)
    : enabled_(enabled),
      terminal_(terminal),
      n_((double)n_neurons),
      delay_(delay),
      start_(monotonic_seconds()) {}

std::string format_duration(double seconds) {
  char buf[32];
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  long s = (long)(seconds + 0.5);
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%lds", s);
  else if (s < 3600)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  return buf;
}

void Progress::begin(const char *label, bool by_time, double total, double t_sim) {
  label_ = label;
  by_time_ = by_time;
  total_ = total;
  t0_ = t_sim;
  phase_wall_ = last_wall_ = enabled_ ? monotonic_seconds() : 0;
  last_done_ = 0;
  last_t_ = t_sim;
}

void Progress::update(uint64_t done, double t_sim) {
  if (!enabled_) return;
  double now = monotonic_seconds();
  if (now - start_ < delay_ || now - last_wall_ < 1.0) return;
  double frac = by_time_ ? (t_sim - t0_) / total_ : (double)done / total_;
  double dt = t_sim - last_t_;
  // The rate over the last interval: spikes per neuron per simulated second.
  double rate = dt > 0 ? (double)(done - last_done_) / (n_ * dt) : 0.0;
  // The ETA assumes the rest of the phase goes as fast as the phase so far.
  double elapsed = now - phase_wall_;
  std::string eta = frac > 0 ? format_duration(elapsed * (1 - frac) / frac) : "?";
  std::fprintf(stderr, "%s%s: %llu spikes (%.1f%%), %.3g Hz, ETA %s%s", terminal_ ? "\r" : "",
               label_, (unsigned long long)done, 100.0 * frac, rate, eta.c_str(),
               terminal_ ? "\033[K" : "\n");
  std::fflush(stderr);
  shown_ = true;
  last_wall_ = now;
  last_done_ = done;
  last_t_ = t_sim;
}

void Progress::clear() {
  if (!shown_ || !terminal_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace spcli
