// Output of the run command: the spike CSV, the SVG raster plot and the summary table.
#include "writers.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

namespace spcli {

OutputFile::OutputFile(const std::string &path, bool deferred) : path_(path), buf_(1 << 20) {
  // Append mode: created if missing, not emptied (begin() does that); writes go to the end,
  // which is the start once it is empty.
  struct stat before;
  const bool created = stat(path.c_str(), &before) != 0 && errno == ENOENT;
  f_ = std::fopen(path.c_str(), "a");
  if (!f_) throw RuntimeError("cannot open '" + path + "' for writing: " + std::strerror(errno));
  // What a failed run removes is the file created, not the name given: through a dangling
  // symbolic link that is the link's target (unlinking the path removed the user's link and
  // left the empty target; an outside user's report).
  if (created) {
    char *target = realpath(path.c_str(), nullptr);
    if (target) {
      created_path_ = target;
      std::free(target);
    } else {
      created_path_ = path;
    }
  }
  std::setvbuf(f_, buf_.data(), _IOFBF, buf_.size());
  if (!deferred) begin();
}

void OutputFile::begin() {
  struct stat st;
  if (fstat(fileno(f_), &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fileno(f_), 0) != 0)
    throw RuntimeError("cannot truncate '" + path_ + "': " + std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (f_) std::fclose(f_);
  if (!created_path_.empty() && !closed_) unlink(created_path_.c_str());
}

void OutputFile::close() {
  if (!f_) return;
  bool bad = std::ferror(f_) != 0;
  bad |= std::fclose(f_) != 0;
  f_ = nullptr;
  if (bad) throw RuntimeError("error writing '" + path_ + "': " + std::strerror(errno));
  closed_ = true;
}

bool OutputFile::same_file(const OutputFile &other) const {
  struct stat a, b;
  return f_ && other.f_ && fstat(fileno(f_), &a) == 0 && fstat(fileno(other.f_), &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void write_csv_header(FILE *f) { std::fputs("t_s,neuron\n", f); }

void write_csv_spikes(FILE *f, const sp_spike *s, size_t n) {
  for (size_t i = 0; i < n; ++i) std::fprintf(f, "%.17g,%u\n", s[i].t, (unsigned)s[i].neuron);
}

namespace {

constexpr double kRateBins = 100;  // rate bins across the window
// A bin cut by the run's start or end is drawn only if it covers this much of its width: a
// sliver's rate is mostly noise.
constexpr double kMinBinCover = 0.25;

// A tick spacing of 1, 2 or 5 times a power of ten giving about `ticks` intervals.
double nice_step(double span, double ticks) {
  double raw = span / ticks;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double r = raw / mag;
  return (r < 1.5 ? 1.0 : r < 3.5 ? 2.0 : r < 7.5 ? 5.0 : 10.0) * mag;
}

}  // namespace

Raster::Raster(uint32_t first, uint32_t last, uint32_t n_neurons, double window, size_t max_dots)
    : first_(first),
      last_(last),
      n_neurons_((double)n_neurons),
      window_(window),
      bin_(window / kRateBins),
      max_dots_(max_dots) {}

void Raster::add(const sp_spike *s, size_t n) {
  if (n == 0) return;
  for (size_t i = 0; i < n; ++i) {
    if (s[i].neuron >= first_ && s[i].neuron <= last_) dots_.push_back(s[i]);
    const double q = std::floor(s[i].t / bin_);
    if (!(q < 0x1p62)) {  // (an index the int64 would not hold)
      unresolved_ = true;
      continue;
    }
    int64_t b = (int64_t)q;
    if (bins_.empty() || bins_.back().first != b)
      bins_.push_back({b, 1});
    else
      ++bins_.back().second;
  }
  double t_last = s[n - 1].t;
  while (!dots_.empty() && dots_.front().t < t_last - window_) dots_.pop_front();
  while (!bins_.empty() && (double)(bins_.front().first + 1) * bin_ < t_last - window_)
    bins_.pop_front();
  while (dots_.size() > max_dots_) {
    dropped_until_ = dots_.front().t;
    dots_.pop_front();
  }
}

void Raster::write_svg(FILE *f, const std::string &title, double t_begin, double t_end) {
  double t_lo = std::max(t_begin, t_end - window_);
  // Dots of the window were dropped for the cap (not only older ones): start at those kept.
  capped_ = dropped_until_ >= t_lo && !dots_.empty();
  if (capped_) t_lo = std::max(t_lo, dots_.front().t);
  double t_hi = t_end;
  if (!(t_hi > t_lo)) t_hi = t_lo + 1e-3;  // an empty or instantaneous run still plots
  const double rows = (double)last_ - first_ + 1;

  // The raster on top, the population rate under it, one time axis at the bottom.
  const double W = 960, ml = 78, mr = 24, mt = 44, ph = 380, gap = 14, rh = 110, mb = 60;
  const double H = mt + ph + gap + rh + mb;
  const double pw = W - ml - mr, rt = mt + ph + gap;  // rt: the rate panel's top
  auto x_of = [&](double t) { return ml + (t - t_lo) / (t_hi - t_lo) * pw; };
  // Neuron `first` at the bottom, each neuron centred in its row.
  auto y_of = [&](double i) { return mt + ph - (i - first_ + 0.5) / rows * ph; };

  // The rate of every bin in view: spikes of all N neurons / (N x the part of the bin that
  // lies in [t_begin, t_end]), in Hz per neuron.
  struct Bar {
    double b0, b1, hz;  // the whole bin; drawn clipped to [t_lo, t_hi]
  };
  std::vector<Bar> bars;
  double hz_max = 0;
  for (const auto &b : bins_) {
    double b0 = (double)b.first * bin_, b1 = b0 + bin_;
    double cover = std::min(b1, t_end) - std::max(b0, t_begin);
    // (A run shorter than a bin: its one or two bins, by the same share of the run.)
    const double least = kMinBinCover * std::min(bin_, t_end - t_begin);
    if (b1 <= t_lo || b0 >= t_hi || !(cover >= least) || !(cover > 0)) continue;
    double hz = (double)b.second / (n_neurons_ * cover);
    bars.push_back({b0, b1, hz});
    hz_max = std::max(hz_max, hz);
  }
  double hz_step = hz_max > 0 ? nice_step(hz_max, 2) : 1.0;
  double hz_top = hz_step * std::max(1.0, std::ceil(hz_max / hz_step));
  auto y_of_hz = [&](double hz) { return rt + rh - hz / hz_top * rh; };

  std::fprintf(f,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
               "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"13\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
               W, H, W, H);
  std::fprintf(f, "<text x=\"%g\" y=\"26\" text-anchor=\"middle\" font-size=\"15\">%s</text>\n",
               ml + pw / 2, title.c_str());

  // Time ticks (under both panels) at multiples of a round step, labelled with just enough
  // decimals.
  double step = nice_step(t_hi - t_lo, 8);
  int decimals = std::max(0, (int)-std::floor(std::log10(step) + 1e-9));
  std::fputs("<g stroke=\"black\" stroke-width=\"1\">\n", f);
  for (double k = std::ceil(t_lo / step - 1e-9); k * step <= t_hi + 1e-9 * step; k += 1) {
    double x = x_of(k * step);
    std::fprintf(f, "<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\"/>\n", x, mt + ph, x,
                 mt + ph + 4);
    std::fprintf(f, "<line x1=\"%.2f\" y1=\"%g\" x2=\"%.2f\" y2=\"%g\"/>\n", x, rt + rh, x,
                 rt + rh + 5);
  }
  // Neuron and rate axes.
  double nstep = std::max(1.0, nice_step(rows, 5));
  for (double i = 0; i < rows; i += nstep) {
    double y = y_of(first_ + i);
    std::fprintf(f, "<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\"/>\n", ml - 5, y, ml, y);
  }
  for (double hz = 0; hz <= hz_top * (1 + 1e-9); hz += hz_step)
    std::fprintf(f, "<line x1=\"%g\" y1=\"%.2f\" x2=\"%g\" y2=\"%.2f\"/>\n", ml - 5, y_of_hz(hz),
                 ml, y_of_hz(hz));
  std::fputs("</g>\n<g text-anchor=\"middle\">\n", f);
  for (double k = std::ceil(t_lo / step - 1e-9); k * step <= t_hi + 1e-9 * step; k += 1)
    std::fprintf(f, "<text x=\"%.2f\" y=\"%g\">%.*f</text>\n", x_of(k * step), rt + rh + 20,
                 decimals, k * step);
  std::fputs("</g>\n<g text-anchor=\"end\">\n", f);
  for (double i = 0; i < rows; i += nstep)
    std::fprintf(f, "<text x=\"%g\" y=\"%.2f\">%.0f</text>\n", ml - 8, y_of(first_ + i) + 4.5,
                 first_ + i);
  for (double hz = 0; hz <= hz_top * (1 + 1e-9); hz += hz_step)
    std::fprintf(f, "<text x=\"%g\" y=\"%.2f\">%g</text>\n", ml - 8, y_of_hz(hz) + 4.5, hz);
  std::fputs("</g>\n", f);
  std::fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">time (s)</text>\n", ml + pw / 2,
               H - 14);
  std::fprintf(f,
               "<text transform=\"translate(22 %g) rotate(-90)\" text-anchor=\"middle\">"
               "neuron</text>\n",
               mt + ph / 2);
  std::fprintf(f,
               "<text transform=\"translate(22 %g) rotate(-90)\" text-anchor=\"middle\">"
               "rate (Hz)</text>\n",
               rt + rh / 2);

  // Dots as short vertical bars, the classic raster mark; one path keeps the file small.
  double row = ph / rows;
  double bar = std::min(std::max(row * 0.8, 3.5), 8.0);
  std::fprintf(f, "<path stroke=\"#1f3a93\" stroke-width=\"2\" fill=\"none\" d=\"");
  size_t on_line = 0;
  for (const sp_spike &s : dots_) {
    if (s.t < t_lo || s.t > t_hi) continue;
    std::fprintf(f, "M%.2f %.2fv%.2f", x_of(s.t), y_of(s.neuron) - bar / 2, bar);
    if (++on_line % 8 == 0) std::fputc('\n', f);
  }
  std::fputs("\"/>\n", f);
  // The population rate: one bar per bin, the bin and its exact value in a tooltip.
  std::fputs("<g class=\"rate\" fill=\"#7f8fc0\">\n", f);
  for (const Bar &b : bars) {
    double x0 = x_of(std::max(b.b0, t_lo)), x1 = x_of(std::min(b.b1, t_hi));
    std::fprintf(f,
                 "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
                 "<title>%.12g to %.12g s: %.9g Hz</title></rect>\n",
                 x0, y_of_hz(b.hz), x1 - x0, rt + rh - y_of_hz(b.hz), b.b0, b.b1, b.hz);
  }
  std::fputs("</g>\n", f);
  std::fprintf(f,
               "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
               "stroke=\"black\"/>\n"
               "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
               "stroke=\"black\"/>\n</svg>\n",
               ml, mt, pw, ph, ml, rt, pw, rh);
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
