# The Network surface: creation from every kind of description, running, inputs, state.
import math

import numpy as np
import pytest
import scipy.sparse as sps

import sparseprop as sp
from sparseprop import Network, Synapses


def lif_period(drive, tau):
    return tau * math.log(drive / (drive - 1.0))


def small_csr():
    # 0 -> 1 (0.3), 0 -> 2 (0.2), 2 -> 0 (-0.1); neuron 1 has no targets.
    W = sps.csr_matrix(([0.3, 0.2, -0.1], ([0, 0, 2], [1, 2, 0])), shape=(3, 3))
    return W


def test_library_version_and_how_it_was_found():
    assert sp.library_version() == "0.3.0"
    assert sp.__version__ == sp.library_version()
    assert isinstance(sp.library_found_by, str) and sp.library_found_by


def test_single_neuron_fires_at_its_free_period():
    tau, drive = 0.02, 1.5
    with Network(1, drive=drive, tau=tau, v0=[0.0]) as net:
        times, neurons = net.run(10 * lif_period(drive, tau) + 1e-9)
        assert times.dtype == np.float64 and neurons.dtype == np.uint32
        assert len(times) == 10
        expected = lif_period(drive, tau) * np.arange(1, 11)
        np.testing.assert_allclose(times, expected, rtol=1e-12)
        assert np.all(neurons == 0)


def test_qif_free_period():
    tau, drive = 0.01, 4.0
    with Network(1, model="qif", drive=drive, tau=tau, v0=[-1e300]) as net:
        t, i = net.step()
        # From V = -1e300 (phase ~ -pi) the first spike is one period away, up to 1e-300.
        assert i == 0 and t == pytest.approx(math.pi * tau / math.sqrt(drive), rel=1e-12)


def test_matrix_orientation_rows_are_sources():
    # Neuron 0 fires first (v0 close to threshold); its synapse 0 -> 2 of weight 0.6 takes
    # neuron 2 from 0.5 to threshold at the same time: a spike of neuron 2 at neuron 0's time.
    # With the matrix transposed, neuron 0 would receive the input instead.
    W = sps.csr_matrix(([0.6], ([0], [2])), shape=(3, 3))
    drive, tau = 0.9, 0.01  # below threshold: nothing fires on its own
    with Network(3, drive=drive, tau=tau, recurrent=W, v0=[0.99, 0.0, 0.5],
                 n_inputs=1, inputs=sps.csr_matrix(([0.02], ([0], [0])), shape=(1, 3))) as net:
        net.input(0, 0.001)
        times, neurons = net.run(0.01)
        assert neurons.tolist() == [0, 2]
        assert times[0] == times[1] == 0.001


def test_every_connectivity_form_gives_the_same_network():
    W = small_csr()
    v0 = [0.1, 0.5, 0.9]
    forms = [
        W,
        W.tocoo(),
        (W.indptr, W.indices, W.data),
        Synapses.csr(W.indptr, W.indices, W.data),
        Synapses.from_matrix(W.tocsc()),
    ]
    results = []
    for rec in forms:
        with Network(3, drive=1.3, recurrent=rec, v0=v0) as net:
            np.testing.assert_array_equal(net.params("weights"), W.data)
            results.append(net.run(0.2))
    for times, neurons in results[1:]:
        np.testing.assert_array_equal(times, results[0].times)
        np.testing.assert_array_equal(neurons, results[0].neurons)
    assert len(results[0].times) > 10


def test_shared_weight_csr_and_procedural_shortcuts():
    with Network(3, drive=1.3, recurrent=Synapses.csr([0, 1, 1, 2], [1, 0], weight=0.05),
                 v0=[0.1, 0.5, 0.9]) as net:
        assert net.param_count("weights") == 1
        np.testing.assert_array_equal(net.params(sp.Param.WEIGHTS), [0.05])
    a = Network(50, drive=1.2, k=5, seed=3, weight=-0.05, init_seed=1)
    b = Network(50, drive=1.2, recurrent=Synapses.procedural(5, 3, -0.05), init_seed=1)
    ta, tb = a.run(0.3), b.run(0.3)
    np.testing.assert_array_equal(ta.times, tb.times)
    assert a.param_count("weights") == 1 and a.params("weights")[0] == -0.05
    a.close()
    b.close()


