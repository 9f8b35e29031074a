# EIF and custom models (model_params) through the binding: free periods against quadrature and
# closed forms computed here, custom F = -V against LIF, the callback's errors, every
# rejection, save/load without the callback, gradients against finite differences.
import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sps
from scipy.integrate import quad

import sparseprop as sp
from sparseprop import Network

TAU = 0.01


def eif_period(drive, delta_t=0.1, v_t=1.0, v_reset=0.0):
    """tau times the time of flight from v_reset to +inf of dV/ds = -V + I + D exp((V-V_T)/D),
    by adaptive quadrature (split where the exponential takes over)."""
    def rate(v):
        x = (v - v_t) / delta_t
        return 0.0 if x > 700 else 1.0 / (-v + drive + delta_t * math.exp(x))
    edge = v_t + 40 * delta_t
    a, _ = quad(rate, v_reset, v_t, epsabs=0, epsrel=1e-13, limit=200)
    b, _ = quad(rate, v_t, edge, epsabs=0, epsrel=1e-13, limit=200)
    c, _ = quad(rate, edge, math.inf, epsabs=0, epsrel=1e-13, limit=200)
    return TAU * (a + b + c)


@pytest.mark.parametrize("drive,delta_t,v_t", [(1.2, 0.1, 1.0), (0.95, 0.1, 1.0),
                                               (1.5, 0.3, 1.2)])
def test_eif_free_period_matches_quadrature(drive, delta_t, v_t):
    period = eif_period(drive, delta_t, v_t)
    kw = {} if (delta_t, v_t) == (0.1, 1.0) else dict(delta_t=delta_t, v_t=v_t)
    with Network(1, model="eif", tau=TAU, drive=drive, v0=[0.0], **kw) as net:
        times, _ = net.run(10.5 * period)
    assert len(times) == 10
    np.testing.assert_allclose(times, period * np.arange(1, 11), rtol=1e-11)


def test_eif_defaults_are_the_documented_ones():
    a = Network(3, model="eif", drive=1.1, v0=[0.0, 0.2, 0.5])
    b = Network(3, model="eif", drive=1.1, v0=[0.0, 0.2, 0.5], v_reset=0.0, v_spike=math.inf,
                delta_t=0.1, v_t=1.0)
    np.testing.assert_array_equal(a.run(0.2).times, b.run(0.2).times)


def test_custom_quadratic_matches_the_closed_form():
    # F = V^2 with reset v_r and spike at +inf: T = tau (pi/2 - atan(v_r/sqrt(I)))/sqrt(I).
    drive, v_r = 1.7, -5.0
    period = TAU * (math.pi / 2 - math.atan(v_r / math.sqrt(drive))) / math.sqrt(drive)
    calls = []

    def f(v):
        calls.append(v)
        return v * v

    with Network(1, model="custom", f=f, v_reset=v_r, tau=TAU, drive=drive, v0=[v_r]) as net:
        n_calls = len(calls)
        times, _ = net.run(8.5 * period)
        assert len(calls) == n_calls  # called only at creation
    assert n_calls > 100
    np.testing.assert_allclose(times, period * np.arange(1, 9), rtol=1e-11)


def test_custom_minus_v_is_lif():
    # F = -V, threshold 1, reset 0 is LIF: a recurrent network with inputs gives the same
    # spikes (times within 1e-12 relative, as the library's own test).
    rng = np.random.default_rng(3)
    n = 30
    W = sps.random(n, n, density=0.2, format="csr", random_state=1,
                   data_rvs=lambda m: rng.uniform(-0.2, 0.1, m))
    U = sps.random(2, n, density=0.5, format="csr", random_state=2,
                   data_rvs=lambda m: rng.uniform(0.0, 0.3, m))
    drives = rng.choice([1.1, 1.25, 1.4], n)  # few distinct drives: one table each
    v0 = rng.uniform(0, 0.9, n)
    common = dict(tau=TAU, drives=drives, v0=v0, recurrent=W, inputs=U)
    lif = Network(n, model="lif", **common)
    custom = Network(n, model="custom", f=lambda v: -v, v_spike=1.0, v_reset=0.0, **common)
    for net in (lif, custom):
        net.inputs([0, 1, 0], [0.01, 0.02, 0.05])
    a, b = lif.run(0.2), custom.run(0.2)
    assert len(a.times) > 100
    np.testing.assert_array_equal(a.neurons, b.neurons)
    np.testing.assert_allclose(b.times, a.times, rtol=1e-12)


