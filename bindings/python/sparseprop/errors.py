# Exceptions: one class per sp_status, each carrying the status and the library's message.
"""Exceptions raised by the binding.

Every ``SP_ERR_*`` status of the C library has its own class, all derived from
:class:`SparsePropError`, which carries ``status`` (the integer), ``status_name`` (e.g.
``"SP_ERR_ARGUMENT"``) and ``message`` (the library's ``sp_last_error()`` text in this
binding's words: the C functions it tells you to call given as this binding's methods, e.g.
``Network.record`` for ``sp_record``, C fields and constants as keywords and members, e.g.
``v_spike`` for ``model_params->v_spike`` and ``Param.DRIVES`` for ``SP_PARAM_DRIVES``; or the
binding's own text for checks the binding makes before calling the library). Where a
built-in exception says the same thing, the class also derives from it, so ``except
ValueError`` catches bad arguments and ``except OSError`` catches unreadable files.

========================  ====================  =======================================
status                    class                 also a
========================  ====================  =======================================
``SP_ERR_ARGUMENT``       ArgumentError         ``ValueError``
``SP_ERR_NOMEM``          NoMemoryError         ``MemoryError``
``SP_ERR_UNSUPPORTED``    UnsupportedError      ``ValueError``
``SP_ERR_STATE``          StateError            ``RuntimeError``
``SP_ERR_CAPACITY``       CapacityError         ``RuntimeError``
``SP_ERR_IO``             FileError             ``OSError``
``SP_ERR_FORMAT``         FormatError           ``ValueError``
``SP_ERR_NUMERIC``        NumericError          ``ArithmeticError``
========================  ====================  =======================================
"""
from __future__ import annotations

import re
from typing import Dict, Optional, Sequence, Tuple, Type

from . import _capi

__all__ = [
    "SparsePropError", "ArgumentError", "NoMemoryError", "UnsupportedError", "StateError",
    "CapacityError", "FileError", "FormatError", "NumericError", "error_for", "check",
]


class SparsePropError(Exception):
    """Base class of every error the library reports.

    Attributes:
        status: the ``sp_status`` value (an int, never 0).
        status_name: its name, e.g. ``"SP_ERR_ARGUMENT"``.
        message: the library's message (``sp_last_error()``) naming the field and value.
    """

    status: int = -1

    def __init__(self, status: int, message: str) -> None:
        """``status``: the ``SP_ERR_*`` value; ``message``: the library's ``sp_last_error()``
        text (or the binding's own, for what it checks itself)."""
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.status_name = _capi.lib.sp_status_name(status).decode()

    def __str__(self) -> str:
        return f"{self.status_name}: {self.message}"

    def __reduce__(self):  # picklable, although the constructor takes two arguments
        return (type(self), (self.status, self.message))


class ArgumentError(SparsePropError, ValueError):
    """``SP_ERR_ARGUMENT``: a bad argument (out of range, non-finite, inconsistent sizes,
    invalid connectivity)."""

    status = _capi.SP_ERR_ARGUMENT


class NoMemoryError(SparsePropError, MemoryError):
    """``SP_ERR_NOMEM``: an allocation failed."""

    status = _capi.SP_ERR_NOMEM


class UnsupportedError(SparsePropError, ValueError):
    """``SP_ERR_UNSUPPORTED``: a valid request this model or configuration does not support
    (for example QIF with drive <= 0, an excitable EIF or custom drive, a drive an EIF or
    custom network was not created with, ``tau_syn`` with a model other than LIF or a ratio
    ``tau_syn/tau`` outside [1e-4, 1e4], setting parameters on a replica)."""

    status = _capi.SP_ERR_UNSUPPORTED


class StateError(SparsePropError, RuntimeError):
    """``SP_ERR_STATE``: not valid now (backward without a recording, stepping a silent
    network, using a closed network)."""

    status = _capi.SP_ERR_STATE


class CapacityError(SparsePropError, RuntimeError):
    """``SP_ERR_CAPACITY``: a fixed capacity (the recording tape, the input queue) would be
    exceeded."""

    status = _capi.SP_ERR_CAPACITY


class FileError(SparsePropError, OSError):
    """``SP_ERR_IO``: a file could not be read or written."""

    status = _capi.SP_ERR_IO


class FormatError(SparsePropError, ValueError):
    """``SP_ERR_FORMAT``: bytes that are not a valid or compatible saved network."""

    status = _capi.SP_ERR_FORMAT


