"""The balanced LIF network of the README ("The sparseprop program"), with a raster plot.

    SPARSEPROP_LIB=build/src/libsparseprop.so PYTHONPATH=bindings/python \\
        python3 bindings/python/examples/balanced_raster.py --n 10000 --out raster.png
"""
from __future__ import annotations

import argparse
import math
import time

import sparseprop
import sparseprop.plot


def main(argv: list[str] | None = None) -> float:
    """Runs the example; returns the mean rate in Hz."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--out", default="raster.png")
    args = parser.parse_args(argv)
    tau, j0, nu = 0.01, 1.0, 1.0
    drive = 1.0 + tau * math.sqrt(args.k) * j0 * nu
    weight = -j0 / math.sqrt(args.k)
    with sparseprop.Network(args.n, model="lif", tau=tau, drive=drive, k=args.k, seed=1,
                            weight=weight, init_seed=2) as net:
        t0 = time.perf_counter()
        times, neurons = net.run(args.seconds)
        wall = time.perf_counter() - t0
    rate = len(times) / (args.n * args.seconds)
    print(f"{len(times)} spikes in {args.seconds} s simulated, {wall:.2f} s wall: "
          f"{rate:.2f} Hz per neuron, {1e6 * wall / max(len(times), 1):.2f} us per spike")
    ax = sparseprop.plot.raster(times, neurons, neuron_range=(0, min(args.n, 200) - 1),
                                time_range=(max(0.0, args.seconds - 1.0), args.seconds),
                                title=f"balanced LIF network, N = {args.n}, K = {args.k}")
    ax.figure.savefig(args.out, dpi=120)
    print(f"raster of neurons 0-{min(args.n, 200) - 1} over the last second: {args.out}")
    return rate


if __name__ == "__main__":
    main()
