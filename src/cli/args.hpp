// GNU-style long-option reading and checked number parsing, shared by the subcommands.
#pragma once

#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include "cli.hpp"

namespace spcli {

// Walks argv[first..argc) as "--name VALUE", "--name=VALUE" or "--flag" (plus "-h").
class ArgReader {
 public:
  ArgReader(int argc, char **argv, int first) : argc_(argc), argv_(argv), i_(first) {}

  // Moves to the next option and returns its name without the dashes ("help" for -h);
  // false at the end. Anything that is not an option is a UsageError, and so is an option
  // given twice (help aside): which of two values was meant is the user's to say.
  bool next(std::string &name);
  // The current option's value: after '=' or the next argument.
  std::string value();
  // The current option takes no value.
  void flag();

 private:
  int argc_;
  char **argv_;
  int i_;
  std::string name_;
  std::string inline_value_;
  bool has_inline_ = false;
  std::set<std::string> seen_;
};

// A non-negative integer in [lo, hi]: decimal digits or an exact decimal float form such as
// 1e6 or 2.5e5.
uint64_t parse_count(const std::string &opt, const std::string &text, uint64_t lo, uint64_t hi);
// Any 64-bit unsigned value, in decimal digits only (leading zeros are not octal).
uint64_t parse_seed(const std::string &opt, const std::string &text);
// A finite number > 0.
double parse_positive(const std::string &opt, const std::string &text);
// A finite number >= 0 (any spelling of zero: 0, 0.0, 0e0).
double parse_non_negative(const std::string &opt, const std::string &text);

// The neuron models a --model value names: "lif", "qif" (either case) or, where allowed,
// "both".
struct ModelChoice {
  bool lif = false, qif = false, eif = false;
};
ModelChoice parse_models(const std::string &opt, const std::string &text, bool allow_both);

// The line after a usage error: where the full usage is, instead of burying the error under it.
void print_usage_hint(FILE *f, const char *command);

// Parses a subcommand's options with parse(argc, argv, first) into *out; on a usage error prints
// it and a one-line hint to stderr, on --help the usage to stdout. Returns -1 to go on, else the
// exit status to return.
template <class Options, class Parse, class Usage>
int parse_or_usage(const char *command, int argc, char **argv, int first, Parse parse, Usage usage,
                   Options *out) {
  try {
    *out = parse(argc, argv, first);
  } catch (const UsageError &e) {
    std::fprintf(stderr, "sparseprop %s: %s\n", command, e.what());
    print_usage_hint(stderr, command);
    return kExitUsage;
  }
  if (out->help) {
    usage(stdout);
    return kExitOk;
  }
  return -1;
}

}  // namespace spcli
