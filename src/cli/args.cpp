// GNU-style long-option reading and checked number parsing.
#include "args.hpp"

#include <algorithm>
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
  // An option is not a value: `--n --quiet` forgot the number (write --opt=VALUE for a value
  // that starts with --).
  const std::string v = argv_[i_];
  if (v.size() > 2 && v.compare(0, 2, "--") == 0)
    throw UsageError("option --" + name_ + " needs a value (got the option " + v + ")");
  ++i_;
  return v;
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

namespace {
// The integer a decimal numeral denotes (digits, an optional fraction, an optional exponent:
// 12, 1e6, 2.5e5, 1000.0), or false when it is not one or denotes a non-integer (2.5,
// 999.99999999999999999, which a double would round to 1000). Beyond 2^64 - 1: *huge.
bool decimal_integer(const std::string &text, uint64_t *v, bool *huge) {
  size_t i = 0;
  std::string digits;
  while (i < text.size() && std::isdigit((unsigned char)text[i])) digits += text[i++];
  const long int_len = (long)digits.size();
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit((unsigned char)text[i])) digits += text[i++];
  }
  if (digits.empty()) return false;
  long exp = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool neg = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) neg = text[i++] == '-';
    if (i == text.size()) return false;
    for (; i < text.size() && std::isdigit((unsigned char)text[i]); ++i)
      if (exp < 100000) exp = exp * 10 + (text[i] - '0');
    if (neg) exp = -exp;
  }
  if (i != text.size()) return false;
  // The decimal point sits after `point` digits; what follows it must be zeros.
  const long len = (long)digits.size(), point = int_len + exp;
  for (long k = std::max(point, 0L); k < len; ++k)
    if (digits[(size_t)k] != '0') return false;
  // The integer: the digits before the point, then point - len zeros.
  const std::string head = digits.substr(0, (size_t)std::clamp(point, 0L, len));
  const size_t first = head.find_first_not_of('0');
  *huge = false;
  *v = 0;
  if (first == std::string::npos) return true;  // (every digit is 0)
  const long pad = std::max(point - len, 0L);
  if ((long)(head.size() - first) + pad > 20) {  // (2^64 has 20 digits)
    *huge = true;
    return true;
  }
  errno = 0;
  *v = std::strtoull((head.substr(first) + std::string((size_t)pad, '0')).c_str(), nullptr, 10);
  *huge = errno == ERANGE;
  return true;
}
}  // namespace

uint64_t parse_count(const std::string &opt, const std::string &text, uint64_t lo, uint64_t hi) {
  // Decimal only: no sign, no hex (0x10), inf or nan; exact: 2.5 and 999.99999999999999999 are
  // not integers.
  uint64_t v = 0;
  bool huge = false;
  if (!decimal_integer(text, &v, &huge)) throw bad_value(opt, text, "a non-negative integer");
  if (huge || v < lo || v > hi)
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
