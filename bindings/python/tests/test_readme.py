# The Python code blocks of README.md and bindings/python/README.md run as written.
import re

import pytest

from conftest import PACKAGE_ROOT, REPO_ROOT


def python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def run_block(code, tmp_path, monkeypatch):
    if "sparseprop.plot" in code:
        pytest.importorskip("matplotlib", reason="python3-matplotlib is not installed")
        import matplotlib
        matplotlib.use("Agg")
    if "torch" in code:
        pytest.importorskip("torch", reason="python3-torch is not installed")
    monkeypatch.chdir(tmp_path)  # raster.png goes here
    exec(compile(code, "<README>", "exec"), {})


def test_top_readme_python_blocks(tmp_path, monkeypatch):
    blocks = python_blocks(REPO_ROOT / "README.md")
    assert len(blocks) == 2
    for code in blocks:
        run_block(code, tmp_path, monkeypatch)
    assert (tmp_path / "raster.png").stat().st_size > 1000


def test_binding_readme_first_block(tmp_path, monkeypatch):
    blocks = python_blocks(PACKAGE_ROOT / "README.md")
    run_block(blocks[0], tmp_path, monkeypatch)
    assert (tmp_path / "raster.png").exists()
