# The sparseprop package: a ctypes binding of libsparseprop (exact event-based spiking networks).
"""Exact event-based simulation and training of sparse spiking networks (libsparseprop).

Quick start::

    import sparseprop
    with sparseprop.Network(1000, model="lif", drive=1.1, k=100, seed=42, weight=-0.1,
                            init_seed=7) as net:
        times, neurons = net.run(1.0)       # float64 seconds, uint32 indices

Modules: :mod:`sparseprop.network` (the :class:`Network`), :mod:`sparseprop.errors` (one
exception per ``SP_ERR_*``), :mod:`sparseprop.plot` (raster plots, needs matplotlib),
:mod:`sparseprop.torch` (an autograd Function, needs PyTorch; imported on its own).
"""
from ._capi import found_by as _found_by
from ._library import LibraryNotFoundError
from .errors import (ArgumentError, CapacityError, FileError, FormatError, NoMemoryError,
                     NumericError, SparsePropError, StateError, UnsupportedError)
from .network import (SPIKE_INPUT_TRIGGERED, SPIKE_TRIGGERED, Frame, Model, Network, Param,
                      SampleSpikes, Spikes, Synapses, library_version, network_memory)

__version__ = "0.3.0"

#: How the shared library was found (for bug reports): e.g. "SPARSEPROP_LIB=...".
library_found_by: str = _found_by

__all__ = [
    "Network", "Synapses", "Spikes", "SampleSpikes", "SPIKE_TRIGGERED",
    "SPIKE_INPUT_TRIGGERED", "Model", "Frame", "Param", "network_memory",
    "library_version", "library_found_by", "SparsePropError", "ArgumentError",
    "NoMemoryError", "UnsupportedError", "StateError", "CapacityError", "FileError",
    "FormatError", "NumericError", "LibraryNotFoundError", "__version__",
]
