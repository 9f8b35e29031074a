// `sparseprop bench`: the performance table (src/ARCHITECTURE.md, Benchmarks).
#pragma once

#include <cstdio>

namespace spcli {

int bench_main(int argc, char **argv, int first);
void bench_usage(FILE *f);

}  // namespace spcli
