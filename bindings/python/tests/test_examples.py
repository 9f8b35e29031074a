# The examples run, and the torch example's loss falls as its README says.
import importlib.util

import pytest

from conftest import PACKAGE_ROOT


def load(name):
    spec = importlib.util.spec_from_file_location(name, PACKAGE_ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_first_spike_targets_loss_falls_more_than_1000x():
    pytest.importorskip("torch", reason="python3-torch is not installed")
    example = load("first_spike_targets")
    losses = example.train(steps=150, verbose=False)
    # On this machine: 1.49e-5 -> 7.7e-9 (about 1900x); deterministic up to libm differences.
    assert losses[-1] < losses[0] / 1000, (losses[0], losses[-1])
    assert losses[-1] < 1e-7  # all five first spikes within ~0.3 ms of their targets
