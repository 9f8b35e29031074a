// A progress report on standard error about once a second, with an ETA: one line rewritten in
// place on a terminal, else (forced with --progress) one line per report.
#pragma once

#include <cstdint>
#include <string>

namespace spcli {

class Progress {
 public:
  // Disabled progress costs one branch per update. Nothing is shown during the first
  // `delay` seconds, so short runs print nothing. `terminal`: rewrite one line in place.
  Progress(bool enabled, uint32_t n_neurons, bool terminal = true, double delay = 2.0);
  ~Progress() { clear(); }

  // Starts a phase. total: spikes to run, or simulated seconds when by_time.
  void begin(const char *label, bool by_time, double total, double t_sim);
  // done: spikes in this phase so far; t_sim: the network's time now.
  void update(uint64_t done, double t_sim);
  // Erases the line if one was printed.
  void clear();

 private:
  bool enabled_;
  bool terminal_;
  double n_;
  double delay_;
  double start_;
  const char *label_ = "";
  bool by_time_ = false;
  double total_ = 0;
  double t0_ = 0;
  double phase_wall_ = 0;  // wall clock when the phase began
  double last_wall_ = 0;
  uint64_t last_done_ = 0;
  double last_t_ = 0;
  bool shown_ = false;
};

// "42s", "3m07s", "2h05m": a duration for the ETA.
std::string format_duration(double seconds);

}  // namespace spcli