def test_drives_array_and_frames():
    drives = np.linspace(1.1, 1.5, 10)
    with Network(10, drives=drives, init_seed=4) as net:
        assert net.frame == "time"
        np.testing.assert_array_equal(net.params("drives"), drives)
    with Network(10, drive=1.2, init_seed=4) as net:
        assert net.frame == "phase"
        net.set_drive(3, 1.4)
        assert net.frame == "time"
    with Network(10, drive=1.2, init_seed=4, frame="time") as net:
        assert net.frame == "time"
    with Network(10, drive=1.2, init_seed=4, frame=sp.Frame.PHASE, model=sp.Model.LIF) as net:
        assert net.frame == "phase"


def test_init_seed_phases_follow_the_documented_formula():
    # r = mix64(mix64(seed) + i), frac = (r >> 11) 2^-53, V = I (1 - exp(-frac T / tau)).
    M = 2**64

    def mix64(z):
        z ^= z >> 30
        z = (z * 0xbf58476d1ce4e5b9) % M
        z ^= z >> 27
        z = (z * 0x94d049bb133111eb) % M
        return z ^ (z >> 31)

    drive, tau, seed = 1.25, 0.01, 99
    with Network(5, drive=drive, tau=tau, init_seed=seed) as net:
        v = net.voltages()
    period = lif_period(drive, tau)
    for i in range(5):
        frac = (mix64((mix64(seed) + i) % M) >> 11) * 2.0**-53
        assert v[i] == pytest.approx(drive * (1 - math.exp(-frac * period / tau)), rel=1e-12)


def test_voltages_voltage_and_now():
    with Network(4, drive=0.5, tau=0.01, v0=[0.0, 0.1, 0.2, 0.3]) as net:
        assert net.now == 0.0 and len(net) == 4 and net.n == 4
        # Kept in co-moving coordinates: the round trip may cost an ulp.
        np.testing.assert_allclose(net.voltages(), [0.0, 0.1, 0.2, 0.3], rtol=0, atol=1e-15)
        assert len(net.run(0.01).times) == 0
        assert net.now == 0.01
        v = net.voltages()
        # LIF relaxes towards the drive: V(t) = I + (V0 - I) exp(-t / tau).
        expected = 0.5 + (np.array([0.0, 0.1, 0.2, 0.3]) - 0.5) * math.exp(-1.0)
        np.testing.assert_allclose(v, expected, rtol=1e-13)
        for i in range(4):
            assert net.voltage(i) == v[i]


def test_step_matches_run():
    a = Network(200, drive=1.1, k=20, seed=5, weight=-0.05, init_seed=6)
    b = a.copy()
    stepped = [a.step() for _ in range(500)]
    times, neurons = b.run(np.nextafter(stepped[-1][0], np.inf))
    assert len(times) == 500
    assert [t for t, _ in stepped] == times.tolist()
    assert [i for _, i in stepped] == neurons.tolist()
    a.close()
    b.close()


def test_run_in_pieces_equals_one_run_and_max_spikes():
    a = Network(300, drive=1.1, k=30, seed=1, weight=-0.05, init_seed=2)
    b = a.copy()
    whole = a.run(1.0)
    parts = []
    while True:
        part = b.run(1.0, max_spikes=777)
        parts.append(part)
        if len(part.times) < 777:
            break
        assert b.now == part.times[-1]  # stopped at the last returned spike
    np.testing.assert_array_equal(np.concatenate([p.times for p in parts]), whole.times)
    np.testing.assert_array_equal(np.concatenate([p.neurons for p in parts]), whole.neurons)
    assert b.now == 1.0 and len(whole.times) > 3 * 777
    assert len(b.run(1.1, max_spikes=0).times) == 0 and b.now == 1.0
    a.close()
    b.close()


