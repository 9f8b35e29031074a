"""The per-sample training calls through the binding: run_until with spike flags against a
hand-built network with closed-form spike times, inputs all or nothing, replicas on threads
summing the same gradients as one network, and the replica rules."""
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import sparseprop as sp
from sparseprop import Network

TAU = 0.01


def chain():
    """Neuron 0 (drive 1.5) fires on its own at tau ln 3 and kicks neuron 3 over; input
    channel 0 at 1 ms kicks neuron 1 over, which kicks neuron 2 over at that instant."""
    rec = sp.Synapses.csr([0, 1, 2, 2, 2], [3, 2], weight=2.0)
    inp = sp.Synapses.csr([0, 1], [1], weight=2.0)
    net = Network(4, tau=TAU, drives=[1.5, 0.5, 0.5, 0.5], v0=[0.0] * 4, recurrent=rec,
                  n_inputs=1, inputs=inp)
    net.input(0, 0.001)
    return net


def test_run_until_flags():
    both = sp.SPIKE_TRIGGERED | sp.SPIKE_INPUT_TRIGGERED
    with chain() as net:
        out = net.run_until(0.02, [3, 1])
        assert out.completed and net.now == out.times[-1]
        assert out.neurons.tolist() == [1, 2, 0, 3]
        assert out.flags.tolist() == [both, both, 0, sp.SPIKE_TRIGGERED]
        np.testing.assert_allclose(out.times, [0.001, 0.001, TAU * math.log(3), TAU * math.log(3)],
                                   rtol=1e-14)
        net.rewind()
        out = net.run_until(0.002, 3)  # t_end first
        assert not out.completed and net.now == 0.002 and out.neurons.size == 0
        with pytest.raises(sp.ArgumentError):
            net.run_until(0.1, [4])
        net.input(0, 0.003)
        with pytest.raises(sp.CapacityError) as ei:
            net.run_until(0.1, [3], max_spikes=1)
        assert ei.value.spikes.neurons.tolist() == [1]
        # Room for no spike at all is refused (a capacity of 0 would mean "no limit" to C).
        before = net.to_bytes()
        with pytest.raises(sp.ArgumentError, match="max_spikes = 0"):
            net.run_until(0.1, [3], max_spikes=0)
        assert net.to_bytes() == before
        # Without a limit the buffer grows: a long sample in one call.
        drives = np.full(2000, 1.2)
        drives[1999] = 0.5  # never spikes: the run goes to t_end
        with Network(2000, drives=drives, init_seed=1, k=10, seed=2, weight=-0.01) as big:
            out = big.run_until(0.5, [0, 1999])
            assert not out.completed and big.now == 0.5 and out.times.size > 4096
            assert np.all(np.diff(out.times) >= 0) and 1999 not in out.neurons


def test_inputs_all_or_nothing():
    with Network(1, drive=0.5, n_inputs=2, input_k=1, input_weight=0.2, input_capacity=3) as net:
        net.inputs([0, 1, 0], [0.003, 0.001, 0.002])
        net.advance(0.004)
        expect = sum(0.2 * math.exp(-(0.004 - t) / net_tau) for t, net_tau in
                     [(0.003, 0.01), (0.001, 0.01), (0.002, 0.01)])
        expect += 0.5 * (1 - math.exp(-0.004 / 0.01))
        assert net.voltage(0) == pytest.approx(expect, rel=1e-13)
        before = net.to_bytes()
        with pytest.raises(sp.ArgumentError):
            net.inputs([0, 2], [0.01, 0.02])
        with pytest.raises(sp.CapacityError):
            net.inputs([0] * 4, [0.01] * 4)
        assert net.to_bytes() == before


def recurrent():
    rng = np.random.default_rng(3)
    n, k = 40, 8
    rows = np.arange(0, n * k + 1, k)
    targets = (np.repeat(np.arange(n), k) + 1 + rng.integers(0, n - 1, n * k)) % n
    w = 0.2 * (rng.random(n * k) - 0.5)
    inp = sp.Synapses.csr(np.arange(0, 4 * k + 1, k), rng.integers(0, n, 4 * k),
                          0.05 + 0.1 * rng.random(4 * k))
    drives = 0.9 + 0.3 * rng.random(n)
    drives[:3] = 1.05
    return Network(n, tau=TAU, drives=drives, v0=0.5 * rng.random(n),
                   recurrent=sp.Synapses.csr(rows, targets, w), n_inputs=4, inputs=inp)


def sample(net, b):
    rng = np.random.default_rng(100 + b)
    net.rewind()
    net.inputs(np.arange(8) % 4, 0.001 + 0.01 * rng.random(8))
    net.record(4096)
    out = net.run_until(0.2, [0, 1, 2])
    dl_dt = np.zeros(out.times.size)
    for j in range(3):
        hit = np.flatnonzero(out.neurons == j)
        if hit.size:
            dl_dt[hit[0]] = 1.0 + j
    net.backward(dl_dt)


def test_replicas_on_threads_sum_the_gradients():
    with recurrent() as parent, recurrent() as single:
        reps = [parent.replica() for _ in range(2)]
        assert reps[0].parent is parent and reps[0].replica().parent is parent

        def job(t):
            for b in range(t, 6, 2):
                sample(reps[t], b)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(job, range(2)))
        for r in reps:
            parent.accumulate_grads(r)
        for b in range(6):
            sample(single, b)
        for kind in ("weights", "input_weights", "drives", "v0"):
            np.testing.assert_allclose(parent.grads(kind), single.grads(kind), rtol=1e-12,
                                       atol=1e-300)
        assert np.count_nonzero(parent.grads("weights")) > 10

        # Parameters belong to the parent; replicas see a change at their next rewind.
        with pytest.raises(sp.UnsupportedError):
            reps[0].set_params("weights", parent.params("weights"))
        parent.set_params("weights", 1.1 * parent.params("weights"))
        with pytest.raises(sp.StateError):
            reps[0].advance(1.0)
        reps[0].rewind()
        reps[0].advance(0.01)
        with pytest.raises(sp.ArgumentError):
            single.accumulate_grads(reps[0])
        parent.close()
        assert all(r.closed for r in reps)
