// Output of the run command: the spike CSV, the SVG raster plot and the summary table.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "cli.hpp"

namespace spcli {

// An output file opened up front, so a long run never ends in an unwritable path. With
// `deferred`, opening does not empty an existing file: begin() does, once every output of the
// command has opened (so that a refusal of the second leaves the first one's contents alone).
class OutputFile {
 public:
  explicit OutputFile(const std::string &path, bool deferred = false);
  // Empties the file (a regular file; a device or pipe is written as it is).
  void begin();
  OutputFile(const OutputFile &) = delete;
  OutputFile &operator=(const OutputFile &) = delete;
  ~OutputFile();

  FILE *get() const { return f_; }
  // Flushes and closes; a write error anywhere before shows up here.
  void close();
  // Whether this and `other` are the same file (one path twice, a link).
  bool same_file(const OutputFile &other) const;

 private:
  FILE *f_ = nullptr;
  std::string path_;
  std::vector<char> buf_;
  // The file this created (a link's target, through a link), or empty: destroyed without a
  // successful close() (the run failed), it is removed rather than left empty or cut short.
  std::string created_path_;
  bool closed_ = false;
};

// "t_s,neuron" (time in seconds, neuron index) then one line per spike, times printed with
// %.17g (exact round trip).
void write_csv_header(FILE *f);
void write_csv_spikes(FILE *f, const sp_spike *s, size_t n);

// Keeps, from the last `window` simulated seconds, the spikes of neurons [first, last] (at most
// max_dots of them) for a raster plot, and the spike counts of all n_neurons in short time bins
// for the population-rate panel under it: readable whatever the run's length.
class Raster {
 public:
  Raster(uint32_t first, uint32_t last, uint32_t n_neurons, double window, size_t max_dots);
  void add(const sp_spike *s, size_t n);
  // Plots what was kept between max(t_begin, t_end - window) and t_end; [t_begin, t_end] is
  // the span add() saw, so the rate of a bin cut by either end is over the part inside.
  void write_svg(FILE *f, const std::string &title, double t_begin, double t_end);
  // Whether the plot write_svg made held more than max_dots dots of its window: it then starts
  // at the oldest dot kept (shown_from()), not at t_end - window.
  bool capped() const { return capped_; }
  double shown_from() const { return dots_.empty() ? 0.0 : dots_.front().t; }
  // Whether the window's rate bins (window / 100) are wider than the clock's step at t_end and
  // each spike's bin index fits: else there is nothing to plot (a window of 1e-17 s drew an
  // axis 1 ms past the run's end, an outside user's report).
  bool resolves(double t_end) const { return !unresolved_ && t_end - bin_ < t_end; }

 private:
  uint32_t first_, last_;
  double n_neurons_;
  double window_;
  double bin_;  // width of a rate bin: window / kRateBins
  size_t max_dots_;
  std::deque<sp_spike> dots_;
  double dropped_until_ = -1e308;  // the time of the latest dot dropped to honour max_dots
  bool capped_ = false;            // see capped()
  bool unresolved_ = false;        // a spike's time / bin_ beyond 2^62: see resolves()
  // (bin index floor(t / bin_), spikes of all neurons in it), oldest first.
  std::deque<std::pair<int64_t, uint64_t>> bins_;
};

// Aligned "key: value" lines.
using Summary = std::vector<std::pair<std::string, std::string>>;
void print_summary(FILE *f, const Summary &rows);
// printf into a std::string.
#if defined(__GNUC__)
std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#else
std::string format(const char *fmt, ...);
#endif

}  // namespace spcli
