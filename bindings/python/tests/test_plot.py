# sparseprop.plot.raster: draws the right dots, and says so clearly without matplotlib.
import sys

import numpy as np
import pytest

from sparseprop import Network, plot


def test_raster_draws_one_dot_per_spike(tmp_path):
    pytest.importorskip("matplotlib", reason="python3-matplotlib is not installed")
    import matplotlib
    matplotlib.use("Agg")
    with Network(50, drive=1.2, k=5, seed=1, weight=-0.05, init_seed=1) as net:
        times, neurons = net.run(0.2)
    ax = plot.raster(times, neurons, title="test")
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(offsets[:, 0], times)
    np.testing.assert_array_equal(offsets[:, 1], neurons)
    assert ax.get_xlabel() == "time (s)" and ax.get_title() == "test"
    ax.figure.savefig(tmp_path / "raster.png")
    assert (tmp_path / "raster.png").stat().st_size > 1000
    # Ranges select; an existing Axes is drawn into.
    ax2 = plot.raster(times, neurons, ax=ax.figure.add_subplot(2, 1, 2), neuron_range=(0, 9),
                      time_range=(0.05, 0.1))
    shown = ax2.collections[0].get_offsets()
    keep = (neurons <= 9) & (times >= 0.05) & (times <= 0.1)
    assert shown.shape[0] == keep.sum() > 0
    with pytest.raises(ValueError, match="neurons has"):
        plot.raster(times, neurons[:-1])


def test_missing_matplotlib_is_a_clear_import_error(monkeypatch):
    # None in sys.modules makes `import matplotlib.pyplot` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="needs matplotlib"):
        plot.raster([0.1], [0])
