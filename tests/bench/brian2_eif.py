#!/usr/bin/env python3
"""The paper's balanced EIF network in Brian2 (dt = 0.1 ms and 0.01 ms) beside the exact rate.

The network (the paper's units, dimensionless voltages): tau dV/dt = -V + D_T exp((V - V_T)/D_T)
+ I with V_T = 0, D_T = 0.1, reset V_r = -1, spike at V = +inf; I = tau sqrt(K) J0 nu = 0.1 (the
balance equation: J0 = 1, nu = 1 Hz, tau = 10 ms, K = 100); N neurons, each projecting to exactly
K distinct random targets other than itself with weight w = -J0/sqrt(K) (inhibitory delta
synapses, no delay); random initial phases over the free period.

Brian2 (Debian: python3-brian; the project's build and CI never need it) integrates the ODE
clock-driven with its 'euler' method and needs a finite threshold: V > V_T + 10 D_T = 1, where the
remaining time to the blow-up (about tau exp(-10) = 0.45 us) is far below either step. The exact
rate comes from `sparseprop run --model eif` when the program has that model, else from
`build/tests/bench/tabulated_balanced eif` (the same network simulated exactly on the phase
tables of src/models/tabulated). Brian2 draws its own connectivity (same statistics, another
realisation).

usage: brian2_eif.py [--n N] [--time T] [--burn-in T] [--dt MS ...] [--exact PATH]
                     [--sparseprop PATH] [--seed S]
"""
import argparse
import math
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from brian2_balanced import random_targets  # noqa: E402 - the same connectivity statistics

K = 100
J0 = 1.0
NU = 1.0  # Hz
TAU = 0.01  # s
V_R, V_T, D_T = -1.0, 0.0, 0.1
V_CUT = V_T + 10 * D_T


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(here, "..", "..", "build")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=lambda s: int(float(s)), default=10000, help="neurons (1e4)")
    p.add_argument("--time", type=float, default=5.0, help="timed biological seconds (5)")
    p.add_argument("--burn-in", type=float, default=1.0, help="untimed seconds first (1)")
    p.add_argument("--dt", type=float, nargs="+", default=[0.1, 0.01],
                   help="Brian2 time steps in ms (0.1 0.01)")
    p.add_argument("--exact", default=os.path.join(build, "tests", "bench", "tabulated_balanced"))
    p.add_argument("--sparseprop", default=os.path.join(build, "src", "cli", "sparseprop"))
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def drive():
    return TAU * math.sqrt(K) * J0 * NU


def rate_brian2(a, dt_ms):
    import numpy as np
    import brian2 as b2
    from scipy.integrate import solve_ivp

    b2.prefs.codegen.target = "cython"
    b2.start_scope()
    b2.defaultclock.dt = dt_ms * b2.ms
    rng = np.random.default_rng(a.seed)
    I = drive()
    w = -J0 / math.sqrt(K)

    # Initial phases uniform over the free period (to V_CUT), mapped to voltages by a tight
    # ODE solution.
    def rhs(_, v):
        return [-v[0] + D_T * math.exp((v[0] - V_T) / D_T) + I]

    def cut(_, v):
        return v[0] - V_CUT
    cut.terminal = True
    sol = solve_ivp(rhs, (0, 100), [V_R], events=cut, dense_output=True, rtol=1e-11, atol=1e-13)
    period = sol.t_events[0][0]
    v0 = sol.sol(rng.random(a.n) * period)[0]

    g = b2.NeuronGroup(a.n, "dv/dt = (-v + DT*exp((v - VT)/DT) + I)/tau : 1",
                       threshold="v > vcut", reset="v = vr", method="euler",
                       namespace={"DT": D_T, "VT": V_T, "I": I, "tau": TAU * b2.second,
                                  "vcut": V_CUT, "vr": V_R})
    g.v = v0
    src, tg = random_targets(a.n, K, rng)
    syn = b2.Synapses(g, g, on_pre="v_post += w", namespace={"w": w})
    syn.connect(i=src, j=tg)
    mon = b2.SpikeMonitor(g, record=False)
    net = b2.Network(g, syn, mon)
    if a.burn_in > 0:
        net.run(a.burn_in * b2.second)
    before = int(mon.num_spikes)
    w0 = time.perf_counter()
    net.run(a.time * b2.second)
    wall = time.perf_counter() - w0
    spikes = int(mon.num_spikes) - before
    return {"name": "Brian2 %s euler, dt = %g ms" % (b2.__version__, dt_ms),
            "spikes": spikes, "rate": spikes / (a.n * a.time), "wall": wall}


def rate_exact(a):
    if os.path.exists(a.sparseprop):
        p = subprocess.run([a.sparseprop, "run", "--model", "eif", "--n", str(a.n),
                            "--time", repr(a.time)], capture_output=True, text=True)
        if p.returncode == 0:
            s = dict(re.findall(r"^([^:\n]+):\s+(.*)$", p.stdout, re.M))
            if "mean rate (Hz)" in s:
                return {"name": "sparseprop run --model eif (exact)",
                        "rate": float(s["mean rate (Hz)"]), "spikes": int(s.get("spikes", 0)),
                        "wall": float(s.get("wall time (s)", "nan").split()[0])}
    if not os.path.exists(a.exact):
        print("no exact simulation: build tabulated_balanced or pass --exact", file=sys.stderr)
        return None
    p = subprocess.run([a.exact, "eif", str(a.n), repr(a.burn_in), repr(a.time), str(a.seed)],
                       capture_output=True, text=True, check=True)
    s = dict(re.findall(r"^([^:\n]+):\s+(.*)$", p.stdout, re.M))
    return {"name": "exact (phase tables)", "rate": float(s["mean rate (Hz)"]),
            "spikes": int(s["spikes"]), "wall": float(s["wall time (s)"].split()[0])}


def main():
    a = parse_args()
    print("balanced EIF network: N = %d, K = %d, I = %.3g, w = %.3g, V_r = %g, V_T = %g, "
          "D_T = %g, tau = %g ms; %g s timed after %g s burn-in"
          % (a.n, K, drive(), -J0 / math.sqrt(K), V_R, V_T, D_T, TAU * 1e3, a.time, a.burn_in),
          flush=True)
    results = []
    ex = rate_exact(a)
    if ex:
        results.append(ex)
    for dt in a.dt:
        results.append(rate_brian2(a, dt))
    for r in results:
        print("%-40s rate %.4f Hz  (%d spikes, wall %.1f s)"
              % (r["name"], r["rate"], r["spikes"], r["wall"]), flush=True)


if __name__ == "__main__":
    main()
