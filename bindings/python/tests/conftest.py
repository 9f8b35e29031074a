# Shared fixtures: where the build tree, the CLI and a C compiler are, and C helpers built once.
import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent                      # bindings/python
REPO_ROOT = PACKAGE_ROOT.parent.parent          # the repository


def build_dir():
    """The Meson build tree (SPARSEPROP_BUILD_DIR, set by run-tests.sh), or None."""
    d = os.environ.get("SPARSEPROP_BUILD_DIR")
    return Path(d) if d else None


@pytest.fixture(scope="session")
def build():
    d = build_dir()
    if d is None or not d.is_dir():
        pytest.skip("SPARSEPROP_BUILD_DIR is not set (run through bindings/python/run-tests.sh "
                    "or meson test)")
    return d


@pytest.fixture(scope="session")
def cli(build):
    path = build / "src" / "cli" / "sparseprop"
    if not path.exists():
        pytest.skip(f"{path} not built (meson setup -Dcli=false?)")
    return path


@pytest.fixture(scope="session")
def library_path():
    lib = os.environ.get("SPARSEPROP_LIB")
    if not lib:
        import sparseprop._capi as capi
        lib = capi.lib._name
    return Path(lib).resolve()


@pytest.fixture(scope="session")
def cc():
    compiler = os.environ.get("CC") or "cc"
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) for the C helper programs")
    return compiler


@pytest.fixture(scope="session")
def c_program(cc, library_path, tmp_path_factory):
    """Compiles tests/c/NAME.c against the public header and the tested library."""
    out_dir = tmp_path_factory.mktemp("c-helpers")
    built = {}

    def make(name):
        if name not in built:
            exe = out_dir / name
            cmd = [cc, "-std=c99", "-Wall", "-Werror", "-o", str(exe), str(HERE / "c" / f"{name}.c"),
                   "-I", str(REPO_ROOT / "include"), str(library_path),
                   f"-Wl,-rpath,{library_path.parent}"]
            subprocess.run(cmd, check=True)
            built[name] = exe
        return built[name]

    return make
