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

// An output file opened up front, so a long run never ends in an unwritable path.
class OutputFile {
 public:
  explicit OutputFile(const std::string &path);
  OutputFile(const OutputFile &) = delete;
  OutputFile &operator=(const OutputFile &) = delete;
  ~OutputFile();

  FILE *get() const { return f_; }
  // Flushes and closes; a write error anywhere before shows up here.
  void close();

 private:
  FILE *f_ = nullptr;
  std::string path_;
  std::vector<char> buf_;
};

// "time,neuron" then one line per spike, times printed with %.17g (exact round trip).
void write_csv_header(FILE *f);
void write_csv_spikes(FILE *f, const sp_spike *s, size_t n);

// Keeps the spikes of neurons [0, rows) from the last `window` simulated seconds, at most
// max_dots of them, for a raster plot that stays readable whatever the run's length.
class Raster {
 public:
  Raster(uint32_t rows, double window, size_t max_dots);
  void add(const sp_spike *s, size_t n);
  // Plots the kept spikes between max(t_begin, t_end - window) and t_end.
  void write_svg(FILE *f, const std::string &title, double t_begin, double t_end);

 private:
  uint32_t rows_;
  double window_;
  size_t max_dots_;
  std::deque<sp_spike> dots_;
  bool dropped_ = false;  // dots were dropped to honour max_dots
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
