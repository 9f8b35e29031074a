# Finding the library: SPARSEPROP_LIB, pkg-config (an uninstalled build tree), the system loader.
import os
import shutil
import subprocess
import sys

import pytest

from conftest import PACKAGE_ROOT

PROBE = "import sparseprop; print(sparseprop.library_found_by)"


def probe(env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPARSEPROP_LIB", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH")}
    env["PYTHONPATH"] = str(PACKAGE_ROOT)
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True)


def test_env_var_wins(library_path):
    r = probe({"SPARSEPROP_LIB": str(library_path)})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"SPARSEPROP_LIB={library_path}"


def test_env_var_naming_a_missing_file_is_an_import_error(tmp_path):
    r = probe({"SPARSEPROP_LIB": str(tmp_path / "libnothing.so")})
    assert r.returncode != 0
    assert "LibraryNotFoundError" in r.stderr and "SPARSEPROP_LIB is set" in r.stderr


def test_env_var_naming_another_library_says_so():
    # (An outside check: libm given by mistake was reported as "older than this binding".)
    import ctypes.util
    libm = ctypes.util.find_library("m")
    if libm is None:
        pytest.skip("no libm found by name")
    r = probe({"SPARSEPROP_LIB": libm})
    assert r.returncode != 0
    assert (f"the library found by SPARSEPROP_LIB={libm} has no function sp_version_number: "
            "it is not libsparseprop") in r.stderr, r.stderr


def test_pkg_config_finds_an_uninstalled_build(build):
    if shutil.which(os.environ.get("PKG_CONFIG") or "pkg-config") is None:
        pytest.skip("no pkg-config program")
    r = probe({"PKG_CONFIG_PATH": str(build / "meson-uninstalled")})
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("pkg-config (") and str(build / "src") in r.stdout


def test_system_loader(library_path):
    # ctypes.util.find_library searches LD_LIBRARY_PATH (through ld) on Linux.
    r = probe({"LD_LIBRARY_PATH": str(library_path.parent), "PKG_CONFIG_PATH": "/nonexistent",
               "PKG_CONFIG": "false"})
    if r.returncode != 0 and "find_library('sparseprop'): not found" in r.stderr:
        pytest.skip("ctypes.util.find_library does not search LD_LIBRARY_PATH here (no ld?)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("the system loader (")


def test_nothing_found_lists_every_route():
    r = probe({"PKG_CONFIG": "false", "LD_LIBRARY_PATH": ""})
    if r.returncode == 0:
        pytest.skip(f"a system-wide libsparseprop is installed ({r.stdout.strip()})")
    for words in ("SPARSEPROP_LIB: not set", "pkg-config", "find_library"):
        assert words in r.stderr
