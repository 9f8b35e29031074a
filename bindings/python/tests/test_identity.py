# Bit-identical spikes against the C API driven by C programs: the CLI, and tests/c/run_desc.c,
# which builds its own sp_network_desc from plain text (no Python in between).
import math
import subprocess

import numpy as np
import pytest
import scipy.sparse as sps

from sparseprop import Network, Synapses


def lif_balanced(n, k=100, j0=1.0, nu=1.0, tau=0.01):
    # The CLI's formulas, evaluated in the same order (run_options.cpp).
    drive = 1.0 + tau * math.sqrt(k) * j0 * nu
    weight = -j0 / math.sqrt(k)
    return dict(model="lif", tau=tau, drive=drive, k=k, seed=1, weight=weight, init_seed=2)


def test_balanced_network_matches_the_cli(cli, tmp_path):
    n, burn_in, seconds = 3000, 3000, 0.5
    csv = tmp_path / "spikes.csv"
    subprocess.run([str(cli), "run", "--n", str(n), "--burn-in", str(burn_in), "--time",
                    str(seconds), "--spikes-csv", str(csv), "--quiet"], check=True)
    rows = np.loadtxt(csv, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    with Network(n, **lif_balanced(n)) as net:
        burn = net.run(1e9, max_spikes=burn_in)  # stops on the burn_in-th spike, like the CLI
        assert len(burn.times) == burn_in
        times, neurons = net.run(net.now + seconds)
    assert len(times) == rows.shape[0] > 1000
    # %.17g round-trips doubles exactly.
    np.testing.assert_array_equal(times, rows[:, 0])
    np.testing.assert_array_equal(neurons, rows[:, 1].astype(np.uint32))


def hexes(values):
    return " ".join(float(v).hex() for v in np.asarray(values, dtype=np.float64).reshape(-1))


def synapses_text(syn):
    if syn is None:
        return "none"
    if isinstance(syn, Synapses) and not syn.explicit:
        return f"proc {syn.k} {syn.seed} {float(syn.weight).hex()}"
    m = syn.tocsr()
    return (f"csr {m.shape[0]} {' '.join(map(str, m.indptr))} {' '.join(map(str, m.indices))} "
            f"w {hexes(m.data)}")


def run_in_c(c_program, model, n, tau, t_ref, init_seed, drive, drives, v0, rec, n_inputs,
             inp, events, run_ends, tau_syn=0.0):
    lines = [f"{model} {n} {float(tau).hex()} {float(t_ref).hex()} {init_seed} 0 "
             f"{float(tau_syn).hex()}"]
    lines.append(f"1 {hexes(drives)}" if drives is not None else f"0 {float(drive).hex()}")
    lines.append(f"1 {hexes(v0)}" if v0 is not None else "0")
    lines.append(synapses_text(rec))
    lines.append(f"{n_inputs} {synapses_text(inp)}")
    lines.append(f"{len(events)} " + " ".join(f"{c} {float(t).hex()}" for c, t in events))
    lines.append(f"{len(run_ends)} {hexes(run_ends)}")
    out = subprocess.run([str(c_program("run_desc"))], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    times, neurons, volts, now = [], [], [], None
    for line in out.splitlines():
        f = line.split()
        if f[0] == "s":
            times.append(float.fromhex(f[1]))
            neurons.append(int(f[2]))
        elif f[0] == "v":
            volts.append(float.fromhex(f[1]))
        else:
            now = float.fromhex(f[1])
    return np.array(times), np.array(neurons, dtype=np.uint32), np.array(volts), now


def random_case(seed):
    rng = np.random.default_rng(seed)
    model = 1 if seed % 3 else 2
    n = int(rng.integers(5, 60))
    tau = float(rng.uniform(0.005, 0.03))
    t_ref = float(rng.choice([0.0, 0.002]))
    if model == 1:
        drives = rng.uniform(0.8, 1.6, n) if seed % 2 else None
        drive = float(rng.uniform(1.05, 1.5))
        v0 = rng.uniform(0.0, 0.95, n) if seed % 4 else None
    else:
        drives = rng.uniform(0.5, 2.0, n) if seed % 2 else None
        drive = float(rng.uniform(0.5, 2.0))
        v0 = rng.uniform(-3.0, 3.0, n) if seed % 4 else None
    if seed % 5 == 0:
        rec = Synapses.procedural(int(rng.integers(1, n // 2)), int(rng.integers(0, 1000)),
                                  float(rng.uniform(-0.3, 0.1)))
    else:
        rec = sps.random(n, n, density=0.2, format="csr", random_state=seed,
                         data_rvs=lambda m: rng.uniform(-0.4, 0.25, m))
    n_inputs = int(rng.integers(1, 5))
    inp = sps.random(n_inputs, n, density=0.3, format="csr", random_state=seed + 1,
                     data_rvs=lambda m: rng.uniform(0.0, 0.5, m))
    events = sorted((int(rng.integers(0, n_inputs)), float(rng.uniform(0, 0.2)))
                    for _ in range(int(rng.integers(0, 60))))
    rng.shuffle(events)  # the queue orders them; ties keep this order in both
    run_ends = [0.05, 0.1, 0.3]
    return dict(model=model, n=n, tau=tau, t_ref=t_ref, init_seed=seed, drive=drive,
                drives=drives, v0=v0, rec=rec, n_inputs=n_inputs, inp=inp, events=events,
                run_ends=run_ends)


@pytest.mark.parametrize("seed", range(1, 16))
def test_random_networks_match_a_c_driver(c_program, seed):
    case = random_case(seed)
    t_c, i_c, v_c, now_c = run_in_c(c_program, **case)
    kw = dict(model={1: "lif", 2: "qif"}[case["model"]], tau=case["tau"], t_ref=case["t_ref"],
              init_seed=case["init_seed"], v0=case["v0"], recurrent=case["rec"],
              inputs=case["inp"], n_inputs=case["n_inputs"])
    if case["drives"] is not None:
        kw["drives"] = case["drives"]
    else:
        kw["drive"] = case["drive"]
    with Network(case["n"], **kw) as net:
        events = case["events"]
        net.inputs([c for c, _ in events], [t for _, t in events])
        parts = [net.run(t) for t in case["run_ends"]]
        times = np.concatenate([p.times for p in parts])
        neurons = np.concatenate([p.neurons for p in parts])
        np.testing.assert_array_equal(times, t_c)
        np.testing.assert_array_equal(neurons, i_c)
        np.testing.assert_array_equal(net.voltages(), v_c)
        assert net.now == now_c
        assert len(times) > 0


@pytest.mark.parametrize("seed,ratio", [(1, 0.25), (2, 0.5), (4, 1.0), (5, 2.0), (7, 0.13),
                                        (8, 0.25), (10, 4.0), (11, 0.5)])
def test_current_synapse_networks_match_a_c_driver(c_program, seed, ratio):
    # The same random LIF networks with current-based synapses (tau_syn = ratio * tau; 1 is
    # the t e^(-t/tau) form), refractory periods and inputs included.
    case = random_case(seed)
    assert case["model"] == 1
    case["tau_syn"] = ratio * case["tau"]
    t_c, i_c, v_c, now_c = run_in_c(c_program, **case)
    kw = dict(model="lif", tau=case["tau"], t_ref=case["t_ref"], init_seed=case["init_seed"],
              v0=case["v0"], recurrent=case["rec"], inputs=case["inp"],
              n_inputs=case["n_inputs"], tau_syn=case["tau_syn"])
    if case["drives"] is not None:
        kw["drives"] = case["drives"]
    else:
        kw["drive"] = case["drive"]
    with Network(case["n"], **kw) as net:
        events = case["events"]
        net.inputs([c for c, _ in events], [t for _, t in events])
        parts = [net.run(t) for t in case["run_ends"]]
        times = np.concatenate([p.times for p in parts])
        neurons = np.concatenate([p.neurons for p in parts])
        np.testing.assert_array_equal(times, t_c)
        np.testing.assert_array_equal(neurons, i_c)
        np.testing.assert_array_equal(net.voltages(), v_c)
        assert net.now == now_c
        assert len(times) > 0
        assert net.frame == "time"
    # The description reached the library: the same network with delta synapses differs.
    with Network(case["n"], **dict(kw, tau_syn=0.0)) as delta:
        delta.inputs([c for c, _ in events], [t for _, t in events])
        assert not np.array_equal(delta.run(case["run_ends"][-1]).times, times)
