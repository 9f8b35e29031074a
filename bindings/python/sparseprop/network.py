# The Pythonic interface: Network (one sp_network handle), Synapses, and the spike arrays.
"""A network of integrate-and-fire neurons, simulated exactly by libsparseprop.

Arrays cross the C boundary in bulk: spikes are written by ``sp_run`` straight into a numpy
buffer, voltages, parameters and gradients are copied into fresh numpy arrays. Nothing returned
aliases the library's memory, so every array stays valid after the network changes or closes.
"""
from __future__ import annotations

import ctypes
import enum
import itertools
import math
import os
import textwrap
import weakref
from ctypes import byref, c_double, c_size_t, c_void_p
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from . import _capi
from ._capi import lib
from .errors import (ArgumentError, CapacityError, FileError, NoMemoryError, NumericError,
                     StateError, UnsupportedError, check)

__all__ = [
    "Model", "Frame", "Param", "Spikes", "SampleSpikes", "Synapses", "Network",
    "network_memory", "library_version", "SPIKE_TRIGGERED", "SPIKE_INPUT_TRIGGERED",
]

#: ``SampleSpikes.flags`` bits (``sp_spike.flags``): an event's jump at this instant took the
#: neuron to threshold (its time is that event's time; dL/dt for it goes to the causing spike).
SPIKE_TRIGGERED = _capi.SP_SPIKE_TRIGGERED
#: With SPIKE_TRIGGERED: the chain started at an external input, so the spike carries no
#: gradient.
SPIKE_INPUT_TRIGGERED = _capi.SP_SPIKE_INPUT_TRIGGERED

ArrayLike = Union[np.ndarray, Sequence[float], Sequence[int]]
PathLike = Union[str, "os.PathLike[str]"]

_U32_MAX = 2**32 - 1
_U64_MAX = 2**64 - 1

# Versions of parameter values (Network._param_version): unique across all networks.
_PARAM_VERSIONS = itertools.count(1)

# The first spike buffer of a run, in spikes; it doubles up to _MAX_CHUNK while a run fills it.
_FIRST_CHUNK = 4096
_MAX_CHUNK = 1 << 22


class Model(enum.IntEnum):
    """Neuron models (``sp_model``); strings ``"lif"``, ``"qif"``, ``"eif"``, ``"custom"`` are
    accepted too."""

    LIF = _capi.SP_MODEL_LIF
    QIF = _capi.SP_MODEL_QIF
    EIF = _capi.SP_MODEL_EIF
    CUSTOM = _capi.SP_MODEL_CUSTOM


class Frame(enum.IntEnum):
    """Event-loop frames (``sp_frame``); strings ``"auto"``, ``"phase"``, ``"time"`` too."""

    AUTO = _capi.SP_FRAME_AUTO
    PHASE = _capi.SP_FRAME_PHASE
    TIME = _capi.SP_FRAME_TIME


class Param(enum.IntEnum):
    """Trainable parameter kinds (``sp_param``); strings ``"weights"``, ``"input_weights"``,
    ``"drives"``, ``"v0"`` are accepted too."""

    WEIGHTS = _capi.SP_PARAM_WEIGHTS
    INPUT_WEIGHTS = _capi.SP_PARAM_INPUT_WEIGHTS
    DRIVES = _capi.SP_PARAM_DRIVES
    V0 = _capi.SP_PARAM_V0


ParamLike = Union[Param, str, int]


class Spikes(NamedTuple):
    """Spikes in the order the network fired them: ``times[i]`` (seconds, float64) and
    ``neurons[i]`` (uint32). Unpacks as ``times, neurons = net.run(t)``."""

    times: np.ndarray
    neurons: np.ndarray


class SampleSpikes(NamedTuple):
    """The spikes of :meth:`Network.run_until`: ``times``, ``neurons`` and ``flags`` (uint32,
    0 for an ordinary spike, else :data:`SPIKE_TRIGGERED` / :data:`SPIKE_INPUT_TRIGGERED`
    bits), and whether every watched neuron spiked (``completed``; else ``t_end`` came
    first)."""

    times: np.ndarray
    neurons: np.ndarray
    flags: np.ndarray
    completed: bool


def library_version() -> str:
    """The version string of the libsparseprop actually loaded, e.g. ``"0.3.0"``."""
    return lib.sp_version_string().decode()


# ---------------------------------------------------------------------------------------------
# Argument conversion. The library checks every value it can see; the binding checks what it
# cannot (array lengths behind bare pointers, integers that ctypes would silently wrap).


def _fail(message: str) -> ArgumentError:
    return ArgumentError(_capi.SP_ERR_ARGUMENT, message)