def test_run_grows_its_buffer_across_many_chunks():
    # More spikes than the first chunks hold: the growing buffer must keep every spike once.
    with Network(2000, drive=1.1, k=50, seed=1, weight=-0.02, init_seed=2) as net:
        ref = net.copy()
        times, neurons = net.run(3.0)
        assert len(times) > 4096 * 3
        assert np.all(np.diff(times) >= 0)
        assert ref.advance(3.0) == len(times)
        ref.close()


def _fail_spike_buffers_after(monkeypatch, calls_allowed):
    """np.empty raises MemoryError for spike buffers after ``calls_allowed`` of them (as when
    Python's memory runs out mid-run); other arrays are unaffected."""
    real = np.empty
    calls = [0]

    def empty(shape, dtype=float, *args, **kwargs):
        if np.dtype(dtype).names and "neuron" in np.dtype(dtype).names:
            calls[0] += 1
            if calls[0] > calls_allowed:
                raise MemoryError("test: no memory")
        return real(shape, dtype, *args, **kwargs)

    monkeypatch.setattr(np, "empty", empty)


def test_run_out_of_python_memory_keeps_the_spikes(monkeypatch):
    # A run that cannot get its next spike buffer raises NoMemoryError (a MemoryError) with the
    # spikes the network processed in e.spikes; the network stopped at the last of them, and
    # the next run goes on from there: nothing is lost (numpy's MemoryError lost them).
    with Network(2000, drive=1.1, k=50, seed=1, weight=-0.02, init_seed=2) as net:
        ref = net.copy()
        whole = ref.run(3.0)
        _fail_spike_buffers_after(monkeypatch, 2)
        with pytest.raises(sp.NoMemoryError) as ei:
            net.run(3.0)
        assert isinstance(ei.value, MemoryError) and "e.spikes" in ei.value.message
        got = ei.value.spikes
        assert len(got.times) == 4096 + 8192 and net.now == got.times[-1]
        monkeypatch.undo()
        rest = net.run(3.0)
        np.testing.assert_array_equal(np.concatenate([got.times, rest.times]), whole.times)
        np.testing.assert_array_equal(np.concatenate([got.neurons, rest.neurons]), whole.neurons)
        # run_until likewise, its spikes a SampleSpikes.
        net.rewind()
        _fail_spike_buffers_after(monkeypatch, 1)
        with pytest.raises(sp.NoMemoryError) as ei:
            net.run_until(3.0, list(range(2000)))
        got = ei.value.spikes
        assert len(got.times) == 4096 and not got.completed and net.now == got.times[-1]
        np.testing.assert_array_equal(got.neurons, whole.neurons[:4096])
        # When the spikes cannot be joined either, e.spikes is None and the message says so.
        monkeypatch.undo()
        net.rewind()
        _fail_spike_buffers_after(monkeypatch, 2)
        monkeypatch.setattr(np, "concatenate", lambda *a, **k: (_ for _ in ()).throw(
            MemoryError("test: no memory")))
        with pytest.raises(sp.NoMemoryError) as ei:
            net.run(3.0)
        assert ei.value.spikes is None and "could not be joined" in ei.value.message
        ref.close()


def test_advance_counts_like_run():
    a = Network(100, drive=1.2, k=10, seed=1, weight=-0.1, init_seed=3)
    b = a.copy()
    assert a.advance(0.3) == len(b.run(0.3).times)
    np.testing.assert_array_equal(a.voltages(), b.voltages())


def test_inputs_from_arrays_equal_single_inputs():
    kw = dict(drive=0.5, tau=0.01, n_inputs=3, input_k=4, input_seed=9, input_weight=0.3,
              k=3, seed=2, weight=0.2)
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 0.1, 200))
    channels = rng.integers(0, 3, 200)
    a = Network(20, **kw)
    b = Network(20, **kw)
    a.inputs(channels, times)
    for c, t in zip(channels, times):
        b.input(int(c), float(t))
    ra, rb = a.run(0.2), b.run(0.2)
    assert len(ra.times) > 20
    np.testing.assert_array_equal(ra.times, rb.times)
    np.testing.assert_array_equal(ra.neurons, rb.neurons)
    # One channel for all events.
    a.rewind()
    a.inputs(1, [0.01, 0.02])
    assert a.param_count("input_weights") == 1
    a.close()
    b.close()


