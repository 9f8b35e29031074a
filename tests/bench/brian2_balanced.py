#!/usr/bin/env python3
"""The benchmark network of src/ARCHITECTURE.md (Benchmarks) in Brian2, beside `sparseprop run`.

Brian2 (Debian: python3-brian; the project's build and CI never need it) simulates the
balanced network clock-driven at dt = 0.1 ms with compiled code generation ('cython', or
'numpy' when Cython cannot compile): N neurons, each projecting to K = 100 distinct random
targets other than itself with weight w = -J0/sqrt(K) (delta synapses, no delay), J0 = 1,
nu = 1 Hz, tau = 10 ms, random initial phases over the free period.

  LIF: tau dV/dt = -V + I, I = 1 + tau sqrt(K) J0 nu, spike at V = 1, reset to 0
       (integrated exactly between grid points: method 'exact').
  LIF with --tau-syn S (current-based synapses, README.md, Models): tau dV/dt = -V + I + J,
       S dJ/dt = -J, an input raises J by w tau/S, J unchanged by a spike; the same drive
       and weights, J = 0 at the start (also integrated exactly between grid points).
  QIF: in the phase representation, which is exact between inputs: dphi/dt = 2 sqrt(I)/tau,
       I = tau sqrt(K) J0 nu, spike at phi = pi, reset to -pi, an input moves phi to
       2 atan(tan(phi/2) + w/sqrt(I)) (src/ARCHITECTURE.md, Models).

The connectivity has the same statistics as the engine's procedural connectivity (exactly K
distinct targets per source, no self-connections), drawn with numpy, not the same
realisation. After a burn-in (untimed; it also compiles the generated code) it times T
seconds of biological time and then runs `sparseprop run --n N --time T` (N spikes of burn-in)
on the same workload, and prints both wall times, CPU times and rates side by side.

usage: brian2_balanced.py [--n N] [--time T] [--model lif|qif] [--tau-syn S] [--dt MS]
                          [--burn-in T] [--target cython|numpy] [--sparseprop PATH] [--seed S]
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import time

K = 100
J0 = 1.0
NU = 1.0  # Hz
TAU = 0.01  # s


def parse_args():
    here = os.path.dirname(os.path.abspath(__file__))
    default_exe = os.path.join(here, "..", "..", "build", "src", "cli", "sparseprop")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=lambda s: int(float(s)), default=100000, help="neurons (1e5)")
    p.add_argument("--time", type=float, default=5.0, help="timed biological seconds (5)")
    p.add_argument("--burn-in", type=float, default=1.0,
                   help="untimed biological seconds first in Brian2 (1)")
    p.add_argument("--model", choices=["lif", "qif"], default="lif")
    p.add_argument("--tau-syn", type=float, default=0.0,
                   help="LIF: current-based synapses with this time constant in s (0: delta)")
    p.add_argument("--dt", type=float, default=0.1, help="Brian2 time step in ms (0.1)")
    p.add_argument("--target", choices=["cython", "numpy", "cpp_standalone"], default="cython",
                   help="Brian2 code generation (cython, numpy if cython fails; "
                        "cpp_standalone: a compiled program, no burn-in, see below)")
    p.add_argument("--sparseprop", default=os.environ.get("SPARSEPROP", default_exe),
                   help="the sparseprop program (default build/src/cli/sparseprop, or "
                        "$SPARSEPROP); 'none' to skip it")
    p.add_argument("--seed", type=int, default=1, help="numpy seed for Brian2's network")
    a = p.parse_args()
    if a.n <= 2 * K:
        p.error("--n must exceed %d" % (2 * K))
    if not (a.time > 0 and a.burn_in >= 0 and a.dt > 0):
        p.error("--time and --dt must be > 0, --burn-in >= 0")
    if a.tau_syn < 0 or (a.tau_syn > 0 and a.model != "lif"):
        p.error("--tau-syn must be >= 0, and is LIF only")
    return a


def random_targets(n, k, rng):
    """Exactly k distinct targets per source j, never j: the engine's statistics."""
    import numpy as np
    m = n - 1
    tg = rng.integers(0, m, size=(n, k), dtype=np.int64)
    # Redraw the rows that drew a value twice (rare for n >> k) until all rows are distinct.
    while True:
        s = np.sort(tg, axis=1)
        bad = np.nonzero((s[:, 1:] == s[:, :-1]).any(axis=1))[0]
        if bad.size == 0:
            break
        for j in bad:
            tg[j] = rng.choice(m, size=k, replace=False)
    src = np.repeat(np.arange(n, dtype=np.int64), k)
    tg = tg.reshape(-1)
    tg = tg + (tg >= src)  # skip the source itself
    return src.astype(np.int32), tg.astype(np.int32)


