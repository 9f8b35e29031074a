// Output of the run command: the spike CSV, the SVG raster plot and the summary table.
#include "writers.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstring>

namespace spcli {

OutputFile::OutputFile(const std::string &path) : path_(path), buf_(1 << 20) {
  f_ = std::fopen(path.c_str(), "w");
  if (!f_) throw RuntimeError("cannot open '" + path + "' for writing: " + std::strerror(errno));
  std::setvbuf(f_, buf_.data(), _IOFBF, buf_.size());
}

OutputFile::~OutputFile() {
  if (f_) std::fclose(f_);
}

void OutputFile::close() {
  if (!f_) return;
  bool bad = std::ferror(f_) != 0;
  bad |= std::fclose(f_) != 0;
  f_ = nullptr;
  if (bad) throw RuntimeError("error writing '" + path_ + "': " + std::strerror(errno));
}

void write_csv_header(FILE *f) { std::fputs("time,neuron\n", f); }

void write_csv_spikes(FILE *f, const sp_spike *s, size_t n) {
  for (size_t i = 0; i < n; ++i) std::fprintf(f, "%.17g,%u\n", s[i].t, (unsigned)s[i].neuron);
}

Raster::Raster(uint32_t rows, double window, size_t max_dots)
    : rows_(rows), window_(window), max_dots_(max_dots) {}

void Raster::add(const sp_spike *s, size_t n) {
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i)
    if (s[i].neuron < rows_) dots_.push_back(s[i]);
  double t_last = s[n - 1].t;
  while (!dots_.empty() && dots_.front().t < t_last - window_) dots_.pop_front();
  while (dots_.size() > max_dots_) {
    dots_.pop_front();
    dropped_ = true;
  }
}

// A tick spacing of 1, 2 or 5 times a power of ten giving about `ticks` intervals.
static double nice_step(double span, double ticks) {
  double raw = span / ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / mag;
  return (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
}

void Raster::write_svg(FILE *f, const std::string &title, double t_begin, double t_end) {
  double t_lo = std::max(t_begin, t_end - window_);
  if (dropped_ && !dots_.empty()) t_lo = std::max(t_lo, dots_.front().t);
  double t_hi = t_end;
  if (!(t_hi > t_lo)) t_hi = t_lo + 1e-3;  // an empty or instantaneous run still plots

  const double W = 960, H = 540, ml = 78, mr = 24, mt = 44, mb = 60;
  const double pw = W - ml - mr, ph = H - mt - mb;
  auto x_of = [&](double t) { return ml + (t - t_lo) / (t_hi - t_lo) * pw; };
  // Neuron 0 at the bottom, each neuron centred in its row.
  auto y_of = [&](double i) { return mt + ph - (i + 0.5) / rows_ * ph; };

  std::fprintf(f,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
               "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"13\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
               W, H, W, H);
  std::fprintf(f, "<text x=\"%g\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
               ml + pw / 2, title.c_str());

  // Time axis: ticks at multiples of a round step, labelled with just enough decimals.
  double step = nice_step(t_hi - t_lo, 8);
  int decimals = std::max(0, (int)-std::floor(std::log10(step) + 1e-9));
  std::fputs("<g stroke=\"black\" stroke-width=\"1\">\n", f);
  for (double k = std::ceil(t_lo / step - 1e-9); k * step <= t_hi + 1e-9 * step; k += 1) {
    double x = x_of(k * step);
    std::fprintf(f, "<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\"/>\n", x, mt + ph, x,
                 mt + ph + 5);
  }
  // Neuron axis.
  double nstep = std::max(1.0, nice_step(rows_, 5));
  for (double i = 0; i < rows_; i += nstep) {
    double y = y_of(i);
    std::fprintf(f, "<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\"/>\n", ml - 5, y, ml, y);
  }
  std::fputs("</g>\n<g text-anchor=\"middle\">\n", f);
  for (double k = std::ceil(t_lo / step - 1e-9); k * step <= t_hi + 1e-9 * step; k += 1)
    std::fprintf(f, "<text x=\"%.2f\" y=\"%g\">%.*f</text>\n", x_of(k * step), mt + ph + 20,
                 decimals, k * step);
  std::fputs("</g>\n<g text-anchor=\"end\">\n", f);
  for (double i = 0; i < rows_; i += nstep)
    std::fprintf(f, "<text x=\"%g\" y=\"%.2f\">%.0f</text>\n", ml - 8, y_of(i) + 4.5, i);
  std::fputs("</g>\n", f);
  std::fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">time (s)</text>\n",
               ml + pw / 2, H - 14);
  std::fprintf(f,
               "<text transform=\"translate(22 %g) rotate(-90)\" text-anchor=\"middle\">"
               "neuron</text>\n",
               mt + ph / 2);

  // Dots as short vertical bars, the classic raster mark; one path keeps the file small.
  double row = ph / rows_;
  double bar = std::min(std::max(row * 0.8, 3.5), 8.0);
  std::fprintf(f, "<path stroke=\"#1f3a93\" stroke-width=\"2\" fill=\"none\" d=\"");
  size_t on_line = 0;
  for (const sp_spike &s : dots_) {
    if (s.t < t_lo || s.t > t_hi) continue;
    std::fprintf(f, "M%.2f %.2fv%.2f", x_of(s.t), y_of(s.neuron) - bar / 2, bar);
    if (++on_line % 8 == 0) std::fputc('\n', f);
  }
  std::fputs("\"/>\n", f);
  std::fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
                  "stroke=\"black\"/>\n</svg>\n",
               ml, mt, pw, ph);
}

void print_summary(FILE *f, const Summary &rows) {
  size_t width = 0;
  for (const auto &r : rows) width = std::max(width, r.first.size());
  for (const auto &r : rows)
    std::fprintf(f, "%s:%*s %s\n", r.first.c_str(), (int)(width - r.first.size()), "",
                 r.second.c_str());
}

std::string format(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

}  // namespace spcli
