// What the sparseprop program's parts share: exit codes, error kinds, the subcommands.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include <sparseprop/sparseprop.h>

namespace spcli {

enum ExitCode { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// A bad command line: the message and a one-line hint go to stderr, the exit code is 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failure outside the library, e.g. an output file that cannot be written: exit code 1.
struct RuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A failed library call: the status name and sp_last_error(), taken when it failed.
struct LibraryError : std::runtime_error {
  LibraryError(const char *call, sp_status s)
      : std::runtime_error(std::string(call) + ": " + sp_status_name(s) + ": " + sp_last_error()) {}
};

// The library's limit on the neuron count (sp_network_desc.n; sp_network_create refuses more).
constexpr uint64_t kMaxNeurons = uint64_t(1) << 31;

inline void check(sp_status s, const char *call) {
  if (s != SP_OK) throw LibraryError(call, s);
}

// Subcommands: argv[first..argc) are the subcommand's own arguments.
int run_main(int argc, char **argv, int first);
void run_usage(FILE *f);

}  // namespace spcli
