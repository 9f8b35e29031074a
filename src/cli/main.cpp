// The sparseprop program: dispatches to a subcommand and turns errors into exit codes.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "args.hpp"
#include "bench.hpp"
#include "cli.hpp"

namespace {

struct Command {
  const char *name;
  const char *summary;
  int (*main)(int argc, char **argv, int first);
  void (*usage)(FILE *f);
};

const Command kCommands[] = {
    {"run", "simulate the paper's balanced network and report its speed", spcli::run_main,
     spcli::run_usage},
    {"bench", "time the engine for N = 1e3, 1e4, ... against an O(N)-per-spike loop",
     spcli::bench_main, spcli::bench_usage},
};

void usage(FILE *f) {
  std::fputs("usage: sparseprop <command> [options]\n"
             "       sparseprop --version\n"
             "\n"
             "Exact event-based simulation of sparse spiking networks (SparseProp).\n"
             "\n"
             "commands:\n",
             f);
  for (const Command &c : kCommands) std::fprintf(f, "  %-8s %s\n", c.name, c.summary);
  std::fputs("  help     this text; 'sparseprop help COMMAND' for a command's options\n", f);
}

const Command *find(const char *name) {
  for (const Command &c : kCommands)
    if (std::strcmp(c.name, name) == 0) return &c;
  return nullptr;
}

int dispatch(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return spcli::kExitUsage;
  }
  const char *cmd = argv[1];
  // (Nothing may follow these: an extra word would be ignored without a word.)
  auto no_more = [&](int used) {
    if (argc <= used) return true;
    std::fprintf(stderr, "sparseprop: unexpected argument '%s' after '%s'\n", argv[used],
                 argv[used - 1]);
    spcli::print_usage_hint(stderr, nullptr);
    return false;
  };
  if (!std::strcmp(cmd, "--version") || !std::strcmp(cmd, "version")) {
    if (!no_more(2)) return spcli::kExitUsage;
    std::printf("sparseprop %s\n", sp_version_string());
    return spcli::kExitOk;
  }
  if (!std::strcmp(cmd, "help") || !std::strcmp(cmd, "--help") || !std::strcmp(cmd, "-h")) {
    if (!no_more(argc > 2 ? 3 : 2)) return spcli::kExitUsage;
    if (argc > 2 && std::strcmp(argv[2], "help") != 0) {  // (help help: the list)
      const Command *c = find(argv[2]);
      if (!c) {
        std::fprintf(stderr, "sparseprop: unknown command '%s'\n", argv[2]);
        spcli::print_usage_hint(stderr, nullptr);
        return spcli::kExitUsage;
      }
      c->usage(stdout);
    } else {
      usage(stdout);
    }
    return spcli::kExitOk;
  }
  if (const Command *c = find(cmd)) {
    // Options parse in the command's own prologue; a UsageError from later checks (a
    // description the library refuses) ends up here, with the same hint.
    try {
      return c->main(argc, argv, 2);
    } catch (const spcli::UsageError &e) {
      std::fprintf(stderr, "sparseprop %s: %s\n", c->name, e.what());
      spcli::print_usage_hint(stderr, c->name);
      return spcli::kExitUsage;
    }
  }
  std::fprintf(stderr, "sparseprop: unknown command '%s'\n", cmd);
  spcli::print_usage_hint(stderr, nullptr);
  return spcli::kExitUsage;
}

// A write error on standard output (a full disk, a closed pipe) fails the program as any other
// output's error does: it would otherwise go unnoticed with exit status 0.
int checked_stdout(int status) {
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return status;
  std::fprintf(stderr, "sparseprop: error writing standard output: %s\n", std::strerror(errno));
  return status == spcli::kExitOk ? spcli::kExitFailure : status;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    return checked_stdout(dispatch(argc, argv));
  } catch (const spcli::UsageError &e) {
    std::fprintf(stderr, "sparseprop: %s\n", e.what());
    return spcli::kExitUsage;
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "sparseprop: out of memory\n");
  } catch (const std::exception &e) {  // LibraryError, RuntimeError
    std::fprintf(stderr, "sparseprop: %s\n", e.what());
  }
  return spcli::kExitFailure;
}