def test_callback_errors_propagate():
    class Boom(Exception):
        pass

    def f(v):
        if v > 0.5:
            raise Boom(f"no F at {v}")
        return -v

    with pytest.raises(Boom) as ei:
        Network(2, model="custom", f=f, v_spike=1.0, drive=1.2)
    assert isinstance(ei.value.__cause__, sp.SparsePropError)
    with pytest.raises(Boom):
        sp.network_memory(2, model="custom", f=f, v_spike=1.0, drive=1.2)
    with pytest.raises(TypeError, match="callable"):
        Network(2, model="custom", f=3.0, v_spike=1.0, drive=1.2)
    # f returns something that is not a number: TypeError (README: strings where numbers
    # belong), also for a string float() would parse
    for bad in ("x", "-1.0", None):
        with pytest.raises(TypeError, match=r"f\(V\) must be a number, not"):
            Network(2, model="custom", f=lambda v, bad=bad: bad, v_spike=1.0, drive=1.2)
    with pytest.raises(sp.UnsupportedError):  # F not finite: cannot be tabulated
        Network(2, model="custom", f=lambda v: math.nan, v_spike=1.0, drive=1.2)
    # F in single precision: said as such (it was refused for F + I "nearly zero somewhere");
    # float64 scalars are numbers like any other.
    singles = [lambda v: np.float32(-v)]
    try:
        import torch
        singles.append(lambda v: torch.tensor(-v, dtype=torch.float32))
    except ImportError:  # (PyTorch is optional)
        pass
    for single in singles:
        with pytest.raises(TypeError, match="float32 value; the phase tables need F in double"):
            Network(2, model="custom", f=single, v_spike=1.0, drive=1.2)
    Network(2, model="custom", f=lambda v: np.float64(-v), v_spike=1.0, drive=1.2).close()


def test_model_params_rejections():
    # Each names the field and value (the library's messages).
    cases = [
        (dict(model="custom", drive=1.2), sp.ArgumentError, "f"),
        (dict(model="eif", drive=1.2, f=lambda v: -v), sp.ArgumentError, "f"),
        (dict(model="eif", drive=1.2, delta_t=0.0), sp.ArgumentError, "delta_t"),
        (dict(model="eif", drive=1.2, delta_t=-0.1), sp.ArgumentError, "delta_t"),
        (dict(model="eif", drive=1.2, v_t=math.nan), sp.ArgumentError, "v_t"),
        (dict(model="eif", drive=1.2, v_reset=math.inf), sp.ArgumentError, "v_reset"),
        (dict(model="eif", drive=1.2, v_reset=0.5, v_spike=0.5), sp.ArgumentError, "v_spike"),
        (dict(model="lif", drive=1.2, v_reset=0.0), sp.UnsupportedError, "v_reset given"),
        (dict(model="qif", drive=1.2, delta_t=0.1), sp.UnsupportedError, "delta_t given"),
        (dict(model="eif", drive=0.5), sp.UnsupportedError, "drive"),  # excitable
        (dict(model="custom", f=lambda v: -v, v_spike=1.0, drive=0.9), sp.UnsupportedError,
         "drive"),
        (dict(model="eif", drives=np.linspace(1.1, 2.0, 65)), sp.UnsupportedError, "64"),
    ]
    for kwargs, cls, word in cases:
        n = len(kwargs.get("drives", [0, 0]))
        with pytest.raises(cls) as ei:
            Network(n, **kwargs)
        assert word in ei.value.message, (kwargs, ei.value.message)
    with pytest.raises(TypeError, match="delta_t"):
        Network(2, model="eif", drive=1.2, delta_t="wide")


