# pip install (offline, Debian's meson-python) into a fresh prefix, then import from there.
import os
import shutil
import subprocess
import sys

import pytest

from conftest import PACKAGE_ROOT


def test_pip_install_into_a_fresh_prefix(tmp_path, library_path):
    for module, package in (("pip", "python3-pip"), ("mesonpy", "python3-mesonpy")):
        r = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"{module} is not installed (Debian: {package})")
    # A copy of the sources: meson-python 0.12 writes a file into the source directory.
    source = tmp_path / "source"
    shutil.copytree(PACKAGE_ROOT, source,
                    ignore=shutil.ignore_patterns("__pycache__", ".mesonpy*", "tests"))
    prefix = tmp_path / "prefix"
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.pop("PYTHONPATH", None)
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                        "--no-deps", "--no-index", "--prefix", str(prefix), str(source)],
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    # Debian's scheme puts it under PREFIX/local/lib/python3.X/dist-packages; others under
    # PREFIX/lib/python3.X/site-packages.
    found = [p.parent.parent for p in prefix.rglob("sparseprop/__init__.py")]
    assert len(found) == 1, found
    site = found[0]
    assert (site / "sparseprop" / "py.typed").exists()
    assert any(p.name.startswith("sparseprop-0.3.0") for p in site.glob("*.dist-info"))
    env = dict(os.environ, PYTHONPATH=str(site), SPARSEPROP_LIB=str(library_path))
    code = ("import sparseprop, sparseprop.plot; print(sparseprop.__file__); "
            "n = sparseprop.Network(100, drive=1.1, k=10, weight=-0.1, init_seed=1); "
            "print(len(n.run(0.5).times))")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    path, count = r.stdout.split()
    assert path.startswith(str(site)) and int(count) > 0
