"""Time per spike of the balanced network: the C program `sparseprop run` against the Python
binding, back to back in one run (README, "The sparseprop program": N neurons, K = 100
procedural targets with weight -J0/sqrt(K), drive 1 + tau sqrt(K) J0 nu, tau = 10 ms, random
initial phases; N spikes of burn-in, then 10^6 timed spikes).

    SPARSEPROP_LIB=build/src/libsparseprop.so PYTHONPATH=bindings/python \\
        python3 bindings/python/benchmarks/balanced.py --cli build/src/cli/sparseprop

Both sides count only the time inside the simulation calls: the CLI reports its wall time
inside sp_run; here the timer spans Network.run(), buffer growth and the copy into numpy
arrays included. The rounds alternate CLI and Python so that a busy machine slows both alike;
the figures are still noisy on a shared machine.
"""
from __future__ import annotations

import argparse
import math
import re
import subprocess
import time

import numpy as np

import sparseprop


def cli_us_per_spike(cli: str, n: int, spikes: int) -> tuple[float, float]:
    """(wall, cpu) microseconds per spike as the CLI reports them."""
    out = subprocess.run([cli, "run", "--n", str(n), "--spikes-count", str(spikes)],
                         check=True, capture_output=True, text=True).stdout

    def field(name: str) -> float:
        m = re.search(rf"^{re.escape(name)}:\s*([0-9.eE+-]+)", out, re.M)
        if not m:
            raise RuntimeError(f"no '{name}' in the CLI's output:\n{out}")
        return float(m.group(1))

    return field("microseconds per spike"), 1e6 * field("cpu time (s)") / spikes


def python_us_per_spike(n: int, spikes: int, k: int = 100, j0: float = 1.0, nu: float = 1.0,
                        tau: float = 0.01) -> tuple[float, float]:
    """(wall, cpu) microseconds per spike of Network.run()."""
    drive = 1.0 + tau * math.sqrt(k) * j0 * nu  # the CLI's formulas, same evaluation order
    weight = -j0 / math.sqrt(k)
    with sparseprop.Network(n, model="lif", tau=tau, drive=drive, k=k, seed=1, weight=weight,
                            init_seed=2) as net:
        net.run(1e9, max_spikes=n)  # burn-in: N spikes, not timed
        t0, c0 = time.perf_counter(), time.process_time()
        times, neurons = net.run(1e9, max_spikes=spikes)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(times) == spikes and neurons.dtype == np.uint32
    return 1e6 * wall / spikes, 1e6 * cpu / spikes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", required=True, help="path of the sparseprop program")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--spikes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"balanced LIF network, N = {args.n}, K = 100, {args.spikes} timed spikes; "
          f"library: {sparseprop.library_found_by}")
    print("microseconds per spike (wall time; CPU time in parentheses)")
    print(f"{'round':>6} {'C CLI':>16} {'Python':>16} {'ratio':>14}")
    rows = []
    for r in range(args.rounds):
        c = cli_us_per_spike(args.cli, args.n, args.spikes)
        p = python_us_per_spike(args.n, args.spikes)
        rows.append((c, p))
        print(f"{r + 1:>6} {fmt(c)} {fmt(p)} {fmt((p[0] / c[0], p[1] / c[1]), 14)}")
    for name, pick in (("median", np.median), ("best", np.min)):
        c = (float(pick([x[0][0] for x in rows])), float(pick([x[0][1] for x in rows])))
        p = (float(pick([x[1][0] for x in rows])), float(pick([x[1][1] for x in rows])))
        print(f"{name:>6} {fmt(c)} {fmt(p)} {fmt((p[0] / c[0], p[1] / c[1]), 14)}")
    ratios = (float(np.median([x[1][0] / x[0][0] for x in rows])),
              float(np.median([x[1][1] / x[0][1] for x in rows])))
    print(f"median of the per-round ratios: {fmt(ratios, 0).strip()}")


def fmt(pair: tuple[float, float], width: int = 16) -> str:
    return f"{pair[0]:.3f} ({pair[1]:.3f})".rjust(width)


if __name__ == "__main__":
    main()
