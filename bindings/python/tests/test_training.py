# record / backward / grads against central finite differences of the forward pass.
import numpy as np
import pytest
import scipy.sparse as sps

import sparseprop as sp
from sparseprop import Network

T_END = 0.08


def make(model="lif"):
    """model: "lif", "qif", or "lif-syn" (LIF with current-based synapses, tau_syn = tau/4)."""
    tau_syn = 0.0025 if model == "lif-syn" else 0.0
    model = model.split("-")[0]
    rng = np.random.default_rng(11)
    n = 12
    W = sps.random(n, n, density=0.3, format="csr", random_state=2,
                   data_rvs=lambda m: rng.uniform(-0.15, 0.1, m))
    U = sps.random(2, n, density=0.5, format="csr", random_state=3,
                   data_rvs=lambda m: rng.uniform(0.05, 0.3, m))
    if model == "lif":
        drives, v0 = rng.uniform(1.1, 1.6, n), rng.uniform(0.0, 0.8, n)
    else:
        drives, v0 = rng.uniform(0.8, 1.5, n), rng.uniform(-2.0, 2.0, n)
    return Network(n, model=model, drives=drives, v0=v0, recurrent=W, inputs=U, tau=0.01,
                   tau_syn=tau_syn)


EVENTS = ([0, 1, 0, 1], [0.005, 0.011, 0.023, 0.04])


def forward(net, kind=None, values=None):
    net.rewind()  # ends a recording, so parameters can be set
    if kind is not None:
        net.set_params(kind, values)
        net.rewind()  # v0 is the state rewind returns to: setting it does not move the state
    net.inputs(*EVENTS)
    return net.run(T_END)


def loss(spikes, net, c, b):
    return float(np.dot(c[:len(spikes.times)], spikes.times) + np.dot(b, net.voltages()))


@pytest.mark.parametrize("model", ["lif", "qif", "lif-syn"])
@pytest.mark.parametrize("kind", ["weights", "input_weights", "drives", "v0"])
def test_gradients_match_finite_differences(model, kind):
    net = make(model)
    base = net.params(kind)
    rng = np.random.default_rng(5)
    net.rewind()
    net.inputs(*EVENTS)
    net.record(10_000)
    spikes = net.run(T_END)
    assert len(spikes.times) > 20
    c = rng.normal(size=len(spikes.times))
    b = rng.normal(size=net.n) if model != "qif" else np.zeros(net.n)
    net.zero_grads()
    net.backward(c, b if model != "qif" else None)
    g = net.grads(kind)
    assert g.shape == base.shape
    h = 1e-7
    fd = np.empty_like(base)
    for j in range(len(base)):
        vals = []
        for sign in (1, -1):
            p = base.copy()
            p[j] += sign * h
            s = forward(net, kind, p)
            assert np.array_equal(s.neurons, spikes.neurons), "spike order changed"
            vals.append(loss(s, net, c, b))
        fd[j] = (vals[0] - vals[1]) / (2 * h)
    forward(net, kind, base)
    scale = max(np.abs(fd).max(), 1e-3)
    assert np.abs(g - fd).max() / scale < 1e-5, (g, fd)
    assert np.abs(fd).max() > 1e-3  # the check is not vacuous


def test_gradients_accumulate_until_zeroed():
    net = make()
    for _ in range(2):
        net.rewind()
        net.record(1000)
        s = net.run(T_END)
        net.backward(np.ones(len(s.times)))
    twice = net.grads("weights")
    net.zero_grads()
    assert np.all(net.grads("weights") == 0) and np.all(net.grads("drives") == 0)
    net.rewind()
    net.record(1000)
    s = net.run(T_END)
    net.backward(np.ones(len(s.times)))
    np.testing.assert_allclose(twice, 2 * net.grads("weights"), rtol=1e-14)
    assert np.abs(twice).max() > 0


def test_record_over_several_runs_and_steps():
    # A recording may span several run() calls and steps; backward sees all of them.
    a, b = make(), make()
    for net in (a, b):
        net.rewind()
        net.record(1000)
    sa = a.run(T_END)
    parts = [b.run(0.02)]
    parts.append(sp.Spikes(*map(np.atleast_1d, b.step())))
    parts.append(b.run(T_END))
    t_b = np.concatenate([p.times for p in parts])
    np.testing.assert_array_equal(sa.times, t_b)
    a.backward(np.ones(len(sa.times)))
    b.backward(np.ones(len(t_b)))
    np.testing.assert_array_equal(a.grads("weights"), b.grads("weights"))