def test_drives_only_from_the_creation_set():
    net = Network(2, model="eif", drives=[1.2, 1.5], v0=[0.0, 0.0])
    net.set_drive(0, 1.5)  # a drive given at creation
    with pytest.raises(sp.UnsupportedError, match="drive"):
        net.set_drive(0, 1.3)
    net.set_params("drives", [1.5, 1.2])
    with pytest.raises(sp.UnsupportedError):
        net.set_params("drives", [1.3, 1.2])


@pytest.mark.parametrize("model", ["eif", "custom"])
def test_save_load_without_the_callback(tmp_path, model):
    kw = dict(model="eif") if model == "eif" else dict(
        model="custom", f=lambda v: 0.5 * v * v - v, v_reset=-1.0)
    net = Network(40, drives=np.repeat([1.1, 1.3], 20), k=4, seed=2, weight=0.05,
                  init_seed=3, n_inputs=1, input_k=10, input_weight=0.2, **kw)
    net.run(0.03)
    net.inputs([0, 0], [0.04, 0.05])
    data = pickle.dumps(net)
    del kw  # the callback is gone: loading uses the saved tables
    net.save(tmp_path / "m.spn")
    for clone in (pickle.loads(data), Network.load(tmp_path / "m.spn")):
        a, b = net.copy().run(0.3), clone.run(0.3)
        assert len(a.times) > 100
        np.testing.assert_array_equal(a.times, b.times)
        np.testing.assert_array_equal(a.neurons, b.neurons)


@pytest.mark.parametrize("model", ["eif", "custom"])
@pytest.mark.parametrize("kind", ["weights", "input_weights", "v0"])
def test_gradients_match_finite_differences(model, kind):
    # Drives are fixed by the tables, so only the other kinds move here.
    kw = dict(model="eif") if model == "eif" else dict(
        model="custom", f=lambda v: 0.5 * v * v - v, v_reset=-1.0)
    rng = np.random.default_rng(8)
    n = 10
    W = sps.random(n, n, density=0.3, format="csr", random_state=5,
                   data_rvs=lambda m: rng.uniform(-0.1, 0.1, m))
    U = sps.random(2, n, density=0.5, format="csr", random_state=6,
                   data_rvs=lambda m: rng.uniform(0.05, 0.2, m))
    net = Network(n, tau=TAU, drives=np.repeat([1.1, 1.4], n // 2),
                  v0=rng.uniform(-0.2, 0.6, n), recurrent=W, inputs=U, **kw)
    events = ([0, 1, 0], [0.004, 0.011, 0.02])

    def forward(values=None):
        net.rewind()
        if values is not None:
            net.set_params(kind, values)
            net.rewind()
        net.inputs(*events)
        return net.run(0.1)

    base = net.params(kind)
    net.rewind()
    net.inputs(*events)
    net.record(10_000)
    spikes = net.run(0.1)
    assert len(spikes.times) > 15
    c = rng.normal(size=len(spikes.times))
    net.zero_grads()
    net.backward(c)
    g = net.grads(kind)
    h = 1e-7
    fd = np.empty_like(base)
    for j in range(len(base)):
        vals = []
        for sign in (1, -1):
            p = base.copy()
            p[j] += sign * h
            s = forward(p)
            assert np.array_equal(s.neurons, spikes.neurons), "spike order changed"
            vals.append(float(np.dot(c, s.times)))
        fd[j] = (vals[0] - vals[1]) / (2 * h)
    scale = max(np.abs(fd).max(), 1e-3)
    assert np.abs(fd).max() > 1e-3
    assert np.abs(g - fd).max() / scale < 1e-5, (g, fd)
