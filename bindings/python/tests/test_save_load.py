# Saving and loading: bytes, files, pickling and copies continue bit-identically.
import copy
import pickle

import numpy as np
import pytest
import scipy.sparse as sps

import sparseprop as sp
from sparseprop import Network


def make(tau_syn=0.0):
    W = sps.random(40, 40, density=0.1, format="csr", random_state=3,
                   data_rvs=lambda m: np.linspace(-0.3, 0.2, m))
    return Network(40, drives=np.linspace(1.05, 1.4, 40), recurrent=W, n_inputs=2, input_k=5,
                   input_seed=4, input_weight=0.2, init_seed=5, t_ref=0.001, tau_syn=tau_syn)


def continue_identically(original, restored):
    a, b = original.run(0.5), restored.run(0.5)
    assert len(a.times) > 50
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.neurons, b.neurons)
    np.testing.assert_array_equal(original.voltages(), restored.voltages())


def prepared(tau_syn=0.0):
    net = make(tau_syn)
    net.run(0.1)
    net.inputs([0, 1, 0], [0.12, 0.15, 0.3])  # queued inputs are part of the saved state
    net.set_drive(3, 1.6)
    return net


def test_bytes_round_trip():
    net = prepared()
    data = net.to_bytes()
    assert isinstance(data, bytes) and len(data) > 100
    for form in (data, bytearray(data), memoryview(data)):
        restored = Network.from_bytes(form)
        assert restored.now == net.now and restored.n == net.n
        np.testing.assert_array_equal(restored.params("weights"), net.params("weights"))
        np.testing.assert_array_equal(restored.params("drives"), net.params("drives"))
        assert restored.to_bytes() == data
        continue_identically(net.copy(), restored)
        restored.close()
    net.close()


def test_file_round_trip(tmp_path):
    net = prepared()
    for path in (tmp_path / "net.spn", str(tmp_path / "net2.spn")):
        net.save(path)
        restored = Network.load(path)
        continue_identically(net.copy(), restored)
    assert (tmp_path / "net.spn").read_bytes() == net.to_bytes()
    net.close()


def test_pickle_and_copies():
    net = prepared()
    for clone in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net), copy.copy(net),
                  net.copy()):
        assert isinstance(clone, Network) and clone is not net
        continue_identically(net.copy(), clone)
    # A pickled list of networks keeps them apart.
    nets = pickle.loads(pickle.dumps([net, net.copy()]))
    assert len(nets) == 2 and nets[0].n == 40


@pytest.mark.parametrize("tau_syn", [0.0025, 0.01])
def test_current_synapses_round_trip(tmp_path, tau_syn):
    # Saved mid-flight: synaptic currents J non-zero, inputs queued. Losing tau_syn or J would
    # change the continuation.
    net = prepared(tau_syn)
    net.save(tmp_path / "syn.spn")
    for clone in (Network.from_bytes(net.to_bytes()), Network.load(tmp_path / "syn.spn"),
                  pickle.loads(pickle.dumps(net))):
        assert clone.frame == "time"
        continue_identically(net.copy(), clone)
    delta = prepared(0.0)
    assert not np.array_equal(delta.run(0.5).times, net.copy().run(0.5).times)


def test_corruption_is_refused():
    data = make().to_bytes()
    for cut in (1, len(data) // 2, len(data) - 1):
        with pytest.raises(sp.FormatError):
            Network.from_bytes(data[:cut])
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    with pytest.raises(sp.FormatError):
        Network.from_bytes(bytes(flipped))


def test_closed_network_cannot_be_saved():
    net = make()
    net.close()
    with pytest.raises(sp.StateError):
        net.to_bytes()
    with pytest.raises(sp.StateError):
        pickle.dumps(net)