def test_input_queue_order_and_unsorted_arrays():
    # Unsorted times are fine: the queue orders by time, ties by queueing order.
    kw = dict(drive=0.0, n_inputs=1, inputs=sps.csr_matrix(np.full((1, 2), 0.6)), v0=[0, 0])
    with Network(2, **kw) as net:
        net.inputs([0, 0], [0.003, 0.001])
        times, neurons = net.run(0.01)
        # Two kicks of 0.6 with decay exp(-0.2) in between: 0.6 e^-0.2 + 0.6 = 1.09 >= 1.
        assert times.tolist() == [0.003, 0.003] and neurons.tolist() == [0, 1]


def test_set_drive_and_rewind_reproduce():
    net = Network(100, drive=1.1, k=10, seed=3, weight=-0.05, init_seed=1)
    first = net.run(0.2)
    net.rewind()
    assert net.now == 0.0
    again = net.run(0.2)
    np.testing.assert_array_equal(first.times, again.times)
    net.set_drive(0, 3.0)
    assert net.params("drives")[0] == 3.0
    net.rewind()  # drives are kept
    assert net.params("drives")[0] == 3.0
    changed = net.run(0.2)
    assert (changed.neurons == 0).sum() > (first.neurons == 0).sum()
    net.close()


def test_params_are_copies_and_set_params():
    W = small_csr()
    with Network(3, drive=1.3, recurrent=W, v0=[0.1, 0.5, 0.9]) as net:
        w = net.params("weights")
        w[:] = 7.0
        np.testing.assert_array_equal(net.params("weights"), W.data)
        net.set_params("weights", [0.1, 0.2, 0.3])
        np.testing.assert_array_equal(net.params(sp.Param.WEIGHTS), [0.1, 0.2, 0.3])
        net.set_params("v0", [0.0, 0.0, 0.0])
        net.rewind()
        np.testing.assert_array_equal(net.voltages(), [0.0, 0.0, 0.0])
        assert net.param_count("v0") == 3 and net.param_count(sp.Param.DRIVES) == 3
        assert net.param_count("input_weights") == 0


def test_memory_matches_a_formula_free_invariant():
    # sp_network_memory is what create allocates; here: it grows with n and with explicit
    # synapses, and equals for equal descriptions.
    m1 = sp.network_memory(1000, drive=1.1, k=10, seed=1, weight=-0.1)
    m2 = sp.network_memory(2000, drive=1.1, k=10, seed=1, weight=-0.1)
    W = sps.random(1000, 1000, density=0.01, format="csr", random_state=1)
    m3 = sp.network_memory(1000, drive=1.1, recurrent=W)
    assert 0 < m1 < m2 and m3 > m1 + W.nnz * 12
    assert sp.network_memory(1000, drive=1.1, k=10, seed=1, weight=-0.1) == m1


def test_close_is_idempotent_and_context_manager_closes():
    net = Network(3, drive=1.2)
    assert not net.closed
    net.close()
    net.close()
    assert net.closed and "closed" in repr(net)
    with pytest.raises(sp.StateError, match="closed"):
        net.run(1.0)
    with pytest.raises(sp.StateError):
        _ = net.now
    # Closed comes first, also with arguments the binding would refuse (an outside review:
    # converting the arguments first gave TypeError and ArgumentError here).
    for call in (lambda: net.run("a"), lambda: net.advance("a"), lambda: net.input(0, "x"),
                 lambda: net.inputs([0, 1], [0.01]), lambda: net.run_until(1.0, [0], 0),
                 lambda: net.set_drive(0, "x"), lambda: net.record("x"),
                 lambda: net.set_params("drives", "x"), lambda: net.backward("x")):
        with pytest.raises(sp.StateError, match="closed"):
            call()
    with Network(3, drive=1.2) as net2:
        assert "n=3" in repr(net2)
    assert net2.closed


