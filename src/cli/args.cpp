// GNU-style long-option reading and checked number parsing.
#include "args.hpp"

#include <cctype>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdlib>

namespace spcli {

bool ArgReader::next(std::string &name) {
  if (i_ >= argc_) return false;
  std::string arg = argv_[i_++];
  if (arg == "-h") {
    name_ = "help";
    has_inline_ = false;
  } else if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
    size_t eq = arg.find('=');
    has_inline_ = eq != std::string::npos;
    name_ = arg.substr(2, has_inline_ ? eq - 2 : std::string::npos);
    inline_value_ = has_inline_ ? arg.substr(eq + 1) : std::string();
  } else {
    throw UsageError("unexpected argument '" + arg + "'");
  }
  if (name_ != "help" && !seen_.insert(name_).second)
    throw UsageError("option --" + name_ + " given twice");
  name = name_;
  return true;
}

std::string ArgReader::value() {
  if (has_inline_) return inline_value_;
  if (i_ >= argc_) throw UsageError("option --" + name_ + " needs a value");
  return argv_[i_++];
}

void ArgReader::flag() {
  if (has_inline_) throw UsageError("option --" + name_ + " takes no value");
}

void print_usage_hint(FILE *f, const char *command) {
  if (command)
    std::fprintf(f, "see 'sparseprop help %s'\n", command);
  else
    std::fputs("see 'sparseprop help'\n", f);
}

static UsageError bad_value(const std::string &opt, const std::string &text, const char *want) {
  return UsageError("invalid value '" + text + "' for --" + opt + " (expected " + want + ")");
}

uint64_t parse_count(const std::string &opt, const std::string &text, uint64_t lo, uint64_t hi) {
  const char *s = text.c_str();
  if (text.empty() || text[0] == '-' || text[0] == '+' || std::isspace((unsigned char)text[0]))
    throw bad_value(opt, text, "a non-negative integer");
  // Decimal only: strtod alone would also read hex floats (0x10), inf and nan.
  if (text.find_first_not_of("0123456789.eE+-") != std::string::npos)
    throw bad_value(opt, text, "a non-negative integer");
  char *end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(s, &end, 10);
  if (*end != '\0') {
    // Allow exact float spellings such as 1e6 or 2.5e5.
    errno = 0;
    double d = std::strtod(s, &end);
    if (*end != '\0' || errno != 0 || !std::isfinite(d) || d != std::floor(d) ||
        d >= 18446744073709551616.0)
      throw bad_value(opt, text, "a non-negative integer");
    v = (uint64_t)d;
  } else if (errno == ERANGE) {
    throw bad_value(opt, text, "a non-negative integer");
  }
  if (v < lo || v > hi)
    throw UsageError("--" + opt + " must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi) + ", got " + text);
  return v;
}

uint64_t parse_seed(const std::string &opt, const std::string &text) {
  // Decimal digits only: base 0 would read 010 as octal 8 and 0x10 as 16.
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw bad_value(opt, text, "a decimal integer from 0 to 2^64 - 1");
  char *end = nullptr;
  errno = 0;
  uint64_t v = std::strtoull(text.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE)
    throw bad_value(opt, text, "a decimal integer from 0 to 2^64 - 1");
  return v;
}

namespace {
// A finite number (strtod's forms, the whole text) that passes ok(), else a usage error
// expecting `what`. (ERANGE: overflow, refused as inf is; or underflow, refused when the
// value rounded to 0, kept when it is a subnormal, a number like any other.)
template <class Ok>
double parse_number(const std::string &opt, const std::string &text, const char *what, Ok ok) {
  if (text.empty() || std::isspace((unsigned char)text[0])) throw bad_value(opt, text, what);
  char *end = nullptr;
  errno = 0;
  double d = std::strtod(text.c_str(), &end);
  const bool range = errno == ERANGE && !(d != 0 && std::fabs(d) < DBL_MIN);  // (not subnormal)
  if (*end != '\0' || range || !std::isfinite(d) || !ok(d)) throw bad_value(opt, text, what);
  return d;
}
}  // namespace

double parse_positive(const std::string &opt, const std::string &text) {
  return parse_number(opt, text, "a positive number", [](double d) { return d > 0; });
}

double parse_non_negative(const std::string &opt, const std::string &text) {
  // (-0 is zero too, and reads as +0.)
  return parse_number(opt, text, "a number >= 0", [](double d) { return d >= 0; }) + 0.0;
}

ModelChoice parse_models(const std::string &opt, const std::string &text, bool allow_both) {
  ModelChoice m;
  if (text == "lif" || text == "LIF")
    m.lif = true;
  else if (text == "qif" || text == "QIF")
    m.qif = true;
  else if (text == "eif" || text == "EIF")
    m.eif = true;
  else if (allow_both && text == "both")
    m.lif = m.qif = true;
  else if (allow_both && text == "all")
    m.lif = m.qif = m.eif = true;
  else
    throw UsageError("invalid value '" + text + "' for --" + opt +
                     (allow_both ? " (expected lif, qif, eif, both (lif and qif) or all)"
                                 : " (expected lif, qif or eif)"));
  return m;
}

}  // namespace spcli
