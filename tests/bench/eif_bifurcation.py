#!/usr/bin/env python3
"""EIF's free period near its bifurcation, against 50-digit integrations (README.md, EIF and
custom models; tests/bench/RESULTS.md, EIF near its bifurcation).

For random parameter sets (V_T, D_T, V_r, v_spike) and drives I = V_T - D_T + r M, with
M = |I| + |V_T| + D_T and r log-uniform in [--lo, --hi], it creates one EIF neuron at its reset
through the Python binding (sparseprop, bindings/python) and takes its first spike, the free
period T, and compares it with mpmath's tanh-sinh quadrature of integral dv / (F(v) + I) from
V_r to v_spike at 50 digits (break points around the bottleneck at V_T, whose width is
sqrt(2 D_T (I - V_T + D_T))). It prints every drive the library refuses and every period
whose relative error is above half the documented bound 1e-16 (M / (I - V_T + D_T) +
|V_T| / D_T), then the worst ratio of error to bound. --wide draws V_T from -1e6 to 1e6 (log
of its magnitude uniform) and D_T from 1e-5 to 10, keeping |V_T| / D_T and |V_T - V_r| / D_T
below 1e9. Needs numpy and mpmath (Debian: python3-numpy, python3-mpmath);
neither the build nor the tests need it.

usage: SPARSEPROP_LIB=build/src/libsparseprop.so PYTHONPATH=bindings/python \\
       /usr/bin/python3 tests/bench/eif_bifurcation.py [--lo R] [--hi R] [--count N] [--seed S]
       [--wide]
"""
import argparse
import math
import random

import mpmath as mp

import sparseprop

mp.mp.dps = 50


def reference_period(drive, v_t, delta_t, v_reset, v_spike):
    """The free period in units of tau, integral dv / (-v + I + D_T exp((v - V_T)/D_T))."""
    I, vt, dt, vr = (mp.mpf(x) for x in (drive, v_t, delta_t, v_reset))
    width = mp.sqrt(2 * dt * abs(I - vt + dt))
    top = mp.inf if v_spike == math.inf else mp.mpf(v_spike)
    points = [vr]
    for x in [vt + k * width for k in (-1e4, -1e3, -100, -10, -1, 0, 1, 10, 100, 1e3, 1e4)] + \
             [vt + k * dt for k in (1, 3, 10, 30)]:
        if points[-1] < x < top:
            points.append(x)
    points.append(top)
    return mp.quad(lambda v: 1 / (-v + I + dt * mp.exp((v - vt) / dt)), points)


def engine_period(drive, v_t, delta_t, v_reset, v_spike):
    """The first spike of a neuron starting at its reset, or the library's refusal."""
    try:
        with sparseprop.Network(1, model="eif", tau=1.0, drive=drive, v0=[v_reset],
                                v_reset=v_reset, v_spike=v_spike, delta_t=delta_t,
                                v_t=v_t) as net:
            return net.step()[0], None
    except sparseprop.SparsePropError as e:
        return None, f"{type(e).__name__}: {e}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lo", type=float, default=1e-12, help="smallest gap, in units of M")
    ap.add_argument("--hi", type=float, default=1e-5, help="largest gap, in units of M")
    ap.add_argument("--count", type=int, default=300, help="parameter sets")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--wide", action="store_true", help="V_T up to 1e6 in magnitude")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    worst, tried, refused = 0.0, 0, 0
    for _ in range(args.count):
        if args.wide:
            v_t = rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(0, 6)
            delta_t = 10 ** rng.uniform(-5, 1)
            v_reset = v_t - delta_t * 10 ** rng.uniform(-0.5, 4)
            if abs(v_t) / delta_t > 1e9 or (v_t - v_reset) / delta_t > 1e9:
                continue
        else:
            v_t = rng.choice([1.0, 0.0, -50.0, 10.0, rng.uniform(-70, 70), 0.003, -0.07])
            delta_t = rng.choice([0.1, 1.0, 0.01, 0.001, 2.0, 10 ** rng.uniform(-3, 1)])
            v_reset = v_t - delta_t * rng.choice([10, 1, 3, 50, rng.uniform(0.5, 60)])
        v_spike = rng.choice([math.inf, math.inf, v_t + delta_t * rng.uniform(0.3, 20)])
        m = abs(v_t - delta_t) + abs(v_t) + delta_t
        drive = (v_t - delta_t) + m * 10 ** rng.uniform(math.log10(args.lo),
                                                       math.log10(args.hi))
        gap = (mp.mpf(drive) - v_t) + delta_t
        if not gap > 0:
            continue
        tried += 1
        what = (f"V_T={v_t!r} D_T={delta_t!r} V_r={v_reset!r} v_spike={v_spike!r} "
                f"I={drive!r} gap/M={float(gap) / m:.3e}")
        t, err = engine_period(drive, v_t, delta_t, v_reset, v_spike)
        if t is None:
            refused += 1
            print("refused", what, err, flush=True)
            continue
        want = reference_period(drive, v_t, delta_t, v_reset, v_spike)
        rel = float(abs(t - want) / want)
        bound = 1e-16 * ((abs(drive) + abs(v_t) + delta_t) / float(gap) + abs(v_t) / delta_t)
        worst = max(worst, rel / bound)
        if rel > 0.5 * bound:
            print(f"{'OVER' if rel > bound else 'near'} {rel / bound:.2f} x bound, error "
                  f"{rel:.2e}", what, flush=True)
    print(f"{tried} drives, {refused} refused, worst error / bound {worst:.3f}")


if __name__ == "__main__":
    main()