def test_enums_and_strings():
    assert Network(2, model="QIF", drive=1.0).frame == "phase"
    with pytest.raises(sp.ArgumentError, match="model = 'hh'"):
        Network(2, model="hh", drive=1.0)
    with pytest.raises(sp.ArgumentError, match="kind"):
        Network(2, drive=1.0).params("gains")


def test_input_channel_count_is_inferred_from_explicit_inputs():
    for inputs in (([0, 1, 2], [0, 1], [0.3, 0.4]), Synapses.csr([0, 1, 2], [0, 1], [0.3, 0.4]),
                   sps.csr_matrix(([0.3, 0.4], ([0, 1], [0, 1])), shape=(2, 2))):
        with Network(2, drive=0.5, inputs=inputs) as net:
            assert net.param_count("input_weights") == 2
            net.input(1, 0.001)  # channel 1 exists
            with pytest.raises(sp.ArgumentError):
                net.input(2, 0.001)


def test_empty_explicit_connectivity():
    with Network(3, drive=1.1, recurrent=sps.csr_matrix((3, 3)), v0=[0, 0, 0]) as net:
        # Three independent neurons at their free period.
        times, _ = net.run(0.05)
        assert len(times) == 3 * int(0.05 / lif_period(1.1, 0.01))


def test_synapses_objects_describe_themselves():
    p = Synapses.procedural(5, seed=3, weight=-0.1)
    assert not p.explicit and p.n_sources is None
    assert repr(p) == "Synapses.procedural(k=5, seed=3, weight=-0.1)"
    c = Synapses.csr([0, 2, 3], [1, 0, 1], [0.1, 0.2, 0.3])
    assert c.explicit and c.n_sources == 2
    assert c.row_ptr.dtype == np.uint64 and c.targets.dtype == np.uint32
    assert repr(c) == "Synapses.csr(n_sources=2, nnz=3, weights)"
    s = Synapses.csr([0, 1], [0], weight=0.5)
    assert "weight=0.5" in repr(s) and s.weights is None
    with pytest.raises(sp.ArgumentError):
        Synapses.procedural(-1)
    with pytest.raises(sp.ArgumentError):
        Synapses.procedural(1, seed=2**64)


def test_networks_in_threads_are_independent():
    import threading

    def work(seed, out):
        with Network(500, drive=1.1, k=20, seed=seed, weight=-0.05, init_seed=seed) as net:
            out[seed] = net.run(1.0)

    threaded, sequential = {}, {}
    threads = [threading.Thread(target=work, args=(s, threaded)) for s in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in (1, 2, 3):
        work(s, sequential)
        np.testing.assert_array_equal(threaded[s].times, sequential[s].times)
        np.testing.assert_array_equal(threaded[s].neurons, sequential[s].neurons)


def test_run_stopped_by_a_numeric_refusal_keeps_its_spikes():
    # The C header: after SP_ERR_NUMERIC the events processed stay, and *count gives their
    # spikes; Network.run gives them to the exception (it dropped them before). A neuron with
    # a free period of 2^-29 tau is held down by inputs until t = 2^27 tau, where that period
    # is below the time resolution: its second spike there would not advance time.
    times = np.arange(0.0, 2.0**27, 200.0)
    net = sp.Network(1, drive=2.0**29, tau=1.0, v0=[0.0], n_inputs=1, input_k=1,
                     input_weight=-1e100, input_capacity=len(times))
    net.inputs(np.zeros(len(times), dtype=np.int64), times)
    with pytest.raises(sp.NumericError, match="resolution") as e:
        net.run(2.0**27 + 1000)
    assert len(e.value.spikes.times) == 1 and e.value.spikes.times[0] == net.now
    assert net.now > times[-1]
