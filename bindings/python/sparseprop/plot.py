# Raster plots of spike arrays; matplotlib is imported only when a plot is drawn.
"""Plotting helpers. matplotlib is an optional dependency: it is imported inside each function,
and a missing matplotlib raises ImportError saying so."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

__all__ = ["raster"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            "sparseprop.plot needs matplotlib (Debian: apt-get install python3-matplotlib; "
            "pip: pip install matplotlib)") from e
    return plt


def raster(times: Any, neurons: Any, *, ax: Any = None, neuron_range: Optional[Tuple[int, int]]
           = None, time_range: Optional[Tuple[float, float]] = None, marker_size: float = 4.0,
           color: str = "black", title: Optional[str] = None, **scatter_kwargs: Any) -> Any:
    """Draws a spike raster: one dot per spike at (time, neuron index).

    Args:
        times: spike times in seconds (e.g. from :meth:`sparseprop.Network.run`).
        neurons: the spiking neuron of each time, same length.
        ax: a matplotlib Axes to draw into; a new figure's Axes when None.
        neuron_range: (first, last) neurons to show, both included; all when None.
        time_range: (start, end) in seconds to show; all when None.
        marker_size: dot size in points^2 (``scatter``'s ``s``).
        color: dot colour.
        title: an optional title.
        **scatter_kwargs: passed on to ``Axes.scatter``.

    Returns:
        The Axes drawn into.

    Raises:
        ImportError: matplotlib is not installed.
        ValueError: times and neurons differ in length.
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    i = np.asarray(neurons).reshape(-1)
    if t.shape != i.shape:
        raise ValueError(f"times has {t.shape[0]} entries but neurons has {i.shape[0]}")
    keep = np.ones(t.shape[0], dtype=bool)
    if neuron_range is not None:
        keep &= (i >= neuron_range[0]) & (i <= neuron_range[1])
    if time_range is not None:
        keep &= (t >= time_range[0]) & (t <= time_range[1])
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    scatter_kwargs.setdefault("marker", ".")
    scatter_kwargs.setdefault("linewidths", 0)
    ax.scatter(t[keep], i[keep], s=marker_size, c=color, **scatter_kwargs)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("neuron")
    if time_range is not None:
        ax.set_xlim(*time_range)
    if neuron_range is not None:
        ax.set_ylim(neuron_range[0] - 0.5, neuron_range[1] + 0.5)
    if title is not None:
        ax.set_title(title)
    return ax
