# Current-based synapses (tau_syn > 0) through the binding, against closed forms of one LIF
# neuron: tau dV/dt = -V + I + J, tau_syn dJ/dt = -J, an input of weight w raising J by
# w tau/tau_syn, reset to V = 0 with J unchanged, V held at 0 for t_ref while J decays.
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from sparseprop import Network

TAU = 0.02


def v_after(s, v_start, j_start, drive, tau_syn):
    """V at s >= 0 after a moment where V = v_start and J = j_start, with no event between."""
    if tau_syn == TAU:
        syn = j_start * (s / TAU) * math.exp(-s / TAU)
    else:
        syn = j_start * tau_syn / (tau_syn - TAU) * (math.exp(-s / tau_syn) - math.exp(-s / TAU))
    return drive + (v_start - drive) * math.exp(-s / TAU) + syn


def closed_form_spikes(drive, w, t_in, tau_syn, t_ref, t_end):
    """Spike times of a neuron starting at V = J = 0 with one input at t_in: V in closed form
    between events, each crossing of V = 1 bracketed on a fine grid and solved by brentq."""
    # Before the input no spike (drive < 1); from the input on, V and J in closed form.
    t0, v, j = t_in, v_after(t_in, 0.0, 0.0, drive, tau_syn), w * TAU / tau_syn
    spikes = []
    grid = np.linspace(0.0, t_end - t0, 200_001)
    while True:
        vals = np.array([v_after(s, v, j, drive, tau_syn) for s in grid[:: 100]])
        above = np.nonzero(vals >= 1.0)[0]
        if len(above) == 0:
            return spikes, (t0, v, j)
        k = above[0] * 100
        fine = np.array([v_after(s, v, j, drive, tau_syn) for s in grid[max(k - 100, 0):k + 1]])
        k = max(k - 100, 0) + int(np.nonzero(fine >= 1.0)[0][0])
        s = brentq(lambda s: v_after(s, v, j, drive, tau_syn) - 1.0, grid[k - 1], grid[k],
                   xtol=1e-16, rtol=4 * np.finfo(float).eps)
        spikes.append(t0 + s)
        # Reset: V = 0, J unchanged; V held at 0 for t_ref while J decays.
        j *= math.exp(-(s + t_ref) / tau_syn)
        t0, v = t0 + s + t_ref, 0.0
        grid = np.linspace(0.0, max(t_end - t0, 1e-9), 200_001)


@pytest.mark.parametrize("ratio", [0.25, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("t_ref", [0.0, 0.002])
def test_one_neuron_matches_the_closed_form(ratio, t_ref):
    tau_syn, drive, w, t_in, t_end = ratio * TAU, 0.6, 4.0, 0.003, 0.1
    expected, (t_last, v_last, j_last) = closed_form_spikes(drive, w, t_in, tau_syn, t_ref,
                                                            t_end)
    assert len(expected) >= 2  # the second spike shows that J survives the reset
    with Network(1, tau=TAU, tau_syn=tau_syn, drive=drive, v0=[0.0], t_ref=t_ref,
                 inputs=([0, 1], [0], [w])) as net:
        net.input(0, t_in)
        # Voltages along the way: before the input only the drive acts.
        net.run(t_in / 2)
        assert net.voltage(0) == pytest.approx(v_after(t_in / 2, 0, 0, drive, tau_syn),
                                               rel=1e-13)
        times, neurons = net.run(t_end)
        np.testing.assert_allclose(times, expected, rtol=0, atol=1e-13)
        assert (neurons == 0).all()
        assert net.voltage(0) == pytest.approx(
            v_after(t_end - t_last, v_last, j_last, drive, tau_syn), rel=1e-11, abs=1e-13)


def test_psp_peak_and_area():
    # From rest, a sub-threshold input's response is w tau/(tau - tau_syn)(e^(-s/tau) -
    # e^(-s/tau_syn)): its peak time is tau tau_syn ln(tau/tau_syn)/(tau - tau_syn).
    tau_syn, w = TAU / 4, 0.5
    t_peak = TAU * tau_syn * math.log(TAU / tau_syn) / (TAU - tau_syn)
    peak = w * TAU / (TAU - tau_syn) * (math.exp(-t_peak / TAU) - math.exp(-t_peak / tau_syn))
    with Network(1, tau=TAU, tau_syn=tau_syn, drive=0.0, v0=[0.0],
                 inputs=([0, 1], [0], [w])) as net:
        net.input(0, 0.0)
        assert len(net.run(t_peak).times) == 0
        assert net.voltage(0) == pytest.approx(peak, rel=1e-13)
    # Delta synapses jump by w at once; current-based ones start continuously from 0.
    with Network(1, tau=TAU, tau_syn=tau_syn, v0=[0.0], inputs=([0, 1], [0], [w])) as net:
        net.input(0, 0.01)
        net.run(0.01)
        v_at = net.voltage(0)
        net.run(0.01 + 1e-9)
        assert v_at == 0.0 and 0 < net.voltage(0) < 1e-6


def test_same_total_effect_as_delta_synapses():
    # An input's total voltage effect is the same with either synapse, so a strongly
    # supra-threshold input fires a current-based neuron a little later than a delta one.
    for tau_syn in (0.0, TAU / 8):
        with Network(1, tau=TAU, tau_syn=tau_syn, v0=[0.0], inputs=([0, 1], [0], [3.0])) as net:
            net.input(0, 0.01)
            times, _ = net.run(0.05)
            if tau_syn == 0:
                assert times[0] == 0.01
            else:
                assert 0.01 < times[0] < 0.01 + tau_syn
