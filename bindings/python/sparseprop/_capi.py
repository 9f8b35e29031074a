# The raw C interface: ctypes mirrors of include/sparseprop/sparseprop.h and the prototypes.
"""Low-level declarations of the C API (``include/sparseprop/sparseprop.h``).

Everything that depends on the header's layout lives in this one module: the constants, the
``ctypes.Structure`` mirrors of the public structs, the numpy dtype of ``sp_spike`` and the
argument/return types of every function. The test suite compares the layouts with what the C
compiler makes of the header, and every function's return and parameter types with the
header's declarations.

Config structs follow the header's rule: ``struct_size`` first, fields only ever appended. The
library accepts a caller's smaller ``struct_size`` and defaults the fields beyond it, so this
module keeps working with a newer library; new fields are appended to ``NetworkDesc`` here when
they are needed.
"""
from __future__ import annotations

import ctypes
from ctypes import (POINTER, Structure, c_char_p, c_double, c_int, c_size_t, c_uint32,
                    c_uint64, c_void_p)

import numpy as np

from ._library import LibraryNotFoundError, load_library

# ---------------------------------------------------------------------------------------------
# Constants

SP_VERSION_MAJOR = 0  # the major version this binding was written for

# C enums cross the call boundary as int; fields of structs that hold them are uint32_t.
c_enum = c_int

SP_OK = 0
SP_ERR_ARGUMENT = 1
SP_ERR_NOMEM = 2
SP_ERR_UNSUPPORTED = 3
SP_ERR_STATE = 4
SP_ERR_CAPACITY = 5
SP_ERR_IO = 6
SP_ERR_FORMAT = 7
SP_ERR_NUMERIC = 8

SP_MODEL_LIF = 1
SP_MODEL_QIF = 2
SP_MODEL_EIF = 3
SP_MODEL_CUSTOM = 4

SP_FRAME_AUTO = 0
SP_FRAME_PHASE = 1
SP_FRAME_TIME = 2

SP_PARAM_WEIGHTS = 1
SP_PARAM_INPUT_WEIGHTS = 2
SP_PARAM_DRIVES = 3
SP_PARAM_V0 = 4

SP_SPIKE_TRIGGERED = 1
SP_SPIKE_INPUT_TRIGGERED = 2

# ---------------------------------------------------------------------------------------------
# Structs


class Synapses(Structure):
    """``sp_synapses``: explicit CSR (row_ptr != NULL) or procedural (k > 0) connectivity."""

    _fields_ = [
        ("row_ptr", c_void_p),   # const uint64_t *
        ("targets", c_void_p),   # const uint32_t *
        ("weights", c_void_p),   # const double *
        ("k", c_uint32),
        ("seed", c_uint64),
        ("weight", c_double),
    ]


class Allocator(Structure):
    """``sp_allocator``; the binding always passes NULL (malloc/free)."""

    _fields_ = [("alloc", c_void_p), ("free", c_void_p), ("ctx", c_void_p)]


# sp_model_fn: double (*)(double v, void *ctx).
ModelFn = ctypes.CFUNCTYPE(c_double, c_double, c_void_p)


class ModelParams(Structure):
    """``sp_model_params``: what EIF and custom models read besides the drive."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("reserved", c_uint32),
        ("v_reset", c_double),
        ("v_spike", c_double),
        ("delta_t", c_double),
        ("v_t", c_double),
        ("f", ModelFn),
        ("df", ModelFn),
        ("ctx", c_void_p),
    ]


class NetworkDesc(Structure):
    """``sp_network_desc``, in the header's field order."""

    _fields_ = [
        ("struct_size", c_uint32),
        ("model", c_uint32),
        ("n", c_uint32),
        ("tau", c_double),
        ("drive", c_double),
        ("drives", c_void_p),        # const double *
        ("recurrent", Synapses),
        ("n_inputs", c_uint32),
        ("inputs", Synapses),
        ("v0", c_void_p),            # const double *
        ("init_seed", c_uint64),
        ("t_ref", c_double),
        ("input_capacity", c_uint32),
        ("allocator", c_void_p),     # const sp_allocator *
        ("frame", c_uint32),
        ("reserved", c_uint32),
        ("tau_syn", c_double),
        ("model_params", c_void_p),  # const sp_model_params *
    ] + ([("reserved2", c_uint32)] if ctypes.sizeof(c_void_p) == 4 else [])  # (32-bit: the pad)