class NumericError(SparsePropError, ArithmeticError):
    """``SP_ERR_NUMERIC``: a non-finite value arose."""

    status = _capi.SP_ERR_NUMERIC


_BY_STATUS: Dict[int, Type[SparsePropError]] = {
    cls.status: cls
    for cls in (ArgumentError, NoMemoryError, UnsupportedError, StateError, CapacityError,
                FileError, FormatError, NumericError)
}


def error_for(status: int, message: str) -> SparsePropError:
    """The exception for ``status`` (an unknown status gives a plain SparsePropError)."""
    cls = _BY_STATUS.get(status)
    if cls is None:
        return SparsePropError(status, message)
    return cls(status, message)


# The C names a library message may use, in this binding's words: two phrases naming C things
# (a replica's handle, the header's sp_model), the functions it tells the caller to call, the
# model parameters' struct (whose fields are Network's keywords), and the enum constants (this
# binding's Param, Model and Frame members).
_BINDING_NAMES = (
    (r"\bnet is a replica\b", "this network is a replica"),
    (r"\bsee sp_model in the header\b", "see Models in the library's README"),
    (r"\bsp_record\b", "Network.record"), (r"\bsp_backward\b", "Network.backward"),
    (r"\bsp_rewind\b", "Network.rewind"), (r"\bsp_set_params\b", "Network.set_params"),
    (r"\bsp_set_drive\b", "Network.set_drive"), (r"\bsp_zero_grads\b", "Network.zero_grads"),
    (r"\bsp_run\b", "Network.run"), (r"\bsp_run_until\b", "Network.run_until"),
    (r"\bsp_load\b", "Network.load"), (r"\bsp_network_replica\b", "Network.replica"),
    (r"\bmodel_params->(\w+)", r"\1"), (r"\bmodel_params\b", "the model parameters"),
    (r"\bSP_(PARAM|MODEL|FRAME)_([A-Z0-9_]+)\b",
     lambda m: f"{m.group(1).capitalize()}.{m.group(2)}"))


# A call's own renames: (pattern, replacement) pairs for re.sub, e.g. the C function's
# parameter ``n`` that is the length of the method's ``times``.
Renames = Sequence[Tuple[str, str]]


def in_binding_words(message: str, renames: Renames = (), file: Optional[str] = None) -> str:
    """A library message in this binding's words: the C functions it names replaced by this
    binding's methods, ``model_params->v_spike`` by the keyword ``v_spike``, ``SP_PARAM_DRIVES``
    by ``Param.DRIVES`` (and ``SP_MODEL_*``, ``SP_FRAME_*`` by ``Model.*``, ``Frame.*``), and
    the C parameters a call names by its method's arguments (``renames``, applied first). A file
    path the message ends with (``...: '/the/path'``) is the caller's, kept as it is; given the
    call's ``file``, also a start of it that the library's message buffer cut short."""
    text, quote, path = message, "", ""
    if message.endswith("'") and ": '" in message:
        text, quote, path = message.partition(": '")
    elif file is not None:
        # (A cut inside a multi-byte character decodes as U+FFFD at the end.)
        def starts_file(rest: str) -> bool:
            return file.startswith(rest) or (rest.endswith("\ufffd")
                                             and file.startswith(rest.rstrip("\ufffd")))
        at = message.find(": '")
        while at >= 0 and not starts_file(message[at + 3:]):
            at = message.find(": '", at + 1)
        if at >= 0:
            text, quote, path = message[:at], ": '", message[at + 3:]
    for c_name, name in (*renames, *_BINDING_NAMES):
        text = re.sub(c_name, name, text)
    return text + quote + path


def renamed(error: SparsePropError, renames: Renames) -> SparsePropError:
    """``error`` (already in this binding's words) with ``renames`` applied to its message:
    for a method that passes its own arguments to another one under other names."""
    return error_for(error.status, in_binding_words(error.message, renames))


def check(status: int, renames: Renames = (), file: Optional[bytes] = None) -> None:
    """Raises the exception for a failed C call's status, with ``sp_last_error()`` in this
    binding's words; ``renames``: the call's C parameter names that are not the method's,
    ``file``: the file name it was given (see :func:`in_binding_words`).

    Must be called right after the call that returned ``status``, in the same thread: the
    library keeps the message per thread until its next call.
    """
    if status != _capi.SP_OK:
        message = _capi.lib.sp_last_error().decode("utf-8", "replace")
        name = None if file is None else file.decode("utf-8", "replace")
        raise error_for(status, in_binding_words(message, renames, name))
