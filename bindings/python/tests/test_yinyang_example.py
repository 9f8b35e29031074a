# The PyTorch Yin-Yang example (examples/yinyang_torch.py): its data set is the C example's,
# point for point, and a short training run learns.
import importlib.util
import subprocess

import numpy as np
import pytest

from conftest import PACKAGE_ROOT


def load():
    pytest.importorskip("torch", reason="python3-torch is not installed")
    path = PACKAGE_ROOT / "examples" / "yinyang_torch.py"
    spec = importlib.util.spec_from_file_location("yinyang_torch", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dataset_is_the_c_examples(build):
    exe = build / "tests" / "examples" / "yinyang" / "yinyang"
    if not exe.exists():
        pytest.skip(f"{exe} not built (meson setup -Dtests=false?)")
    out = subprocess.run([str(exe), "--print-data", "300"], check=True, capture_output=True,
                         text=True).stdout.split()
    c = np.array(out, dtype=np.float64).reshape(-1, 3)
    xy, label = load().dataset(300, 42)
    assert np.array_equal(c[:, :2], xy)  # %.17g round-trips doubles exactly
    assert np.array_equal(c[:, 2].astype(np.int64), label)


def test_dataset_shape():
    example = load()
    xy, label = example.dataset(3000, 7)
    r = np.hypot(xy[:, 0] - 0.5, xy[:, 1] - 0.5)
    assert (r <= 0.5).all()
    # Classes drawn uniformly: each near 1/3 (binomial std ~0.009).
    assert np.allclose(np.bincount(label, minlength=3) / 3000, 1 / 3, atol=0.04)
    # The dots (class 2) are the two discs of radius 0.1 at (0.25, 0.5) and (0.75, 0.5).
    d = np.minimum(np.hypot(xy[:, 0] - 0.25, xy[:, 1] - 0.5), np.hypot(xy[:, 0] - 0.75,
                                                                       xy[:, 1] - 0.5))
    assert ((d < 0.1) == (label == 2)).all()
    # Outside the dots, yin (0) is the upper half outside the right half-disc of radius 0.25
    # plus the left one (and vice versa): check the points far from the curve.
    upper = xy[:, 1] > 0.5
    in_left = np.hypot(xy[:, 0] - 0.25, xy[:, 1] - 0.5) < 0.25
    in_right = np.hypot(xy[:, 0] - 0.75, xy[:, 1] - 0.5) < 0.25
    yin = np.where(upper, ~in_right, in_left)
    assert ((label != 2) <= (yin == (label == 0))).all()


def test_short_training_learns():
    example = load()
    res = example.train(epochs=3, seed=1, n_train=640, n_val=200, n_test=300, hidden=60,
                        verbose=False)
    # Chance is 1/3; on this machine 3 epochs on 640 points reach 0.67 (deterministic up to libm).
    assert res["test"] > 0.55, res