class Spike(Structure):
    """``sp_spike``."""

    _fields_ = [("t", c_double), ("neuron", c_uint32), ("flags", c_uint32)]


# sp_spike as a numpy record, so sp_run can write straight into a numpy buffer.
SPIKE_DTYPE = np.dtype({
    "names": ["t", "neuron", "flags"],
    "formats": ["<f8", "<u4", "<u4"],
    "offsets": [Spike.t.offset, Spike.neuron.offset, Spike.flags.offset],
    "itemsize": ctypes.sizeof(Spike),
})

# ---------------------------------------------------------------------------------------------
# Functions: name -> (restype, argtypes). Arrays are passed as c_void_p (an address), which
# lets numpy buffers cross without conversion.

c_net_p = c_void_p  # sp_network *, opaque

FUNCTIONS = {
    "sp_version_number": (c_uint32, []),
    "sp_version_string": (c_char_p, []),
    "sp_status_name": (c_char_p, [c_enum]),
    "sp_last_error": (c_char_p, []),
    "sp_network_desc_init": (None, [POINTER(NetworkDesc), c_size_t]),
    "sp_network_memory": (c_enum, [POINTER(NetworkDesc), POINTER(c_size_t)]),
    "sp_network_create": (c_enum, [POINTER(NetworkDesc), POINTER(c_net_p)]),
    "sp_network_destroy": (None, [c_net_p]),
    "sp_network_frame": (c_uint32, [c_net_p]),
    "sp_network_size": (c_uint32, [c_net_p]),
    "sp_step": (c_enum, [c_net_p, POINTER(Spike)]),
    "sp_run": (c_enum, [c_net_p, c_double, c_void_p, c_size_t, POINTER(c_size_t)]),
    "sp_now": (c_double, [c_net_p]),
    "sp_run_until": (c_enum, [c_net_p, c_double, c_void_p, c_size_t, c_void_p, c_size_t,
                              POINTER(c_size_t)]),
    "sp_input": (c_enum, [c_net_p, c_uint32, c_double]),
    "sp_input_many": (c_enum, [c_net_p, c_void_p, c_void_p, c_size_t]),
    "sp_voltage": (c_enum, [c_net_p, c_uint32, POINTER(c_double)]),
    "sp_voltages": (c_enum, [c_net_p, c_void_p, c_size_t]),
    "sp_set_drive": (c_enum, [c_net_p, c_uint32, c_double]),
    "sp_rewind": (c_enum, [c_net_p]),
    "sp_param_count": (c_enum, [c_net_p, c_enum, POINTER(c_size_t)]),
    "sp_get_params": (c_enum, [c_net_p, c_enum, c_void_p, c_size_t]),
    "sp_set_params": (c_enum, [c_net_p, c_enum, c_void_p, c_size_t]),
    "sp_record": (c_enum, [c_net_p, c_size_t]),
    "sp_backward": (c_enum, [c_net_p, c_void_p, c_size_t, c_void_p]),
    "sp_get_grads": (c_enum, [c_net_p, c_enum, c_void_p, c_size_t]),
    "sp_zero_grads": (c_enum, [c_net_p]),
    "sp_network_replica": (c_enum, [c_net_p, POINTER(c_net_p)]),
    "sp_grads_accumulate": (c_enum, [c_net_p, c_net_p]),
    "sp_save": (c_enum, [c_net_p, c_void_p, c_size_t, POINTER(c_size_t)]),
    "sp_load": (c_enum, [c_void_p, c_size_t, c_void_p, POINTER(c_net_p)]),
    "sp_save_file": (c_enum, [c_net_p, c_char_p]),
    "sp_load_file": (c_enum, [c_char_p, POINTER(c_net_p)]),
}


def _declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    for name, (restype, argtypes) in FUNCTIONS.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            # (Every libsparseprop has sp_version_number: a library without it is another one,
            # such as libm given by mistake, not an old libsparseprop.)
            if not hasattr(lib, "sp_version_number"):
                raise LibraryNotFoundError(
                    f"the library found by {found_by} has no function {name}: it is not "
                    "libsparseprop") from None
            raise LibraryNotFoundError(
                f"libsparseprop ({found_by}) has no function {name}: the library is older "
                "than this binding") from None
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


lib, found_by = load_library()
_declare(lib)
if lib.sp_version_number() // 10000 != SP_VERSION_MAJOR:
    raise LibraryNotFoundError(
        f"libsparseprop ({found_by}) is version {lib.sp_version_string().decode()}; this "
        f"binding needs major version {SP_VERSION_MAJOR}")
