// A one-line progress report on standard error, rewritten in place about once a second.
#include "progress.hpp"

#include <cstdio>

#include "platform.hpp"

namespace spcli {

Progress::Progress(bool enabled, uint32_t n_neurons, double delay)
    : enabled_(enabled), n_((double)n_neurons), delay_(delay), start_(monotonic_seconds()) {}

void Progress::begin(const char *label, bool by_time, double total, double t_sim) {
  label_ = label;
  by_time_ = by_time;
  total_ = total;
  t0_ = t_sim;
  last_wall_ = enabled_ ? monotonic_seconds() : 0;
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
  std::fprintf(stderr, "\r%s: %llu spikes (%.1f%%), %.3g Hz\033[K", label_,
               (unsigned long long)done, 100.0 * frac, rate);
  std::fflush(stderr);
  shown_ = true;
  last_wall_ = now;
  last_done_ = done;
  last_t_ = t_sim;
}

void Progress::clear() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace spcli