def run_brian2(a):
    try:
        import numpy as np
        import brian2 as b2
    except ImportError as e:
        sys.exit("brian2_balanced.py: Brian2 is not available (%s); on Debian: apt-get install "
                 "python3-brian, and run this script with /usr/bin/python3" % e)

    standalone = a.target == "cpp_standalone"
    if standalone:
        import resource
        import tempfile
        workdir = tempfile.mkdtemp(prefix="brian2_balanced_")
        b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    else:
        b2.prefs.codegen.target = a.target
    if a.target == "cython":
        try:  # compile a trivial network once; fall back to numpy if that fails
            b2.start_scope()
            g = b2.NeuronGroup(2, "dv/dt = -v/(10*ms) : 1", method="exact")
            b2.run(0.2 * b2.ms)
        except Exception as e:  # noqa: BLE001 - any compiler failure means fallback
            print("brian2: cython code generation failed (%s); using numpy" % e, file=sys.stderr)
            b2.prefs.codegen.target = "numpy"
    target = a.target if standalone else b2.prefs.codegen.target
    b2.start_scope()
    b2.defaultclock.dt = a.dt * b2.ms
    rng = np.random.default_rng(a.seed)
    n = a.n
    i_ext = TAU * math.sqrt(K) * J0 * NU
    w = -J0 / math.sqrt(K)
    tau = TAU * b2.second
    if a.model == "lif":
        drive = 1.0 + i_ext
        period = TAU * math.log(drive / (drive - 1.0))
        if a.tau_syn > 0:
            g = b2.NeuronGroup(n, "dv/dt = (I - v + J)/tau : 1\ndJ/dt = -J/tau_s : 1",
                               threshold="v >= 1", reset="v = 0", method="exact",
                               namespace={"I": drive, "tau": tau,
                                          "tau_s": a.tau_syn * b2.second})
            on_pre = "J_post += w_j"
        else:
            g = b2.NeuronGroup(n, "dv/dt = (I - v)/tau : 1", threshold="v >= 1", reset="v = 0",
                               method="exact", namespace={"I": drive, "tau": tau})
            on_pre = "v_post += w"
        frac = rng.random(n)
        g.v = drive * (1.0 - np.exp(-frac * period / TAU))
    else:
        drive = i_ext
        omega = 2.0 * math.sqrt(drive)  # phase per tau
        g = b2.NeuronGroup(n, "dphi/dt = omega/tau : 1", threshold="phi >= pi",
                           reset="phi = -pi", method="euler",  # exact: constant slope
                           namespace={"omega": omega, "tau": tau})
        g.phi = -math.pi + 2.0 * math.pi * rng.random(n)
        on_pre = "phi_post = 2*arctan(tan(phi_post/2) + c)"
    t0 = time.perf_counter()
    src, tg = random_targets(n, K, rng)
    if a.model == "lif":
        ns = {"w_j": w * TAU / a.tau_syn} if a.tau_syn > 0 else {"w": w}
    else:
        ns = {"c": w / math.sqrt(drive)}
    syn = b2.Synapses(g, g, on_pre=on_pre, namespace=ns)
    syn.connect(i=src, j=tg)
    mon = b2.SpikeMonitor(g, record=False)
    net = b2.Network(g, syn, mon)
    build = time.perf_counter() - t0

    if standalone:
        # One compiled program runs everything; its wall time (Brian2's own measurement of
        # the simulation, which includes loading the network from disk) and the child CPU
        # time are for the timed part, run from the random initial state with no burn-in.
        net.run(a.time * b2.second)
        b2.device.build(directory=workdir, compile=True, run=False)
        u0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        b2.device.run(workdir, False, [])
        outer = time.perf_counter() - w0
        u1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (u1.ru_utime - u0.ru_utime) + (u1.ru_stime - u0.ru_stime)
        wall = b2.device._last_run_time or outer
        spikes = int(mon.num_spikes)
        shutil.rmtree(workdir, ignore_errors=True)
        return {
            "name": "Brian2 %s (cpp_standalone, dt = %g ms)" % (b2.__version__, a.dt),
            "spikes": spikes,
            "rate": spikes / (n * a.time),
            "wall": wall,
            "cpu": cpu,
            "setup": build,
        }

    # Burn-in: settles the network and compiles the generated code; not timed.
    if a.burn_in > 0:
        net.run(a.burn_in * b2.second)
    before = int(mon.num_spikes)
    w0, c0 = time.perf_counter(), time.process_time()
    net.run(a.time * b2.second)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    spikes = int(mon.num_spikes) - before
    return {
        "name": "Brian2 %s (%s, dt = %g ms)" % (b2.__version__, target, a.dt),
        "spikes": spikes,
        "rate": spikes / (n * a.time),
        "wall": wall,
        "cpu": cpu,
        "setup": build,
    }


