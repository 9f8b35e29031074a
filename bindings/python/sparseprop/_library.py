# Finds and opens the shared library libsparseprop at import time.
"""Locating ``libsparseprop``.

In this order: the ``SPARSEPROP_LIB`` environment variable (a path to the
shared library), then the ``pkg-config`` program asked for ``sparseprop`` (which also finds an
uninstalled Meson build through ``PKG_CONFIG_PATH=build/meson-uninstalled``), then the system
loader (``ctypes.util.find_library``).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys
from typing import List, Optional, Tuple

__all__ = ["LibraryNotFoundError", "load_library"]


class LibraryNotFoundError(ImportError):
    """libsparseprop could not be found or opened; the message lists every route tried."""


def _file_names() -> List[str]:
    if sys.platform == "darwin":
        return ["libsparseprop.dylib", "libsparseprop.0.dylib"]
    if sys.platform == "win32":
        return ["sparseprop.dll", "libsparseprop.dll"]
    return ["libsparseprop.so", "libsparseprop.so.0"]


def _pkg_config(args: List[str]) -> Optional[str]:
    program = os.environ.get("PKG_CONFIG") or "pkg-config"
    if shutil.which(program) is None:
        return None
    try:
        out = subprocess.run([program, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _pkg_config_dirs() -> List[str]:
    """Library directories pkg-config reports: ``libdir`` first, then every ``-L`` flag.

    Meson's uninstalled ``.pc`` file names the build tree's library directory only in its
    ``-L`` flag (its ``libdir`` variable points at an install location inside the build tree
    that does not exist), so both are asked for.
    """
    dirs: List[str] = []
    for package in ("sparseprop", "sparseprop-uninstalled"):
        libdir = _pkg_config(["--variable=libdir", package])
        flags = _pkg_config(["--libs-only-L", package])
        if libdir is None and flags is None:
            continue
        if libdir:
            dirs.append(libdir)
        for flag in (flags or "").split():
            if flag.startswith("-L") and len(flag) > 2:
                dirs.append(flag[2:])
        break
    return dirs


def _try_open(path: str, tried: List[str]) -> Optional[ctypes.CDLL]:
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        tried.append(f"{path}: {e}")
        return None


def load_library() -> Tuple[ctypes.CDLL, str]:
    """Opens libsparseprop and returns it with a sentence saying how it was found.

    Raises LibraryNotFoundError naming every place that was tried.
    """
    tried: List[str] = []
    env = os.environ.get("SPARSEPROP_LIB")
    if env:
        # An explicit choice is final: falling back silently would hide a typo.
        lib = _try_open(os.path.abspath(env) if os.sep in env else env, tried)
        if lib is not None:
            return lib, f"SPARSEPROP_LIB={env}"
        raise LibraryNotFoundError(
            "libsparseprop: SPARSEPROP_LIB is set but the library cannot be opened: " + tried[0])
    tried.append("SPARSEPROP_LIB: not set")

    dirs = _pkg_config_dirs()
    if not dirs:
        tried.append("pkg-config: no 'sparseprop' package (or no pkg-config program)")
    for d in dirs:
        for name in _file_names():
            path = os.path.join(d, name)
            if os.path.exists(path):
                lib = _try_open(path, tried)
                if lib is not None:
                    return lib, f"pkg-config ({path})"
            else:
                tried.append(f"pkg-config: {path} does not exist")

    name = ctypes.util.find_library("sparseprop")
    if name is not None:
        lib = _try_open(name, tried)
        if lib is not None:
            return lib, f"the system loader ({name})"
    else:
        tried.append("ctypes.util.find_library('sparseprop'): not found")
    raise LibraryNotFoundError(
        "libsparseprop not found; set SPARSEPROP_LIB to the path of libsparseprop.so, or make "
        "`pkg-config sparseprop` work (PKG_CONFIG_PATH=BUILD/meson-uninstalled for a Meson build "
        "tree), or install the library. Tried:\n  " + "\n  ".join(tried))
