// `sparseprop bench`: the performance table of DESIGN.md section 9.
#pragma once

#include <cstdio>

namespace spcli {

int bench_main(int argc, char **argv, int first);
void bench_usage(FILE *f);

}  // namespace spcli