def run_sparseprop(a):
    exe = a.sparseprop
    if exe == "none":
        return None
    if not os.path.exists(exe):
        found = shutil.which("sparseprop")
        if not found:
            print("sparseprop not found at %s; pass --sparseprop PATH" % exe, file=sys.stderr)
            return None
        exe = found
    cmd = [exe, "run", "--model", a.model, "--n", str(a.n), "--time", repr(a.time)]
    if a.tau_syn > 0:
        cmd += ["--tau-syn", repr(a.tau_syn)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print("sparseprop failed (%d): %s" % (p.returncode, p.stderr), file=sys.stderr)
        return None
    s = dict(re.findall(r"^([^:\n]+):\s+(.*)$", p.stdout, re.M))
    return {
        "name": "sparseprop (exact, %s frame)" % s.get("frame", "?"),
        "spikes": int(s["spikes"]),
        "rate": float(s["mean rate (Hz)"]),
        "wall": float(s["wall time (s)"]),
        "cpu": float(s["cpu time (s)"]),
        "setup": float("nan"),
    }


def main():
    a = parse_args()
    syn = ", current-based synapses tau_syn = %g ms" % (a.tau_syn * 1e3) if a.tau_syn > 0 else ""
    print("balanced %s network%s: N = %d, K = %d, J0 = %g, nu = %g Hz, tau = %g ms; "
          "%g s timed after %g s (Brian2) / N spikes (sparseprop) of burn-in"
          % (a.model.upper(), syn, a.n, K, J0, NU, TAU * 1e3, a.time, a.burn_in), flush=True)
    with open("/proc/loadavg") as f:
        load0 = " ".join(f.read().split()[:3])
    results = [run_brian2(a)]
    sp = run_sparseprop(a)
    if sp:
        results.append(sp)
    with open("/proc/loadavg") as f:
        load1 = " ".join(f.read().split()[:3])
    rows = [
        ("spikes", lambda r: "%d" % r["spikes"]),
        ("mean rate (Hz)", lambda r: "%.4f" % r["rate"]),
        ("wall time (s)", lambda r: "%.3f" % r["wall"]),
        ("cpu time (s)", lambda r: "%.3f" % r["cpu"]),
        ("us per spike (wall)", lambda r: "%.3f" % (1e6 * r["wall"] / max(r["spikes"], 1))),
        ("us per spike (cpu)", lambda r: "%.3f" % (1e6 * r["cpu"] / max(r["spikes"], 1))),
    ]
    width = max(len(r["name"]) for r in results) + 2
    print("%-22s" % "" + "".join("%*s" % (width, r["name"]) for r in results))
    for label, f in rows:
        print("%-22s" % label + "".join("%*s" % (width, f(r)) for r in results))
    if sp:
        print("%-22s%*s" % ("wall-time ratio", width, "%.2f x sparseprop"
                            % (results[0]["wall"] / sp["wall"])))
    print("load average %s at the start, %s at the end; Brian2 network build %.1f s (untimed)"
          % (load0, load1, results[0]["setup"]))


if __name__ == "__main__":
    main()