def _uint(name: str, value: Any, limit: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    v = int(value)
    if v < 0 or v > limit:
        bits = limit.bit_length()
        raise _fail(f"{name} = {v} does not fit the C interface's unsigned {bits}-bit integer "
                    f"(0 to {limit}); sparseprop.h gives the values {name} may take")
    return v


def _u32(name: str, value: Any) -> int:
    return _uint(name, value, _U32_MAX)


def _u64(name: str, value: Any) -> int:
    return _uint(name, value, _U64_MAX)


def _float(name: str, value: Any) -> float:
    # (numpy's complex scalars convert with float(), dropping the imaginary part: refused as
    # Python's complex is.)
    # (A bool is refused too, as where an integer belongs: run(True) ran to t = 1.)
    if isinstance(value, (str, bytes, complex, np.complexfloating, bool, np.bool_)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}") from None


def _asarray(name: str, values: Any) -> np.ndarray:
    """np.asarray, with a ragged nesting (numpy's bare ValueError) as an ArgumentError. A
    tensor that requires a gradient (a model's parameter) is read as its values: numpy
    refuses it ("Can't call numpy() on Tensor that requires grad")."""
    if getattr(values, "requires_grad", False) and hasattr(values, "detach"):
        values = values.detach()
    try:
        return np.asarray(values)
    except ValueError as e:
        raise _fail(f"{name} is not an array of one shape: {e}") from None


def _refuse_bools(name: str, values: Any) -> None:
    """TypeError for a bool among the items of a list or tuple (nested ones too): numpy turns
    [1.2, True] into [1.2, 1.0] without a trace in its dtype (an outside check found drives and
    v0 lists taking True as 1)."""
    if not isinstance(values, (list, tuple)):
        return
    for i, x in enumerate(values):
        if isinstance(x, (bool, np.bool_)):
            raise TypeError(f"{name}[{i}] = {x} is a bool, not a number")
        _refuse_bools(f"{name}[{i}]", x)


def _f64_array(name: str, values: ArrayLike, length: Optional[int] = None) -> np.ndarray:
    _refuse_bools(name, values)
    a = _asarray(name, values)
    # Real numbers only: numpy would parse strings ("1.5") and drop imaginary parts; bools are
    # flags, not numbers (refused as in _float).
    if a.dtype.kind not in "iuf":
        if a.dtype.kind != "O":
            raise TypeError(f"{name} must hold real numbers, not {a.dtype}")
        try:  # Python objects: what float() takes (Decimal, Fraction), not strings or None
            if any(x is None or isinstance(x, (str, bytes)) for x in a.flat):
                raise TypeError
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            kinds = ", ".join(sorted({type(x).__name__ for x in a.flat}))
            raise TypeError(f"{name} must hold real numbers; it holds {kinds}") from None
    a = np.ascontiguousarray(a, dtype=np.float64)  # a scalar becomes one entry
    if a.ndim != 1:
        raise _fail(f"{name} must be one-dimensional, got shape {a.shape}")
    if length is not None and a.shape[0] != length:
        raise _fail(f"{name} has {a.shape[0]} entries, expected {length}")
    return a


def _index_array(name: str, values: ArrayLike, dtype: Any) -> np.ndarray:
    _refuse_bools(name, values)
    a = _asarray(name, values)
    if a.ndim != 1:
        raise _fail(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.size == 0:
        return np.zeros(0, dtype=dtype)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {a.dtype}")
    if a.dtype == dtype:  # (every value of the type is in range: no pass over the values)
        return np.ascontiguousarray(a)
    lo, hi = int(a.min()), int(a.max())
    top = np.iinfo(dtype).max
    if lo < 0 or hi > top:
        bad = lo if lo < 0 else hi
        c_type = np.dtype(dtype).name
        raise _fail(f"{name} holds {bad}, which does not fit the C interface's {c_type} "
                    f"(0 to {top})")
    return np.ascontiguousarray(a, dtype=dtype)


def _path(name: str, path: PathLike) -> bytes:
    """A file name for C: bytes without the NUL that would end the C string early (and make
    the library open a shorter name)."""
    b = os.fsencode(path)  # TypeError for what is not a path
    if b"\0" in b:
        raise _fail(f"{name} = {os.fspath(path)!r} contains a NUL character")
    return b


def _enum(cls: Any, name: str, value: Any) -> int:
    if isinstance(value, str):
        try:
            return int(cls[value.upper()])
        except KeyError:
            choices = ", ".join(repr(m.name.lower()) for m in cls)
            raise _fail(f"{name} = {value!r} is not one of {choices}") from None
    return _u32(name, value)


# The C parameter-kind argument (`p`) is the methods' `kind`.
_KIND_NAMES = ((r"^p = ", "kind = "),)


def _param(kind: ParamLike) -> int:
    return _enum(Param, "kind", kind)


class Synapses:
    """Connectivity from a set of sources (neurons or input channels) to the network's neurons.

    Build one with :meth:`procedural`, :meth:`csr` or :meth:`from_matrix`; ``Network`` also
    accepts a ``scipy.sparse`` matrix or a ``(row_ptr, targets, weights)`` tuple directly.

    Orientation: rows are sources, columns are targets. In a matrix ``W``, ``W[j, i]`` is the
    weight of the synapse from source ``j`` to neuron ``i`` (the transpose of the usual
    ``dv_i = sum_j W[i, j]`` convention), which makes CSR "by source" the matrix's CSR form.
    """

    __slots__ = ("row_ptr", "targets", "weights", "k", "seed", "weight")

    def __init__(self, *, row_ptr: Optional[ArrayLike] = None,
                 targets: Optional[ArrayLike] = None, weights: Optional[ArrayLike] = None,
                 k: int = 0, seed: int = 0, weight: float = 0.0) -> None:
        """Prefer the named constructors. Explicit arrays are checked and converted as by
        :meth:`csr` (except that a shared ``weight`` beside ``weights`` is kept, unused);
        ``k`` must then be 0, and ``targets`` / ``weights`` need ``row_ptr``. The fields are
        checked again when a network is made from them, so a field assigned later is too."""
        self.k = _u32("k", k)
        self.seed = _u64("seed", seed)
        self.weight = _float("weight", weight)
        self.row_ptr, self.targets, self.weights = _csr_arrays(row_ptr, targets, weights, self.k)

    @classmethod
    def procedural(cls, k: int, seed: int = 0, weight: float = 0.0) -> "Synapses":
        """Every source projects to exactly ``k`` distinct random targets (never itself for
        recurrent synapses), all with ``weight``; regenerated from ``(seed, source)`` at every
        spike, so they cost no memory. The generator is specified in the README."""
        return cls(k=k, seed=seed, weight=weight)

    @classmethod
    def csr(cls, row_ptr: ArrayLike, targets: ArrayLike, weights: Optional[ArrayLike] = None,
            weight: float = 0.0) -> "Synapses":
        """Explicit CSR by source: ``targets[row_ptr[j]:row_ptr[j+1]]`` are source ``j``'s
        targets and ``weights`` their weights, or ``weights=None`` for one shared ``weight``
        (a non-zero ``weight`` beside ``weights`` raises ArgumentError).
        Repeated targets and self-synapses are allowed. The arrays are converted (copied if
        needed) to uint64 / uint32 / float64 now; the library copies them again at creation."""
        if row_ptr is None or targets is None:
            raise TypeError("Synapses.csr needs row_ptr and targets arrays")
        # (The library ignores the shared weight beside per-synapse weights: a non-zero one
        # given with them is a mistake, not a choice.)
        if weights is not None and _float("weight", weight) != 0.0:
            raise _fail(f"weight = {weight!r} given with weights: the shared weight is for "
                        "weights=None; give one of them")
        return cls(row_ptr=row_ptr, targets=targets, weights=weights, weight=weight)

    @classmethod
    def from_matrix(cls, matrix: Any) -> "Synapses":
        """From a ``scipy.sparse`` matrix (any format; anything with ``tocsr()``) of shape
        ``(n_sources, n)`` with ``matrix[j, i]`` = weight from source ``j`` to neuron ``i``.
        Every entry of ``matrix.tocsr()`` is a synapse, explicit zeros included, and the weight
        parameters are in its order (rows, then that matrix's column order). (``tocsr()`` sums
        duplicate entries of a COO matrix into one synapse.)"""
        if not hasattr(matrix, "tocsr"):
            raise TypeError("Synapses.from_matrix needs a scipy.sparse matrix (anything with "
                            f"tocsr()), not {type(matrix).__name__}")
        m = matrix.tocsr()
        return cls.csr(m.indptr, m.indices, m.data)

    @property
    def explicit(self) -> bool:
        """Whether these are explicit CSR synapses (otherwise procedural or none)."""
        return self.row_ptr is not None

    @property
    def n_sources(self) -> Optional[int]:
        """The number of sources an explicit CSR describes; None for procedural synapses."""
        return None if self.row_ptr is None else self.row_ptr.shape[0] - 1

    def __repr__(self) -> str:
        if self.row_ptr is not None:
            w = "weights" if self.weights is not None else f"weight={self.weight}"
            return f"Synapses.csr(n_sources={self.n_sources}, nnz={self.targets.shape[0]}, {w})"
        return f"Synapses.procedural(k={self.k}, seed={self.seed}, weight={self.weight})"

    def _fill(self, dst: _capi.Synapses, keep: List[Any]) -> None:
        # (Checked again: the library reads the arrays through bare pointers, and a field may
        # have been assigned since the constructor checked it.)
        k = _u32("k", self.k)
        row_ptr, targets, weights = _csr_arrays(self.row_ptr, self.targets, self.weights, k)
        if row_ptr is not None:
            keep.extend([row_ptr, targets, weights])
            dst.row_ptr = _address(row_ptr)
            dst.targets = _address(targets)
            if weights is not None:
                dst.weights = _address(weights)
            else:
                dst.weight = _float("weight", self.weight)
        else:
            dst.k = k
            dst.seed = _u64("seed", self.seed)
            dst.weight = _float("weight", self.weight)


def _csr_arrays(row_ptr: Optional[ArrayLike], targets: Optional[ArrayLike],
                weights: Optional[ArrayLike],
                k: int) -> Tuple[Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]]:
    """Explicit CSR arrays as the library reads them (uint64 / uint32 / float64, contiguous,
    as long as row_ptr says), converted where needed, or (None, None, None) for procedural
    synapses; ArgumentError or TypeError for what the library cannot check behind its bare
    pointers (a length, a type) and for fields it would refuse."""
    if row_ptr is None:
        for name, value in (("targets", targets), ("weights", weights)):
            if value is not None:
                raise _fail(f"{name} is given but row_ptr is not (explicit CSR needs row_ptr)")
        return None, None, None
    if k != 0:
        raise _fail(f"k = {k} given with row_ptr: k is for procedural synapses (must be 0 "
                    "with explicit CSR)")
    if targets is None:
        raise TypeError("row_ptr is given but targets is not (explicit CSR needs both)")
    rp = _index_array("row_ptr", row_ptr, np.uint64)
    tg = _index_array("targets", targets, np.uint32)
    if rp.shape[0] == 0:
        raise _fail("row_ptr is empty: it needs n_sources + 1 entries")
    if int(rp[-1]) != tg.shape[0]:
        raise _fail(f"row_ptr[-1] = {int(rp[-1])} but targets has {tg.shape[0]} entries")
    w = None if weights is None else _f64_array("weights", weights, tg.shape[0])
    return rp, tg, w


# Stands in for an empty array, so that "given but empty" is never passed as NULL (for weights
# NULL means "one shared weight").
_EMPTY = np.zeros(1, dtype=np.float64)


def _address(a: np.ndarray) -> int:
    return a.ctypes.data if a.size else _EMPTY.ctypes.data


def _as_synapses(name: str, value: Any, n_sources: Optional[int], n: int) -> Synapses:
    if isinstance(value, Synapses):
        syn = value
    elif hasattr(value, "tocsr") and hasattr(value, "shape"):
        shape = tuple(value.shape)
        want_rows = n_sources if n_sources is not None else shape[0]
        if shape != (want_rows, n):
            raise _fail(f"{name} matrix has shape {shape}, expected ({want_rows}, {n}) "
                        "(rows = sources, columns = target neurons)")
        syn = Synapses.from_matrix(value)
    elif isinstance(value, tuple) and len(value) in (2, 3):
        # (Synapses.csr names its arguments, row_ptr, targets, weights: say which keyword's.)
        try:
            syn = Synapses.csr(*value)
        except ArgumentError as e:
            raise _fail(f"{name}.{e.message}") from None
        except TypeError as e:
            raise TypeError(f"{name}.{e}") from None
    elif isinstance(value, np.ndarray):
        raise TypeError(f"{name}: a dense array is ambiguous (are zeros synapses?); pass "
                        "scipy.sparse.csr_matrix(array) or Synapses.csr(...)")
    else:
        raise TypeError(f"{name} must be a Synapses, a scipy.sparse matrix or a "
                        f"(row_ptr, targets, weights) tuple, not {type(value).__name__}")
    if syn.explicit and n_sources is not None and syn.n_sources != n_sources:
        raise _fail(f"{name}.row_ptr has {syn.n_sources + 1} entries, expected "
                    f"{n_sources + 1} (one per source plus one)")
    return syn


def _shortcut(name: str, value: Any, k: Optional[int], seed: Optional[int],
              weight: Optional[float], prefix: str) -> Any:
    """Merges the procedural shortcuts (k, seed, weight) with an explicit connectivity."""
    if k is None:
        if seed is not None or weight is not None:
            raise TypeError(f"{prefix}seed / {prefix}weight need {prefix}k (procedural "
                            f"synapses) or {name}=Synapses.csr(..., weight=w)")
        return value
    if value is not None:
        raise TypeError(f"give either {name}= or {prefix}k=, not both")
    # (Checked here under the keywords' own names: Synapses.procedural's say k, seed, weight.)
    return Synapses.procedural(_u32(prefix + "k", k), _u64(prefix + "seed", seed or 0),
                               0.0 if weight is None else _float(prefix + "weight", weight))


def _describe(n: int, model: Union[Model, str, int], tau: Optional[float],
              drive: Optional[float], drives: Optional[ArrayLike], recurrent: Any,
              k: Optional[int], seed: Optional[int], weight: Optional[float],
              n_inputs: Optional[int], inputs: Any, input_k: Optional[int],
              input_seed: Optional[int], input_weight: Optional[float],
              v0: Optional[ArrayLike], init_seed: Optional[int], t_ref: Optional[float],
              input_capacity: Optional[int], frame: Union[Frame, str, int],
              tau_syn: Optional[float] = None, v_reset: Optional[float] = None,
              v_spike: Optional[float] = None, delta_t: Optional[float] = None,
              v_t: Optional[float] = None, f: Optional[Callable[[float], float]] = None,
              ) -> Tuple[_capi.NetworkDesc, List[Any]]:
    """Builds an sp_network_desc; returns it with the arrays it points into (keep them alive
    until the C call returns) and, last in that list, the errors raised by a model callback
    ``f`` (see :func:`_raise_callback_error`). Fields left None keep the library's
    defaults."""
    d = _capi.NetworkDesc()
    lib.sp_network_desc_init(byref(d), ctypes.sizeof(d))
    keep: List[Any] = []
    d.n = n = _u32("n", n)
    d.model = _enum(Model, "model", model)
    # (The C description reads 0 as "the default" for tau and input_capacity; a 0 given here
    # is refused instead of silently becoming the default.)
    if tau is not None:
        d.tau = _float("tau", tau)
        if d.tau == 0.0:
            raise _fail("tau = 0: must be > 0 (leave it out for the library's default, 0.01)")
    if drive is not None and drives is not None:
        raise TypeError("give either drive= (one for all) or drives= (one per neuron)")
    if drive is not None:
        d.drive = _float("drive", drive)
    if drives is not None:
        a = _f64_array("drives", drives, n)
        keep.append(a)
        d.drives = a.ctypes.data
    rec = _shortcut("recurrent", recurrent, k, seed, weight, "")
    if rec is not None:
        _as_synapses("recurrent", rec, n, n)._fill(d.recurrent, keep)
    inp = _shortcut("inputs", inputs, input_k, input_seed, input_weight, "input_")
    if n_inputs is None and inp is not None:
        # Explicit input synapses say how many channels there are; procedural ones cannot.
        if isinstance(inp, Synapses):
            n_inputs = inp.n_sources
        elif isinstance(inp, tuple) and len(inp) in (2, 3):
            n_inputs = len(inp[0]) - 1
        elif hasattr(inp, "shape"):
            n_inputs = inp.shape[0]
    if n_inputs is not None:
        d.n_inputs = _u32("n_inputs", n_inputs)
    if inp is not None:
        _as_synapses("inputs", inp, d.n_inputs, n)._fill(d.inputs, keep)
    if v0 is not None:
        a = _f64_array("v0", v0, n)
        keep.append(a)
        d.v0 = a.ctypes.data
    if init_seed is not None:
        d.init_seed = _u64("init_seed", init_seed)
    if t_ref is not None:
        d.t_ref = _float("t_ref", t_ref)
    if input_capacity is not None:
        d.input_capacity = _u32("input_capacity", input_capacity)
        if d.input_capacity == 0:
            raise _fail("input_capacity = 0: must be >= 1 (leave it out for the library's "
                        "default, 4096)")
    d.frame = _enum(Frame, "frame", frame)
    if tau_syn is not None:
        d.tau_syn = _float("tau_syn", tau_syn)
    errors: List[BaseException] = []
    given = [name for name, x in (("v_reset", v_reset), ("v_spike", v_spike),
                                  ("delta_t", delta_t), ("v_t", v_t), ("f", f)) if x is not None]
    if given and d.model in (_capi.SP_MODEL_LIF, _capi.SP_MODEL_QIF):
        # (The library's refusal says model_params, which this binding fills from these.)
        raise UnsupportedError(_capi.SP_ERR_UNSUPPORTED,
                               f"{', '.join(given)} given for model {Model(d.model).name.lower()}"
                               ": only the eif and custom models take model parameters")
    if given or d.model == _capi.SP_MODEL_CUSTOM:
        mp = _capi.ModelParams()
        mp.struct_size = ctypes.sizeof(mp)
        # The library has no per-field default once model_params is given: fill in EIF's.
        mp.v_reset = 0.0 if v_reset is None else _float("v_reset", v_reset)
        mp.v_spike = math.inf if v_spike is None else _float("v_spike", v_spike)
        mp.delta_t = 0.1 if delta_t is None else _float("delta_t", delta_t)
        mp.v_t = 1.0 if v_t is None else _float("v_t", v_t)
        if f is not None:
            if not callable(f):
                raise TypeError(f"f must be a callable F(v) -> float, not {type(f).__name__}")
            mp.f = _capi.ModelFn(_model_callback(f, errors))
            keep.append(mp.f)
        keep.append(mp)
        d.model_params = ctypes.addressof(mp)
    keep.append(errors)
    return d, keep


_SINGLE_PRECISION = {"float16", "float32", "torch.float16", "torch.float32", "torch.bfloat16"}


def _model_callback(f: Callable[[float], float], errors: List[BaseException]
                    ) -> Callable[[float, Any], float]:
    """Wraps F for the library: an exception cannot cross C, so it is kept in ``errors`` and
    NaN returned (which the library refuses), and raised again after the call."""

    def call(v: float, ctx: Any) -> float:
        if errors:
            return math.nan
        try:
            r = f(v)
            # Single precision rounds F to 1e-7: the tables then fail to fit, with a message
            # about F + I (an outside user's report). Said as what it is.
            if str(getattr(r, "dtype", "")) in _SINGLE_PRECISION:
                raise TypeError(f"f(V) returned a {r.dtype} value; the phase tables need F in "
                                "double precision: return a Python float or float64")
            return _float("f(V)", r)  # (a string is a TypeError, not parsed)
        except BaseException as e:  # noqa: B902 - re-raised after the C call returns
            errors.append(e)
            return math.nan

    return call


def _raise_callback_error(keep: List[Any], status: int) -> None:
    """After sp_network_create / sp_network_memory: the model callback's own exception if it
    raised one (the library's refusal chained to it), else the library's status."""
    errors = keep[-1]
    try:
        check(status)
    except Exception as e:
        if errors:
            raise errors[0] from e
        raise
    if errors:
        raise errors[0]


_DESCRIPTION_DOC = """
        Args:
            n: number of neurons (>= 1).
            model: ``"lif"`` (leaky, threshold 1, reset 0), ``"qif"`` (quadratic, drive > 0
                required), ``"eif"`` (exponential: ``tau dV/dt = -V + I + delta_t
                exp((V - v_t)/delta_t)``) or ``"custom"`` (``tau dV/dt = f(V) + I``). EIF and
                custom neurons are tabulated at creation, once per distinct drive (at most
                64; drives can later only be set to values given at creation), and must be
                oscillatory (f + I > 0 up to the spike).
            tau: membrane time constant in seconds, > 0 (library default 0.01).
            drive: the drive I of every neuron (library default 0), or
            drives: one drive per neuron (array of n).
            recurrent: neuron -> neuron synapses: a ``scipy.sparse`` matrix of shape (n, n)
                with ``W[j, i]`` = weight from neuron j to neuron i, a ``(row_ptr, targets,
                weights)`` CSR-by-source tuple, or a :class:`Synapses`.
            k, seed, weight: shortcut for ``recurrent=Synapses.procedural(k, seed, weight)``.
            n_inputs: external input channels (inferred from an explicit ``inputs``).
            inputs: channel -> neuron synapses, like ``recurrent`` with shape (n_inputs, n).
            input_k, input_seed, input_weight: shortcut for procedural input synapses.
            v0: initial voltages (array of n; LIF below 1); default: oscillatory neurons at a
                phase drawn from ``init_seed``, the others at reset.
            init_seed: seed of the initial phases.
            t_ref: absolute refractory period in seconds (default 0).
            input_capacity: how many input events can be queued, >= 1 (library default 4096).
            frame: ``"auto"`` (default), ``"phase"`` or ``"time"`` (forcing one is for tests).
            tau_syn: LIF synaptic time constant in seconds: 0 or None (default) for delta
                synapses (an input jumps V by its weight); > 0 for current-based synapses,
                ``tau dV/dt = -V + I + J``, ``tau_syn dJ/dt = -J``, an input of weight w
                raising J by ``w tau / tau_syn`` (same total voltage effect). V is then
                continuous, so every spike time moves smoothly with every parameter.
                tau_syn/tau must lie in [1e-4, 1e4] (else :class:`UnsupportedError`) and
                not within 2^-12 of 1 unless exactly 1 (else :class:`NumericError`); LIF
                only, time frame only, t_ref at most 480 times the faster time constant (else
                :class:`UnsupportedError`).
            v_reset, v_spike: EIF and custom models: the reset voltage (default 0) and the
                voltage at which a neuron spikes (default ``inf``: at the finite-time blow-up
                of V, which f must then allow, growing at least like V^2).
            delta_t, v_t: EIF only: the slope factor (default 0.1) and soft threshold
                (default 1), in the dimensionless units of LIF (threshold 1, reset 0).
            f: custom model only: F(V) as a Python callable taking and returning a float
                (smooth, deterministic, finite). It is called only while the network is
                created (many times); an exception it raises is re-raised from there. Saved
                networks keep the tables, not f: loading needs no callback.
"""


def network_memory(n: int, *, model: Union[Model, str, int] = "lif",
                   tau: Optional[float] = None, drive: Optional[float] = None,
                   drives: Optional[ArrayLike] = None, recurrent: Any = None,
                   k: Optional[int] = None, seed: Optional[int] = None,
                   weight: Optional[float] = None, n_inputs: Optional[int] = None,
                   inputs: Any = None, input_k: Optional[int] = None,
                   input_seed: Optional[int] = None, input_weight: Optional[float] = None,
                   v0: Optional[ArrayLike] = None, init_seed: Optional[int] = None,
                   t_ref: Optional[float] = None, input_capacity: Optional[int] = None,
                   frame: Union[Frame, str, int] = "auto",
                   tau_syn: Optional[float] = None, v_reset: Optional[float] = None,
                   v_spike: Optional[float] = None, delta_t: Optional[float] = None,
                   v_t: Optional[float] = None,
                   f: Optional[Callable[[float], float]] = None) -> int:
    """The exact number of bytes ``Network(n, **same_arguments)`` will allocate
    (``sp_network_memory``); raises the same errors creation would."""
    d, keep = _describe(n, model, tau, drive, drives, recurrent, k, seed, weight, n_inputs,
                        inputs, input_k, input_seed, input_weight, v0, init_seed, t_ref,
                        input_capacity, frame, tau_syn, v_reset, v_spike, delta_t, v_t, f)
    out = c_size_t()
    _raise_callback_error(keep, lib.sp_network_memory(byref(d), byref(out)))
    del keep
    return out.value


network_memory.__doc__ = ((network_memory.__doc__ or "") + "\n"
                          + textwrap.indent(textwrap.dedent(_DESCRIPTION_DOC), "    "))


class Network:
    """One simulated network (an ``sp_network`` handle).

    Example::

        with sparseprop.Network(1000, model="lif", drive=1.1, k=100, seed=42, weight=-0.1,
                                init_seed=7) as net:
            times, neurons = net.run(1.0)

    A network must not be used from two threads at once (different networks are independent;
    library calls release the GIL). ``close()`` frees it at once; otherwise it is freed when
    garbage-collected. Pickling and ``copy.deepcopy`` go through :meth:`to_bytes` /
    :meth:`from_bytes`, which keep the complete dynamic state but not a recording in progress
    or accumulated gradients.
    """

    def __init__(self, n: int, *, model: Union[Model, str, int] = "lif",
                 tau: Optional[float] = None, drive: Optional[float] = None,
                 drives: Optional[ArrayLike] = None, recurrent: Any = None,
                 k: Optional[int] = None, seed: Optional[int] = None,
                 weight: Optional[float] = None, n_inputs: Optional[int] = None,
                 inputs: Any = None, input_k: Optional[int] = None,
                 input_seed: Optional[int] = None, input_weight: Optional[float] = None,
                 v0: Optional[ArrayLike] = None, init_seed: Optional[int] = None,
                 t_ref: Optional[float] = None, input_capacity: Optional[int] = None,
                 frame: Union[Frame, str, int] = "auto",
                 tau_syn: Optional[float] = None, v_reset: Optional[float] = None,
                 v_spike: Optional[float] = None, delta_t: Optional[float] = None,
                 v_t: Optional[float] = None,
                 f: Optional[Callable[[float], float]] = None) -> None:
        """Creates a network (``sp_network_create``); everything is allocated here."""
        self._ptr: Optional[int] = None
        self._parent: Optional["Network"] = None
        d, keep = _describe(n, model, tau, drive, drives, recurrent, k, seed, weight, n_inputs,
                            inputs, input_k, input_seed, input_weight, v0, init_seed, t_ref,
                            input_capacity, frame, tau_syn, v_reset, v_spike, delta_t, v_t, f)
        out = c_void_p()
        status = lib.sp_network_create(byref(d), byref(out))
        if status == _capi.SP_OK and keep[-1]:
            lib.sp_network_destroy(out.value)  # made despite a callback error: not kept
        _raise_callback_error(keep, status)
        del keep
        self._adopt(out.value)

    __init__.__doc__ = (__init__.__doc__ or "") + "\n" + _DESCRIPTION_DOC

    def _adopt(self, ptr: Optional[int]) -> None:
        self._ptr = ptr
        # Replicas made from this network, closed before it is (they read its parameters).
        self._replicas: "weakref.WeakSet[Network]" = weakref.WeakSet()
        self._n = int(lib.sp_network_size(ptr))
        # Bumped by every call that can change the state, so a recorded forward pass can tell
        # whether the tape is still the one it made (see sparseprop.torch).
        self._epoch = 0
        # The spikes of the recording a forward pass of sparseprop.torch left on for its
        # backward pass, or None (see _changed).
        self._left_recording: Optional[int] = None
        # Per parameter kind: a version that changes whenever its values may have changed
        # (absent: as created), and a weak reference to the last snapshot of them, so that
        # forward passes of sparseprop.torch can keep the values they ran with without
        # copying them again while they are unchanged.
        self._param_versions: Dict[int, int] = {}
        self._param_cache: Dict[int, Tuple[int, "weakref.ref[np.ndarray]"]] = {}

    @classmethod
    def _from_handle(cls, ptr: Optional[int]) -> "Network":
        net = cls.__new__(cls)
        net._parent = None
        net._adopt(ptr)
        return net

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the network now (``sp_network_destroy``). Calling it again does nothing;
        every other method and property then raises :class:`StateError`, except ``n``,
        ``len()``, ``closed``, ``parent`` and ``repr()``, which the binding answers itself.
        Like every method it must not run while another thread uses the network (a call
        such as ``run()`` releases the GIL): closing under a running call frees the memory
        that call is using and crashes the interpreter."""
        for r in list(getattr(self, "_replicas", ())):
            r.close()
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr is not None:
            lib.sp_network_destroy(ptr)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may already be gone
            pass

    def __enter__(self) -> "Network":
        self._h()  # (a closed network raises StateError)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._ptr is None

    def _h(self) -> int:
        if self._ptr is None:
            raise StateError(_capi.SP_ERR_STATE, "the network is closed")
        return self._ptr

    def _changed(self, recording_kept: bool = False) -> int:
        """The handle, for a call that may change the state. A recording a forward pass of
        sparseprop.torch left on for its backward pass is ended first (by a backward pass of
        zero losses: state, parameters and accumulated gradients stay as they are), so that runs
        do not fill its tape and parameters can be set; that forward pass's backward pass then
        records it again. ``recording_kept``: the call ends or uses the recording itself
        (``rewind``, ``backward``)."""
        self._epoch += 1
        h = self._h()
        if self._left_recording is not None:
            n, self._left_recording = self._left_recording, None
            if not recording_kept:
                zeros = np.zeros(max(n, 1), dtype=np.float64)
                # (It cannot fail for a network that is not a stale replica, which the call
                # itself then reports.)
                lib.sp_backward(h, zeros.ctypes.data if n else None, n, None)
        return h

    # -- properties -----------------------------------------------------------------------

    @property
    def n(self) -> int:
        """The number of neurons."""
        return self._n

    def __len__(self) -> int:
        """The number of neurons."""
        return self._n

    @property
    def now(self) -> float:
        """The network's current time in seconds."""
        return float(lib.sp_now(self._h()))

    @property
    def frame(self) -> str:
        """The event loop running now: ``"phase"`` or ``"time"`` (see the README)."""
        return Frame(lib.sp_network_frame(self._h())).name.lower()

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<sparseprop.Network (closed)>"
        return f"<sparseprop.Network n={self._n} now={self.now!r} frame={self.frame}>"

    # -- running --------------------------------------------------------------------------

    def step(self) -> Tuple[float, int]:
        """Processes exactly the next spike (inputs due at or before it first) and returns
        ``(t, neuron)``. Raises :class:`StateError` when no neuron will ever spike and no input
        is queued; if queued inputs are applied but give no spike, they stay applied."""
        s = _capi.Spike()
        check(lib.sp_step(self._changed(), byref(s)))
        return s.t, s.neuron

    def run(self, t_end: float, max_spikes: Optional[int] = None) -> Spikes:
        """Processes every event before ``t_end`` and returns the spikes.

        ``now`` becomes ``t_end``, or, when ``max_spikes`` is given and reached first, the time
        of the last returned spike (nothing is lost: the next run goes on from there). The
        spikes are written by the library into a growing numpy buffer, never one by one.

        While recording, a full tape raises :class:`CapacityError` before the spike that would
        not fit; the exception's ``spikes`` attribute holds the spikes processed until then, as
        it does for :class:`NumericError` (a neuron's second spike at one instant, see the C
        header's ``sp_step``). Python running out of memory for the spike buffer raises
        :class:`NoMemoryError` (a ``MemoryError``) likewise, the network stopped at the last
        spike in ``e.spikes`` (``None`` if even those cannot be joined into arrays).
        ``max_spikes=0`` processes nothing and returns no spike.
        """
        self._h()  # (a closed network: StateError before the arguments' checks)
        t_end = _float("t_end", t_end)
        limit = None if max_spikes is None else _u64("max_spikes", max_spikes)
        h = self._changed()
        chunks: List[np.ndarray] = []
        total = 0
        size = _FIRST_CHUNK
        count = c_size_t()
        while limit is None or total < limit:
            want = size if limit is None else min(size, limit - total)
            buf = _spike_buffer(want, chunks, _join)
            status = lib.sp_run(h, t_end, buf.ctypes.data, want, byref(count))
            # (A run stopped by the tape or a numeric refusal keeps the events it processed:
            # their spikes are counted too, and given to the exception.)
            got = count.value if status in (_capi.SP_OK, _capi.SP_ERR_CAPACITY,
                                            _capi.SP_ERR_NUMERIC) else 0
            if got:
                chunks.append(buf[:got])
                total += got
            if status != _capi.SP_OK:
                try:
                    check(status)
                except (CapacityError, NumericError) as e:
                    e.spikes = _join(chunks)
                    raise
            if got < want:
                break
            size = min(2 * size, _MAX_CHUNK)
        return _joined(chunks, _join)

    def advance(self, t_end: float) -> int:
        """Runs to ``t_end`` like :meth:`run` but only counts the spikes (no buffer at all):
        the fastest way to move a network forward."""
        count = c_size_t()
        self._h()
        t_end = _float("t_end", t_end)
        check(lib.sp_run(self._changed(), t_end, None, 0, byref(count)))
        return count.value

    def input(self, channel: int, t: float) -> None:
        """Queues one external input event on ``channel`` at time ``t >= now``; its synapses
        are applied when the event is processed. :class:`CapacityError` when the input queue
        (``input_capacity``) is full."""
        self._h()
        channel, t = _u32("channel", channel), _float("t", t)
        check(lib.sp_input(self._changed(), channel, t))

    def inputs(self, channels: Union[int, ArrayLike], times: ArrayLike) -> None:
        """Queues many input events in one call (``sp_input_many``): ``channels`` (an array,
        or one channel for all) and ``times`` (any order). Events at equal times are processed
        in the order given here. All or nothing: a bad channel or time, or a queue without
        room for all of them, raises and queues none."""
        self._h()
        ts = _f64_array("times", times)
        if np.ndim(channels) == 0:
            chs = np.full(ts.shape[0], _u32("channels", channels), dtype=np.uint32)
        else:
            chs = _index_array("channels", channels, np.uint32)
            if chs.shape[0] != ts.shape[0]:
                raise _fail(f"channels has {chs.shape[0]} entries but times has {ts.shape[0]}")
        h = self._changed()
        check(lib.sp_input_many(h, chs.ctypes.data, ts.ctypes.data, ts.shape[0]),
              ((r"^n = ", "len(times) = "),))

    def run_until(self, t_end: float, watch: Union[int, ArrayLike],
                  max_spikes: Optional[int] = None) -> SampleSpikes:
        """Runs until every neuron in ``watch`` has spiked once, or ``t_end``
        (``sp_run_until``): one call per sample of a training loop. Stops right after the
        spike that completes the set (other events at that instant are left for the next
        call). The spikes go into a numpy buffer that grows as needed; with ``max_spikes``
        (>= 1), ``max_spikes`` spikes processed while the set is still incomplete raise
        :class:`CapacityError`, also when no further spike would come before ``t_end`` (the
        library stops at the full buffer before it looks for the next spike; the spikes
        processed are in the error's ``spikes`` attribute). ``max_spikes=0`` is refused with
        :class:`ArgumentError` (the library cannot tell whether a spike comes before ``t_end``
        without processing it). Python running out of memory for the buffer raises
        :class:`NoMemoryError` with the spikes processed in ``spikes``, as :meth:`run` does.
        While recording, the spikes are the ones :meth:`backward` takes ``dl_dt`` for, in this
        order."""
        self._h()
        t_end = _float("t_end", t_end)
        if np.ndim(watch):
            remaining = np.unique(_index_array("watch", watch, np.uint32))
        else:
            remaining = np.array([_u32("watch", watch)], dtype=np.uint32)
        watched = remaining
        limit = None if max_spikes is None else _u64("max_spikes", max_spikes)
        if limit == 0:
            # A buffer of capacity 0 means "count only, no limit" to the library.
            raise _fail("max_spikes = 0: run_until needs room for at least one spike "
                        "(None: no limit)")
        h = self._changed()
        chunks: List[np.ndarray] = []
        total = 0
        size = _FIRST_CHUNK
        count = c_size_t()
        while True:
            want = size if limit is None else min(size, limit - total)  # >= 1
            buf = _spike_buffer(want, chunks, lambda c: _join_sample(c, watched))
            status = lib.sp_run_until(h, t_end, remaining.ctypes.data, remaining.shape[0],
                                      buf.ctypes.data, want, byref(count))
            got = count.value if status in (_capi.SP_OK, _capi.SP_ERR_CAPACITY,
                                            _capi.SP_ERR_NUMERIC) else 0
            chunks.append(buf[:got])
            total += got
            # A full buffer (not a full tape, which stops before the buffer is full): go on,
            # watching the neurons that have not spiked yet.
            if status == _capi.SP_ERR_CAPACITY and got == want and want > 0 and \
                    (limit is None or total < limit):
                remaining = np.setdiff1d(remaining, buf["neuron"][:got]).astype(np.uint32)
                size = min(2 * size, _MAX_CHUNK)
                continue
            break
        out = _joined(chunks, lambda c: _join_sample(c, watched))
        if status != _capi.SP_OK:
            try:
                # (The library's buffer is this call's last chunk, and its count of spikes
                # that chunk's: say the method's limit and total instead.)
                check(status, ((r"^buf is full \(cap = \d+\)", f"max_spikes = {limit} reached"),
                               (r"\bthe \d+ spikes are processed", f"the {total} spikes are "
                                "processed (in this error's spikes)"),
                               (r"\bbuf\b", "max_spikes"), (r"\bn_watch\b", "len(watch)")))
            except (CapacityError, NumericError) as e:
                e.spikes = out  # type: ignore[attr-defined]
                raise
        return out

    def voltage(self, neuron: int) -> float:
        """The voltage of ``neuron`` at ``now`` (reset during a refractory period; a QIF
        neuron at reset, V = -inf, reports a huge negative number: sqrt(I) tan(x/2) at its
        phase x = -pi up to rounding: -1.6e16 sqrt(I), and down to about 2**50 tau / now()
        in magnitude as the clock's rounding grows; README.md, Models and conventions)."""
        v = c_double()
        check(lib.sp_voltage(self._h(), _u32("neuron", neuron), byref(v)))
        return v.value

    def voltages(self) -> np.ndarray:
        """All n voltages at ``now``, as a new float64 array."""
        out = np.empty(self._n, dtype=np.float64)
        check(lib.sp_voltages(self._h(), out.ctypes.data, self._n))
        return out

    def set_drive(self, neuron: int, drive: float) -> None:
        """Sets the drive of ``neuron`` from ``now`` on; its voltage now is kept, to the
        rounding the C header's ``sp_set_drive`` states."""
        self._h()
        neuron, drive = _u32("neuron", neuron), _float("drive", drive)
        self._params_changing(Param.DRIVES)
        check(lib.sp_set_drive(self._changed(), neuron, drive))

    def rewind(self) -> None:
        """Back to t = 0 and the initial state; drops queued inputs and ends any recording.
        Parameters, gradients and connectivity are kept."""
        check(lib.sp_rewind(self._changed(recording_kept=True)))

    # -- parameters and training ----------------------------------------------------------

    def param_count(self, kind: ParamLike) -> int:
        """How many values a parameter kind has (1 for procedural or shared weights)."""
        out = c_size_t()
        check(lib.sp_param_count(self._h(), _param(kind), byref(out)), _KIND_NAMES)
        return out.value

    def params(self, kind: ParamLike) -> np.ndarray:
        """A copy of the parameters of ``kind`` (``"weights"`` in CSR order, ``"input_weights"``,
        ``"drives"``, ``"v0"``) as a new float64 array; changing it changes nothing."""
        p = _param(kind)
        out = np.empty(self.param_count(p), dtype=np.float64)
        check(lib.sp_get_params(self._h(), p, out.ctypes.data, out.shape[0]), _KIND_NAMES)
        return out

    def set_params(self, kind: ParamLike, values: ArrayLike) -> None:
        """Replaces the parameters of ``kind`` (the library copies ``values``; not while
        recording). Setting ``"v0"`` changes the state :meth:`rewind` returns to, not the
        current voltages."""
        self._h()
        p = _param(kind)
        a = _f64_array("values", values)
        self._params_changing(p)
        check(lib.sp_set_params(self._changed(), p, a.ctypes.data, a.shape[0]),
              (*_KIND_NAMES, (r"^len = ", "len(values) = ")))

    def _params_root(self) -> "Network":
        """The network whose parameters this one uses (its parent for a replica)."""
        return self._parent if self._parent is not None else self

    def _params_changing(self, kind: int) -> None:
        """Called before any call that may change the values of ``kind`` (also when it fails:
        a new version only costs a new snapshot)."""
        self._params_root()._param_versions[int(kind)] = next(_PARAM_VERSIONS)

    def _param_version(self, kind: ParamLike) -> int:
        """A number that changes whenever the values of ``kind`` may have changed."""
        return self._params_root()._param_versions.get(_param(kind), 0)

    def _param_snapshot(self, kind: ParamLike) -> Tuple[int, np.ndarray]:
        """``(version, values)``: a read-only copy of the parameters of ``kind`` and the
        version it shows. While the kind is unchanged, every call returns the same array (as
        long as some caller still holds it), so keeping snapshots costs one copy per change."""
        p = _param(kind)
        root = self._params_root()
        version = root._param_versions.get(p, 0)
        cached = root._param_cache.get(p)
        values = cached[1]() if cached is not None and cached[0] == version else None
        if values is None:
            values = self.params(p)
            values.flags.writeable = False
            root._param_cache[p] = (version, weakref.ref(values))
        return version, values

    def record(self, max_spikes: int) -> None:
        """Starts recording from ``now`` for :meth:`backward`. The tape holds ``max_spikes``
        spikes and, beside them, as many input events unless re-bases of the frame take their
        room (the C header's ``sp_record`` gives the exact room); it is allocated once and
        reused."""
        self._h()
        max_spikes = _u64("max_spikes", max_spikes)
        check(lib.sp_record(self._changed(), max_spikes))

    def backward(self, dl_dt: ArrayLike, dl_dv_end: Optional[ArrayLike] = None) -> None:
        """Adds the gradients of a loss L to the accumulated gradients and ends the recording.

        Args:
            dl_dt: dL/dt for every recorded spike, in the order :meth:`run` returned them.
            dl_dv_end: dL/dV for every neuron at ``now``, or None for zero.
        """
        self._h()
        g = _f64_array("dl_dt", dl_dt)
        v = None if dl_dv_end is None else _f64_array("dl_dv_end", dl_dv_end, self._n)
        check(lib.sp_backward(self._changed(recording_kept=True),
                              g.ctypes.data if g.size else None, g.shape[0],
                              None if v is None else v.ctypes.data),
              ((r"\bn_spikes\b", "len(dl_dt)"),))

    def grads(self, kind: ParamLike) -> np.ndarray:
        """A copy of the accumulated gradient for ``kind`` (same layout as :meth:`params`)."""
        p = _param(kind)
        out = np.empty(self.param_count(p), dtype=np.float64)
        check(lib.sp_get_grads(self._h(), p, out.ctypes.data, out.shape[0]), _KIND_NAMES)
        return out

    def zero_grads(self) -> None:
        """Sets every accumulated gradient to zero."""
        check(lib.sp_zero_grads(self._h()))

    # -- data parallelism -----------------------------------------------------------------

    def replica(self) -> "Network":
        """A network sharing this one's parameters (``sp_network_replica``): connectivity,
        weights, drives and v0 are read from this network, not copied; the replica has its
        own state, input queue, tape and gradients. Run one replica per thread (library calls
        release the GIL), sum their gradients here with :meth:`accumulate_grads`, and set the
        parameters here while no replica runs; replicas pick them up at their next
        :meth:`rewind` (before it they raise :class:`StateError`). Setting parameters on a
        replica raises :class:`UnsupportedError`. Closing this network closes its replicas."""
        root = self._parent if self._parent is not None else self
        out = c_void_p()
        check(lib.sp_network_replica(self._h(), byref(out)))
        r = type(self)._from_handle(out.value)
        r._parent = root  # keeps the parameters alive
        root._replicas.add(r)
        return r

    @property
    def parent(self) -> Optional["Network"]:
        """The network whose parameters a replica uses; None for an ordinary network."""
        return self._parent

    def accumulate_grads(self, other: "Network") -> None:
        """Adds ``other``'s accumulated gradients to this network's (``sp_grads_accumulate``);
        the two must share parameters (a replica and its parent, or two replicas of one)."""
        if not isinstance(other, Network):
            raise TypeError(f"other must be a Network, not {type(other).__name__}")
        check(lib.sp_grads_accumulate(self._h(), other._h()),
              ((r"\bdst\b", "self"), (r"\bsrc\b", "other")))

    # -- saving and loading ---------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The network, saved (``sp_save``): parameters, connectivity and the full dynamic
        state, so that :meth:`from_bytes` and running continue bit-identically. A recording in
        progress and accumulated gradients are not saved."""
        h = self._h()
        size = c_size_t()
        check(lib.sp_save(h, None, 0, byref(size)))
        buf = ctypes.create_string_buffer(size.value)
        check(lib.sp_save(h, buf, size.value, byref(size)))
        return buf.raw[:size.value]

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "Network":
        """A network from bytes made by :meth:`to_bytes`; :class:`FormatError` for anything
        truncated, corrupted or from a future format version."""
        mv = memoryview(data).cast("B")
        # Never NULL, so that empty bytes are a format error (not "buf is NULL").
        src = (ctypes.c_char * max(mv.nbytes, 1)).from_buffer_copy(mv.tobytes() or b"\0")
        out = c_void_p()
        check(lib.sp_load(src, mv.nbytes, None, byref(out)))
        return cls._from_handle(out.value)

    def save(self, path: PathLike) -> None:
        """Saves to a file (``sp_save_file``); :class:`FileError` (an ``OSError`` whose
        ``filename`` is ``path``) if it cannot be written, :class:`ArgumentError` for a path
        containing a NUL character."""
        h = self._h()
        name = _path("path", path)
        try:
            check(lib.sp_save_file(h, name), file=name)
        except FileError as e:
            e.filename = os.fspath(path)
            raise

    @classmethod
    def load(cls, path: PathLike) -> "Network":
        """Loads a file written by :meth:`save` (``sp_load_file``); :class:`FileError` if it
        cannot be read, :class:`FormatError` if it is not a valid saved network,
        :class:`ArgumentError` for a path containing a NUL character."""
        name = _path("path", path)
        out = c_void_p()
        try:
            check(lib.sp_load_file(name, byref(out)), file=name)
        except FileError as e:
            e.filename = os.fspath(path)
            raise
        return cls._from_handle(out.value)

    def copy(self) -> "Network":
        """An independent copy (through :meth:`to_bytes`)."""
        return type(self).from_bytes(self.to_bytes())

    def __reduce__(self) -> Tuple[Any, Tuple[bytes]]:
        return (type(self).from_bytes, (self.to_bytes(),))


def _join_sample(chunks: List[np.ndarray], watched: np.ndarray) -> SampleSpikes:
    spikes = np.concatenate(chunks) if chunks else np.empty(0, dtype=_capi.SPIKE_DTYPE)
    # Completed: every watched neuron is among the spikes (also when the call stopped on an
    # error, where now() < t_end says nothing).
    completed = np.setdiff1d(watched, spikes["neuron"]).size == 0
    return SampleSpikes(spikes["t"].copy(), spikes["neuron"].copy(), spikes["flags"].copy(),
                        bool(completed))


def _out_of_memory(chunks: List[np.ndarray], join: Optional[Callable[[List[np.ndarray]], Any]],
                   where: str) -> NoMemoryError:
    """The error of a run that Python's memory stopped: the network has processed the spikes
    in ``chunks`` (and no other), which go into ``e.spikes`` when ``join`` can still join
    them; ``e.spikes`` is None when that fails, or when ``join`` is None (it already failed)."""
    n = sum(c.shape[0] for c in chunks)
    spikes, kept = None, "they could not be joined either (e.spikes is None)"
    if join is not None:
        try:
            spikes, kept = join(chunks), "they are in e.spikes"
        except MemoryError:
            pass
    e = NoMemoryError(_capi.SP_ERR_NOMEM,
                      f"out of Python memory for {where} after {n} spikes, which the network "
                      f"has processed: {kept}")
    e.spikes = spikes  # type: ignore[attr-defined]
    return e


def _spike_buffer(want: int, chunks: List[np.ndarray],
                  join: Callable[[List[np.ndarray]], Any]) -> np.ndarray:
    """A buffer for the next ``want`` spikes of a run, or NoMemoryError (:func:`_out_of_memory`)
    before the library processes any of them."""
    try:
        return np.empty(want, dtype=_capi.SPIKE_DTYPE)
    except MemoryError:
        raise _out_of_memory(chunks, join, f"the next {want} spikes' buffer") from None


def _joined(chunks: List[np.ndarray], join: Callable[[List[np.ndarray]], Any]) -> Any:
    try:
        return join(chunks)
    except MemoryError:
        raise _out_of_memory(chunks, None, "the spikes' arrays") from None


def _join(chunks: List[np.ndarray]) -> Spikes:
    if not chunks:
        return Spikes(np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.uint32))
    if len(chunks) == 1:
        return Spikes(chunks[0]["t"].copy(), chunks[0]["neuron"].copy())
    return Spikes(np.concatenate([c["t"] for c in chunks]),
                  np.concatenate([c["neuron"] for c in chunks]))
